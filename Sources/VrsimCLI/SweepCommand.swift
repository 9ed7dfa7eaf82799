import ArgumentParser
import Experiment
import Foundation
import Report
import Scenario
import ScenarioRun

/// `vrsim sweep`: run every (sweep point, replication) of a scenario into a campaign directory,
/// resuming what is already there, and print the aggregated table.
struct SweepCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sweep",
    abstract: "Run a scenario's sweep into a resumable campaign directory and print the results.",
    discussion: """
      Runs the (point, replication) pairs missing from the campaign in --campaign DIR (each run is \
      committed as it finishes, so a killed sweep resumes where it stopped: nothing lost, nothing \
      run twice) and prints the aggregated results. A campaign made from a different scenario is \
      refused unless --allow-mismatch. --shard k/n runs a deterministic slice of the runs, so that \
      several machines can split a campaign; join the shards with `vrsim merge`. A second sweep into \
      a campaign in use waits for the first, then runs only what is missing. Ctrl-C (SIGINT) or \
      SIGTERM stops the runs in progress at once (not stored: a resumed sweep runs them again), \
      keeps the finished runs and exits with status 130 or 143. A run whose simulated clock \
      stops advancing (10^8 events at one instant) is an error (exit 2) naming the scenario, its \
      platform, the instant and the repeating event.
      """
  )

  @OptionGroup var options: ScenarioOptions

  @Option(name: .long, help: "Campaign directory (created when missing; resumed when present).")
  var campaign: String

  @Option(name: .long, help: "Run only slice k of n of the runs, e.g. --shard 2/4.")
  var shard: String?

  @Flag(name: .long, help: "Add to a campaign made from a different scenario anyway.")
  var allowMismatch = false

  @Option(name: .long, help: "Replications per point (overrides run.replications).")
  var replications: Int?

  func validate() throws {
    if let r = replications, !(1...10_000).contains(r) {
      throw ValidationError("--replications \(r) is out of range; allowed: 1 ... 10000")
    }
    if let shard {
      do { _ = try Shard(parsing: shard) } catch { throw ValidationError("--shard: \(error)") }
    }
    try CampaignSession.validateDirectory(campaign, option: "--campaign")
  }

  func run() throws {
    let spec = try ScenarioRunner.load(file: options.file, overrides: options.overrides)
    let plan = ScenarioRunner.plan(spec, replications: replications, version: VrsimVersion.string)
    let slice = try shard.map { try Shard(parsing: $0) } ?? .all
    let dir = URL(fileURLWithPath: campaign)
    if !allowMismatch, CampaignStore.exists(at: dir), let existing = try? CampaignStore.open(at: dir) {
      let diffs = existing.plan.mismatches(with: plan)
      if !diffs.isEmpty {
        throw RunError(
          CampaignDiff.message(directory: dir.path, old: existing.plan, new: plan, differences: diffs),
          exitCode: 2)
      }
    }
    let outcome = try ScenarioRunner.execute(
      spec, plan: plan, directory: dir, allowMismatch: allowMismatch, jobs: options.workers, shard: slice,
      display: CampaignSession.display(spec.name))
    let summaries = try outcome.summaries()
    try CampaignSession.print(
      summaries: summaries, format: options.format, spec: spec, plan: outcome.store.plan)
    if let code = outcome.interruptedExitCode { throw ExitCode(code) }
  }
}
