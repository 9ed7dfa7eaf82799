import CAllocCounter
import Foundation
import HostModel
import NetModel
import Platforms
import SimCore

/// `vrsim bench engine`: the event list's speed in the hold model (Vaucher & Duval 1975) and an
/// M/D/1/K router micro-model.
public enum EngineBenchmark {
  /// The hold model at one size.
  public struct HoldFigure: Codable, Sendable {
    public var pending: Int
    public var events: Int
    public var runs: Int
    public var eventsPerSecondMedian: Double
    public var eventsPerSecondMin: Double
    public var eventsPerSecondMax: Double
    public var peakResidentBytes: Int?
    public var allocationsPerEvent: Double?
  }

  /// The router micro-model.
  public struct RouterFigure: Codable, Sendable {
    public var packets: Int
    public var runs: Int
    public var packetsPerSecondMedian: Double
    public var eventsPerSecondMedian: Double
    public var allocationsPerPacket: Double?
    public var lossFraction: Double
  }

  /// Every figure of one `vrsim bench engine`.
  public struct Report: Codable, Sendable {
    public var vrsimVersion: String
    public var hold: [HoldFigure]
    public var router: RouterFigure?
    /// A report with no figure yet.
    public init(vrsimVersion: String) {
      self.vrsimVersion = vrsimVersion
      self.hold = []
      self.router = nil
    }
  }

  /// The hold model with `n` events pending: events per wall-clock second over `runs` runs of
  /// `events` events (median, min, max), peak resident memory and allocations per event.
  public static func hold(pending n: Int, events: Int, runs: Int) -> HoldFigure {
    var rates: [Double] = []
    var allocations: UInt64? = nil
    ProcessProbes.resetPeakResident()
    for r in 0..<runs {
      let sim = Simulation(seed: 1 + UInt64(r), initialCapacity: n)
      let model = HoldModel(in: sim)
      model.prime(sim, pending: n)
      // Warm-up: every slot and heap position has been touched once.
      runEvents(sim, count: Swift.max(n, 100_000))
      let (_, seconds) = ProcessProbes.timed { runEvents(sim, count: events) }
      rates.append(Double(events) / seconds)
      if r == 0, ProcessProbes.canCountAllocations {
        let (_, a) = ProcessProbes.countingAllocations { runEvents(sim, count: 1_000_000) }
        allocations = a
      }
    }
    return HoldFigure(
      pending: n, events: events, runs: runs, eventsPerSecondMedian: ProcessProbes.median(rates),
      eventsPerSecondMin: rates.min()!, eventsPerSecondMax: rates.max()!,
      peakResidentBytes: ProcessProbes.peakResidentBytes(),
      allocationsPerEvent: allocations.map { Double($0) / 1_000_000 })
  }

  static func runEvents(_ sim: Simulation, count: Int) {
    let target = sim.eventsExecuted + UInt64(count)
    // The hold model never runs dry, so run in slices of simulated time until enough events ran.
    while sim.eventsExecuted < target {
      let remaining = target - sim.eventsExecuted
      // About 1 event per (1us / pending) of simulated time: aim slightly short.
      let span = Swift.max(1, Int64(remaining) * 1000 / Int64(sim.pendingEvents) * 9 / 10)
      sim.run(until: sim.now + .ns(span))
      if remaining < 64 { break }
    }
  }

  /// The M/D/1/K router micro-model: `packets` packets per run, median over `runs` runs.
  public static func router(packets: Int, runs: Int) -> RouterFigure {
    var rates: [Double] = []
    var eventRates: [Double] = []
    var allocationsPerPacket: Double? = nil
    var loss = 0.0
    for r in 0..<runs {
      let sim = Simulation(seed: 100 + UInt64(r))
      let station = QueueingStation(
        in: sim, name: "router", arrivals: .exponential(mean: .ns(1111)),
        service: .deterministic(.us(1)), servers: 1, capacity: 256)
      station.start(in: sim)
      sim.run(until: SimTime(nanoseconds: 10_000_000))  // warm-up: 10 ms
      station.resetStatistics(at: sim.now)
      let horizon = sim.now + .ns(Int64(Double(packets) * 1111))
      let e0 = sim.eventsExecuted
      let (_, seconds) = ProcessProbes.timed { sim.run(until: horizon) }
      rates.append(Double(station.arrived) / seconds)
      eventRates.append(Double(sim.eventsExecuted - e0) / seconds)
      loss = Double(station.blocked) / Double(Swift.max(1, station.arrived))
      if r == 0, ProcessProbes.canCountAllocations {
        let before = station.arrived
        let (_, a) = ProcessProbes.countingAllocations { sim.run(until: sim.now + .ms(100)) }
        allocationsPerPacket = Double(a) / Double(Swift.max(1, station.arrived - before))
      }
    }
    return RouterFigure(
      packets: packets, runs: runs, packetsPerSecondMedian: ProcessProbes.median(rates),
      eventsPerSecondMedian: ProcessProbes.median(eventRates),
      allocationsPerPacket: allocationsPerPacket, lossFraction: loss)
  }
}

