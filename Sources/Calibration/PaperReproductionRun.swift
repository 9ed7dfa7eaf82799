import Experiment
import Foundation
import Scenario
import ScenarioRun
import SimCore

extension PaperReproduction {
  /// The `--quick` overrides: shorter runs (200 ms after 50 ms warm-up), 2 replications.
  public static let quickOverrides = ["run.duration=200ms", "run.warmup=50ms", "run.replications=2"]

  /// What a reproduction produced: the comparison rows, one settings line per experiment and
  /// each experiment's seed (`fig9: 2012`).
  public struct Outcome: Sendable {
    /// The comparison rows, experiment by experiment.
    public var rows: [PaperRow]
    /// One line per experiment: points, replications, durations, profile.
    public var settings: [String]
    /// One `ID: SEED` per experiment.
    public var seeds: [String]
  }

  /// Runs every paper experiment (`PaperExperiments.all`) under `dir` with `overrides`, each
  /// campaign in a temporary folder removed afterwards; `display` shows the campaign of an
  /// experiment (given its id).
  /// - Throws: `ScenarioRunError` (exit code 2 when the paper's data or a scenario is invalid),
  ///   `CampaignInterrupted` when a signal stopped a campaign.
  public static func run(
    scenarios dir: String, overrides: [String], jobs: Int?, version: String,
    display: (String) -> CampaignExecution.Display
  ) throws -> Outcome {
    let paper: PaperData
    do { paper = try PaperData.load(scenarios: dir) } catch let e as PaperDataError {
      throw ScenarioRunError(e.message, exitCode: 2)
    }
    var outcome = Outcome(rows: [], settings: [], seeds: [])
    for experiment in PaperExperiments.all {
      let path = (dir as NSString).appendingPathComponent("paper/\(experiment.file)")
      guard FileManager.default.fileExists(atPath: path) else {
        throw ScenarioRunError("\(path): missing; vrsim reproduce paper needs every file of scenarios/paper")
      }
      let spec = try ScenarioRunner.load(file: path, overrides: overrides)
      let profile = ScenarioRunner.profile(for: spec)
      let plan = ScenarioRunner.plan(spec, version: version)
      let specs = spec.sweepPoints().map(\.spec)
      let work = FileManager.default.temporaryDirectory.appendingPathComponent(
        "vrsim-reproduce-\(getpid())-\(experiment.id)-\(UInt32.random(in: 0...UInt32.max))")
      defer { try? FileManager.default.removeItem(at: work) }
      let session = try ScenarioRunner.execute(
        spec, plan: plan, directory: work, allowMismatch: false,
        jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount, shard: .all,
        display: display(experiment.id))
      if let code = session.interruptedExitCode { throw CampaignInterrupted(exitCode: code) }
      outcome.rows += experiment.analyze(SummaryIndex(try session.summaries()), paper)
      outcome.seeds.append("\(experiment.id): \(spec.run.seed)")
      outcome.settings.append(
        "\(experiment.id): \(specs.count) points x \(spec.run.replications) replications of \(spec.run.duration) "
          + "(\(spec.run.warmup) warm-up), profile \(profile.name)")
    }
    return outcome
  }

  /// The scenarios directory: `explicit`, else `scenarios/` in the current directory or the
  /// nearest parent holding `scenarios/paper`.
  /// - Throws: `ScenarioRunError` (exit code 2) when there is none.
  public static func scenariosDirectory(_ explicit: String?) throws -> String {
    let fm = FileManager.default
    if let explicit {
      var isDir: ObjCBool = false
      guard fm.fileExists(atPath: explicit, isDirectory: &isDir), isDir.boolValue else {
        throw ScenarioRunError("--scenarios \(explicit): no such directory", exitCode: 2)
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
    throw ScenarioRunError(
      "cannot find the scenarios directory (a 'scenarios' holding 'paper/'); looked in: "
        + "\(looked.prefix(3).joined(separator: ", "))\(looked.count > 3 ? ", ..." : ""); "
        + "run from the vrsim checkout or pass --scenarios DIR", exitCode: 2)
  }

  /// Loads every scenario file under `dir` (except profiles), resolves its profile and builds
  /// the platform of every sweep point; gives `line` one line per file and fails if any file
  /// does.
  /// - Throws: `ScenarioRunError` naming how many files failed.
  public static func checkScenarios(in dir: String, line: (String) -> Void) throws {
    let fm = FileManager.default
    guard let walker = fm.enumerator(atPath: dir) else {
      throw ScenarioRunError("\(dir): cannot list the directory")
    }
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
            throw ScenarioRunError("\(path): sweep point \(p.index): \(error)")
          }
        }
        line("ok \(rel): \(points.count) points, profile \(profile.name)")
      } catch let e as ScenarioRunError {
        failures += 1
        line("FAILED \(rel):\n\(e.message)")
      }
    }
    if files.isEmpty { throw ScenarioRunError("\(dir): no scenario files") }
    if failures > 0 { throw ScenarioRunError("\(failures) of \(files.count) scenario files failed to load") }
  }
}
