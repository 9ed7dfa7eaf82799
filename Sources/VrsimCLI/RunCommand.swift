import ArgumentParser
import Experiment
import Foundation
import Report
import Scenario

/// Options shared by the commands that run scenarios.
struct ScenarioOptions: ParsableArguments {
  @Argument(help: "Scenario file (YAML). Without one, the built-in default: 4 virtual routers on xen-bridge.")
  var file: String?

  @Option(name: .customLong("set"), help: "Override a key, e.g. --set routers.count=8 (repeatable).")
  var overrides: [String] = []

  @Option(
    name: .long, parsing: .unconditional,
    help: "Parallel workers (default: all cores); results do not depend on it.")
  var jobs: Int?

  /// Workers to use: --jobs, or every core.
  var workers: Int { jobs ?? ProcessInfo.processInfo.activeProcessorCount }

  @Option(name: .long, help: "Output format: table, csv or json.")
  var format: OutputFormat = .table

  func validate() throws {
    if let jobs, !(1...256).contains(jobs) {
      throw ValidationError("--jobs \(jobs) is out of range; allowed: 1 ... 256")
    }
  }
}

/// Output formats.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
  case table, csv, json
}

/// `vrsim run`: simulate a scenario (every sweep point, every replication) and print the
/// results with 95% confidence intervals.
struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Simulate a scenario and print per-router and aggregate results with 95% CIs.",
    discussion: """
      Runs every sweep point of the scenario for its replications (in parallel; seeds are \
      derived per point and replication, so results do not depend on --jobs) and prints \
      throughput, loss, latency and CPU per router and in aggregate. With --out DIR the runs are \
      stored in DIR/campaign.sqlite as they finish and a rerun resumes where it stopped.
      """
  )

  @OptionGroup var options: ScenarioOptions

  @Option(name: .long, help: "Campaign directory to keep the results in (resumable).")
  var out: String?

  @Flag(name: .long, help: "With --out: add to a campaign made from a different scenario.")
  var allowMismatch = false

  @Option(name: .long, parsing: .unconditional, help: "Replications per point (overrides run.replications).")
  var replications: Int?

  func validate() throws {
    if let r = replications, !(1...10_000).contains(r) {
      throw ValidationError("--replications \(r) is out of range; allowed: 1 ... 10000")
    }
    if let out { try Campaigns.validateDirectory(out, option: "--out") }
  }

  func run() throws {
    let spec = try ScenarioRuns.load(file: options.file, overrides: options.overrides)
    let profile = try ScenarioRuns.profile(for: spec)
    let plan = ScenarioRuns.plan(spec, replications: replications)
    let specs = spec.sweepPoints().map(\.spec)
    let temporary = out == nil
    let dir =
      out.map { URL(fileURLWithPath: $0) }
      ?? FileManager.default.temporaryDirectory.appendingPathComponent(
        "vrsim-run-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    // A temporary store is removed after a complete run, but kept (and named) when the run is
    // interrupted or fails, so that nothing computed is lost: `--out DIR` resumes from it.
    var keep = false
    defer { if temporary && !keep { try? FileManager.default.removeItem(at: dir) } }
    let records: Campaigns.Outcome
    do {
      records = try Campaigns.execute(
        plan: plan, directory: dir, allowMismatch: allowMismatch, jobs: options.workers, shard: .all,
        label: spec.name
      ) { point, replication, seed in
        try ScenarioRuns.simulate(specs[point.index], profile: profile, seed: seed, replication: replication)
      }
    } catch {
      keep = temporary && CampaignStore.exists(at: dir)
      if keep { Self.note("finished runs kept in \(dir.path); resume with --out \(dir.path)") }
      throw error
    }
    let summaries = try records.summaries()
    try Campaigns.print(summaries: summaries, format: options.format, spec: spec, plan: records.store.plan)
    if let code = records.interruptedExitCode {
      keep = temporary
      if keep {
        let again = (["vrsim"] + CommandLine.arguments.dropFirst() + ["--out", dir.path]).joined(
          separator: " ")
        Self.note("resume with: \(again)")
      }
      throw ExitCode(code)
    }
  }

  static func note(_ text: String) { Campaigns.note(text) }
}

/// Running and printing campaigns (shared by run, sweep and results).
enum Campaigns {
  struct Outcome {
    /// The campaign's store; its plan is the effective one (never fewer replications than stored).
    var store: CampaignStore
    /// Set when SIGINT or SIGTERM stopped the session; the exit code to end with (130 or 143).
    var interruptedExitCode: Int32?
    var interrupted: Bool { interruptedExitCode != nil }
    /// The summaries of every point, read from the store one point at a time.
    func summaries() throws -> [MetricSummary] {
      do { return try CampaignResults.summarize(plan: store.plan, store: store) } catch {
        throw RunError("\(error)")
      }
    }
  }

