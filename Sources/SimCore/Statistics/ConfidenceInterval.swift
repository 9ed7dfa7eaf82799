import GSLKit

/// A point estimate with a two-sided Student-t confidence interval, computed from
/// independent replications (one value per replication).
public struct ConfidenceInterval: Sendable, Equatable, CustomStringConvertible {
  /// Mean over replications.
  public var mean: Double
  /// Half-width of the interval (NaN with fewer than two replications).
  public var halfWidth: Double
  /// Number of replications.
  public var count: Int
  /// Confidence level, e.g. 0.95.
  public var level: Double

  /// Lower bound.
  public var low: Double { mean - halfWidth }
  /// Upper bound.
  public var high: Double { mean + halfWidth }
  /// Half-width relative to |mean| (infinity when the mean is 0).
  public var relativeHalfWidth: Double { mean == 0 ? .infinity : halfWidth / abs(mean) }

  /// The `level` interval of the mean of `values`: mean ± t(1-(1-level)/2, n-1) · s / √n.
  /// With one value the half-width is NaN (no interval can be stated).
  public init(_ values: [Double], level: Double = 0.95) {
    var w = Welford()
    for v in values { w.add(v) }
    self.init(w, level: level)
  }

  /// The interval from a Welford accumulator over replication values.
  public init(_ w: Welford, level: Double = 0.95) {
    precondition(level > 0 && level < 1, "confidence level must be in (0, 1)")
    mean = w.count > 0 ? w.mean : .nan
    count = w.count
    self.level = level
    if w.count < 2 {
      halfWidth = .nan
    } else {
      // Quantile arguments are valid by construction, so this cannot throw.
      let t = (try? Quantiles.studentT(1 - (1 - level) / 2, dof: Double(w.count - 1))) ?? .nan
      halfWidth = t * w.standardDeviation / Double(w.count).squareRoot()
    }
  }

  public var description: String {
    halfWidth.isNaN ? "\(mean)" : "\(mean) ± \(halfWidth)"
  }
}