/// `vrsim bench net`: the packet path's speed on two reference cases.
public enum NetBenchmark {
  /// One case's figures.
  public struct Figure: Codable, Sendable {
    public var name: String
    public var simulatedSeconds: Double
    public var packetsPerWallSecond: Double
    public var realTimeFactor: Double
    public var eventsPerSecond: Double
    public var allocationsPerPacket: Double?
    public var forwardedPps: Double
  }

  /// Case 1: xen-bridge, 4 routers, 130 kpps in all, credit 4.0 on 4 pCPUs at 3.06 GHz.
  public static func xenSpec() -> PlatformSpec {
    let routers = (0..<4).map { RouterConfig(domain: DomainConfig(name: "vr\($0)", kind: .guest)) }
    let flows = (0..<4).map { FlowSpec(router: $0, packetsPerSecond: 32_500) }
    return PlatformSpec(
      host: HostConfig(cpus: 4, clockGHz: 3.06), scheduler: .credit(CreditOptions()), kind: .xenBridge,
      routers: routers, flows: flows)
  }

  /// Case 1 with the working-set refill, per-vif dom0 work, scheduler time per decision, Xen
  /// event delivery and IPI latency all on, at the values of scripts/growth-table.sh.
  public static func xenGrowthSpec() -> PlatformSpec {
    var spec = xenSpec()
    spec.profile.vifScan = 200
    spec.profile.eventDelivery = 1_000
    spec.profile.dom0Footprint = 2 << 20
    spec.profile.guestFootprint = 2 << 20
    spec.host.contextSwitch.refillCyclesPerByte = 0.3
    spec.host.contextSwitch.decisionCycles = 2_000
    spec.host.contextSwitch.ipiLatencyNs = 3_000
    return spec
  }

  /// Case 2: native Linux, 1.4 Mpps offered.
  public static func nativeSpec() -> PlatformSpec {
    PlatformSpec(
      host: HostConfig(cpus: 4, clockGHz: 3.06), scheduler: .none, kind: .native,
      routers: [RouterConfig(domain: DomainConfig(name: "vr0", kind: .guest))],
      flows: [FlowSpec(router: 0, packetsPerSecond: 1_400_000)])
  }

  /// `spec` run for `duration` `runs` times: offered packets per wall-clock second, real-time
  /// factor and events per second (medians), allocations per packet after the first 10%.
  /// - Throws: what building the platform throws.
  public static func measure(name: String, spec: PlatformSpec, duration: SimDuration, runs: Int) throws
    -> Figure
  {
    var rates: [Double] = []
    var rtf: [Double] = []
    var eps: [Double] = []
    var alloc: Double? = nil
    var forwarded = 0.0
    for r in 0..<runs {
      let host = try RouterHost(spec: spec, seed: 7 + UInt64(r))
      let warm = SimDuration(nanoseconds: duration.nanoseconds / 10)
      let (result, seconds): (NetworkResult, Double) = ProcessProbes.timed {
        host.run(duration: duration, warmup: .zero)
      }
      let offered = result.aggregate.offeredPps * result.seconds
      rates.append(offered / seconds)
      rtf.append(duration.seconds / seconds)
      eps.append(Double(host.sim.eventsExecuted) / seconds)
      forwarded = result.aggregate.forwardedPps
      if r == 0, ProcessProbes.canCountAllocations {
        let again = try RouterHost(spec: spec, seed: 99)
        _ = again.run(duration: warm)
        let before = again.conservation.offered
        let (_, a) = ProcessProbes.countingAllocations { again.continueRun(for: warm) }
        alloc = Double(a) / Double(max(1, again.conservation.offered - before))
      }
    }
    return Figure(
      name: name, simulatedSeconds: duration.seconds, packetsPerWallSecond: ProcessProbes.median(rates),
      realTimeFactor: ProcessProbes.median(rtf), eventsPerSecond: ProcessProbes.median(eps),
      allocationsPerPacket: alloc,
      forwardedPps: forwarded)
  }
}

/// `vrsim bench host`: the host model's speed under the Xen credit scheduler.
public enum HostBenchmark {
  /// The figures of one run.
  public struct Report: Codable, Sendable {
    public var vrsimVersion: String
    public var scheduler: String
    public var cpus: Int
    public var domains: Int
    public var ioDomains: Int
    public var seed: UInt64
    public var simulatedSeconds: Double
    public var wallSeconds: Double
    public var simulatedSecondsPerWallSecond: Double
    public var eventsPerSecond: Double
    public var decisionsPerSecond: Double
    public var allocationsPerDecision: Double?
    public var switchesPerSimulatedSecond: Double
    public var weightedFairnessCPUBound: Double
    public var ioWakeLatencyP99Ns: Double
  }

