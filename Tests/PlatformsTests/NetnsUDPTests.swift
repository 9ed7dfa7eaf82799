import Foundation
import NetModel
import Platforms
import Scenario
import SimCore
import Testing

/// The netns platforms with UDP sockets (the scenario's `host.generator: iperf3`, issue 20 item 2),
/// against figures computed by hand from the paper-2012 profile's declared defaults
/// (CostProfile.swift) at the default host's 3.06 GHz:
///
/// sender: udp_send_user 1000 + udp_send_system 4000 = 5000 cycles per datagram on its CPU;
/// softirq_entry 300 per NET_RX run; netns-direct's chain veth_hop 600 + IP forward (1400 +
/// FIB route cache 120 + 15) = 2135, then veth_hop 600 + udp_deliver 1500 = 2100 into the
/// socket: 4235 in softirq; receiver: udp_recv_user 1000 + udp_recv_system 3000 = 4000 per
/// datagram on CPU host.udp_receiver_cpu = 1. Receive buffer: udp_rcvbuf 212,992 B / udp_truesize
/// 2,304 B -> 92 + 1 = 93 datagrams.
@Suite("netns platforms with UDP sockets: iperf3-like sender, socket receive and its buffer drops")
struct NetnsUDPTests {
  static let clock = 3.06e9
  static let sender = 5_000.0
  static let entry = 300.0
  static let chain = 4_235.0

  static func run(
    rate: String, extra: [String] = [], duration: String = "300ms",
    generator: [String] = ["host.generator=iperf3"]
  ) throws -> (NetworkResult, RouterHost) {
    try simulatedNetnsUDP(
      "netns-udp", rate: rate, scheduler: "cfs", extra: extra, duration: duration, generator: generator)
  }

  @Test(
    "UDP saturation = clock / (sender + softirq entry + chain with the socket delivery), receiver on CPU 1")
  func saturation() throws {
    // Offered 2 Mp/s, far above what CPU 0 can send: the closed-loop sender sends back to back,
    // each datagram costing 5000 + 300 + 4235 = 9535 cycles on CPU 0, so the rate is
    // 3.06e9 / 9535 = 320,923 p/s. The receiver on CPU 1 needs 4000 cycles per datagram
    // (765 kp/s possible): nothing is dropped in its buffer, CPU 1 busy = rate x 4000 / clock.
    // Tolerance 0.5%: the 300 ms window holds ~96,000 datagrams; one datagram's cost at each
    // edge is < 0.01%.
    let (r, _) = try Self.run(rate: "2Mpps")
    let rate = Self.clock / (Self.sender + Self.entry + Self.chain)
    #expect(abs(r.aggregate.forwardedPps - rate) / rate < 0.005, "\(r.aggregate.forwardedPps) vs \(rate)")
    #expect(r.aggregate.droppedPps == 0)
    #expect(r.udpRcvbufErrorsPerSecond == 0, "the receiver keeps up")
    let read = try #require(r.udpInDatagramsPerSecond)
    #expect(abs(read - rate) / rate < 0.005, "read \(read)")
    let modes = try #require(r.cpuModes)
    #expect(modes[0].busy > 0.995, "the sender's CPU is saturated: \(modes[0].busy)")
    let receiver = rate * 4_000 / Self.clock
    #expect(abs(modes[1].busy - receiver) / receiver < 0.005, "CPU 1 \(modes[1].busy) vs \(receiver)")
    #expect(modes[1].softirq == 0, "the chain runs in the sender's softirq")
    // the processes' own time, as iperf3 reports it: the sender's user and system, no softirq
    let procs = try #require(r.processes)
    let gen = try #require(procs.first { $0.name == "gen0" })
    #expect(abs(gen.user - rate * 1_000 / Self.clock) / (rate * 1_000 / Self.clock) < 0.005)
    #expect(abs(gen.system - rate * 4_000 / Self.clock) / (rate * 4_000 / Self.clock) < 0.005)
    let server = try #require(procs.first { $0.name == "iperf3-s0" })
    #expect(abs(server.system - rate * 3_000 / Self.clock) / (rate * 3_000 / Self.clock) < 0.005)
  }

