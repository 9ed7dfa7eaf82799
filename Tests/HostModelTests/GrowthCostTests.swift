import SimCore
import Testing

@testable import HostModel

/// The host costs that grow with the number of domains (working-set refill, scheduler time per
/// decision, IPI latency), a pCPU's exit from idle and the credit 4.1 / 4.3 rules, each against a schedule worked out by
/// hand in the test. Test hosts run at 3 GHz (3 cycles = 1 ns); every other cost is 0
/// (`ContextSwitchCosts.free` plus the mechanism under test), so times are exact to the ns.
@Suite("Costs that grow with the domain count; credit 4.1 and 4.3")
struct GrowthCostTests {
  static let mib: Int64 = 1 << 20

  /// Free switches plus the working-set model: cache `cache`, refill `perByte` cycles/B.
  static func workingSetCosts(cache: Int64, perByte: Double) -> ContextSwitchCosts {
    var c = ContextSwitchCosts.free
    c.cacheBytes = cache
    c.refillCyclesPerByte = perByte
    return c
  }

  /// A (footprint fa) runs a 1 ms item, then hands over to B (footprint fb) which runs a
  /// 1 ms item, then A runs a 1 ms item again; returns the three finish times.
  static func pingPong(fa: Int64, fb: Int64, cache: Int64, perByte: Double) -> [Int64] {
    let (sim, host) = makeHost(
      scheduler: .credit(CreditOptions()), costs: workingSetCosts(cache: cache, perByte: perByte))
    var da = DomainConfig(name: "a")
    da.footprintBytes = fa
    var db = DomainConfig(name: "b")
    db.footprintBytes = fb
    let a = host.addDomain(da)
    let b = host.addDomain(db)
    host.start()
    let ra = Recorder(cost: cycles(.ms(1)))
    let rb = Recorder(cost: cycles(.ms(1)))
    ra.onFinish = { tag, _ in if tag == 0 { b.vcpus[0].submit(rb, tag: 0, arg: 0) } }
    rb.onFinish = { _, _ in a.vcpus[0].submit(ra, tag: 1, arg: 0) }
    a.vcpus[0].submit(ra, tag: 0, arg: 0)
    sim.run(until: SimTime(nanoseconds: 20_000_000))
    return [ra.finished[0].1, rb.finished[0].1, ra.finished[1].1]
  }

