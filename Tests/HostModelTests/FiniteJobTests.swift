import HostModel
import SimCore
import Testing

@Suite("Finite CPU jobs")
struct FiniteJobTests {
  @Test("a job of C cycles alone on 1 pCPU finishes at C/f; beside an equal-weight busy domain at 2C/f")
  func completionTimeUnderProportionalShare() {
    // C = 3e9 cycles at f = 3 GHz: C/f = 1 s alone. Beside an equal-weight CPU-bound domain
    // credit gives each half the pCPU, so the job gets C cycles after 2C/f = 2 s. Tolerance
    // 30 ms (one credit time slice, scheduler.tslice): the job's last slice may come a slice
    // earlier or later than the fluid share says. Alone, the only extra is the first switch from
    // idle at the default context-switch costs (a few microseconds): tolerance 10 us.
    let c: Int64 = 3_000_000_000
    do {
      let (sim, host) = makeHost(scheduler: .credit(CreditOptions()))
      let d = host.addDomain(DomainConfig(name: "job", weight: 256))
      let job = FiniteCPUJob(sim: sim, vcpu: d.vcpus[0], totalCycles: c, chunkCycles: 300_000, start: .zero)
      host.start()
      sim.run(until: .zero + .s(5))
      let t = job.finish.map { Double($0.nanoseconds) * 1e-9 } ?? .infinity
      #expect(abs(t - 1.0) < 10e-6, "alone: \(t) s")
      #expect(job.doneCycles == c)
    }
    do {
      let (sim, host) = makeHost(scheduler: .credit(CreditOptions()))
      let d = host.addDomain(DomainConfig(name: "job", weight: 256))
      CPUBoundJob().attach(to: host.addDomain(DomainConfig(name: "busy", weight: 256)))
      let job = FiniteCPUJob(
        sim: sim, vcpu: d.vcpus[0], totalCycles: c, chunkCycles: 300_000, start: .ms(500))
      host.start()
      sim.run(until: .zero + .s(5))
      let t = job.finish.map { Double(($0 - job.start).nanoseconds) * 1e-9 } ?? .infinity
      #expect(abs(t - 2.0) <= 0.030, "beside a busy domain: \(t) s")
    }
  }
}
