/// One value of one run, simulated or measured on the testbed, in tidy form: what it is about
/// (`scope`), what it is (`metric`), its unit and the value. Rows made from a `Metric` carry
/// its name and unit, so simulated and measured rows spell them alike.
///
/// Examples: `aggregate forwarded_pps pps 750123`, `vr0 loss fraction 0.012`,
/// `pcpu0 utilisation fraction 0.97`.
public struct MetricRow: Sendable, Equatable, Codable {
  /// What the value is about: `aggregate`, a router (`vr0`), `dom0`, ...
  public var scope: String
  /// Metric name in snake case, e.g. `forwarded_pps`.
  public var metric: String
  /// Unit of `value` (`pps`, `bit/s`, `s`; `1` for fractions and counts).
  public var unit: String
  /// The value; NaN when the run could not measure it.
  public var value: Double

  /// The row `scope metric = value unit`.
  public init(scope: String, metric: String, unit: String, value: Double) {
    self.scope = scope
    self.metric = metric
    self.unit = unit
    self.value = value
  }

  /// The row `scope metric = value`, with the metric's name and unit.
  public init(scope: String, _ metric: Metric, value: Double) {
    self.init(scope: scope, metric: metric.name, unit: metric.unit, value: value)
  }

  /// True when both rows say the same thing, NaN values included (bitwise value equality).
  public func isIdentical(to other: MetricRow) -> Bool {
    scope == other.scope && metric == other.metric && unit == other.unit
      && (value.bitPattern == other.value.bitPattern || (value.isNaN && other.value.isNaN))
  }
}
