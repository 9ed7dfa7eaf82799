import ArgumentParser
import Experiment
import Foundation
import Report
import Scenario

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
      SIGTERM keeps the finished runs and exits with status 130 or 143.
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
    try Campaigns.validateDirectory(campaign, option: "--campaign")
  }

  func run() throws {
    let spec = try ScenarioRuns.load(file: options.file, overrides: options.overrides)
    let profile = try ScenarioRuns.profile(for: spec)
    let plan = ScenarioRuns.plan(spec, replications: replications)
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
    let specs = spec.sweepPoints().map(\.spec)
    let outcome = try Campaigns.execute(
      plan: plan, directory: dir, allowMismatch: allowMismatch, jobs: options.workers, shard: slice,
      label: spec.name
    ) { point, replication, seed in
      try ScenarioRuns.simulate(specs[point.index], profile: profile, seed: seed, replication: replication)
    }
    let summaries = try outcome.summaries()
    try Campaigns.print(summaries: summaries, format: options.format, spec: spec, plan: outcome.store.plan)
    if let code = outcome.interruptedExitCode { throw ExitCode(code) }
  }
}

/// Says what changed between the scenario of a campaign and the one given now.
enum CampaignDiff {
  /// One line: the campaign, the changed keys (old -> new) and what to do.
  static func message(directory: String, old: CampaignPlan, new: CampaignPlan, differences: [String])
    -> String
  {
    var what = differences.filter { !$0.hasPrefix("scenario hash") }
    if old.scenarioHash != new.scenarioHash {
      let keys = changedKeys(old: old.scenarioText, new: new.scenarioText)
      what.insert(
        keys.isEmpty ? "the scenario text changed" : "scenario changed: " + keys.joined(separator: ", "),
        at: 0)
    }
    return "campaign \(directory) was made from a different scenario (\(what.joined(separator: "; "))); "
      + "use another --campaign directory, or add to it anyway with --allow-mismatch"
  }

  /// The keys whose values differ between two scenario texts, as `key: old -> new`, using
  /// the resolved scenarios (so layout and defaults do not count).
  static func changedKeys(old: String, new: String) -> [String] {
    guard let a = flatten(old), let b = flatten(new) else { return [] }
    var out: [String] = []
    for key in Set(a.keys).union(b.keys).sorted() where a[key] != b[key] {
      out.append("\(key): \(a[key] ?? "(none)") -> \(b[key] ?? "(none)")")
    }
    if out.count > 6 { out = Array(out.prefix(6)) + ["... (\(out.count - 6) more)"] }
    return out
  }

  private static func flatten(_ text: String) -> [String: String]? {
    guard var spec = try? ScenarioLoader.load(text: text, fileName: "<campaign>", overrides: []) else {
      return nil
    }
    spec.source.fileName = ""
    spec.source.baseDirectory = nil
    spec.source.canonicalText = ""
    spec.source.hash = ""
    spec.profile.candidates = []
    spec.profile.resolvedPath = nil
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    guard let data = try? encoder.encode(spec), let object = try? JSONSerialization.jsonObject(with: data)
    else {
      return nil
    }
    var out: [String: String] = [:]
    func walk(_ value: Any, _ path: String) {
      if let d = value as? [String: Any] {
        for (k, v) in d { walk(v, path.isEmpty ? k : "\(path).\(k)") }
      } else if let list = value as? [Any] {
        for (i, v) in list.enumerated() { walk(v, "\(path)[\(i)]") }
      } else if !path.hasPrefix("points") {
        out[path] = "\(value)"
      }
    }
    walk(object, "")
    return out
  }
}
