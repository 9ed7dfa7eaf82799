import Platforms
import Report
import Scenario
import SimCore

/// One simulated figure: a metric of a scope.
public struct SimulatedValue: Sendable, Equatable {
  /// `aggregate`, `vr0`, `host`, `pcpu0`, `dom0`, `stage:NAME`, `drop:PLACE`, `job:NAME`.
  public var scope: String
  /// The metric (its unit is the metric's).
  public var metric: Metric
  /// The value in the metric's unit.
  public var value: Double
}

/// The figures vrsim reports for one simulated replication, in report order: per router and
/// aggregate traffic, host figures, per pCPU utilisation, per domain CPU, stage delays and
/// drops by place. `vrsim run` prints these, and calibration compares measured rows with them.
public enum SimulatedMetrics {
  /// The figures of a result.
  public static func values(_ r: NetworkResult) -> [SimulatedValue] {
    var out: [SimulatedValue] = []
    func add(_ scope: String, _ m: Metric, _ v: Double) {
      out.append(SimulatedValue(scope: scope, metric: m, value: v))
    }
    for x in [r.aggregate] + r.routers {
      add(x.name, .offeredPps, x.offeredPps)
      add(x.name, .forwardedPps, x.forwardedPps)
      add(x.name, .frameBps, x.frameBps)
      add(x.name, .wireBps, x.wireBps)
      add(x.name, .droppedPps, x.droppedPps)
      add(x.name, .loss, x.lossFraction)
      add(x.name, .latencyMean, x.latencyMeanUs)
      add(x.name, .latencyP50, x.latencyP50Us)
      add(x.name, .latencyP99, x.latencyP99Us)
      add(x.name, .latencyMax, x.latencyMaxUs)
    }
    for (i, v) in (r.routerNotificationsPerSecond ?? []).enumerated() {
      add("vr\(i)", .routerNotifications, v)
    }
    add("host", .jainIndex, r.jainIndex)
    add("host", .switches, r.switchesPerSecond)
    add("host", .notifications, r.notificationsPerSecond)
    add("host", .notificationsPerPacket, r.notificationsPerPacket)
    add("host", .boostWakeups, r.boostWakeupsPerSecond)
    for (i, u) in r.pcpuUtilisation.enumerated() { add("pcpu\(i)", .utilisation, u) }
    for m in r.cpuModes ?? [] {
      add(m.name, .softirq, m.softirq)
      // the testbed's exact (BPF-timed) softirq share: the model's time in softirq is exact
      add(m.name, .softirqExact, m.softirq)
      add(m.name, .netRxSoftirqs, m.netRxSoftirqsPerSecond)
    }
    // the testbed's exact (cpuidle) busy share: utilisation without /proc/stat's tick sampling and
    // with the pCPUs' exits from idle (profile.idle_exit), which /proc/stat counts idle; the netns
    // platforms, which the testbed measures, give both
    if r.cpuModes != nil {
      for (i, u) in (r.pcpuBusyExact ?? r.pcpuUtilisation).enumerated() { add("pcpu\(i)", .busyExact, u) }
    }
    for name in r.cpuShare.keys.sorted() { add(name, .cpu, r.cpuShare[name]!) }
    for p in r.processes ?? [] {
      add(p.name, .processUser, p.user)
      add(p.name, .processSystem, p.system)
    }
    if let v = r.udpInDatagramsPerSecond { add("sink", .udpInDatagrams, v) }
    if let v = r.udpRcvbufErrorsPerSecond { add("sink", .udpRcvbufErrors, v) }
    for stage in r.stageDelayUs.keys.sorted() {
      add("stage:\(stage)", .delayMean, r.stageDelayUs[stage]!)
      add("stage:\(stage)", .delayMax, r.stageDelayMaxUs[stage]!)
    }
    for place in r.dropsByPlace.keys.sorted() {
      add("drop:\(place)", .drops, Double(r.dropsByPlace[place]!) / r.seconds)
    }
    for j in r.jobs ?? [] {
      if let t = j.seconds { add("job:\(j.name)", .jobSeconds, t) }
      add("job:\(j.name)", .jobShare, j.share)
      if let us = j.responseMeanUs { add("job:\(j.name)", .jobResponse, us) }
    }
    return out
  }

  /// Simulates one replication of a scenario without a sweep (its costs: `spec.costs`): the
  /// figures of `values(_:)`, then a `drops` of 0 pps for every place of the path
  /// (`RouterHost.dropPlaces`) where the model dropped nothing (`values` lists only the places
  /// that dropped), so that a measured row of such a place is compared with 0, while a place
  /// the path does not have stays absent.
  /// - Parameter cancellation: when set, the simulation stops within one check interval of it
  ///   and this throws `SimulationCancelled`.
  /// - Throws: `ScenarioRunError` when the scenario's platform cannot be built, or (exit code 2)
  ///   when the livelock guard stopped the run; `SimulationCancelled`.
  public static func simulate(
    _ spec: ScenarioSpec, seed: UInt64, replication: Int, cancellation: CancellationToken? = nil
  ) throws -> [SimulatedValue] {
    let host: RouterHost
    do {
      let platform = try spec.platformSpec(profile: spec.costs)
      host = try RouterHost(spec: platform, seed: seed, replication: replication)
    } catch {
      throw ScenarioRunError("\(spec.source.fileName): \(error)")
    }
    host.sim.cancellation = cancellation
    let result = host.run(duration: spec.run.duration, warmup: spec.run.warmup)
    try ScenarioRunner.checkInterruption(host.sim, spec: spec, seed: seed, replication: replication)
    var out = values(result)
    for place in host.dropPlaces where result.dropsByPlace[place] == nil {
      out.append(SimulatedValue(scope: "drop:\(place)", metric: .drops, value: 0))
    }
    return out
  }
}
