import Platforms
import Scenario
import SimCore
import Testing

@Suite("workloads: jobs beside the forwarding routers")
struct WorkloadJobTests {
  static func run(_ text: String) throws -> NetworkResult {
    let spec = try ScenarioLoader.load(text: text, fileName: "jobs.yaml")
    return try simulated(spec).result
  }

  @Test("a 1e9-cycle job in vr0 at 2 GHz beside an equal-weight busy vr1 on 1 pCPU takes 2C/f = 1 s")
  func jobSharesOnePCPUWithABusyRouter() throws {
    // C = 1e9 cycles at f = 2 GHz: C/f = 0.5 s alone; vr1 (same weight 256) runs a job ten
    // times longer, so under CFS each gets half the pCPU and the short job ends at 2C/f = 1 s.
    // Tolerance 2% (20 ms): one CFS slice (sched_latency 6 ms / 2 runnable = 3 ms) at either end,
    // plus the context switches every slice (profile costs, ~0.5% of the time) and the 100 pps
    // per router of forwarding that shares the two vCPUs (< 0.5%).
    let r = try Self.run(
      """
      host: { cpus: 1, clock: 2GHz }
      platform: netns-bridge
      routers: { count: 2 }
      traffic: [ { to: each, rate: 100pps } ]
      workloads:
        - { name: short, in: vr0, kind: cpu, cycles: 1000000000cycles }
        - { name: hog, in: vr1, kind: cpu, cycles: 100000000000cycles }
      run: { duration: 2s, warmup: 100ms, replications: 1 }
      """)
    let jobs = try #require(r.jobs)
    let short = try #require(jobs.first { $0.name == "short" })
    let t = try #require(short.seconds)
    #expect(abs(t - 1.0) / 1.0 < 0.02, "short job took \(t) s")
    #expect(abs(short.share - 0.5) < 0.01, "share \(short.share)")
    #expect(jobs.first { $0.name == "hog" }?.seconds == nil, "the hog is still running at the end")
  }

  @Test("a periodic job of 1 ms every 10 ms alone on its pCPU gets 10% and responds in 1 ms")
  func periodicJobShareAndResponse() throws {
    // 2e6 cycles at 2 GHz = 1 ms per 10 ms period: share 0.1; a pCPU of its own (vr0 pinned to
    // CPU 1, no traffic to speak of) so each wake-up runs at once: response 1 ms. Tolerance
    // 1% of the share (the window holds 190 periods, +- 1 at the edges: 0.5%) and 10 us of
    // response (the wake-up's context switch).
    let r = try Self.run(
      """
      host: { cpus: 2, clock: 2GHz }
      platform: netns-bridge
      routers: { count: 1, each: { pin: 1 } }
      traffic: [ { to: each, rate: 1pps } ]
      workloads: [ { name: tick, in: vr0, kind: periodic, period: 10ms, cycles_per_period: 2000000cycles } ]
      run: { duration: 1900ms, warmup: 100ms, replications: 1 }
      """)
    let tick = try #require(r.jobs?.first)
    #expect(abs(tick.share - 0.1) < 0.001 + 0.0005, "share \(tick.share)")
    let us = try #require(tick.responseMeanUs)
    #expect(abs(us - 1_000) < 10, "response \(us) us")
  }

  @Test("a scenario without workloads has no jobs in its result (outputs unchanged)")
  func noJobsNoField() throws {
    let r = try Self.run("platform: netns-bridge\nrun: { duration: 100ms, warmup: 10ms, replications: 1 }\n")
    #expect(r.jobs == nil)
  }
}
