/// RFC 2544 (section 26.1) style throughput search: the highest offered rate at which a
/// device under test loses at most a given fraction of frames, found by bisection between a
/// rate known (or checked) to pass and one known (or checked) to fail.
///
/// The search is generic: `trial` runs one trial at a requested rate (a simulation, or a
/// testbed measurement) and reports the rate actually offered and the fraction lost. The
/// result states its resolution: the true threshold lies in `[rate, rate + resolution]` when
/// loss grows monotonically with the rate (as it does for a saturating path).
///
/// - Complexity: at most 2 + ceil(log2((high - low) / resolution)) trials.
public enum ThroughputSearch {
  /// One trial of the search.
  public struct Trial: Sendable, Equatable, Codable {
    /// Rate asked for.
    public var requested: Double
    /// Rate the trial reports it actually offered.
    public var offered: Double
    /// Fraction of offered traffic lost, in [0, 1].
    public var lossFraction: Double
    /// Whether `lossFraction <= maxLossFraction`.
    public var passed: Bool
  }

  /// The outcome of a search.
  public struct SearchResult: Sendable, Equatable, Codable {
    /// Highest requested rate that passed; nil when even `low` failed.
    public var rate: Double?
    /// Width of the bracket the search stopped at: the threshold is in
    /// `[rate, rate + resolution]` (or below `low` when `rate` is nil; `rate == high` means the
    /// threshold is at or above `high`).
    public var resolution: Double
    /// Loss tolerance used.
    public var maxLossFraction: Double
    /// Every trial, in the order run.
    public var trials: [Trial]
  }

  /// Searches `[low, high]` for the highest rate whose loss is at most `maxLossFraction`,
  /// stopping when the bracket is at most `resolution` wide.
  ///
  /// Order of trials: `high` first (a pass ends the search at once), then `low` (a failure
  /// ends it with no rate), then bisection of the bracket. Rates are in whatever unit `trial`
  /// takes (pps, bit/s). - Precondition: `0 <= low < high`, `resolution > 0`,
  /// `0 <= maxLossFraction < 1`.
  public static func find(
    low: Double, high: Double, resolution: Double, maxLossFraction: Double = 0,
    trial: (Double) throws -> (offered: Double, lossFraction: Double)
  ) rethrows -> SearchResult {
    precondition(low >= 0 && low < high, "search range [\(low), \(high)] is empty")
    precondition(resolution > 0, "resolution must be positive")
    precondition(maxLossFraction >= 0 && maxLossFraction < 1, "loss tolerance must be in [0, 1)")
    var trials: [Trial] = []
    func run(_ rate: Double) throws -> Bool {
      let t = try trial(rate)
      let passed = t.lossFraction <= maxLossFraction
      trials.append(Trial(requested: rate, offered: t.offered, lossFraction: t.lossFraction, passed: passed))
      return passed
    }
    if try run(high) {
      return SearchResult(
        rate: high, resolution: resolution, maxLossFraction: maxLossFraction, trials: trials)
    }
    if try !run(low) {
      return SearchResult(rate: nil, resolution: resolution, maxLossFraction: maxLossFraction, trials: trials)
    }
    var pass = low
    var fail = high
    while fail - pass > resolution {
      let mid = pass + (fail - pass) / 2
      if try run(mid) { pass = mid } else { fail = mid }
    }
    return SearchResult(rate: pass, resolution: fail - pass, maxLossFraction: maxLossFraction, trials: trials)
  }
}
