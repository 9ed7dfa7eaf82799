import SimCore

/// Per-domain and per-pCPU figures of a host over the statistics window (since the start or the
/// last `resetStatistics()`). Times are in seconds, latencies in nanoseconds.
public struct HostReport: Codable, Sendable, Equatable {
  /// Scheduler name (credit, credit2, cfs, vmware, none).
  public var scheduler: String
  /// Length of the statistics window, in seconds.
  public var elapsedSeconds: Double
  /// Number of pCPUs.
  public var cpus: Int
  /// Clock in GHz.
  public var clockGHz: Double
  /// One entry per domain, in the order they were added.
  public var domains: [DomainReport]
  /// One entry per pCPU.
  public var pcpus: [PCPUReport]
  /// Context switches (a pCPU starting a vCPU other than the one it ran last) per second.
  public var switchesPerSecond: Double
  /// Scheduling decisions in the window.
  public var decisions: UInt64
  /// Jain's fairness index of the domains' CPU time divided by their weight.
  public var weightedFairness: Double
  /// Scheduler-specific figures (e.g. credit accounting passes).
  public var schedulerFigures: [String: Double]

  /// The report of the domain called `name`, if any.
  public func domain(_ name: String) -> DomainReport? { domains.first { $0.name == name } }
}

/// Figures of one domain (summed over its vCPUs).
public struct DomainReport: Codable, Sendable, Equatable {
  /// Domain name.
  public var name: String
  /// Domain kind (dom0, guest, container, native).
  public var kind: String
  /// Number of vCPUs.
  public var vcpus: Int
  /// Weight.
  public var weight: Int
  /// Cap in percent of one pCPU (0 = none).
  public var cap: Int
  /// Seconds its vCPUs were on a pCPU (work, warm-up and the direct cost of switches into it).
  public var cpuSeconds: Double
  /// `cpuSeconds` over the window length: the share of one pCPU (1.0 = a whole pCPU).
  public var share: Double
  /// Seconds spent executing work items proper (no switch cost, no warm-up).
  public var usefulSeconds: Double
  /// Seconds of cache/TLB warm-up executed.
  public var warmupSeconds: Double
  /// Seconds runnable but waiting for a pCPU.
  public var waitSeconds: Double
  /// Seconds blocked (no work).
  public var blockedSeconds: Double
  /// Seconds parked (cap, quota or limit).
  public var parkedSeconds: Double
  /// Times one of its vCPUs was put on a pCPU.
  public var switchesIn: Int
  /// Wake-ups (blocked -> work submitted).
  public var wakeups: Int
  /// Wake-ups that were given BOOST priority (credit only).
  public var boostWakeups: Int
  /// Work items completed.
  public var itemsCompleted: Int
  /// Wake -> run latency distribution.
  public var wakeLatency: LatencySummary
}

/// Figures of one pCPU.
public struct PCPUReport: Codable, Sendable, Equatable {
  /// pCPU index.
  public var index: Int
  /// Seconds with a vCPU on it (including switch costs).
  public var busySeconds: Double
  /// Seconds spent on the direct cost of context switches.
  public var switchSeconds: Double
  /// `busySeconds` over the window.
  public var utilisation: Double
  /// Context switches.
  public var switches: Int
}

/// Summary of a latency distribution, in nanoseconds.
public struct LatencySummary: Codable, Sendable, Equatable {
  /// Number of samples.
  public var count: Int
  /// Mean.
  public var meanNs: Double
  /// Median (3 significant digits).
  public var p50Ns: Double
  /// 99th percentile (3 significant digits).
  public var p99Ns: Double
  /// Largest.
  public var maxNs: Double

  init(_ h: LatencyHistogram) {
    count = h.count
    meanNs = h.count > 0 ? h.mean : 0
    p50Ns = h.percentile(50)
    p99Ns = h.percentile(99)
    maxNs = h.max
  }
}

