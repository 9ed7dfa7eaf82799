import SimCore

/// Sequential stopping rule for replications: run `minReplications`, then add replications
/// until the confidence interval of one metric is narrow enough relative to its mean, or
/// `maxReplications` is reached (Law, *Simulation Modeling and Analysis*, 5th ed., 9.4.1:
/// the "relative precision" procedure).
///
/// Decisions are made in rounds, per point, from the values of replications `0..<k` only, so
/// they are the same whatever the number of workers or the order in which runs complete, and a
/// resumed campaign replays them exactly.
public struct StoppingRule: Sendable, Equatable, Codable {
  /// Scope of the target metric, e.g. `aggregate`.
  public var scope: String
  /// Name of the target metric, e.g. `forwarded_pps`.
  public var metric: String
  /// Target relative half-width (half-width / |mean|), e.g. 0.02 for 2 %.
  public var relativeHalfWidth: Double
  /// Replications run before the first decision (at least 2).
  public var minReplications: Int
  /// Replications after which a point stops whatever its interval.
  public var maxReplications: Int

  /// A rule on `scope`/`metric` with the given target and bounds.
  public init(
    scope: String = "aggregate", metric: String, relativeHalfWidth: Double, minReplications: Int = 3,
    maxReplications: Int = 30
  ) {
    self.scope = scope
    self.metric = metric
    self.relativeHalfWidth = relativeHalfWidth
    self.minReplications = minReplications
    self.maxReplications = maxReplications
  }

  /// Throws `CampaignError.invalidPlan` for a target that is not positive or bounds out of order.
  public func validate() throws {
    if !(relativeHalfWidth > 0 && relativeHalfWidth.isFinite) {
      throw CampaignError.invalidPlan("ci target \(relativeHalfWidth) must be a positive fraction")
    }
    if minReplications < 2 {
      throw CampaignError.invalidPlan(
        "the stopping rule needs at least 2 replications, min is \(minReplications)")
    }
    if maxReplications < minReplications {
      throw CampaignError.invalidPlan("max replications \(maxReplications) < min \(minReplications)")
    }
  }

  /// The decision after replications `0..<values.count` of a point, whose target-metric values
  /// are `values` in replication order: `nil` to stop, or the replication count to reach next.
  ///
  /// Fewer than `minReplications` values: reach `minReplications`. Otherwise stop when the
  /// relative half-width at `level` is at most the target, the half-width is 0 (no variance),
  /// or `maxReplications` is reached; else grow to the count the current variance predicts
  /// (k · (relative / target)², Law 9.4.1), at least k + 1 and at most min(2k, max).
  public func nextTarget(after values: [Double], level: Double) -> Int? {
    let k = values.count
    if k < minReplications { return minReplications }
    if k >= maxReplications { return nil }
    let ci = ConfidenceInterval(values, level: level)
    if ci.halfWidth == 0 { return nil }
    let relative = ci.relativeHalfWidth
    if relative <= relativeHalfWidth { return nil }
    var predicted = 2 * k
    if relative.isFinite {
      let ratio = relative / relativeHalfWidth
      let wanted = (Double(k) * ratio * ratio).rounded(.up)
      if wanted < Double(2 * k) { predicted = Int(wanted) }
    }
    return min(maxReplications, max(k + 1, predicted))
  }
}
