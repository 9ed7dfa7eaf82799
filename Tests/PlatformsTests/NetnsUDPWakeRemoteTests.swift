import Foundation
import NetModel
import Scenario
import SimCore
import Testing

@testable import Platforms

/// The wake-up of a UDP reader sleeping on another CPU, in the softirq that delivers its
/// datagram (`profile.udp_wake_remote`). Hand figures from the paper-2012 profile's defaults at
/// 3.06 GHz, as in NetnsIdleExitTests: the sender 5000 + softirq entry 300 + chain 4235 = 9535
/// cycles per datagram on CPU 0, of which 300 + 4235 = 4535 in softirq.
@Suite("netns: waking a UDP reader on another CPU costs the delivering softirq")
struct NetnsUDPWakeRemoteTests {
  static let clock = 3.06e9
  static let wake = 5_000.0

  /// 20 kp/s paced every 1 us (a datagram every 50 us); the reader reads each one in 4000
  /// cycles (1.3 us) and sleeps again, so every datagram wakes it once. Receiver on CPU 1: CPU 0's
  /// softirq share = rate x (4535 + 5000) / clock and its utilisation rate x (9535 + 5000) /
  /// clock; on CPU 0 (no wake-up across CPUs) the softirq stays rate x 4535 / clock. Tolerance
  /// 0.5% (one datagram at each edge of 5,000 in the 250 ms window).
  @Test(arguments: [1, 0])
  func oneChargePerWakeUpAcrossCPUs(receiverCPU: Int) throws {
    let (r, host) = try simulatedNetnsUDP(
      "netns-wake-remote", rate: "20kpps", scheduler: "cfs",
      extra: [
        "host.udp_receiver_cpu=\(receiverCPU)", "profile.udp_pacing=1us",
        "profile.udp_wake_remote=\(Int(Self.wake))cycles",
      ])
    let rate = 20_000.0
    #expect(abs(r.aggregate.forwardedPps - rate) / rate < 0.005, "\(r.aggregate.forwardedPps) p/s")
    let extra = receiverCPU == 1 ? Self.wake : 0
    let modes = try #require(r.cpuModes)
    let soft = rate * (4_535 + extra) / Self.clock
    #expect(abs(modes[0].softirq - soft) / soft < 0.005, "CPU 0 softirq \(modes[0].softirq) vs \(soft)")
    if receiverCPU == 1 {
      let busy = rate * (9_535 + extra) / Self.clock
      #expect(abs(r.pcpuUtilisation[0] - busy) / busy < 0.005, "CPU 0 \(r.pcpuUtilisation[0]) vs \(busy)")
      // one charge per wake-up: as many as the reader's wake-ups (its turns)
      let wakes = host.softirqs.reduce(UInt64(0)) { $0 + $1.remoteWakes }
      let turns = (host.path.sink?.sockets ?? []).reduce(UInt64(0)) { $0 + $1.wakeups }
      #expect(wakes > 4_900 && abs(Int64(wakes) - Int64(turns)) <= 1, "\(wakes) charges, \(turns) turns")
    }
  }
}
