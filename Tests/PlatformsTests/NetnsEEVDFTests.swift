import Foundation
import NetModel
import Platforms
import Scenario
import SimCore
import Testing

/// The netns UDP path under the eevdf scheduler (`scheduler.kind: eevdf`, docs/eevdf.md), with
/// the hand figures of NetnsUDPTests (paper-2012 profile defaults at 3.06 GHz): the sender costs
/// 5,000 cycles per datagram, the softirq entry 300 and the chain 4,235 on CPU 0; the receiver
/// 4,000 per datagram read; the socket holds 93 datagrams.
@Suite("netns UDP under eevdf")
struct NetnsEEVDFTests {
  static let clock = 3.06e9

  static func run(kind: String, receiverCPU: Int) throws -> NetworkResult {
    try simulatedNetnsUDP(
      "netns-eevdf", rate: "2Mpps", scheduler: kind, extra: ["host.udp_receiver_cpu=\(receiverCPU)"]
    ).result
  }

  @Test("eevdf, receiver on the other CPU: saturation = clock / (5000 + 300 + 4235), as under cfs")
  func ownCPU() throws {
    // No CPU is shared, so the scheduler decides nothing: 3.06e9 / 9535 = 320,923 p/s, all read,
    // CPU 1 busy rate x 4000 / clock. Tolerance 0.5% (NetnsUDPTests: one datagram at each edge of
    // ~96,000).
    let r = try Self.run(kind: "eevdf", receiverCPU: 1)
    let rate = Self.clock / 9_535
    #expect(abs(r.aggregate.forwardedPps - rate) / rate < 0.005, "\(r.aggregate.forwardedPps) vs \(rate)")
    #expect(r.udpRcvbufErrorsPerSecond == 0)
    let modes = try #require(r.cpuModes)
    let receiver = rate * 4_000 / Self.clock
    #expect(abs(modes[1].busy - receiver) / receiver < 0.005, "CPU 1 \(modes[1].busy) vs \(receiver)")
  }

  @Test("eevdf, receiver on the sending CPU: the socket drops (cfs: it never does), between the hand bounds")
  func sharedCPU() throws {
    // Bounds by hand: CPU 0 spends at least the sender's 9535 cycles per datagram, so forwarded
    // <= 3.06e9 / 9535 = 320,923 p/s; every datagram forwarded is read or dropped (0.5%: the
    // buffer's 93 at the window's edges).
    // eevdf: the first datagram wakes the reader, which does not preempt a sender whose slice
    // (0.75 ms x (1 + log2 2) = 1.5 ms) is protected; the sender sends 1.5e-3 x 3.06e9 / 9535 =
    // 481 datagrams in one slice, more than the 93 the buffer holds: drops. cfs: the woken reader
    // preempts at once (sleeper credit), reads each datagram, nothing is dropped.
    let upper = Self.clock / 9_535
    for kind in ["eevdf", "cfs"] {
      let r = try Self.run(kind: kind, receiverCPU: 0)
      let fwd = r.aggregate.forwardedPps
      let read = try #require(r.udpInDatagramsPerSecond)
      let drops = try #require(r.udpRcvbufErrorsPerSecond)
      #expect(fwd <= upper * 1.005, "\(kind): \(fwd) above \(upper)")
      #expect(abs(read + drops - fwd) / fwd < 0.005, "\(kind): read \(read) + drops \(drops) vs \(fwd)")
      if kind == "eevdf" {
        #expect(drops > 0, "eevdf: the buffer overflows while the sender's slice is protected")
      } else {
        #expect(drops == 0, "cfs: the reader preempts at each datagram")
      }
    }
  }
}