extension Host {
  /// Brings every running vCPU's progress and state times up to the current instant.
  func flushStatistics() {
    let now = sim.now.nanoseconds
    for p in 0..<pcpus.count where pcpus[p].current >= 0 {
      syncProgress(p, now: now)
      pcpus[p].busyNs &+= now &- pcpus[p].busySince
      pcpus[p].busySince = now
    }
    for v in allVCPUs { v.accumulate(at: now) }
  }

  /// Forgets all statistics gathered so far and starts a new window now (warm-up deletion).
  public func resetStatistics() {
    flushStatistics()
    let now = sim.now.nanoseconds
    statsStart = now
    decisions = 0
    for p in 0..<pcpus.count {
      pcpus[p].busyNs = 0
      pcpus[p].idleExitNs = 0
      pcpus[p].switchNs = max(0, pcpus[p].switchEnd &- now)
      pcpus[p].switches = 0
    }
    for v in allVCPUs {
      v.stateTime = (0, 0, 0, 0)
      v.usefulNs = 0
      v.warmupNs = 0
      v.idleExitNs = 0
      v.switchesIn = 0
      v.wakeups = 0
      v.boostWakeups = 0
      v.completed = 0
    }
    for d in domains { d.latency.reset() }
  }

  /// Per-domain and per-pCPU figures over the statistics window ending now.
  public func report() -> HostReport {
    flushStatistics()
    let now = sim.now.nanoseconds
    let elapsedNs = max(1, now - statsStart)
    let elapsed = Double(elapsedNs) * 1e-9
    var doms: [DomainReport] = []
    for d in domains {
      var run: Int64 = 0
      var wait: Int64 = 0
      var blocked: Int64 = 0
      var parked: Int64 = 0
      var useful: Int64 = 0
      var warm: Int64 = 0
      var sw = 0
      var wk = 0
      var bw = 0
      var done = 0
      for v in d.vcpus {
        // the pCPU's exit from idle before the vCPU ran is the pCPU's busy time, not the vCPU's
        run += max(0, v.stateTime.0 &- v.idleExitNs)
        wait += v.stateTime.1
        blocked += v.stateTime.2
        parked += v.stateTime.3
        useful += v.usefulNs
        warm += v.warmupNs
        sw += v.switchesIn
        wk += v.wakeups
        bw += v.boostWakeups
        done += v.completed
      }
      doms.append(
        DomainReport(
          name: d.name, kind: d.config.kind.rawValue, vcpus: d.vcpus.count, weight: d.config.weight,
          cap: d.config.cap, cpuSeconds: Double(run) * 1e-9, share: Double(run) / Double(elapsedNs),
          usefulSeconds: Double(useful) * 1e-9, warmupSeconds: Double(warm) * 1e-9,
          waitSeconds: Double(wait) * 1e-9, blockedSeconds: Double(blocked) * 1e-9,
          parkedSeconds: Double(parked) * 1e-9, switchesIn: sw, wakeups: wk, boostWakeups: bw,
          itemsCompleted: done, wakeLatency: LatencySummary(d.latency)))
    }
    var cpus: [PCPUReport] = []
    var switches = 0
    for p in 0..<pcpus.count {
      let pc = pcpus[p]
      switches += pc.switches
      let sw = pc.switchNs - max(0, pc.switchEnd - now)
      cpus.append(
        PCPUReport(
          index: p, busySeconds: Double(pc.busyNs) * 1e-9, switchSeconds: Double(sw) * 1e-9,
          utilisation: Double(pc.busyNs) / Double(elapsedNs), switches: pc.switches))
    }
    let perWeight = doms.map { $0.cpuSeconds / Double($0.weight) }
    return HostReport(
      scheduler: schedulerConfig.name, elapsedSeconds: elapsed, cpus: config.cpus, clockGHz: config.clockGHz,
      domains: doms, pcpus: cpus, switchesPerSecond: Double(switches) / elapsed, decisions: decisions,
      weightedFairness: jainFairnessIndex(perWeight), schedulerFigures: scheduler.reportFigures())
  }
}