  @Test(
    "host.generator and host.udp_receiver_cpu reach the model: the old spelling gives the same sender, the receiver runs on the CPU named"
  )
  func theHostKeysReachTheModel() throws {
    // The old spelling (profile.generator_socket=udp, a warning) is the same iperf3 sender: the
    // saturation above, 3.06e9 / 9535 = 320,923 p/s (0.5%, the same reasoning).
    let rate = Self.clock / (Self.sender + Self.entry + Self.chain)
    let (old, _) = try Self.run(rate: "2Mpps", generator: ["profile.generator_socket=udp"])
    #expect(abs(old.aggregate.forwardedPps - rate) / rate < 0.005, "\(old.aggregate.forwardedPps) vs \(rate)")
    // Three CPUs, the receiver on CPU 2: the sender and its chain stay on CPU 0 (same rate), CPU 2
    // is busy rate x 4000 / clock reading (0.5%), CPU 1 runs nothing.
    let (moved, _) = try Self.run(rate: "2Mpps", extra: ["host.cpus=3", "host.udp_receiver_cpu=2"])
    #expect(abs(moved.aggregate.forwardedPps - rate) / rate < 0.005, "\(moved.aggregate.forwardedPps)")
    let modes = try #require(moved.cpuModes)
    let receiver = rate * 4_000 / Self.clock
    #expect(abs(modes[2].busy - receiver) / receiver < 0.005, "CPU 2 \(modes[2].busy) vs \(receiver)")
    #expect(modes[1].busy == 0, "CPU 1 \(modes[1].busy)")
  }

  @Test(
    "receive-buffer drops = rate in - rate out when the receiver's cost per datagram exceeds the arrival interval"
  )
  func bufferDrops() throws {
    // 100 kp/s arrive (10 us apart; the sender needs 9535 cycles = 3.1 us each, so all are sent
    // and reach the sink). The receiver costs 1000 + 40,000 = 41,000 cycles = 13.4 us per
    // datagram: it reads 3.06e9 / 41,000 = 74,634 p/s; its buffer (93 datagrams) fills within
    // 4 ms of the start, so over the window the socket drops 100,000 - 74,634 = 25,366 p/s.
    // Tolerance 1%: the buffer's 93 datagrams at the window's edges are 0.3% of the 300 ms's drops.
    let (r, _) = try Self.run(rate: "100kpps", extra: ["profile.udp_recv_system=40000cycles"])
    let rateIn = 100_000.0
    let rateOut = Self.clock / 41_000
    #expect(abs(r.aggregate.forwardedPps - rateIn) / rateIn < 0.005, "all reach the sink's veth")
    let read = try #require(r.udpInDatagramsPerSecond)
    let dropped = try #require(r.udpRcvbufErrorsPerSecond)
    #expect(abs(read - rateOut) / rateOut < 0.01, "read \(read) vs \(rateOut)")
    #expect(abs(dropped - (rateIn - rateOut)) / (rateIn - rateOut) < 0.01, "dropped \(dropped)")
    #expect(r.dropsByPlace["sink.rcvbuf"] != nil, "the buffer is a drop place")
  }

  @Test("a smaller buffer holds floor(rcvbuf / truesize) + 1 datagrams")
  func bufferCapacity() {
    // __udp_enqueue_schedule_skb refuses when what is queued exceeds sk_rcvbuf: 212,992 / 2,304
    // = 92.4 -> 92 queued leave 211,968 <= 212,992, one more is taken: 93.
    #expect(UDPSocket.capacity(rcvbuf: 212_992, truesize: 2_304) == 93)
    #expect(UDPSocket.capacity(rcvbuf: 4_608, truesize: 2_304) == 3)
    #expect(UDPSocket.capacity(rcvbuf: 1, truesize: 2_304) == 1)
  }

  @Test("iperf3 pacing: each tick's datagrams leave back to back from the tick")
  func pacingTicks() throws {
    // 100 kp/s CBR with the 1 ms pacing tick: every tick has the 100 datagrams whose departures
    // fell in the tick before, sent back to back from the tick on; the i-th of a burst
    // (i = 0 ... 99) starts i x 9535 cycles (its predecessors' send and chain) after the tick,
    // so the mean wait after the tick is 49.5 x 9535 / 3.06e9 = 154.24 us (a burst's 312 us
    // end well before the next tick). Tolerance 1%: the window's first and last ticks.
    let (_, host) = try Self.run(rate: "100kpps")
    let s = (Self.sender + Self.entry + Self.chain) / Self.clock
    let wait = 49.5 * s * 1e9
    let g = host.senders[0]
    #expect(abs(g.meanLateness - wait) / wait < 0.01, "mean wait \(g.meanLateness) ns vs \(wait)")
  }
}
