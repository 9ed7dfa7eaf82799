import Foundation
import NetModel
import Scenario
import Testing

@testable import Testbed

@Suite struct ScheduledSenderTests {
  /// A 64 B frame (60 B handed to veth, which adds no FCS) from 10.1.0.1 to 198.18.0.1.
  /// IPv4 header checksum by hand (RFC 1071), words 4500 002e 0000 4000 4011 0000 0a01 0001
  /// c612 0001: their sum is 0x19553, folded 0x9554 + ... = 0x9555, complemented 0x6aaa.
  /// Total length 60 - 14 = 46 (0x2e), UDP length 26 (0x1a), 18 B of zero padding.
  @Test func frameLayoutAndChecksum() {
    let f = UDPFrame.bytes(
      srcMAC: "02:76:74:00:00:01", dstMAC: "02:76:74:00:00:02", source: "10.1.0.1",
      destination: "198.18.0.1", bytes: 64)
    #expect(f.count == 60)
    #expect(Array(f[0..<14]) == [2, 0x76, 0x74, 0, 0, 2, 2, 0x76, 0x74, 0, 0, 1, 0x08, 0x00])
    #expect(
      Array(f[14..<34]) == [
        0x45, 0, 0, 0x2e, 0, 0, 0x40, 0, 64, 17, 0x6a, 0xaa, 10, 1, 0, 1, 198, 18, 0, 1,
      ])
    #expect(Array(f[34..<42]) == [0x04, 0, 0x04, 0, 0, 0x1a, 0, 0])
    #expect(f[42...].allSatisfy { $0 == 0 } && f.count - 42 == 18)
  }

  @Test func reportRoundTripsThroughItsLine() {
    let r = SenderReport(
      sent: 10_005, seconds: 1.000012, lateMeanMicroseconds: 1.5, lateP99Microseconds: 12.25,
      lateMaxMicroseconds: 80)
    #expect(SenderReport.parse("noise\n" + r.line + "\n") == r)
    #expect(SenderReport.parse("sender: no interface x") == nil)
    #expect(SenderReport.parse("vrsim-send sent 3") == nil)
  }

  static func setup(_ arrival: String) throws -> TestbedSetup {
    let text = """
      platform: netns-bridge
      routers: { count: 2 }
      traffic: [ { to: all, rate: 20kpps, frame: 64B, arrival: \(arrival) } ]
      run: { duration: 1s, seed: 9 }
      """
    let spec = try ScenarioLoader.load(text: text, fileName: "t.yaml", overrides: [])
    return try TestbedSetup(spec: spec, hostCPUs: 2)
  }

  /// Poisson and on-off reach the testbed with the scenario's law and seed; a trace is
  /// refused with the key named.
  @Test func arrivalsReachTheSetup() throws {
    let p = try Self.setup("poisson")
    #expect(p.flows.map(\.arrival) == [.poisson, .poisson])
    #expect(p.seed == 9)
    #expect(p.flows[0].flowSpec == FlowSpec(router: 0, packetsPerSecond: 10_000, arrivals: .poisson))
    let o = try Self.setup("{ kind: onoff, on: 5ms, off: 15ms }")
    #expect(o.flows[1].arrival == .onOff(on: .ms(5), off: .ms(15)))
  }

  /// What the testbed cannot send is refused before anything is built (exit 2, key named):
  /// iperf3 is CBR only; a trace (a valid one, so the refusal is the testbed's) has no
  /// testbed sender yet; a scenario whose host.generator is iperf3 is CBR only as well.
  @Test func unsendableArrivalsAreRefused() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vrsim-arr-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let trace = dir.appendingPathComponent("t.csv").path
    try "timestamp,size\n0,64\n10us,64\n".write(toFile: trace, atomically: true, encoding: .utf8)
    for (extra, message) in [
      (
        ["--generator", "iperf3", "--set", "traffic[0].arrival=poisson"],
        "traffic[0].arrival: host.generator iperf3 sends CBR only"
      ),
      (
        ["--set", "traffic[0].arrival={kind: trace, file: \(trace)}"],
        "traffic[0].arrival: the testbed sends cbr"
      ),
      (
        ["--set", "host.generator=iperf3", "--set", "traffic[0].arrival=poisson"],
        "traffic[0].arrival: host.generator iperf3 sends CBR only"
      ),
    ] {
      let (status, output) = try Live.run(["testbed", "run", LiveTestbedTests.smoke] + extra)
      #expect(status == 2, "\(output)")
      #expect(output.contains(message), "\(output)")
    }
  }
}

/// The testbed's own sender, for real, in the serialized live suite.
extension LiveTestbedTests {
  /// The smoke scenario (netns-bridge, 1 router, 10 kp/s for 1 s) with Poisson arrivals: the
  /// count sent is Poisson with mean 10,000 and standard deviation 100, so within 400 (4 of
  /// them) of 10,000; at 10 kp/s nothing is lost, so received equals sent within 1% (the
  /// smoke test's criterion); the sender's lateness is reported.
  @Test(.enabled(if: Live.available, "needs root, network namespaces, veth and trafgen"))
  func poissonTrafficIsSentByTheTestbedsSender() throws {
    let (status, output) = try Live.run([
      "testbed", "run", Self.smoke, "--set", "traffic[0].arrival=poisson",
    ])
    #expect(status == 0, "\(output.suffix(600))")
    let sent = try #require(Live.aggregate(output, "sent_packets"), "\(output.suffix(600))")
    let received = try #require(Live.aggregate(output, "received_packets"))
    #expect(abs(sent - 10_000) < 400, "sent \(sent)")
    #expect(abs(received - sent) / sent < 0.01, "sent \(sent), received \(received)")
    #expect(Live.aggregate(output, "send_lateness_mean") != nil)
    #expect(Live.aggregate(output, "send_lateness_p99") != nil)
  }
}