  /// `domains` single-vCPU domains on `cpus` pCPUs at 3.06 GHz under credit 4.0, the first
  /// `ioDomains` waking every `period` for `work` of CPU (staggered), the rest CPU-bound: 10 s of
  /// warm-up, 60 s with allocations counted, then timed until `total`.
  public static func run(
    domains: Int, ioDomains: Int, cpus: Int, total: SimDuration, period: SimDuration, work: SimDuration,
    seed: UInt64, version: String
  ) -> Report {
    let sim = Simulation(seed: seed, initialCapacity: 4 * domains + 64)
    let host = Host(
      sim: sim, config: HostConfig(cpus: cpus, clockGHz: 3.06), scheduler: .credit(CreditOptions()))
    let hog = CPUBoundJob()
    for k in 0..<domains {
      let d = host.addDomain(DomainConfig(name: k < ioDomains ? "io\(k)" : "cpu\(k)"))
      if k < ioDomains {
        let phase = SimDuration.ns(period.nanoseconds * Int64(k) / Int64(max(1, ioDomains)))
        _ = PeriodicIOJob(
          sim: sim, vcpu: d.vcpus[0], period: period,
          cycles: Int64((Double(work.nanoseconds) * 3.06).rounded()), phase: phase)
      } else {
        hog.attach(to: d)
      }
    }
    host.start()
    sim.run(until: SimTime(nanoseconds: 10_000_000_000))
    host.resetStatistics()
    var allocationsPerDecision: Double? = nil
    let countedEnd = sim.now + .s(60)
    if ProcessProbes.canCountAllocations {
      let (_, a) = ProcessProbes.countingAllocations { sim.run(until: countedEnd) }
      allocationsPerDecision = Double(a) / Double(max(1, host.schedulingDecisions))
    } else {
      sim.run(until: countedEnd)
    }
    let start = sim.now
    let e0 = sim.eventsExecuted
    let decisionsBefore = host.schedulingDecisions
    let (_, wall) = ProcessProbes.timed { sim.run(until: SimTime(nanoseconds: total.nanoseconds)) }
    let simulated = (sim.now - start).seconds
    let r = host.report()
    let cpuBound = r.domains.filter { $0.name.hasPrefix("cpu") }.map(\.cpuSeconds)
    let ioP99 = r.domains.filter { $0.name.hasPrefix("io") }.map(\.wakeLatency.p99Ns).max() ?? 0
    return Report(
      vrsimVersion: version, scheduler: "credit 4.0", cpus: cpus, domains: domains,
      ioDomains: ioDomains, seed: seed, simulatedSeconds: simulated, wallSeconds: wall,
      simulatedSecondsPerWallSecond: simulated / wall,
      eventsPerSecond: Double(sim.eventsExecuted - e0) / wall,
      decisionsPerSecond: Double(host.schedulingDecisions - decisionsBefore) / wall,
      allocationsPerDecision: allocationsPerDecision, switchesPerSimulatedSecond: r.switchesPerSecond,
      weightedFairnessCPUBound: jainFairnessIndex(cpuBound), ioWakeLatencyP99Ns: ioP99)
  }
}

/// Measurements of this process used by the benchmarks: peak resident memory and a count of
/// heap allocations (through the counting malloc interposer in CAllocCounter).
public enum ProcessProbes {
  /// Peak resident set size in bytes (VmHWM), or nil where /proc is unavailable.
  public static func peakResidentBytes() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
      return nil
    }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
      let digits = line.filter(\.isNumber)
      return Int(digits).map { $0 * 1024 }
    }
    return nil
  }

  /// Resets the peak resident set size to the current size (Linux clear_refs, value 5).
  public static func resetPeakResident() {
    if let h = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
      h.write(Data("5".utf8))
      try? h.close()
    }
  }

  /// True when allocations can be counted in this process.
  public static var canCountAllocations: Bool { vrsim_alloc_interposed() != 0 }

  /// Counts the heap allocations made while running `body`.
  public static func countingAllocations<T>(_ body: () throws -> T) rethrows -> (T, UInt64) {
    vrsim_alloc_reset()
    vrsim_alloc_counting(1)
    let result = try body()
    vrsim_alloc_counting(0)
    return (result, vrsim_alloc_count())
  }

  /// Seconds elapsed while running `body` (monotonic clock).
  public static func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = ContinuousClock.now
    let r = try body()
    let d = ContinuousClock.now - start
    let (s, atto) = d.components
    return (r, Double(s) + Double(atto) * 1e-18)
  }

  /// Median of a non-empty list.
  public static func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    let n = s.count
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
  }
}
