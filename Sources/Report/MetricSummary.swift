/// One `key = value` setting that distinguishes a sweep point, e.g. `routers.count = 4`.
///
/// Values are kept as the text the scenario gave (`130kpps`, `xen-bridge`), so reports show
/// what the user wrote and no unit is lost.
public struct Assignment: Sendable, Hashable, Codable {
  /// Dotted key path in the scenario, e.g. `traffic.rate`.
  public var key: String
  /// The value as written, e.g. `130kpps`.
  public var value: String

  /// The setting `key = value`.
  public init(key: String, value: String) {
    self.key = key
    self.value = value
  }
}

/// The aggregate of one metric of one scope at one sweep point over its replications: mean,
/// Student-t confidence interval, spread and count.
///
/// This is the row type of every summary report (terminal table, tidy CSV, JSON). `halfWidth`
/// is NaN when fewer than two replications exist (no interval can be stated).
public struct MetricSummary: Sendable, Equatable {
  /// Index of the sweep point.
  public var point: Int
  /// The settings of the sweep point, in the plan's key order.
  public var parameters: [Assignment]
  /// What the metric is about: `aggregate`, a router (`vr0`), `dom0`, ...
  public var scope: String
  /// Metric name, e.g. `forwarded_pps`.
  public var metric: String
  /// Unit of `mean`, `halfWidth`, ... e.g. `pps`, `s`, `1` for a fraction.
  public var unit: String
  /// Number of replications aggregated.
  public var count: Int
  /// Mean over replications.
  public var mean: Double
  /// Half-width of the `level` Student-t interval of the mean (NaN when `count < 2`).
  public var halfWidth: Double
  /// Confidence level of the interval, e.g. 0.95.
  public var level: Double
  /// Sample standard deviation over replications (0 when `count < 2`).
  public var standardDeviation: Double
  /// Smallest replication value.
  public var min: Double
  /// Largest replication value.
  public var max: Double

  /// A summary row; see the properties for the meaning of each field.
  public init(
    point: Int, parameters: [Assignment], scope: String, metric: String, unit: String,
    count: Int, mean: Double, halfWidth: Double, level: Double,
    standardDeviation: Double, min: Double, max: Double
  ) {
    self.point = point
    self.parameters = parameters
    self.scope = scope
    self.metric = metric
    self.unit = unit
    self.count = count
    self.mean = mean
    self.halfWidth = halfWidth
    self.level = level
    self.standardDeviation = standardDeviation
    self.min = min
    self.max = max
  }

  /// Lower end of the interval (NaN without one).
  public var low: Double { mean - halfWidth }
  /// Upper end of the interval (NaN without one).
  public var high: Double { mean + halfWidth }
}
