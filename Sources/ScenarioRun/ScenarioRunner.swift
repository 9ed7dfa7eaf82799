import Experiment
import Foundation
import Platforms
import Report
import Scenario
import SimCore

/// A scenario run that cannot start or failed: the message names the file, line and key or
/// the run; `exitCode` is 2 for invalid input (a scenario, a `--set` value, a campaign folder
/// that does not fit) and 1 for a run that failed.
public struct ScenarioRunError: Error, Sendable, CustomStringConvertible {
  /// What went wrong (one line per problem).
  public var message: String
  /// The process exit code it calls for: 1 (run failed) or 2 (invalid input).
  public var exitCode: Int32
  /// Creates an error with `message`.
  public init(_ message: String, exitCode: Int32 = 1) {
    self.message = message
    self.exitCode = exitCode
  }
  /// The message.
  public var description: String { message }
}

/// Running a scenario: load and check it, plan its campaign (sweep points and replications),
/// simulate one (point, replication) into metric rows. `vrsim run`, `sweep`, `search`,
/// `reproduce`, Slurm tasks and the notebooks call it; calibration simulates through
/// `SimulatedMetrics`, the same figures.
public enum ScenarioRunner {
  /// Loads `file` (or the built-in default scenario) with `--set` overrides, and checks that
  /// every sweep point can be built (route and trace files read, routers and flows consistent),
  /// so bad input is reported before anything runs. The load's warnings (a profile file
  /// without a cost declared after it was written) go to `warn`, by default stderr.
  /// - Throws: `ScenarioRunError` with exit code 2.
  public static func load(
    file: String?, overrides: [String],
    warn: (String) -> Void = { FileHandle.standardError.write(Data("vrsim: warning: \($0)\n".utf8)) }
  ) throws -> ScenarioSpec {
    let spec: ScenarioSpec
    do {
      if let file {
        spec = try ScenarioLoader.load(path: file, overrides: overrides)
      } else {
        spec = try ScenarioLoader.load(
          text: ScenarioLoader.defaultScenarioText, fileName: "<built-in default>", overrides: overrides)
      }
    } catch {
      throw ScenarioRunError(error.description, exitCode: 2)
    }
    for point in spec.sweepPoints() {
      do { _ = try point.spec.platformSpec(profile: .paper2012) } catch {
        let at = point.assignments.map { "\($0.keyPath)=\($0.value)" }.joined(separator: ", ")
        throw ScenarioRunError(
          at.isEmpty ? "\(error)" : "\(error) (sweep point \(point.index): \(at))", exitCode: 2)
      }
    }
    for warning in spec.source.warnings { warn(warning) }
    return spec
  }

  /// The costs of a scenario: resolved at load (the profile file it names, or the built-in
  /// paper-2012, with the scenario's own `profile.<key>` values over it).
  public static func profile(for spec: ScenarioSpec) -> CostProfile { spec.costs }

  /// The campaign plan of a scenario: its sweep points and replications (`replications`
  /// overrides the scenario's policy), stamped with the simulator's `version`.
  public static func plan(_ spec: ScenarioSpec, replications: Int? = nil, version: String) -> CampaignPlan {
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
      vrsimVersion: version,
      masterSeed: spec.run.seed, points: points, replications: policy)
  }

  /// Simulates one replication of one point and returns its metric rows.
  /// - Parameter cancellation: when set, the simulation stops within one check interval of it
  ///   (`Simulation.cancellation`) and this throws `SimulationCancelled`.
  /// - Throws: `ScenarioRunError` when the platform cannot be built, or (exit code 2) when the
  ///   livelock guard stopped the run (`stalled`); `SimulationCancelled`.
  public static func simulate(
    _ spec: ScenarioSpec, profile: CostProfile, seed: UInt64, replication: Int,
    cancellation: CancellationToken? = nil
  ) throws -> [MetricRow] {
    let platform: PlatformSpec
    do { platform = try spec.platformSpec(profile: profile) } catch { throw ScenarioRunError("\(error)") }
    let host: RouterHost
    do { host = try RouterHost(spec: platform, seed: seed, replication: replication) } catch {
      throw ScenarioRunError("\(error)")
    }
    host.sim.cancellation = cancellation
    let result = host.run(duration: spec.run.duration, warmup: spec.run.warmup)
    try checkInterruption(host.sim, spec: spec, seed: seed, replication: replication)
    return rows(result)
  }

  /// Throws what interrupted `sim`'s run, if anything did: `SimulationCancelled` as it is, a
  /// stall as `stalled`. A caller reads no result of an interrupted run.
  /// - Throws: `SimulationCancelled`, or `ScenarioRunError` (exit code 2).
  public static func checkInterruption(_ sim: Simulation, spec: ScenarioSpec, seed: UInt64, replication: Int)
    throws
  {
    do { try sim.checkInterruption() } catch let s as SimulationStall {
      throw stalled(s, spec: spec, seed: seed, replication: replication)
    }
  }

  /// The error of a run the livelock guard stopped: the scenario (name and file), the
  /// platform, the seed and replication, the instant and what repeats; exit code 2 (the
  /// scenario, with its costs, makes a run that cannot end).
  public static func stalled(_ s: SimulationStall, spec: ScenarioSpec, seed: UInt64, replication: Int)
    -> ScenarioRunError
  {
    ScenarioRunError(
      "scenario \(spec.name) (\(spec.source.fileName)), platform \(spec.platform.rawValue), seed \(seed), "
        + "replication \(replication): the run cannot end: \(s)", exitCode: 2)
  }

  /// The tidy rows of a result: per router and aggregate traffic, per domain CPU, host figures,
  /// drops by place (`SimulatedMetrics.values`, which calibration compares with measured rows).
  public static func rows(_ r: NetworkResult) -> [MetricRow] {
    SimulatedMetrics.values(r).map { MetricRow(scope: $0.scope, $0.metric, value: $0.value) }
  }
}
