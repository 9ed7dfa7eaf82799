import Calibration
import Experiment
import Foundation
import HostModel
import NetModel
import Platforms
import Report
import Scenario
import SimCore

/// The glue between a scenario, the models and the experiment layer: load, build, simulate one
/// (point, replication), and turn a `NetworkResult` into tidy metric rows.
enum ScenarioRuns {
  /// Loads `file` (or the built-in default scenario) with `--set` overrides, and checks that
  /// every sweep point can be built (route and trace files read, routers and flows consistent),
  /// so bad input is reported before anything runs, with exit code 2.
  static func load(file: String?, overrides: [String]) throws -> ScenarioSpec {
    let spec: ScenarioSpec
    do {
      if let file {
        spec = try ScenarioLoader.load(path: file, overrides: overrides)
      } else {
        spec = try ScenarioLoader.load(
          text: ScenarioLoader.defaultScenarioText, fileName: "<built-in default>", overrides: overrides)
      }
    } catch {
      throw RunError(error.description, exitCode: 2)
    }
    for point in spec.sweepPoints() {
      do { _ = try point.spec.platformSpec(profile: .paper2012) } catch {
        let at = point.assignments.map { "\($0.keyPath)=\($0.value)" }.joined(separator: ", ")
        throw RunError(at.isEmpty ? "\(error)" : "\(error) (sweep point \(point.index): \(at))", exitCode: 2)
      }
    }
    return spec
  }

  /// The costs of a scenario: resolved at load (the profile file it names, or the built-in
  /// paper-2012, with the scenario's own `profile.<key>` values over it).
  static func profile(for spec: ScenarioSpec) throws -> CostProfile { spec.costs }

  /// The campaign plan of a scenario: its sweep points and replications.
  static func plan(_ spec: ScenarioSpec, replications: Int? = nil) -> CampaignPlan {
    let points = spec.sweepPoints().map { p in
      PlanPoint(
        index: p.index, assignments: p.assignments.map { Assignment(key: $0.keyPath, value: $0.value) })
    }
    let policy: ReplicationPolicy
    if let replications {
      policy = .fixed(replications)
    } else if let target = spec.run.ciTarget {
      policy = .stoppingRule(
        StoppingRule(
          scope: "aggregate", metric: Metric.forwardedPps.name, relativeHalfWidth: target,
          minReplications: max(2, spec.run.replications), maxReplications: spec.run.maxReplications))
    } else {
      policy = .fixed(spec.run.replications)
    }
    return CampaignPlan(
      scenarioText: spec.source.canonicalText, scenarioHash: spec.source.hash,
      vrsimVersion: VrsimVersion.string,
      masterSeed: spec.run.seed, points: points, replications: policy)
  }

  /// Simulates one replication of one point and returns its metric rows.
  static func simulate(_ spec: ScenarioSpec, profile: CostProfile, seed: UInt64, replication: Int) throws
    -> [MetricRow]
  {
    let platform: PlatformSpec
    do { platform = try spec.platformSpec(profile: profile) } catch { throw RunError("\(error)") }
    let host: RouterHost
    do { host = try RouterHost(spec: platform, seed: seed, replication: replication) } catch {
      throw RunError("\(error)")
    }
    let result = host.run(duration: spec.run.duration, warmup: spec.run.warmup)
    return rows(result)
  }

  /// The tidy rows of a result: per router and aggregate traffic, per domain CPU, host figures,
  /// drops by place (`SimulatedMetrics.values`, which calibration compares with measured rows).
  static func rows(_ r: NetworkResult) -> [MetricRow] {
    SimulatedMetrics.values(r).map { MetricRow(scope: $0.scope, $0.metric, value: $0.value) }
  }
}

/// A one-line progress display on stderr, drawn only when stderr is a terminal.
final class ProgressLine: @unchecked Sendable {
  private let enabled = isatty(2) != 0
  private let lock = NSLock()
  private var drawn = false

  func update(_ p: CampaignProgress, label: String) {
    guard enabled else { return }
    lock.lock()
    defer { lock.unlock() }
    let width = 30
    let filled = Int(Double(width) * p.fraction)
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    let eta = p.etaSeconds.map { String(format: " ETA %.0fs", $0) } ?? ""
    let line = String(
      format: "\r%@ [%@] %d/%d runs, %.1fs%@ ", label, bar, p.completed, p.total, p.elapsedSeconds, eta)
    FileHandle.standardError.write(Data(line.utf8))
    drawn = true
  }

  func finish() {
    guard enabled, drawn else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
  }
}
