/// Errors of campaigns: bad plans, store problems, mismatched scenarios, conflicting results,
/// failed runs. Each has a message that says what is wrong and what to do.
public enum CampaignError: Error, Equatable, CustomStringConvertible {
  /// The plan cannot be run (no points, bad stopping rule, ...).
  case invalidPlan(String)
  /// The campaign directory holds results of a different experiment; the strings list what
  /// differs. Pass `allowMismatch: true` (`--allow-mismatch`) to add to it anyway.
  case scenarioMismatch(directory: String, differences: [String])
  /// The directory is not a campaign directory (no `campaign.sqlite`).
  case notACampaign(directory: String)
  /// The store cannot be read or written (SQLite error, corrupt manifest).
  case store(directory: String, message: String)
  /// Two results for the same (point, replication) disagree (merge, or a concurrent writer).
  case conflictingResults(point: Int, replication: Int, sources: [String])
  /// The simulation threw for this run.
  case runFailed(point: Int, replication: Int, seed: UInt64, message: String)
  /// The stopping rule's metric is not among a run's metrics.
  case missingStoppingMetric(point: Int, replication: Int, scope: String, metric: String)
  /// A `--shard k/n` that is not of that form with 1 <= k <= n.
  case invalidShard(String)

  public var description: String {
    switch self {
    case .invalidPlan(let why):
      "invalid campaign plan: \(why)"
    case .scenarioMismatch(let dir, let diffs):
      "campaign \(dir) was made from a different experiment (\(diffs.joined(separator: "; "))); "
        + "use another campaign directory, or allow mixing results explicitly (--allow-mismatch)"
    case .notACampaign(let dir):
      "\(dir) is not a campaign directory (no campaign.sqlite)"
    case .store(let dir, let message):
      "campaign store \(dir): \(message)"
    case .conflictingResults(let point, let rep, let sources):
      "conflicting results for point \(point) replication \(rep) in \(sources.joined(separator: " and ")): "
        + "same run, different values (were they made by different vrsim versions?)"
    case .runFailed(let point, let rep, let seed, let message):
      "run of point \(point) replication \(rep) (seed \(seed)) failed: \(message)"
    case .missingStoppingMetric(let point, let rep, let scope, let metric):
      "run of point \(point) replication \(rep) has no metric \(scope)/\(metric), which the stopping rule needs"
    case .invalidShard(let text):
      "invalid shard '\(text)': expected k/n with 1 <= k <= n, e.g. 2/4"
    }
  }
}
