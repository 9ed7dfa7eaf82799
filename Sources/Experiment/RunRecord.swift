import Report

/// Key of a run within a campaign: (point, replication).
///
/// Ordered by replication, then point: the order in which runs are handed to workers.
public struct RunKey: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// Index of the sweep point.
  public var point: Int
  /// Replication number, from 0.
  public var replication: Int

  /// The key of replication `replication` of point `point`.
  public init(point: Int, replication: Int) {
    self.point = point
    self.replication = replication
  }

  public static func < (a: RunKey, b: RunKey) -> Bool {
    (a.replication, a.point) < (b.replication, b.point)
  }

  public var description: String { "(point \(point), replication \(replication))" }
}

/// The result of one (point, replication) run: its seed, how long it took, and its metrics.
public struct RunRecord: Sendable, Equatable, Codable {
  /// Index of the sweep point.
  public var point: Int
  /// Replication number, from 0.
  public var replication: Int
  /// The seed the run was given (`CampaignPlan.seed(point:replication:)`).
  public var seed: UInt64
  /// Wall-clock duration of the run, in seconds (varies between machines: never compared).
  public var wallSeconds: Double
  /// The run's metrics, in the order the simulation produced them.
  public var metrics: [MetricRow]

  /// A record; see the properties.
  public init(point: Int, replication: Int, seed: UInt64, wallSeconds: Double, metrics: [MetricRow]) {
    self.point = point
    self.replication = replication
    self.seed = seed
    self.wallSeconds = wallSeconds
    self.metrics = metrics
  }

  /// The (point, replication) key.
  public var key: RunKey { RunKey(point: point, replication: replication) }

  /// True when `other` is the same result: same key, seed and metrics (NaN equal to NaN); the
  /// wall time is ignored.
  public func isSameResult(as other: RunRecord) -> Bool {
    point == other.point && replication == other.replication && seed == other.seed
      && metrics.count == other.metrics.count
      && zip(metrics, other.metrics).allSatisfy { $0.isIdentical(to: $1) }
  }

  /// The value of the first row with this scope and metric, if any.
  public func value(scope: String, metric: String) -> Double? {
    metrics.first { $0.scope == scope && $0.metric == metric }?.value
  }
}
