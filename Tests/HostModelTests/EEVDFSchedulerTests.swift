import HostModel
import SimCore
import Testing

/// The eevdf model against figures worked out by hand from the kernel's rules (docs/eevdf.md):
/// v grows by ran x 1024 / w, deadline = v + slice x 1024 / w, eligible when v <= V (the
/// queue's weighted mean of v), pick the eligible entity with the earliest deadline, a picked
/// entity is protected up to its deadline of the moment it was picked, a slice's end is acted on
/// at the next tick or wake-up. Switch costs are zero, so every figure is exact to the ns.
@Suite("eevdf")
struct EEVDFSchedulerTests {
  /// The times pCPU 0 switched to another vCPU, from the trace, after `from` ns.
  static func switchTimes(_ host: Host, from: Int64) -> [Int64] {
    let lines = (host.traceCSV ?? "").split(separator: "\n").dropFirst()
    return lines.compactMap { line -> Int64? in
      let f = line.split(separator: ",", omittingEmptySubsequences: false)
      guard f.count >= 4, f[2] == "switch", f[1] == "0", let t = Int64(f[0]), t >= from else { return nil }
      return t
    }
  }

  /// Two always-runnable tasks of equal weight on one pCPU: each turn lasts the slice when the
  /// tick divides it, else until the first tick after it.
  @Test(
    "eevdf: two equal CPU-bound tasks alternate every slice (tick 0.25 ms) or every tick (4 ms)",
    arguments: [(250_000 as Int64), 4_000_000])
  func alternation(tickNs: Int64) {
    let slice: Int64 = 750_000  // 1 pCPU: scaled by 1 + log2(1) = 1
    // By hand: the slice's end (v reaches the deadline) is noticed at the first tick at or after
    // it; turns start on ticks, so a turn lasts ceil(slice / tick) ticks.
    let turn = (slice + tickNs - 1) / tickNs * tickNs
    let (sim, host) = makeHost(
      cpus: 1, scheduler: .eevdf(EEVDFOptions(baseSlice: .ns(slice), tick: .ns(tickNs))), costs: .free)
    host.enableTrace()
    addCPUBound(host, weights: [256, 256])
    host.start()
    sim.run(until: .zero + .ms(200))
    let times = Self.switchTimes(host, from: 20_000_000)
    #expect(times.count > 20)
    let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
    #expect(gaps.allSatisfy { $0 == turn }, "turns \(Set(gaps)) ns, expected \(turn) ns")
  }

  @Test("eevdf: weights 2:1 share one pCPU 2:1 within 1%")
  func weights() {
    // Tolerance 1%: the lag of each stays within a slice plus a tick (~5 ms) of its fair share,
    // 0.03% of the 20 s measured.
    let (sim, host) = makeHost(cpus: 1, scheduler: .eevdf(EEVDFOptions()), costs: .free)
    addCPUBound(host, weights: [512, 256])
    let r = measure(sim, host, measure: .s(20))
    let a = r.domains[0].cpuSeconds
    let b = r.domains[1].cpuSeconds
    #expect(abs(a / (a + b) - 2.0 / 3) < 0.01, "eevdf heavy share \(a / (a + b))")
  }

  /// A heavy task B (weight 4096: 16,384 against 1,024, so its virtual slice is 1/16 of A's)
  /// wakes for the first time while CPU-bound A runs alone on pCPU 0 of a 2-pCPU host (slice
  /// 0.75 ms x (1 + log2 2) = 1.5 ms, tick 4 ms). A started at 0 with v = 0, deadline 1.5 ms
  /// and, picked then, a protected slice up to v = 1.5 ms (0.75 ms without run to parity).
  /// B joins with no lag at v = V = v_A, so it is eligible and its deadline v_A + 1.5 / 16 ms is
  /// earlier than A's: it preempts at once unless A's slice is still protected, and then waits
  /// for the first tick after A's protection ends (4 ms), where A is no longer eligible.
  @Test(
    "eevdf: a waking task with the earlier deadline preempts unless the running slice is protected",
    arguments: [
      // (wakes at, run to parity, wait by hand)
      (1_000_000 as Int64, true, 3_000_000 as Int64),  // protected to 1.5 ms: waits for the 4 ms tick
      (1_000_000, false, 0),  // protection 0.75 ms, over at 1 ms: at once
      (2_000_000, true, 0),  // A's slice ended at 1.5 ms (not yet noticed): at once
    ])
  func wakeupPreemption(wakeAt: Int64, runToParity: Bool, wait: Int64) {
    let (sim, host) = makeHost(
      cpus: 2, scheduler: .eevdf(EEVDFOptions(runToParity: runToParity)), costs: .free)
    let a = host.addDomain(DomainConfig(name: "a", weight: 256, affinity: [0]))
    CPUBoundJob().attach(to: a)
    let b = host.addDomain(DomainConfig(name: "b", weight: 4096, affinity: [0]))
    let work: Int64 = 300_000  // 100 us at 3 GHz
    let job = FiniteCPUJob(
      sim: sim, vcpu: b.vcpus[0], totalCycles: work, chunkCycles: work, start: .ns(wakeAt))
    host.start()
    sim.run(until: .zero + .ms(20))
    let done = job.finish?.nanoseconds ?? -1
    #expect(done == wakeAt + wait + 100_000, "B done at \(done) ns, expected \(wakeAt + wait + 100_000)")
  }

  @Test("eevdf: the slice scales with 1 + log2(min(cpus, 8)) as the kernel's tunables do")
  func scaling() {
    // kernel/sched/fair.c, get_update_sysctl_factor with SCHED_TUNABLESCALING_LOG
    let expected = [1: 1, 2: 2, 3: 2, 4: 3, 8: 4, 16: 4, 64: 4]
    for (cpus, factor) in expected {
      #expect(
        EEVDFOptions(baseSlice: .us(750)).scaledSlice(cpus: cpus) == .ns(Int64(factor) * 750_000),
        "\(cpus) cpus")
    }
  }
}
