import HostModel
import SimCore
import Testing

/// Records when each item begins and finishes.
final class Recorder: WorkClient {
  var cost: Int64
  var begun: [(UInt32, Int64)] = []
  var finished: [(UInt32, Int64)] = []
  var onFinish: ((UInt32, VCPU) -> Void)?
  init(cost: Int64) { self.cost = cost }
  func beginWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) -> Int64 {
    begun.append((tag, now.nanoseconds))
    return cost
  }
  func finishWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) {
    finished.append((tag, now.nanoseconds))
    onFinish?(tag, vcpu)
  }
}

@Suite("host mechanics")
struct HostMechanicsTests {
  @Test("work items run FIFO, cost is asked at start, a vCPU blocks when empty and wakes on submit")
  func fifoBlockWake() {
    let (sim, host) = makeHost(scheduler: .credit(CreditOptions()), costs: .free)
    let d = host.addDomain(DomainConfig(name: "a"))
    host.start()
    let v = d.vcpus[0]
    #expect(v.state == .blocked)
    let rec = Recorder(cost: cycles(.ms(1)))
    v.submit(rec, tag: 1, arg: 0)
    v.submit(rec, tag: 2, arg: 0)
    #expect(v.pendingWork == 2)
    sim.run(until: SimTime(nanoseconds: 500_000))
    #expect(v.state == .running)
    sim.run(until: SimTime(nanoseconds: 5_000_000))
    // No switch cost: item 1 runs 0..1 ms, item 2 1..2 ms; then the vCPU blocks.
    #expect(rec.begun.map(\.1) == [0, 1_000_000])
    #expect(rec.finished.map(\.0) == [1, 2])
    #expect(rec.finished.map(\.1) == [1_000_000, 2_000_000])
    #expect(v.state == .blocked && v.pendingWork == 0)
  }

  @Test("an item's remaining cycles survive preemption exactly")
  func resumeAfterPreemption() {
    // Two domains with 30 ms slices and free switches. The hog woke first, so (FIFO among
    // BOOSTed vCPUs) it runs 0-30 ms; the 50 ms item runs 30-60 ms, waits while the hog runs
    // 60-90 ms, and its remaining 20 ms end at exactly 110 ms.
    let (sim, host) = makeHost(scheduler: .credit(CreditOptions()), costs: .free)
    let a = host.addDomain(DomainConfig(name: "a"))
    addCPUBound(host, weights: [256])
    host.start()
    let rec = Recorder(cost: cycles(.ms(50)))
    a.vcpus[0].submit(rec, tag: 0, arg: 0)
    sim.run(until: SimTime(nanoseconds: 200_000_000))
    #expect(rec.finished.count == 1)
    #expect(rec.begun.map(\.1) == [30_000_000])
    #expect(rec.finished.first?.1 == 110_000_000, "finished at \(rec.finished.first?.1 ?? -1)")
  }

  @Test("finishWork may submit to the same vCPU, which keeps running without blocking")
  func resubmitFromFinish() {
    let (sim, host) = makeHost(scheduler: .credit(CreditOptions()), costs: .free)
    let d = host.addDomain(DomainConfig(name: "a"))
    host.start()
    let rec = Recorder(cost: cycles(.us(100)))
    rec.onFinish = { tag, v in if tag < 5 { v.submit(rec, tag: tag + 1, arg: 0) } }
    d.vcpus[0].submit(rec, tag: 1, arg: 0)
    sim.run(until: SimTime(nanoseconds: 10_000_000))
    #expect(rec.finished.map(\.1) == [100_000, 200_000, 300_000, 400_000, 500_000])
    let r = host.report()
    #expect(r.domains[0].wakeups == 1 && r.domains[0].switchesIn == 1)
  }

  @Test("doubling the direct switch cost at 1 ms slices lowers useful CPU by cost / slice")
  func switchCost() {
    // Two CPU-bound domains alternate every 1 ms quantum (vmware, quantum 1 ms), one
    // cross-domain switch per quantum. Useful time per quantum = 1 ms - direct - warm-up, so
    // adding one more direct cost c lowers the useful fraction by c / 1 ms exactly:
    // c = 4,300 cycles at 3 GHz = 1,433 ns -> 0.1433 percentage points.
    func useful(direct: Int64) -> Double {
      let costs = ContextSwitchCosts(crossDomainCycles: direct, warmupCycles: 7_650, sameDomainCycles: 1_500)
      let (sim, host) = makeHost(scheduler: .vmware(VMwareOptions(quantum: .ms(1))), costs: costs)
      addCPUBound(host, weights: [256, 256])
      let r = measure(sim, host, measure: .s(10))
      return r.domains.reduce(0) { $0 + $1.usefulSeconds } / r.elapsedSeconds
    }
    let base = useful(direct: 4_300)
    let doubled = useful(direct: 8_600)
    let expectedBase = 1 - (1_433.0 + 2_550.0) / 1e6
    let expectedDrop = 1_433.0 / 1e6
    // Tolerance 1% of the drop (0.0014 pp): the only slack is the partial quantum at the
    // window edges (1 in 10,000) and ns rounding of the costs.
    #expect(abs(base - expectedBase) < 2e-5, "useful \(base), expected \(expectedBase)")
    #expect(abs((base - doubled) - expectedDrop) < 0.01 * expectedDrop, "drop \(base - doubled)")
  }

  @Test("same seed gives a byte-identical trace; another seed gives another trace")
  func determinism() {
    func trace(seed: UInt64) -> String {
      let (sim, host) = makeHost(seed: seed, cpus: 2, scheduler: .credit(CreditOptions()))
      host.enableTrace()
      addCPUBound(host, weights: [256, 512])
      for k in 0..<4 {
        let d = host.addDomain(DomainConfig(name: "io\(k)"))
        _ = OpenLoopSource(
          sim: sim, name: "io\(k)", vcpu: d.vcpus[0], meanInterarrival: .ms(3),
          meanCycles: Double(cycles(.us(300))))
      }
      host.start()
      sim.run(until: SimTime(nanoseconds: 500_000_000))
      return host.traceCSV!
    }
    let a = trace(seed: 11)
    let b = trace(seed: 11)
    let c = trace(seed: 12)
    #expect(a.utf8.count > 10_000)
    #expect(a == b)
    #expect(a != c)
    #expect(a.hasPrefix(Host.traceHeader))
  }

  @Test("report: states add up to the window; resetStatistics starts a new window")
  func reportConsistency() {
    let (sim, host) = makeHost(cpus: 2, scheduler: .credit(CreditOptions()))
    addCPUBound(host, weights: [256, 256, 256])
    let io = host.addDomain(DomainConfig(name: "io"))
    _ = PeriodicIOJob(sim: sim, vcpu: io.vcpus[0], period: .ms(7), cycles: cycles(.us(300)))
    let r = measure(sim, host, warmup: .ms(333), measure: .s(3))
    #expect(abs(r.elapsedSeconds - 3) < 1e-9)
    for d in r.domains {
      let sum = d.cpuSeconds + d.waitSeconds + d.blockedSeconds + d.parkedSeconds
      #expect(abs(sum - 3) < 1e-6, "\(d.name) states sum to \(sum)")
    }
    let busy = r.pcpus.reduce(0) { $0 + $1.busySeconds }
    let cpu = r.domains.reduce(0) { $0 + $1.cpuSeconds }
    #expect(abs(busy - cpu) < 1e-6)
    #expect(host.duration(cycles: 3_000) == .us(1))
  }
}
