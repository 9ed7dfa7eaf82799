import Experiment
import Foundation
import Report
import Scenario
import SimCore

extension ScenarioRunner {
  /// Runs what is missing of the campaign `plan` of `spec` in `directory`
  /// (`CampaignExecution.execute`): every (point, replication) simulated with its point's
  /// profile (the scenario's, with the point's swept `profile.` keys); a signal stops the
  /// simulations in progress too.
  /// - Throws: what `CampaignExecution.execute` throws.
  public static func execute(
    _ spec: ScenarioSpec, plan: CampaignPlan, directory: URL, allowMismatch: Bool, jobs: Int, shard: Shard,
    display: CampaignExecution.Display
  ) throws -> CampaignExecution.Outcome {
    let specs = spec.sweepPoints().map(\.spec)
    return try CampaignExecution.execute(
      plan: plan, directory: directory, allowMismatch: allowMismatch, jobs: jobs, shard: shard,
      display: display
    ) { point, replication, seed, token in
      try simulate(
        specs[point.index], profile: profile(for: specs[point.index]), seed: seed, replication: replication,
        cancellation: token)
    }
  }
}

/// A campaign folder opened to read its results (`vrsim results`, `vrsim export notebook
/// --campaign`).
public struct StoredCampaign {
  /// The campaign's store.
  public var store: CampaignStore
  /// The scenario its plan records, loaded again (nil when this vrsim no longer loads it).
  public var spec: ScenarioSpec?

  /// Opens the campaign in `path`.
  /// - Throws: `ScenarioRunError` (exit code 2) when it is not a readable campaign folder.
  public init(path: String) throws {
    do { store = try CampaignStore.open(at: URL(fileURLWithPath: path)) } catch {
      throw ScenarioRunError("\(error)", exitCode: 2)
    }
    spec = try? ScenarioLoader.load(text: store.plan.scenarioText, fileName: "<campaign>", overrides: [])
  }

  /// The summaries of every point.
  /// - Throws: `ScenarioRunError` (exit code 2) when the store cannot be read.
  public func summaries() throws -> [MetricSummary] {
    do { return try CampaignResults.summarize(plan: store.plan, store: store) } catch {
      throw ScenarioRunError("\(error)", exitCode: 2)
    }
  }
}