  /// Refuses a campaign path that cannot be a directory (empty, an existing file), for
  /// `validate()`: exit code 2 with one line.
  static func validateDirectory(_ path: String, option: String) throws {
    if path.isEmpty {
      throw ValidationError("\(option) '': the directory name is empty; allowed: a directory path")
    }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
      throw ValidationError(
        "\(option) \(path): is a file, not a directory; allowed: a campaign directory (created when missing)")
    }
  }

  /// Which signal stopped a session: SIGINT and SIGTERM both stop scheduling, keep the finished
  /// runs and print the same message; the exit code is 128 + the signal (130 or 143).
  private final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var number: Int32?
    func record(_ n: Int32) {
      lock.lock()
      if number == nil { number = n }
      lock.unlock()
    }
    var value: Int32? {
      lock.lock()
      defer { lock.unlock() }
      return number
    }
  }

  static func note(_ text: String) {
    FileHandle.standardError.write(Data("vrsim: \(text)\n".utf8))
  }

  /// Opens (or resumes) the campaign in `directory` and runs what is missing. Holds the
  /// campaign's lock while running: a second sweep into the same directory waits (saying so)
  /// and then runs only what the first left undone.
  static func execute(
    plan: CampaignPlan, directory: URL, allowMismatch: Bool, jobs: Int, shard: Shard, label: String,
    simulate: @escaping CampaignRunner.Simulate
  ) throws -> Outcome {
    let flag = CancellationFlag()
    let stop = StopSignal()
    var sources: [any DispatchSourceSignal] = []
    for number in [SIGINT, SIGTERM] {
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler {
        stop.record(number)
        flag.cancel()
      }
      source.resume()
      sources.append(source)
    }
    defer {
      for source in sources { source.cancel() }
      signal(SIGINT, SIG_DFL)
      signal(SIGTERM, SIG_DFL)
    }
    let lock: CampaignLock?
    do {
      lock = try CampaignLock.acquire(directory: directory, cancellation: flag) { pid in
        let who = pid.map { "another vrsim (pid \($0))" } ?? "another vrsim"
        note(
          "campaign \(directory.path) is in use by \(who); waiting for it to finish, "
            + "then running only the runs still missing")
      }
    } catch { throw RunError("\(error)", exitCode: 2) }
    guard let lock else { throw ExitCode(128 + (stop.value ?? SIGINT)) }
    defer { withExtendedLifetime(lock) {} }
    let store: CampaignStore
    do { store = try CampaignStore.open(at: directory, plan: plan, allowMismatch: allowMismatch) } catch {
      throw RunError("\(error)", exitCode: 2)  // the directory given does not fit this scenario
    }
    for text in store.notes { note("campaign \(directory.path): \(text)") }
    let progress = ProgressLine()
    let runner = CampaignRunner(
      jobs: jobs, shard: shard, cancellation: flag, progress: { progress.update($0, label: label) })
    let outcome: CampaignOutcome
    do { outcome = try runner.run(store: store, simulate: simulate) } catch {
      progress.finish()
      throw RunError("\(error)")
    }
    progress.finish()
    var code: Int32?
    if outcome.status == .interrupted {
      FileHandle.standardError.write(
        Data(
          "vrsim: interrupted; \(outcome.previouslyCompleted + outcome.ranThisSession) runs kept in \(directory.path)\n"
            .utf8))
      code = 128 + (stop.value ?? SIGINT)
    }
    return Outcome(store: store, interruptedExitCode: code)
  }

  /// Prints summaries in the chosen format.
  static func print(summaries: [MetricSummary], format: OutputFormat, spec: ScenarioSpec?, plan: CampaignPlan)
    throws
  {
    switch format {
    case .csv:
      SummaryReport.writeCSV(summaries) { Swift.print($0, terminator: "") }
    case .json:
      Swift.print(
        try SummaryReport.json(
          summaries,
          metadata: [
            "scenario": spec?.name ?? "", "scenario_hash": plan.scenarioHash, "seed": String(plan.masterSeed),
            "vrsim": plan.vrsimVersion,
          ]))
    case .table:
      if let spec {
        Swift.print("scenario: \(spec.name): \(spec.about)")
        // Swept keys are named with their values instead of the base scenario's setting.
        let axes = spec.sweep?.axes ?? []
        let swept = Set(axes.map(\.keyPath))
        var setting: [String] = []
        if !swept.contains("platform") { setting.append("platform \(spec.platform.rawValue)") }
        if !swept.contains("routers.count") {
          setting.append(spec.routers.count == 1 ? "1 router" : "\(spec.routers.count) routers")
        }
        setting.append("seed \(plan.masterSeed)")
        if !swept.contains("run.duration") && !swept.contains("run.warmup") {
          setting.append("\(spec.run.duration) after \(spec.run.warmup) warm-up")
        }
        Swift.print(setting.joined(separator: ", ") + "; mean ± 95% CI half-width over replications")
        let zipped = spec.sweep?.mode == .zip && axes.count > 1 ? " (zip)" : ""
        for axis in axes {
          Swift.print("\(axis.keyPath) swept\(zipped): \(axis.values.joined(separator: ", "))")
        }
      }
      let traffic = Set(
        [Metric.offeredPps, .forwardedPps, .loss, .latencyMean, .latencyP99, .wireBps].map(\.name))
      let t = summaries.filter {
        traffic.contains($0.metric) && ($0.scope == "aggregate" || $0.scope.hasPrefix("vr"))
      }
      Swift.print(SummaryReport.table(t))
      let host = summaries.filter {
        !traffic.contains($0.metric)
          && !($0.scope == "aggregate"
            || $0.scope.hasPrefix("vr") && $0.metric != Metric.cpu.name
              && $0.metric != Metric.routerNotifications.name)
          && !$0.scope.hasPrefix("drop:") && !$0.scope.hasPrefix("pcpu") && !$0.scope.hasPrefix("stage:")
      }
      if !host.isEmpty {
        Swift.print("")
        Swift.print(SummaryReport.table(host))
      }
      let stages = summaries.filter { $0.scope.hasPrefix("stage:") }
      if !stages.isEmpty {
        Swift.print("")
        Swift.print("time in each stage (input ring + wait for the vCPU + service)")
        Swift.print(SummaryReport.table(stages))
      }
      let drops = summaries.filter { $0.scope.hasPrefix("drop:") }
      if !drops.isEmpty {
        Swift.print("")
        Swift.print("drops by place")
        Swift.print(SummaryReport.table(drops))
      }
    }
  }
}
