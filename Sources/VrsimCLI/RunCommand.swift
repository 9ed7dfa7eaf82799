import ArgumentParser
import Experiment
import Foundation
import Report
import Scenario
import ScenarioRun

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

  func validate() throws { try Self.checkJobs(jobs) }

  /// `--jobs`, when given, within 1 ... 256 (every command with the option checks it so).
  /// - Throws: `ValidationError` naming the value and the range.
  static func checkJobs(_ jobs: Int?) throws {
    if let jobs, !(1...256).contains(jobs) {
      throw ValidationError("--jobs \(jobs) is out of range; allowed: 1 ... 256")
    }
  }
}

/// Output formats: table, csv or json.
typealias OutputFormat = CampaignReport.Format

extension CampaignReport.Format: ExpressibleByArgument {}

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
      stored in DIR/campaign.sqlite as they finish and a rerun resumes where it stopped. \
      Ctrl-C (SIGINT) or SIGTERM stops the runs in progress at once (not stored), prints the \
      finished ones, keeps them (without --out in a temporary directory it names) and exits with \
      status 130 or 143. A run whose simulated clock stops advancing (10^8 events at one instant) \
      is an error (exit 2) naming the scenario, its platform, the instant and the repeating event.
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
    if let out { try CampaignSession.validateDirectory(out, option: "--out") }
  }

  func run() throws {
    let spec = try ScenarioRunner.load(file: options.file, overrides: options.overrides)
    let plan = ScenarioRunner.plan(spec, replications: replications, version: VrsimVersion.string)
    let temporary = out == nil
    let dir =
      out.map { URL(fileURLWithPath: $0) }
      ?? FileManager.default.temporaryDirectory.appendingPathComponent(
        "vrsim-run-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    // A temporary store is removed after a complete run, but kept (and named) when the run is
    // interrupted or fails, so that nothing computed is lost: `--out DIR` resumes from it.
    var keep = false
    defer { if temporary && !keep { try? FileManager.default.removeItem(at: dir) } }
    let records: CampaignExecution.Outcome
    do {
      records = try ScenarioRunner.execute(
        spec, plan: plan, directory: dir, allowMismatch: allowMismatch, jobs: options.workers, shard: .all,
        display: CampaignSession.display(spec.name))
    } catch {
      keep = temporary && CampaignStore.exists(at: dir)
      if keep { CampaignSession.note("finished runs kept in \(dir.path); resume with --out \(dir.path)") }
      throw error
    }
    let summaries = try records.summaries()
    try CampaignSession.print(
      summaries: summaries, format: options.format, spec: spec, plan: records.store.plan)
    if let code = records.interruptedExitCode {
      keep = temporary
      if keep {
        let again = (["vrsim"] + CommandLine.arguments.dropFirst() + ["--out", dir.path]).joined(
          separator: " ")
        CampaignSession.note("resume with: \(again)")
      }
      throw ExitCode(code)
    }
  }
}

/// Running and printing campaigns (shared by run, sweep and results).
enum CampaignSession {

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

  static func note(_ text: String) {
    FileHandle.standardError.write(Data("vrsim: \(text)\n".utf8))
  }

  /// A progress line on a terminal labelled `label`, and notes on stderr.
  static func display(_ label: String) -> CampaignExecution.Display {
    let progress = ProgressLine()
    return CampaignExecution.Display(
      progress: { progress.update($0, label: label) }, finish: { progress.finish() }, note: { note($0) })
  }

  /// Prints summaries in the chosen format (`CampaignReport.write`).
  static func print(summaries: [MetricSummary], format: OutputFormat, spec: ScenarioSpec?, plan: CampaignPlan)
    throws
  {
    try CampaignReport.write(summaries, format: format, spec: spec, plan: plan) {
      Swift.print($0, terminator: "")
    }
  }
}
