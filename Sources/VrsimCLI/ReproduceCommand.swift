import ArgumentParser
import Calibration
import Experiment
import Foundation
import Report
import Scenario
import ScenarioRun
import SimCore

/// `vrsim reproduce paper`: runs the origin paper's experiments (scenarios/paper/*.yaml) and
/// prints each simulated figure next to the paper's value with the relative error.
struct ReproduceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "reproduce",
    abstract: "Run the origin paper's experiments and compare each figure with the paper.",
    discussion: """
      Runs scenarios/paper/fig9-forwarding.yaml, fig8a-udp.yaml, fig8b-routers.yaml and \
      routes.yaml (found from the current directory upwards, or in --scenarios DIR) and prints \
      one table: experiment, configuration, simulated value (mean ± 95% CI half-width over \
      replications), the paper's value (read from validation/paper-2012.csv next to the \
      scenarios directory) and the relative error, or for the paper's upper bounds whether \
      the bound holds. --check only loads and \
      validates every scenario file under the scenarios directory, without running anything.
      """
  )

  @Argument(help: "What to reproduce: paper.")
  var target: String = "paper"

  @Option(name: .long, help: "Parallel workers (default: all cores); results do not depend on it.")
  var jobs: Int?

  @Option(name: .long, help: "Output format: table, csv or json.")
  var format: OutputFormat = .table

  @Flag(
    name: .long, help: "Shorter runs (200 ms after 50 ms warm-up, 2 replications): a quick look, wider CIs.")
  var quick = false

  @Option(name: .long, help: "The scenarios directory (default: ./scenarios or the nearest parent's).")
  var scenarios: String?

  @Flag(name: .long, help: "Only load and validate every scenario file under the scenarios directory.")
  var check = false

  func validate() throws {
    guard target == "paper" else {
      throw ValidationError("unknown target '\(target)'; allowed: paper")
    }
    if let jobs, !(1...256).contains(jobs) {
      throw ValidationError("--jobs \(jobs) is out of range; allowed: 1 ... 256")
    }
  }

  func run() throws {
    let dir = try Self.scenariosDirectory(scenarios)
    if check {
      try Self.checkAll(in: dir)
      return
    }
    let overrides = quick ? Self.quickOverrides : []
    let started = Date()
    let (rows, settings, _) = try Self.reproduce(scenarios: dir, overrides: overrides, jobs: jobs)
    try Self.print(rows, settings: settings, format: format)
    let seconds = Date().timeIntervalSince(started)
    FileHandle.standardError.write(Data(String(format: "vrsim: reproduce paper took %.1f s\n", seconds).utf8))
  }

  /// The `--quick` overrides: shorter runs, fewer replications.
  static let quickOverrides = ["run.duration=200ms", "run.warmup=50ms", "run.replications=2"]

  /// Runs every paper experiment under `dir` with `overrides`; returns the comparison rows, one
  /// settings line per experiment and each experiment's seed (`fig9: 2012`).
  static func reproduce(scenarios dir: String, overrides: [String], jobs: Int?) throws -> (
    rows: [PaperRow], settings: [String], seeds: [String]
  ) {
    let paper: PaperData
    do { paper = try PaperData.load(scenarios: dir) } catch let e as PaperDataError {
      throw RunError(e.message, exitCode: 2)
    }
    var rows: [PaperRow] = []
    var settings: [String] = []
    var seeds: [String] = []
    for experiment in PaperExperiments.all {
      let path = (dir as NSString).appendingPathComponent("paper/\(experiment.file)")
      guard FileManager.default.fileExists(atPath: path) else {
        throw RunError("\(path): missing; vrsim reproduce paper needs every file of scenarios/paper")
      }
      let spec = try ScenarioRunner.load(file: path, overrides: overrides)
      let profile = ScenarioRunner.profile(for: spec)
      let plan = ScenarioRunner.plan(spec, version: VrsimVersion.string)
      let specs = spec.sweepPoints().map(\.spec)
      let work = FileManager.default.temporaryDirectory.appendingPathComponent(
        "vrsim-reproduce-\(getpid())-\(experiment.id)-\(UInt32.random(in: 0...UInt32.max))")
      defer { try? FileManager.default.removeItem(at: work) }
      let outcome = try Campaigns.execute(
        plan: plan, directory: work, allowMismatch: false,
        jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount, shard: .all,
        label: experiment.id
      ) { point, replication, seed in
        try ScenarioRunner.simulate(
          specs[point.index], profile: profile, seed: seed, replication: replication)
      }
      if let code = outcome.interruptedExitCode { throw ExitCode(code) }
      let summaries = try outcome.summaries()
      rows += experiment.analyze(SummaryIndex(summaries), paper)
      seeds.append("\(experiment.id): \(spec.run.seed)")
      settings.append(
        "\(experiment.id): \(specs.count) points x \(spec.run.replications) replications of \(spec.run.duration) "
          + "(\(spec.run.warmup) warm-up), profile \(profile.name)")
    }
    return (rows, settings, seeds)
  }

  /// The scenarios directory: `explicit`, else `scenarios/` in the current directory or the
  /// nearest parent holding `scenarios/paper`.
  static func scenariosDirectory(_ explicit: String?) throws -> String {
    let fm = FileManager.default
    if let explicit {
      var isDir: ObjCBool = false
      guard fm.fileExists(atPath: explicit, isDirectory: &isDir), isDir.boolValue else {
        throw RunError("--scenarios \(explicit): no such directory", exitCode: 2)
      }
      return explicit
    }
    let folders = AncestorFolder.chain(from: URL(fileURLWithPath: fm.currentDirectoryPath, isDirectory: true))
    if let dir = folders.first(where: {
      fm.fileExists(atPath: $0.appendingPathComponent("scenarios/paper").path)
    }) {
      return dir.appendingPathComponent("scenarios").path
    }
    let looked = folders.map { $0.appendingPathComponent("scenarios").path }
    throw RunError(
      "cannot find the scenarios directory (a 'scenarios' holding 'paper/'); looked in: "
        + "\(looked.prefix(3).joined(separator: ", "))\(looked.count > 3 ? ", ..." : ""); "
        + "run from the vrsim checkout or pass --scenarios DIR", exitCode: 2)
  }

  /// Loads every scenario file under `dir` (except profiles), resolves its profile and builds
  /// the platform of every sweep point; prints one line per file and fails if any file does.
  static func checkAll(in dir: String) throws {
    let fm = FileManager.default
    guard let walker = fm.enumerator(atPath: dir) else { throw RunError("\(dir): cannot list the directory") }
    var files: [String] = []
    while let rel = walker.nextObject() as? String {
      guard rel.hasSuffix(".yaml") || rel.hasSuffix(".yml") else { continue }
      if rel.hasPrefix("profiles/") { continue }
      files.append(rel)
    }
    files.sort()
    var failures = 0
    for rel in files {
      let path = (dir as NSString).appendingPathComponent(rel)
      do {
        let spec = try ScenarioRunner.load(file: path, overrides: [])
        let profile = ScenarioRunner.profile(for: spec)
        let points = spec.sweepPoints()
        for p in points {
          do { _ = try p.spec.platformSpec(profile: profile) } catch {
            throw RunError("\(path): sweep point \(p.index): \(error)")
          }
        }
        Swift.print("ok \(rel): \(points.count) points, profile \(profile.name)")
      } catch let e as RunError {
        failures += 1
        Swift.print("FAILED \(rel):\n\(e.message)")
      }
    }
    if files.isEmpty { throw RunError("\(dir): no scenario files") }
    if failures > 0 { throw RunError("\(failures) of \(files.count) scenario files failed to load") }
  }

  static func print(_ rows: [PaperRow], settings: [String], format: OutputFormat) throws {
    switch format {
    case .table: Swift.print(PaperReproduction.table(rows, settings: settings), terminator: "")
    case .csv: Swift.print(PaperReproduction.csv(rows), terminator: "")
    case .json: Swift.print(try PaperReproduction.json(rows, settings: settings), terminator: "")
    }
  }
}
