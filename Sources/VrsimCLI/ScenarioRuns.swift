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

  /// The cost profile a scenario names: its file when found, else the built-in profile of the
  /// same name (`paper-2012`), else an error listing where it looked.
  static func profile(for spec: ScenarioSpec) throws -> CostProfile {
    if let path = spec.profile.resolvedPath {
      do { return try ProfileLoader.load(path: path) } catch { throw RunError("\(error)") }
    }
    let base = (spec.profile.path as NSString).lastPathComponent
    if base == "paper-2012.yaml" || base == "paper-2012" { return .paper2012 }
    throw RunError(
      "profile '\(spec.profile.path)' not found; looked in: \(spec.profile.candidates.joined(separator: ", "))"
    )
  }

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
          scope: "aggregate", metric: "forwarded_pps", relativeHalfWidth: target,
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
  /// drops by place.
  static func rows(_ r: NetworkResult) -> [MetricRow] {
    var out: [MetricRow] = []
    for x in [r.aggregate] + r.routers {
      out += [
        MetricRow(scope: x.name, metric: "offered_pps", unit: "pps", value: x.offeredPps),
        MetricRow(scope: x.name, metric: "forwarded_pps", unit: "pps", value: x.forwardedPps),
        MetricRow(scope: x.name, metric: "frame_bps", unit: "bit/s", value: x.frameBps),
        MetricRow(scope: x.name, metric: "wire_bps", unit: "bit/s", value: x.wireBps),
        MetricRow(scope: x.name, metric: "dropped_pps", unit: "pps", value: x.droppedPps),
        MetricRow(scope: x.name, metric: "loss", unit: "fraction", value: x.lossFraction),
        MetricRow(scope: x.name, metric: "latency_mean", unit: "us", value: x.latencyMeanUs),
        MetricRow(scope: x.name, metric: "latency_p50", unit: "us", value: x.latencyP50Us),
        MetricRow(scope: x.name, metric: "latency_p99", unit: "us", value: x.latencyP99Us),
        MetricRow(scope: x.name, metric: "latency_max", unit: "us", value: x.latencyMaxUs),
      ]
    }
    out += [
      MetricRow(scope: "host", metric: "jain_index", unit: "1", value: r.jainIndex),
      MetricRow(scope: "host", metric: "switches", unit: "1/s", value: r.switchesPerSecond),
      MetricRow(scope: "host", metric: "notifications", unit: "1/s", value: r.notificationsPerSecond),
      MetricRow(
        scope: "host", metric: "notifications_per_packet", unit: "1", value: r.notificationsPerPacket),
      MetricRow(scope: "host", metric: "boost_wakeups", unit: "1/s", value: r.boostWakeupsPerSecond),
    ]
    for (i, u) in r.pcpuUtilisation.enumerated() {
      out.append(MetricRow(scope: "pcpu\(i)", metric: "utilisation", unit: "fraction", value: u))
    }
    for name in r.cpuShare.keys.sorted() {
      out.append(MetricRow(scope: name, metric: "cpu", unit: "pCPU", value: r.cpuShare[name]!))
    }
    for stage in r.stageDelayUs.keys.sorted() {
      out.append(
        MetricRow(scope: "stage:\(stage)", metric: "delay_mean", unit: "us", value: r.stageDelayUs[stage]!))
      out.append(
        MetricRow(scope: "stage:\(stage)", metric: "delay_max", unit: "us", value: r.stageDelayMaxUs[stage]!))
    }
    for place in r.dropsByPlace.keys.sorted() {
      out.append(
        MetricRow(
          scope: "drop:\(place)", metric: "drops", unit: "pps",
          value: Double(r.dropsByPlace[place]!) / r.seconds))
    }
    return out
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
