import Foundation
import NetModel
import Platforms
import Scenario
import SimCore
import Testing

/// A pCPU's exit from idle (`profile.idle_exit`) on the netns UDP path: busy for the testbed's
/// exact counter (`busy_exact`), idle for /proc/stat (`utilisation`), in no process's time. Hand
/// figures from the paper-2012 profile's defaults at 3.06 GHz, as in NetnsUDPTests: the sender
/// 5000 + softirq entry 300 + chain 4235 = 9535 cycles per datagram on CPU 0, the receiver
/// 1000 + 3000 = 4000 cycles per datagram read on CPU 1.
@Suite("netns: a pCPU's exit from idle is busy for cpuidle, idle for /proc/stat, no process's time")
struct NetnsIdleExitTests {
  static let clock = 3.06e9

  @Test("20 kp/s paced every 1 us, receiver on CPU 1: each datagram wakes both CPUs from idle once")
  func oneExitPerDatagramOnEachCPU() throws {
    // With a 1 us pacing timer the sender wakes for each datagram (50 us apart) and sleeps after
    // it; the reader on CPU 1 is woken by each, reads it in 4000 cycles (1.3 us) and blocks.
    // Each CPU therefore leaves idle once per datagram: exit 30,600 cycles (10 us) < 50 us, so
    // nothing queues. Per second: CPU 0 utilisation = rate x 9535 / clock, busy_exact adds rate
    // x 30,600 / clock; CPU 1 utilisation = rate x 4000 / clock (= the receiver's own time),
    // busy_exact adds the same exits. Tolerance 0.5% (one datagram at each edge of 6,000).
    let exit = 30_600.0
    let (r, _) = try simulatedNetnsUDP(
      "netns-idle-exit", rate: "20kpps", scheduler: "cfs",
      extra: ["host.udp_receiver_cpu=1", "profile.udp_pacing=1us", "profile.idle_exit=30600cycles"])
    let rate = 20_000.0
    #expect(abs(r.aggregate.forwardedPps - rate) / rate < 0.005, "\(r.aggregate.forwardedPps) p/s")
    let exact = try #require(r.pcpuBusyExact)
    let expect: [(Double, Double)] = [(9_535, exit), (4_000, exit)]
    for (k, (work, exit)) in expect.enumerated() {
      let u = rate * work / Self.clock
      let e = rate * (work + exit) / Self.clock
      #expect(
        abs(r.pcpuUtilisation[k] - u) / u < 0.005, "CPU \(k) utilisation \(r.pcpuUtilisation[k]) vs \(u)")
      #expect(abs(exact[k] - e) / e < 0.005, "CPU \(k) busy_exact \(exact[k]) vs \(e)")
    }
    let server = try #require(r.processes?.first { $0.name == "iperf3-s0" })
    let own = rate * 4_000 / Self.clock
    #expect(abs(server.user + server.system - own) / own < 0.005, "receiver \(server.user + server.system)")
    let ran = try #require(r.cpuShare["iperf3-s0"])
    #expect(abs(ran - own) / own < 0.005, "receiver's run time \(ran) vs \(own): the exits are not its")
  }

  @Test("without an exit cost there is no separate exact figure: both counters read utilisation")
  func noExitNoExactFigure() throws {
    let (r, _) = try simulatedNetnsUDP(
      "netns-idle-exit", rate: "20kpps", scheduler: "cfs", extra: ["host.udp_receiver_cpu=1"])
    #expect(r.pcpuBusyExact == nil)
  }
}
