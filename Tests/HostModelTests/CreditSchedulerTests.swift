import HostModel
import SimCore
import Testing

@Suite("Xen credit scheduler")
struct CreditSchedulerTests {
  @Test("weights 256:512 on 1 pCPU give CPU shares 1/3 : 2/3 within 1% over 60 s")
  func weightedShares() {
    // Tolerance 1% (absolute, of the pair's CPU time): accounting hands out credit every 30 ms
    // in whole credits, so over 60 s (2,000 periods) the share is exact to well under 1%; the
    // residual error is the last partial period and the ceil() rounding in csched_acct.
    let (sim, host) = makeHost(scheduler: .credit(CreditOptions()))
    addCPUBound(host, weights: [256, 512])
    let r = measure(sim, host, measure: .s(60))
    let a = r.domains[0].cpuSeconds
    let b = r.domains[1].cpuSeconds
    #expect(abs(a / (a + b) - 1.0 / 3) < 0.01, "light share \(a / (a + b))")
    #expect(abs(b / (a + b) - 2.0 / 3) < 0.01, "heavy share \(b / (a + b))")
  }

  @Test("cap 25 alone on 1 pCPU gives 25% +- 1% and leaves the pCPU idle; cap 0 gives 100%")
  func capParksAndIsNotWorkConserving() {
    // Tolerance 1%: a parked vCPU is released at an accounting pass (30 ms grid), so the share
    // is a whole number of 30 ms periods in every 120 ms cycle: exactly 25% in steady state.
    let (sim, host) = makeHost(scheduler: .credit(CreditOptions()))
    addCPUBound(host, weights: [256], cap: 25)
    let r = measure(sim, host, measure: .s(30))
    #expect(abs(r.domains[0].share - 0.25) < 0.01, "capped share \(r.domains[0].share)")
    #expect(abs(r.pcpus[0].utilisation - 0.25) < 0.01, "pCPU busy \(r.pcpus[0].utilisation): idle otherwise")
    #expect(r.domains[0].parkedSeconds > 0.7 * 30 * 0.75, "parked \(r.domains[0].parkedSeconds) s")

    // Tolerance 0.1%: alone and uncapped it never waits (work-conserving); only the very
    // first switch costs anything.
    let (sim2, host2) = makeHost(scheduler: .credit(CreditOptions()))
    addCPUBound(host2, weights: [256], cap: 0)
    let r2 = measure(sim2, host2, measure: .s(30))
    #expect(r2.domains[0].share > 0.999, "uncapped share \(r2.domains[0].share)")
  }

  @Test("3 CPU-bound domains on 2 pCPUs with equal weights get 2/3 of a pCPU each within 2%")
  func stealingBalances() {
    // Tolerance 2% of a pCPU: only stealing by a pCPU whose head is OVER moves vCPUs, so the
    // balance is reached in 30 ms steps; 60 s averages 2,000 such periods.
    let (sim, host) = makeHost(cpus: 2, scheduler: .credit(CreditOptions()))
    addCPUBound(host, weights: [256, 256, 256])
    let r = measure(sim, host, measure: .s(60))
    for d in r.domains {
      #expect(abs(d.share - 2.0 / 3) < 0.02, "\(d.name) share \(d.share)")
    }
  }

  /// An I/O domain waking every 5 ms for 0.2 ms against two CPU-bound domains on one pCPU.
  func boostRun(boost: Bool) -> HostReport {
    let (sim, host) = makeHost(scheduler: .credit(CreditOptions(boost: boost)))
    addCPUBound(host, weights: [256, 256])
    let io = host.addDomain(DomainConfig(name: "io"))
    _ = PeriodicIOJob(
      sim: sim, vcpu: io.vcpus[0], period: .ms(5), cycles: cycles(.us(200)), phase: .us(1_234))
    return measure(sim, host, measure: .s(30))
  }

