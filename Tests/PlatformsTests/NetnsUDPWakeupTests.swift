import Foundation
import NetModel
import Platforms
import Scenario
import SimCore
import Testing

/// The UDP receiver's cost per wake-up (`profile.udp_recv_wakeup`: iperf3's server returning
/// from the `select` it slept in), paid once per turn, on the first read after the reader blocked
/// on an empty buffer; hand figures from the paper-2012 profile's defaults at 3.06 GHz, as in
/// NetnsUDPTests: the sender 5000 + softirq entry 300 + chain 4235 = 9535 cycles per datagram on
/// CPU 0, the receiver 1000 + 3000 = 4000 per datagram read on CPU 1.
@Suite("netns UDP receiver: a cost per wake-up, not per datagram")
struct NetnsUDPWakeupTests {
  static let clock = 3.06e9

  static func run(rate: String, extra: [String]) throws -> NetworkResult {
    try simulatedNetnsUDP(
      "netns-udp-wakeup", rate: rate, scheduler: "eevdf", extra: ["host.udp_receiver_cpu=1"] + extra
    ).result
  }

  @Test(
    "a reader that empties its buffer after each datagram wakes once per datagram: CPU 1 = rate x (4000 + wake)"
  )
  func oneWakePerDatagram() throws {
    // Saturated sender: a datagram every 9535 cycles (3.12 us). The reader, woken by each one,
    // costs 5000 (wake) + 4000 (read) = 9000 cycles < 9535, so it has emptied the buffer and
    // blocked before the next arrives: one wake-up per datagram. Rate 3.06e9 / 9535 = 320,923 p/s
    // (unchanged: the reader is on its own CPU), CPU 1 busy = rate x 9000 / clock, the server's
    // system time rate x (3000 + 5000) / clock. Tolerance 0.5% (NetnsUDPTests: one datagram at
    // each edge of ~96,000).
    let r = try Self.run(rate: "2Mpps", extra: ["profile.udp_recv_wakeup=5000cycles"])
    let rate = Self.clock / 9_535
    #expect(abs(r.aggregate.forwardedPps - rate) / rate < 0.005, "\(r.aggregate.forwardedPps) vs \(rate)")
    #expect(r.udpRcvbufErrorsPerSecond == 0)
    let modes = try #require(r.cpuModes)
    let busy = rate * 9_000 / Self.clock
    #expect(abs(modes[1].busy - busy) / busy < 0.005, "CPU 1 \(modes[1].busy) vs \(busy)")
    let server = try #require(r.processes?.first { $0.name == "iperf3-s0" })
    let system = rate * 8_000 / Self.clock
    #expect(abs(server.system - system) / system < 0.005, "system \(server.system) vs \(system)")
  }

  @Test(
    "a reader that never empties its buffer pays no wake-ups: it reads clock / 41,000 p/s as without the key")
  func noWakeWhileBehind() throws {
    // 100 kp/s arrive (10 us apart); the reader costs 1000 + 40,000 = 41,000 cycles = 13.4 us per
    // datagram, so after its first wake-up its buffer never empties: it reads 3.06e9 / 41,000 =
    // 74,634 p/s whatever a wake-up costs (one wake-up of 50,000 cycles, 16 us, at the start, before
    // the window). Drops 100,000 - 74,634 p/s. Tolerance 1% (NetnsUDPTests.bufferDrops: the buffer's
    // 93 datagrams at the window's edges).
    let r = try Self.run(
      rate: "100kpps", extra: ["profile.udp_recv_system=40000cycles", "profile.udp_recv_wakeup=50000cycles"])
    let rateOut = Self.clock / 41_000
    let read = try #require(r.udpInDatagramsPerSecond)
    let dropped = try #require(r.udpRcvbufErrorsPerSecond)
    #expect(abs(read - rateOut) / rateOut < 0.01, "read \(read) vs \(rateOut)")
    #expect(abs(dropped - (100_000 - rateOut)) / (100_000 - rateOut) < 0.01, "dropped \(dropped)")
  }
}
