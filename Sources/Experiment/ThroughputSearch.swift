import Report

/// What a throughput search's measurer reports of one trial at an intended load.
public struct ThroughputTrialResult: Sendable {
  /// Frames lost against frames the generator sent (not against the intended load), in [0, 1].
  public var lossRatio: Double
  /// How far the generator's achieved rate fell below the intended load: 1 - achieved /
  /// intended, at least 0. Never folded into `lossRatio` by the search.
  public var shortfall: Double
  /// Load actually offered, in the loads' unit (packets per second).
  public var offered: Double
  /// Frames received per second of sending.
  public var forwardingRate: Double
  /// Every measurement of the trial (reported, not used by the search).
  public var measurements: [MetricRow]

  /// Creates a result (`offered`: NaN when the measurer does not say).
  public init(
    lossRatio: Double, shortfall: Double, forwardingRate: Double, offered: Double = .nan,
    measurements: [MetricRow] = []
  ) {
    self.lossRatio = lossRatio
    self.shortfall = shortfall
    self.forwardingRate = forwardingRate
    self.offered = offered
    self.measurements = measurements
  }
}

/// Runs the trials of a throughput search: the simulator (`vrsim search`) or the testbed
/// (`vrsim testbed search`). Both searches of `ThroughputSearch` (the RFC 2544 bisection and
/// MLRsearch) drive one.
public protocol ThroughputMeasurer {
  /// Runs one trial at the intended aggregate `load` (packets per second) for `duration`
  /// seconds (nil: the measurer's own trial length) and reports it.
  func measure(load: Double, duration: Double?) throws -> ThroughputTrialResult
}

/// The throughput-search core shared by `vrsim search` and `vrsim testbed search`: the
/// resolution (absolute or relative), the measurer protocol (`ThroughputMeasurer`), the loss
/// bound, trials per load, and two ways of choosing loads: RFC 2544's bisection (`find`,
/// section 26.1: the highest offered rate at which a device loses at most a given fraction
/// of frames, between a rate known or checked to pass and one known or checked to fail) and
/// MLRsearch (`MLRSearch`: several loss bounds at once, trials growing, each load decided by
/// the duration of its trials).
///
/// The bisection's result states its resolution: the true threshold lies in `[rate, rate +
/// resolution]` when loss grows monotonically with the rate (as it does for a saturating path).
///
/// - Complexity: at most 2 + ceil(log2((high - low) / resolution)) loads, each measured
///   `trialsPerLoad` times.
public enum ThroughputSearch {
  /// How narrow a bracket the search stops at.
  public enum Resolution: Sendable, Equatable {
    /// A width in the loads' unit (packets per second).
    case absolute(Double)
    /// A share of the load (0.01 = 1%).
    case relative(Double)

    /// The width at `load`, in the loads' unit.
    public func width(at load: Double) -> Double {
      switch self {
      case .absolute(let w): w
      case .relative(let share): share * load
      }
    }

    /// The width at `load` as a share of it (1 at a load of 0).
    public func share(at load: Double) -> Double {
      load > 0 ? width(at: load) / load : 1
    }

    /// This resolution `factor` times coarser.
    public func scaled(by factor: Double) -> Resolution {
      switch self {
      case .absolute(let w): .absolute(w * factor)
      case .relative(let share): .relative(share * factor)
      }
    }
  }

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

  /// Bisects between `low` and `high` with `measurer`, each load measured `trialsPerLoad`
  /// times (it passes only if every trial does; the worst trial is reported). An absolute
  /// resolution bisects down to that width; at a relative one, a coarse pass over the range at
  /// that share of `high` is refined to that share of the rate found, and the trials of both
  /// passes are reported once each (the measurer may cache).
  public static func find(
    low: Double, high: Double, resolution: Resolution, maxLossFraction: Double, trialsPerLoad: Int = 1,
    measurer: some ThroughputMeasurer
  ) throws -> SearchResult {
    precondition(trialsPerLoad >= 1, "a load needs a trial")
    func trial(_ rate: Double) throws -> (offered: Double, lossFraction: Double) {
      var worst: (offered: Double, lossFraction: Double)? = nil
      for _ in 0..<trialsPerLoad {
        let r = try measurer.measure(load: rate, duration: nil)
        if worst == nil || r.lossRatio > worst!.lossFraction { worst = (r.offered, r.lossRatio) }
      }
      return worst!
    }
    switch resolution {
    case .absolute(let step):
      return try find(low: low, high: high, resolution: step, maxLossFraction: maxLossFraction, trial: trial)
    case .relative(let share):
      let coarse = try find(
        low: low, high: high, resolution: max(1, share * high), maxLossFraction: maxLossFraction, trial: trial
      )
      var result = coarse
      if let r = coarse.rate, r < high, coarse.resolution > max(1, share * r) {
        let fine = try find(
          low: r, high: r + coarse.resolution, resolution: max(1, share * r),
          maxLossFraction: maxLossFraction,
          trial: trial)
        var trials = coarse.trials
        for t in fine.trials where !trials.contains(where: { $0.requested == t.requested }) {
          trials.append(t)
        }
        result.rate = fine.rate
        result.resolution = fine.resolution
        result.trials = trials
      }
      return result
    }
  }
}
