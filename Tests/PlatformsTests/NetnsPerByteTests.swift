import Foundation
import Platforms
import Testing

/// `profile.veth_per_byte` (issue 20): each veth crossing costs that many cycles per frame byte
/// on top of its per-frame cycles, against figures computed here by hand from the paper-2012
/// profile (the per-frame figures of `NetnsSoftirqTests`: generator 2200 cycles per frame,
/// softirq entry 300 per NET_RX run, the chains 3635 / 7905 / 13035 cycles per frame).
///
/// Crossings per frame: netns-direct 2 (generator -> vrN, vrN -> sink), netns-router and
/// netns-bridge 4 (generator -> dom0 -> vrN -> dom0 -> sink). With 0.5 cycles/B and 1518 B
/// frames a crossing adds 1518 x 0.5 = 759 cycles.
@Suite("netns platforms: the per-byte cost of a veth crossing")
struct NetnsPerByteTests {
  static let perByte = 0.5
  static let crossings = ["netns-direct": 2.0, "netns-router": 4.0, "netns-bridge": 4.0]

  static func run(_ platform: String, rate: String, frame: Int, perByte: Double) throws -> NetworkResult {
    try NetnsSoftirqTests.run(
      platform, rate: rate,
      extra: [
        "traffic[0]={to: all, rate: \(rate), frame: \(frame)B, arrival: cbr}",
        "profile.veth_per_byte=\(perByte)cycles/B",
      ]
    ).0
  }

  @Test(
    "saturation at 1518 B = clock / (generator + entry + chain + crossings x 1518 x per-byte)",
    arguments: ["netns-direct", "netns-router", "netns-bridge"])
  func saturation(platform: String) throws {
    // by hand: direct 2200 + 300 + 3635 + 2 x 759 = 7653 cycles (399.8 kp/s at 3.06 GHz);
    // router 2200 + 300 + 7905 + 4 x 759 = 13441 (227.7 kp/s); bridge 2200 + 300 + 13035 +
    // 4 x 759 = 18571 (164.8 kp/s). Offered 600 kp/s (7.4 Gb/s of 1518 B frames, under the
    // 10 Gb/s link): the closed-loop sender slows to the CPU's rate. Tolerance 0.5%, as the
    // 64 B saturation figures of CapacityTests and NetnsSoftirqTests (window edges: one frame's
    // cycles of 300 ms).
    let cycles =
      NetnsSoftirqTests.generator + NetnsSoftirqTests.entry + NetnsSoftirqTests.softirqCycles[platform]!
      + Self.crossings[platform]! * 1_518 * Self.perByte
    let hand = NetnsSoftirqTests.clock / cycles
    let r = try Self.run(platform, rate: "600kpps", frame: 1_518, perByte: Self.perByte)
    #expect(abs(r.aggregate.forwardedPps - hand) / hand < 0.005, "\(r.aggregate.forwardedPps), hand \(hand)")
    #expect(r.aggregate.droppedPps == 0, "a closed-loop sender slows down, nothing is dropped")
  }

  @Test(
    "below saturation the bytes' cycles are NET_RX softirq on the sending CPU",
    arguments: ["netns-direct", "netns-router"])
  func softirqShare(platform: String) throws {
    // 100 kp/s of 1518 B frames (below every saturation above): CPU 0's softirq share =
    // 1e5 x (300 + chain + crossings x 759) / 3.06e9; system and user as without the key
    // (1e5 x 1900 and 1e5 x 300 cycles). Tolerance 0.5% (NetnsSoftirqTests.belowSaturation).
    let rate = 100_000.0
    let r = try Self.run(platform, rate: "100kpps", frame: 1_518, perByte: Self.perByte)
    let modes = try #require(r.cpuModes)
    let soft =
      rate
      * (NetnsSoftirqTests.entry + NetnsSoftirqTests.softirqCycles[platform]!
        + Self.crossings[platform]! * 1_518 * Self.perByte) / NetnsSoftirqTests.clock
    let sys = rate * 1_900 / NetnsSoftirqTests.clock
    #expect(abs(modes[0].softirq - soft) / soft < 0.005, "softirq \(modes[0].softirq), hand \(soft)")
    #expect(abs(modes[0].system - sys) / sys < 0.005, "system \(modes[0].system), hand \(sys)")
  }

  @Test(
    "the key at 0 (the default): saturation is the per-frame figure whatever the frame size",
    arguments: [64, 1_518])
  func zeroKeepsPerFrame(frame: Int) throws {
    // netns-router: clock / (2200 + 300 + 7905) = 294.1 kp/s at 64 B and at 1518 B alike.
    let hand = NetnsSoftirqTests.clock / 10_405
    let r = try Self.run("netns-router", rate: "600kpps", frame: frame, perByte: 0)
    #expect(abs(r.aggregate.forwardedPps - hand) / hand < 0.005, "\(r.aggregate.forwardedPps), hand \(hand)")
  }

  @Test("at 64 B the per-byte cost adds crossings x 64 x per-byte cycles")
  func smallFrames() throws {
    // netns-router: 2200 + 300 + 7905 + 4 x 64 x 0.5 = 10533 cycles: 290.5 kp/s.
    let hand = NetnsSoftirqTests.clock / 10_533
    let r = try Self.run("netns-router", rate: "600kpps", frame: 64, perByte: Self.perByte)
    #expect(abs(r.aggregate.forwardedPps - hand) / hand < 0.005, "\(r.aggregate.forwardedPps), hand \(hand)")
  }

  @Test("threaded mode: the router's kernel thread and the softirq after it pay the per-byte cost too")
  func threaded() throws {
    // NetnsSoftirqTests.threadedBelowSaturation with 1518 B frames and 0.5 cycles/B: 4 routers
    // pinned to CPU 4, 20 kp/s each; CPU 4 per frame: the thread's crossing 2135 + 759 and the
    // softirq's crossing to the sink 1500 + 759, plus 300 per NET_RX run and 11,600 per context
    // switch (both counted by the test). Expected busy = (R x 5153 + runs x 300 + switches x
    // 11600) / clock, within 1% (as there: a batch straddling a window edge).
    let (r, host) = try NetnsSoftirqTests.run(
      "netns-direct", rate: "80kpps", cpus: 5,
      extra: [
        "routers.count=4", "routers.each.pin=[4]",
        "traffic[0]={to: each, rate: 20kpps, frame: 1518B, arrival: cbr}",
        "host.forwarding=threaded", "profile.veth_per_byte=\(Self.perByte)cycles/B",
      ])
    let total = 80_000.0
    #expect(abs(r.aggregate.forwardedPps - total) / total < 0.005, "\(r.aggregate.forwardedPps)")
    let cpu4 = try #require(r.cpuModes)[4]
    let report = host.host.report()
    let switches = Double(report.pcpus[4].switches) / report.elapsedSeconds
    let perFrame = 3_635 + 2 * 1_518 * Self.perByte
    let expected =
      (total * perFrame + cpu4.netRxSoftirqsPerSecond * 300 + switches * 11_600) / NetnsSoftirqTests.clock
    #expect(abs(cpu4.busy - expected) / expected < 0.01, "CPU 4 busy \(cpu4.busy), hand \(expected)")
    let soft =
      (total * (1_500 + 1_518 * Self.perByte) + cpu4.netRxSoftirqsPerSecond * 300) / NetnsSoftirqTests.clock
    #expect(abs(cpu4.softirq - soft) < 0.002, "softirq on the thread's CPU \(cpu4.softirq), hand \(soft)")
  }
}