  @Test("BOOST keeps the wake-to-run p99 of an I/O domain under 1 ms; without it, near a 30 ms slice")
  func boostLatency() {
    // Bound with BOOST: 1 ms. A BOOSTed waker preempts at once (tickle), so its latency is the
    // softirq at the same instant: 0 here; 1 ms leaves room and is far below one 10 ms tick.
    let with = boostRun(boost: true).domain("io")!
    #expect(with.wakeLatency.p99Ns < 1e6, "p99 with BOOST \(with.wakeLatency.p99Ns) ns")
    #expect(with.boostWakeups > with.wakeups * 9 / 10, "\(with.boostWakeups) of \(with.wakeups) boosted")
    // Without BOOST the waker is UNDER like the CPU hogs and waits behind them for the rest of
    // a 30 ms slice (measured p99 88.8 ms: behind both hogs): p99 must exceed 10 ms.
    let without = boostRun(boost: false).domain("io")!
    #expect(without.wakeLatency.p99Ns > 10e6, "p99 without BOOST \(without.wakeLatency.p99Ns) ns")
    #expect(without.boostWakeups == 0)
  }

  @Test("3.2 sampled charging lets a tick-evading domain take far more than its share; 4.0 does not")
  func tickEvasion() {
    func run(_ version: CreditOptions.Version) -> Double {
      let (sim, host) = makeHost(scheduler: .credit(CreditOptions(version: version)))
      addCPUBound(host, weights: [256])
      let evader = host.addDomain(DomainConfig(name: "evader"))
      _ = TickEvader(sim: sim, vcpu: evader.vcpus[0])
      return measure(sim, host, measure: .s(30)).domain("evader")!.share
    }
    // Fair share is 50%. Under 3.2 the evader is charged only on the 1 tick in 10 it overruns,
    // so it keeps UNDER/BOOST and takes ~82% (measured 0.820): expect > 80%.
    let v32 = run(.v3_2)
    #expect(v32 > 0.8, "3.2 evader share \(v32)")
    // Under 4.0 the first overrun puts it on the active list and exact charging makes it OVER:
    // it gets its fair 50%; +-5% allows the 30 ms granularity of accounting.
    let v40 = run(.v4_0)
    #expect(abs(v40 - 0.5) < 0.05, "4.0 evader share \(v40)")
  }

  @Test("the 4.2 rate limit lowers context switches per second with many waking I/O domains")
  func ratelimitCutsSwitches() {
    func run(_ ratelimit: SimDuration?) -> HostReport {
      let (sim, host) = makeHost(scheduler: .credit(CreditOptions(ratelimit: ratelimit)))
      addCPUBound(host, weights: [256])
      for k in 0..<8 {
        let d = host.addDomain(DomainConfig(name: "io\(k)"))
        _ = OpenLoopSource(
          sim: sim, name: "io\(k)", vcpu: d.vcpus[0], meanInterarrival: .ms(2),
          meanCycles: Double(cycles(.us(20))))
      }
      return measure(sim, host, measure: .s(10))
    }
    let off = run(nil)
    let on = run(CreditOptions.defaultRatelimit)
    print("ratelimit: \(on.switchesPerSecond) switches/s with 1 ms, \(off.switchesPerSecond) without")
    // 8 domains waking ~4,000 times/s in all: without the limit nearly every wake preempts
    // the hog (two switches each); with 1 ms the hog keeps the pCPU for 1 ms and the wakers
    // that arrived meanwhile run back to back. Expect at least 30% fewer switches.
    #expect(
      on.switchesPerSecond < 0.7 * off.switchesPerSecond,
      "on \(on.switchesPerSecond)/s, off \(off.switchesPerSecond)/s")
    // The price: a longer wake-to-run latency for the I/O domains.
    #expect(on.domain("io0")!.wakeLatency.meanNs > off.domain("io0")!.wakeLatency.meanNs)
  }
}

/// Wakes 0.5 ms after each 10 ms tick and runs 9 ms, so it blocks 0.5 ms before the next tick;
/// one period in 10 it runs 10 ms and is caught by the tick. Skips a period while still busy.
final class TickEvader: WorkClient, EventHandler {
  let vcpu: VCPU
  var handler = HandlerID(index: 0)
  var k = 0

  init(sim: Simulation, vcpu: VCPU) {
    self.vcpu = vcpu
    handler = sim.register(self)
    sim.schedule(after: .us(500), to: handler)
  }

  func handle(_ event: Event, in sim: Simulation) {
    k += 1
    if vcpu.pendingWork == 0 { vcpu.submit(self, tag: 0, arg: UInt64(k)) }
    sim.schedule(after: .ms(10), to: handler)
  }

  func beginWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) -> Int64 {
    arg % 10 == 0 ? cycles(.ms(10)) : cycles(.ms(9))
  }

  func finishWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) {}
}