  @Test("working set: F1 3 MiB, F2 2 MiB, cache 4 MiB evict min(F, S, F1+F2-C) = 1 MiB at each return")
  func workingSetRefill() {
    // A runs first: nothing else ran, S = 0, no refill: done at 1 ms. B starts at 1 ms; A ran
    // since B last ran (never), S = F1 = 3 MiB: evicted = min(2, 3, max(0, 2 + 3 - 4)) = 1 MiB
    // = 1,048,576 B; at 0.3 cycles/B that is 314,572.8 -> 314,573 cycles = 104,857.67 ->
    // 104,858 ns, so B is done at 1 ms + 1 ms + 104,858 ns. A again: S = F2 = 2 MiB,
    // evicted = min(3, 2, max(0, 3 + 2 - 4)) = 1 MiB: another 104,858 ns.
    let refill: Int64 = 104_858
    let t = Self.pingPong(fa: 3 * Self.mib, fb: 2 * Self.mib, cache: 4 * Self.mib, perByte: 0.3)
    #expect(t == [1_000_000, 2_000_000 + refill, 3_000_000 + 2 * refill])
    #expect(
      ContextSwitchCosts.evictedBytes(footprint: 3 * Self.mib, others: 2 * Self.mib, cache: 4 * Self.mib)
        == Self.mib)
  }

  @Test("working set: the others' footprint bounds the eviction; footprints that fit evict nothing")
  func workingSetBounds() {
    // F1 3 MiB, F2 0.5 MiB, cache 3 MiB: B (never ran) loses min(0.5, 3, 0.5) = 0.5 MiB,
    // A then loses min(3, 0.5, max(0, 3.5 - 3)) = 0.5 MiB = 524,288 B; at 0.3 cycles/B:
    // 157,286.4 -> 157,286 cycles = 52,428.67 -> 52,429 ns each.
    let half: Int64 = 52_429
    let t = Self.pingPong(fa: 3 * Self.mib, fb: Self.mib / 2, cache: 3 * Self.mib, perByte: 0.3)
    #expect(t == [1_000_000, 2_000_000 + half, 3_000_000 + 2 * half])
    // 3 + 2 MiB fit in 8 MiB: no refill at all.
    let fit = Self.pingPong(fa: 3 * Self.mib, fb: 2 * Self.mib, cache: 8 * Self.mib, perByte: 0.3)
    #expect(fit == [1_000_000, 2_000_000, 3_000_000])
    // Refill cost 0 turns the mechanism off whatever the footprints.
    let off = Self.pingPong(fa: 3 * Self.mib, fb: 2 * Self.mib, cache: 4 * Self.mib, perByte: 0)
    #expect(off == [1_000_000, 2_000_000, 3_000_000])
  }

  @Test("scheduler time per decision: a 100 ms item alone with 30 ms slices ends 4 decisions later")
  func decisionCost() {
    // 3,000 cycles = 1 us per decision. Decisions: the wake at 0 (the item begins at 1 us) and
    // the slice ends at 30, 60 and 90 ms, each keeping the vCPU and delaying it 1 us: the
    // item ends at 100 ms + 4 us. Nothing else re-schedules a lone vCPU.
    var c = ContextSwitchCosts.free
    c.decisionCycles = 3_000
    let (sim, host) = makeHost(scheduler: .credit(CreditOptions()), costs: c)
    let a = host.addDomain(DomainConfig(name: "a"))
    host.start()
    let r = Recorder(cost: cycles(.ms(100)))
    a.vcpus[0].submit(r, tag: 0, arg: 0)
    sim.run(until: SimTime(nanoseconds: 200_000_000))
    #expect(r.begun.map(\.1) == [1_000])
    #expect(r.finished.map(\.1) == [100_004_000])
    #expect(host.schedulingDecisions == 5, "the 4 above and the block at the end")
  }

  /// A (pinned to pCPU 0) is given a 1 ms item from outside at 0; when it finishes it gives B
  /// (pinned to pCPU 1, idle) a 1 ms item. Runs 10 ms with `costs` (traced) and returns the
  /// simulation (which keeps the host alive: the caller holds it while it reads the host), the
  /// host and both recorders.
  static func handOver(_ costs: ContextSwitchCosts) -> (sim: Simulation, host: Host, a: Recorder, b: Recorder)
  {
    let (sim, host) = makeHost(cpus: 2, scheduler: .credit(CreditOptions()), costs: costs)
    host.enableTrace()
    let a = host.addDomain(DomainConfig(name: "a", affinity: [0]))
    let b = host.addDomain(DomainConfig(name: "b", affinity: [1]))
    host.start()
    let ra = Recorder(cost: cycles(.ms(1)))
    let rb = Recorder(cost: cycles(.ms(1)))
    ra.onFinish = { _, _ in b.vcpus[0].submit(rb, tag: 0, arg: 0) }
    a.vcpus[0].submit(ra, tag: 0, arg: 0)
    sim.run(until: SimTime(nanoseconds: 10_000_000))
    return (sim, host, ra, rb)
  }

  @Test("IPI latency L delays a vCPU woken from another pCPU by L, not one woken from outside")
  func ipiLatency() {
    // A's item comes from outside: no IPI, it runs at 0. B's tickle travels to pCPU 1 for
    // L = 5 us, so B switches in at 1 ms + 5 us and is done at 2 ms + 5 us.
    func run(ipi: Int64) -> (switchIn: Int64, done: Int64) {
      var c = ContextSwitchCosts.free
      c.ipiLatencyNs = ipi
      let (sim, host, ra, rb) = Self.handOver(c)
      defer { withExtendedLifetime(sim) {} }
      #expect(ra.begun.map(\.1) == [0])
      // The trace line "time,1,switch,1,b,-1": pCPU 1 switches from idle to B (vCPU id 1).
      let line = host.traceCSV!.split(separator: "\n").first { $0.contains(",1,switch,1,b,") }
      let t = line.flatMap { Int64($0.split(separator: ",")[0]) } ?? -1
      return (t, rb.finished.first?.1 ?? -1)
    }
    #expect(run(ipi: 5_000) == (1_005_000, 2_005_000))
    #expect(run(ipi: 0) == (1_000_000, 2_000_000))
  }

  @Test("exit from idle: a pCPU that was idle is busy idle_exit before the vCPU runs, in no vCPU's work")
  func idleExit() {
    // idle_exit 30,000 cycles = 10 us, IPI 5 us. pCPU 0 (idle at start) leaves idle for 10 us,
    // A runs 10 us ... 1.010 ms; B's tickle reaches pCPU 1 at 1.015 ms, pCPU 1 leaves idle until
    // 1.025 ms, B is done at 2.025 ms. Over 10 ms each pCPU was busy 1.010 ms (its exit from
    // idle and the item), each domain ran (and did useful work) for the 1 ms item only. At 0
    // the same run ends at 1 ms and 2.005 ms.
    func run(exit: Int64) -> (a: Int64, b: Int64, busy: [Double], useful: [Double], ran: [Double]) {
      var c = ContextSwitchCosts.free
      c.ipiLatencyNs = 5_000
      c.idleExitCycles = exit
      let (sim, host, ra, rb) = Self.handOver(c)
      let r = withExtendedLifetime(sim) { host.report() }
      return (
        ra.finished.first?.1 ?? -1, rb.finished.first?.1 ?? -1, r.pcpus.map(\.busySeconds),
        r.domains.map(\.usefulSeconds), r.domains.map(\.cpuSeconds)
      )
    }
    let on = run(exit: 30_000)
    #expect(on.a == 1_010_000 && on.b == 2_025_000, "finish times \(on.a), \(on.b) ns")
    for k in 0..<2 {
      #expect(abs(on.busy[k] - 1.010e-3) < 1e-12, "pCPU \(k) busy \(on.busy[k]) s")
      #expect(abs(on.useful[k] - 1e-3) < 1e-12, "domain \(k) useful \(on.useful[k]) s")
      #expect(abs(on.ran[k] - 1e-3) < 1e-12, "domain \(k) ran \(on.ran[k]) s")
    }
    let off = run(exit: 0)
    #expect(off.a == 1_000_000 && off.b == 2_005_000, "finish times at 0: \(off.a), \(off.b) ns")
  }

  /// A CPU-bound hog pinned to pCPU 0 of 4, three domains that never run, and a waker W whose
  /// vCPU (id 4) starts on pCPU 0; W is given work from outside at 100 ms. Returns the
  /// decisions taken at that instant and the pCPU W first runs on.
  static func wakeOntoBusy(_ version: CreditOptions.Version) -> (decisions: UInt64, pcpu: Int) {
    let (sim, host) = makeHost(cpus: 4, scheduler: .credit(CreditOptions(version: version)), costs: .free)
    host.enableTrace()
    let hog = host.addDomain(DomainConfig(name: "hog", affinity: [0]))
    CPUBoundJob().attach(to: hog)
    for k in 0..<3 { host.addDomain(DomainConfig(name: "x\(k)")) }
    let w = host.addDomain(DomainConfig(name: "w"))
    host.start()
    sim.run(until: SimTime(nanoseconds: 100_000_000))
    let before = host.schedulingDecisions
    w.vcpus[0].submit(Recorder(cost: cycles(.us(50))), tag: 0, arg: 0)
    sim.run(until: SimTime(nanoseconds: 100_000_001))
    let line = host.traceCSV!.split(separator: "\n").first { $0.contains(",switch,4,w,") }
    let p = line.map { Int($0.split(separator: ",")[1])! } ?? -1
    return (host.schedulingDecisions - before, p)
  }

  @Test("tickling: 4.0 wakes all 3 idlers, 4.1 one, 4.3 one idler and no preemption")
  func tickleVariants() {
    // W wakes with BOOST onto pCPU 0, where the hog (UNDER or OVER) runs; pCPUs 1-3 are idle.
    // 4.0: tickle pCPU 0 (BOOST > hog) and every idler: 4 decisions; pCPU 0 decides first
    //      and runs W (the idlers find nothing they may steal: the hog is pinned).
    // 4.1: pCPU 0 and one idler, the first after the cursor (0): pCPU 1: 2 decisions, W on 0.
    // 4.3: an idler exists in W's affinity: tickle pCPU 1 only and do not preempt; pCPU 1
    //      steals W from pCPU 0's queue: 1 decision, W on pCPU 1.
    #expect(Self.wakeOntoBusy(.v4_0) == (4, 0))
    #expect(Self.wakeOntoBusy(.v4_1) == (2, 0))
    #expect(Self.wakeOntoBusy(.v4_2) == (2, 0))  // 4.2 adds only the rate limit (off here)
    #expect(Self.wakeOntoBusy(.v4_3) == (1, 1))
  }

  @Test("4.3: with no usable idler a BOOSTed waker still preempts its own pCPU")
  func tickle43Preempts() {
    // 2 pCPUs, the hog pinned to pCPU 0, W pinned to pCPU 0 too; pCPU 1 is idle but not in
    // W's affinity: 4.3-a's last branch preempts pCPU 0 (BOOST > the hog): 1 decision, W on
    // pCPU 0. On 1 pCPU (no idler anywhere) the same: W preempts, 1 decision.
    for cpus in [2, 1] {
      let (sim, host) = makeHost(cpus: cpus, scheduler: .credit(CreditOptions(version: .v4_3)), costs: .free)
      host.enableTrace()
      let hog = host.addDomain(DomainConfig(name: "hog", affinity: [0]))
      CPUBoundJob().attach(to: hog)
      let w = host.addDomain(DomainConfig(name: "w", affinity: [0]))
      host.start()
      sim.run(until: SimTime(nanoseconds: 100_000_000))
      let before = host.schedulingDecisions
      w.vcpus[0].submit(Recorder(cost: cycles(.us(50))), tag: 0, arg: 0)
      sim.run(until: SimTime(nanoseconds: 100_000_001))
      let line = host.traceCSV!.split(separator: "\n").first { $0.contains(",switch,1,w,") }
      #expect(host.schedulingDecisions - before == 1, "\(cpus) pCPUs")
      #expect(line?.hasPrefix("100000000,0,") == true, "\(cpus) pCPUs: \(line ?? "no switch")")
    }
  }

  @Test("4.1 one-idler cursor: successive wakes from one pCPU go round the idlers")
  func tickleCursor() {
    // Cursor of pCPU 0 starts at 0; idlers {1, 2, 3}: cycle_cpu gives 1, then 2, 3, then 1.
    let (_, host) = makeHost(cpus: 4, scheduler: .credit(CreditOptions(version: .v4_1)), costs: .free)
    let c = host.credit!.takeUnretainedValue()
    #expect(
      [c.nextTickled(0b1110), c.nextTickled(0b1110), c.nextTickled(0b1110), c.nextTickled(0b1110)]
        == [1, 2, 3, 1])
    // Only pCPU 0 idle and the cursor past it: wrap to the first, 0.
    #expect(c.nextTickled(0b0001) == 0)
  }

  /// A's credit after a 15 ms item at 0 on 1 pCPU and two accounting passes (30, 60 ms).
  static func creditAfterExit(_ version: CreditOptions.Version) -> (credit: Int, active: Bool) {
    let (sim, host) = makeHost(scheduler: .credit(CreditOptions(version: version)), costs: .free)
    let a = host.addDomain(DomainConfig(name: "a"))
    host.start()
    a.vcpus[0].submit(Recorder(cost: cycles(.ms(15))), tag: 0, arg: 0)
    sim.run(until: SimTime(nanoseconds: 61_000_000))
    let c = host.credit!.takeUnretainedValue()
    return (c.credit[0], c.active[0])
  }

  @Test("credit halving: 4.0 resets a vCPU leaving the active list to 0, 4.1 keeps half (225)")
  func creditHalving() {
    // Tick at 10 ms finds A running: charged 100 credits (10 per ms), joins the active list.
    // It blocks at 15 ms: charged 50 more, credit -150. Accounting at 30 ms: one active
    // domain, pool 300 x 1 pCPU, fair = peak = 300: credit 150 (UNDER). At 60 ms: 450 > 300,
    // A leaves the active list with 0 (<= 4.0) or 450 / 2 = 225 (4.1, c92d5f4e0f).
    #expect(Self.creditAfterExit(.v4_0) == (0, false))
    #expect(Self.creditAfterExit(.v4_1) == (225, false))
  }

  @Test("4.1 per-vCPU weight: a 2-vCPU domain of weight 512 beside two of 256 on 2 pCPUs")
  func perVCPUWeight() {
    // From 4.1 each active vCPU carries its domain's weight: 2 x 512 + 256 + 256 = 1536, so
    // d0 is offered 2 x 1024 / 1536 = 4/3 pCPU and d1, d2 2 x 256 / 1536 = 1/3 each (4.0
    // gives 1, 1/2, 1/2: SMPShareTests). Tolerance 2% of a pCPU, as in SMPShareTests.
    let s = SMPShareTests.shares(
      .credit(CreditOptions(version: .v4_1)), cpus: 2, weights: [512, 256, 256], vcpus: [2, 1, 1])
    SMPShareTests.check("credit 4.1", s, [4.0 / 3, 1.0 / 3, 1.0 / 3])
  }
}
