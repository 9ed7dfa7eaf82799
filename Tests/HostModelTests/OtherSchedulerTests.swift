import HostModel
import SimCore
import Testing

@Suite("credit2, cfs, vmware and none")
struct OtherSchedulerTests {
  @Test("credit2: weights 1:2 give CPU 1:2 within 2%")
  func credit2Weights() {
    // Tolerance 2%: credit is reset every ~15 ms of run time, so 20 s averages >1,000 resets.
    let (sim, host) = makeHost(scheduler: .credit2(Credit2Options()))
    addCPUBound(host, weights: [256, 512])
    let r = measure(sim, host, measure: .s(20))
    let a = r.domains[0].cpuSeconds
    let b = r.domains[1].cpuSeconds
    #expect(abs(a / (a + b) - 1.0 / 3) < 0.02, "credit2 light share \(a / (a + b))")
  }

  @Test("cfs: shares 1:2 give CPU 1:2 within 2%")
  func cfsShares() {
    // Tolerance 2%: vruntime is exact to 1 ns per update; 20 s average many 6 ms periods.
    let (sim, host) = makeHost(scheduler: .cfs(CFSOptions()))
    addCPUBound(host, weights: [256, 512])
    let r = measure(sim, host, measure: .s(20))
    let a = r.domains[0].cpuSeconds
    let b = r.domains[1].cpuSeconds
    #expect(abs(a / (a + b) - 1.0 / 3) < 0.02, "cfs light share \(a / (a + b))")
  }

  @Test("cfs: quota 50 ms per 100 ms gives 50% +- 1%, idle otherwise")
  func cfsQuota() {
    // Tolerance 1%: the slice is clipped to the remaining quota, so each period is used to
    // within a switch cost (~0.5 us of 100 ms).
    let (sim, host) = makeHost(scheduler: .cfs(CFSOptions(period: .ms(100))))
    addCPUBound(host, weights: [256], cap: 50)
    let r = measure(sim, host, measure: .s(20))
    #expect(abs(r.domains[0].share - 0.5) < 0.01, "cfs quota share \(r.domains[0].share)")
    #expect(abs(r.pcpus[0].utilisation - 0.5) < 0.01)
  }

  @Test("vmware: shares 1:2 give 1:2 within 2%; a 60% reservation is honoured against weight 4x")
  func vmwareShares() {
    let (sim, host) = makeHost(scheduler: .vmware(VMwareOptions()))
    addCPUBound(host, weights: [256, 512])
    let r = measure(sim, host, measure: .s(20))
    let a = r.domains[0].cpuSeconds
    let b = r.domains[1].cpuSeconds
    // Tolerance 2%: 50 ms quanta, 400 of them in 20 s.
    #expect(abs(a / (a + b) - 1.0 / 3) < 0.02, "vmware light share \(a / (a + b))")

    let (sim2, host2) = makeHost(scheduler: .vmware(VMwareOptions()))
    let small = host2.addDomain(DomainConfig(name: "reserved", weight: 256, reservation: 60))
    CPUBoundJob().attach(to: small)
    addCPUBound(host2, weights: [1024])
    let r2 = measure(sim2, host2, measure: .s(20))
    // By weight it would get 20%; the reservation lifts it to >= 60% (2% for window edges).
    #expect(r2.domain("reserved")!.share > 0.58, "reserved share \(r2.domain("reserved")!.share)")
  }

  @Test("none: each vCPU owns its pCPU and runs at 100%")
  func dedicated() {
    let (sim, host) = makeHost(cpus: 2, scheduler: .none)
    addCPUBound(host, weights: [256, 256])
    let r = measure(sim, host, measure: .s(5))
    for d in r.domains { #expect(d.share > 0.999, "\(d.name) \(d.share)") }
    #expect(r.switchesPerSecond == 0)
  }
}
