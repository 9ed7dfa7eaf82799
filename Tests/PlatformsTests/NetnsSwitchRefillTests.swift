import Foundation
import HostModel
import Platforms
import Scenario
import Testing

/// `linux_switch_refill` (issue 20): a sender pays it after a switch from another sender on its
/// CPU, and nowhere else. Hand figures from the paper-2012 profile (see NetnsSoftirqTests):
/// generator 2200 cycles per frame, a retried send call 700, a Linux switch 11,600, 3.06 GHz.
@Suite("netns senders: where trafgen runs, the refill after a switch between senders")
struct NetnsSwitchRefillTests {
  static let clock = 3.06e9

  static func run(routers: Int, refill: Int) throws -> (NetworkResult, RouterHost) {
    let spec = try ScenarioLoader.load(
      text: "name: netns\n", fileName: "netns.yaml",
      overrides: [
        "platform=netns-direct", "scheduler.kind=cfs", "host.cpus=2", "routers.count=\(routers)",
        "routers.each.pin=[1]", "traffic[0]={to: each, rate: 20kpps, frame: 64B, arrival: cbr}",
        "host.forwarding=threaded", "profile.generator_window=1s",
        "profile.linux_switch_refill=\(refill)cycles", "run.duration=1s", "run.warmup=0s",
      ])
    return try simulated(spec)
  }

  @Test("4 trafgen senders on CPU 0: every switch between them adds the refill, CPU 0 counts it")
  func refillPerSwitchBetweenSenders() throws {
    // fig8b-scheduled's layout: 4 routers' threads on CPU 1, their 4 trafgen senders on CPU 0,
    // 20 kp/s each, one 1 s trafgen window. Only senders run on CPU 0, so every switch there
    // after the first is from one sender to another: the senders' warm-up is
    // (switches on CPU 0 - 1 ... switches on CPU 0) x 100,000 / clock, and CPU 0's busy time is
    // (80,000 x 2200 + tries x 700 + switches x (11,600 + 100,000)) / clock with the switches and
    // tries counted here, within 1% (a burst or switch straddling the window's end).
    let refill = 100_000.0
    let (r, host) = try Self.run(routers: 4, refill: Int(refill))
    #expect(abs(r.aggregate.forwardedPps - 80_000) / 80_000 < 0.005, "\(r.aggregate.forwardedPps)")
    let report = host.host.report()
    let switches = Double(report.pcpus[0].switches)
    #expect(switches >= 4, "the senders time-share CPU 0: \(switches) switches")
    let warm = (0..<4).reduce(0.0) { $0 + (report.domain("gen\($1)")?.warmupSeconds ?? -1) }
    #expect(
      warm <= switches * refill / Self.clock + 1e-9 && warm >= (switches - 1) * refill / Self.clock - 1e-9,
      "senders' warm-up \(warm) s, switches on CPU 0 \(switches)")
    let tries = Double(host.senders.reduce(UInt64(0)) { $0 + $1.refusals })
    let busy = try #require(r.cpuModes)[0].busy
    let hand = (80_000 * 2_200 + tries * 700 + switches * (11_600 + refill)) / Self.clock
    #expect(abs(busy - hand) / hand < 0.01, "CPU 0 busy \(busy), hand \(hand)")
    // nothing of it on the routers' CPU: the threads are not senders
    for i in 0..<4 { #expect(report.domain("vr\(i)")?.warmupSeconds == 0) }
  }

  @Test("trafgen runs on CPU 0 whatever CPU the testbed gives it; the testbed's own sender where it is put")
  func trafgenOnCPU0() throws {
    // netns-direct, softirq mode, 2 CPUs, 2 routers, no pins, 100 kp/s each: the testbed gives
    // router 1's generator CPU 1 (taskset), but trafgen 0.6.8 with --cpus 1 pins its worker to CPU
    // 0 itself, so with CBR (trafgen) both senders' user time is on CPU 0, 200,000 x 300 / 3.06e9
    // (generator_user 300), and CPU 1 has none; with Poisson (the testbed's own sender) router
    // 1's stays on CPU 1: 100,000 x 300 / 3.06e9 on each CPU. Tolerance 1% for CBR (its phase),
    // 3% for Poisson (30,000 frames a flow in 300 ms: sd 0.6%, so 5 sd).
    func run(_ arrival: String) throws -> [Double] {
      let spec = try ScenarioLoader.load(
        text: "name: netns\n", fileName: "netns.yaml",
        overrides: [
          "platform=netns-direct", "scheduler.kind=cfs", "host.cpus=2", "routers.count=2",
          "traffic[0]={to: each, rate: 100kpps, frame: 64B, arrival: \(arrival)}", "run.duration=300ms",
          "run.warmup=50ms",
        ])
      let r = try simulated(spec).result
      return try #require(r.cpuModes).map(\.user)
    }
    let cbr = try run("cbr")
    let both = 200_000 * 300 / Self.clock
    #expect(abs(cbr[0] - both) / both < 0.01 && cbr[1] == 0, "user by CPU \(cbr), hand \(both) on CPU 0")
    let poisson = try run("poisson")
    let one = 100_000 * 300 / Self.clock
    #expect(poisson.allSatisfy { abs($0 - one) / one < 0.03 }, "user by CPU \(poisson), hand \(one) each")
  }

  @Test("a sender alone on its CPU never pays the refill")
  func aloneNoRefill() throws {
    // 1 router: its sender is CPU 0's only task, so a wake-up after its window's sleep returns
    // to the task that ran last (no switch) and the warm-up stays 0 whatever the key says;
    // CPU 0's busy time is 20,000 x 2200 + tries x 700 cycles per second, within 1%.
    let (r, host) = try Self.run(routers: 1, refill: 1_000_000)
    let report = host.host.report()
    #expect(report.domain("gen0")?.warmupSeconds == 0)
    let tries = Double(host.senders.reduce(UInt64(0)) { $0 + $1.refusals })
    let busy = try #require(r.cpuModes)[0].busy
    let hand = (20_000 * 2_200 + tries * 700) / Self.clock
    #expect(abs(busy - hand) / hand < 0.01, "CPU 0 busy \(busy), hand \(hand)")
  }
}
