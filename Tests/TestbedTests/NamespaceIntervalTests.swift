import Testing

@testable import Testbed

/// A trial whose traffic runs through its snapshots (the iperf3 one) reads its namespaces one
/// after another: each namespace's counts are scaled to the trial's window from its own two
/// reads (`TrafficTrial.intervalScales`). Hand figures: one flow of 20,000 frames/s through a
/// generator namespace read first and a sink namespace read last.
@Suite struct NamespaceIntervalTests {
  /// Before: gen read at 1.000 s, sink at 1.300 s (a slow first snapshot, 300 ms); after: gen
  /// at 2.500 s, sink at 2.550 s (50 ms). The window is 1.5 s. At 20,000 frames/s the gen's
  /// counter moves 20,000 x 1.5 = 30,000 frames, the sink's 20,000 x 1.25 = 25,000: read
  /// over the window both would say 20,000 and 16,667 frames/s. Scaled, both give 20,000.
  @Test func eachNamespaceOverItsOwnReads() {
    let before = ["gen": UInt64(1_000_000_000), "sink": UInt64(1_300_000_000)]
    let after = ["gen": UInt64(2_500_000_000), "sink": UInt64(2_550_000_000)]
    let window = 1.5
    let scales = TrafficTrial.intervalScales(before, after, seconds: window, on: true)
    let gen = ScaledLinkCounters(LinkCounters(txPackets: 30_000), scale: scales["gen"] ?? .nan)
    let sink = ScaledLinkCounters(LinkCounters(rxPackets: 25_000), scale: scales["sink"] ?? .nan)
    // 1e-9 relative: the scales are ratios of exact nanosecond counts, rounded once each
    #expect(abs(gen.txPackets / window - 20_000) < 20_000 * 1e-9)
    #expect(abs(sink.rxPackets / window - 20_000) < 20_000 * 1e-9)
    // unscaled, the sink's rate would be 1/6 below the flow's
    #expect(abs(25_000 / window - 20_000 * 5 / 6) < 1e-6)
  }

  /// Off (a trial whose traffic stops before its second snapshot), or a namespace missing
  /// from a snapshot or read at one instant in both: no factor, the counts stay exactly as
  /// read.
  @Test func countsStayAsReadWithoutAFactor() {
    let before = ["gen": UInt64(1_000), "sink": UInt64(5_000)]
    let after = ["gen": UInt64(9_000), "sink": UInt64(5_000)]
    #expect(TrafficTrial.intervalScales(before, after, seconds: 1, on: false).isEmpty)
    let scales = TrafficTrial.intervalScales(before, after, seconds: 1, on: true)
    #expect(scales["sink"] == nil)
    #expect(scales["other"] == nil)
    let c = ScaledLinkCounters(
      LinkCounters(rxPackets: 123_456_789, rxDropped: 7, txPackets: 987_654_321, txDropped: 3), scale: 1)
    #expect(c.rxPackets == 123_456_789 && c.rxDropped == 7 && c.txPackets == 987_654_321 && c.txDropped == 3)
  }

  /// /proc/net/dev as this kernel writes it (two header lines; a long name runs into its
  /// first number): receive packets and drop are the 2nd and 4th numbers, transmit packets
  /// and drop the 10th and 12th.
  @Test func procNetDevParses() throws {
    let text = """
      Inter-|   Receive                                                |  Transmit
       face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
          lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0
      vrt1bb5-s0s:30441840   20001    0    7    0     0          0         0        0       0    0    3    0     0       0          0

      """
    let c = try CounterReader.parseProcNetDev(text, path: "/proc/42/net/dev")
    #expect(c["lo"] == LinkCounters(rxPackets: 2, rxBytes: 100, txPackets: 2, txBytes: 100))
    #expect(
      c["vrt1bb5-s0s"]
        == LinkCounters(rxPackets: 20_001, rxBytes: 30_441_840, rxDropped: 7, txDropped: 3))
    let bad = "h1\nh2\n  eth0: 1 2 3\n"
    #expect(throws: TestbedError.self) { try CounterReader.parseProcNetDev(bad, path: "/proc/42/net/dev") }
    do {
      _ = try CounterReader.parseProcNetDev(bad, path: "/proc/42/net/dev")
    } catch {
      #expect("\(error)".contains("/proc/42/net/dev line 3"))
    }
  }
}
