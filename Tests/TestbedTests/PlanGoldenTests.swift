import Foundation
import Report
import Scenario
import SimCore
import Testing

@testable import Testbed

/// Compares `text` with the golden file `name` under Tests/TestbedTests/Goldens; with
/// VRSIM_UPDATE_GOLDEN=1 rewrites it instead.
func expectPlanGolden(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation)
  throws
{
  let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "Goldens/\(name)")
  if ProcessInfo.processInfo.environment["VRSIM_UPDATE_GOLDEN"] == "1" {
    try Data(text.utf8).write(to: url)
    return
  }
  let expected = try String(contentsOf: url, encoding: .utf8)
  #expect(
    text == expected, "plan differs from \(name) (VRSIM_UPDATE_GOLDEN=1 rewrites it)",
    sourceLocation: sourceLocation)
}

@Suite("topology plans: the command vectors per platform")
struct PlanGoldenTests {
  /// Two routers, the second with twice the weight and a 50% cap, three routes each.
  static func setup(_ platform: TestbedPlatform) -> TestbedSetup {
    TestbedSetup(
      platform: platform,
      routers: [
        TestbedRouter(vcpus: 1, weight: 256, cap: 0, generatedRoutes: 2, routePrefixes: nil),
        TestbedRouter(vcpus: 1, weight: 512, cap: 50, generatedRoutes: 2, routePrefixes: nil),
      ],
      flows: [
        TestbedFlow(router: 0, packetsPerSecond: 10_000, frames: [FrameShare(bytes: 64, weight: 1)]),
        TestbedFlow(router: 1, packetsPerSecond: 10_000, frames: [FrameShare(bytes: 64, weight: 1)]),
      ],
      duration: .s(1), replications: 1, hostCPUs: 2)
  }

  @Test(arguments: TestbedPlatform.allCases)
  func planMatchesGolden(platform: TestbedPlatform) throws {
    let plan = TopologyPlan(
      setup: Self.setup(platform), prefix: RunPrefix(tag: "0"), cgroups: .v1(root: "/sys/fs/cgroup"))
    try expectPlanGolden(plan.render(), "plan-\(platform.rawValue).txt")
  }

  /// iperf3 mode adds the servers' local addresses and the return path over the direct link.
  @Test func iperf3PlanMatchesGolden() throws {
    var setup = Self.setup(.bridge)
    setup.generator = .iperf3
    let plan = TopologyPlan(setup: setup, prefix: RunPrefix(tag: "0"), cgroups: .v1(root: "/sys/fs/cgroup"))
    try expectPlanGolden(plan.render(), "plan-netns-bridge-iperf3.txt")
  }

  @Test func cgroupV2UsesItsOwnControlFiles() {
    let plan = TopologyPlan(
      setup: Self.setup(.direct), prefix: RunPrefix(tag: "0"), cgroups: .v2(root: "/cg"))
    let cgroups = plan.steps.compactMap { step -> CgroupStep? in
      if case .cgroup(let c) = step { return c }
      return nil
    }
    #expect(cgroups.map(\.path) == ["/cg/vrt0-vr0", "/cg/vrt0-vr1"])
    // weight 512 of 256 = 2x the default share: cpu.weight 200 of the default 100; cap 50%
    // of a 100 ms period = 50 ms quota.
    #expect(cgroups[1].settings.map(\.value) == ["200", "50000 100000", "1"])
  }

  @Test func everyNameCarriesThePrefixAndFitsInIFNAMSIZ() {
    var setup = Self.setup(.bridge)
    setup.routers = Array(repeating: setup.routers[0], count: TestbedSetup.maxRouters)
    let prefix = RunPrefix(pid: 4_194_304)  // the largest pid_max: 6 hex digits
    let plan = TopologyPlan(setup: setup, prefix: prefix, cgroups: .v1(root: "/sys/fs/cgroup"))
    #expect(plan.namespaces.allSatisfy { $0.hasPrefix(prefix.text) })
    for port in plan.ports {
      #expect(port.name.hasPrefix(prefix.text))
      #expect(port.name.utf8.count <= 15, "\(port.name) is longer than IFNAMSIZ - 1")
    }
  }

  @Test func scenarioBecomesSetup() throws {
    let text = """
      name: t
      platform: netns-router
      routers: { count: 3, each: { vcpus: 1, weight: 256, cap: 0, routes: 1000 } }
      traffic: [ { to: all, rate: 30kpps, frame: 64B, arrival: cbr } ]
      run: { duration: 2s, replications: 4, seed: 1 }
      """
    let spec = try ScenarioLoader.load(text: text, fileName: "t.yaml", overrides: [])
    let setup = try TestbedSetup(spec: spec, hostCPUs: 2)
    #expect(setup.platform == .router)
    #expect(setup.flows.map(\.packetsPerSecond) == [10_000, 10_000, 10_000])
    #expect(setup.routers.map(\.generatedRoutes) == [999, 999, 999])
    #expect(setup.duration == .s(2))
    #expect(setup.replications == 4)
  }

  @Test func nonTestbedPlatformIsAUsageError() throws {
    let spec = try ScenarioLoader.load(
      text: "name: t\nplatform: xen-bridge\n", fileName: "t.yaml", overrides: [])
    #expect(throws: TestbedError.self) { try TestbedSetup(spec: spec, hostCPUs: 2) }
  }
}

@Suite("testbed pieces without a machine")
struct TestbedUnitTests {
  @Test func prefixFamily() {
    #expect(RunPrefix(pid: 0x3ca0).text == "vrt3ca0-")
    #expect(RunPrefix.isFamily("vrt3ca0-gen"))
    #expect(RunPrefix.pid(of: "vrt3ca0-gen") == 0x3ca0)
    #expect(!RunPrefix.isFamily("vrt-gen"))
    #expect(!RunPrefix.isFamily("vrtx-gen"))
    #expect(!RunPrefix.isFamily("eth0"))
    #expect(!RunPrefix.isFamily("vrt3CA0-gen"))
    #expect(!RunPrefix.isFamily("vrt123456789-gen"))
  }

  /// mean ± t(0.975, 2) s / sqrt(3) for 1, 2, 3: s = 1, t = 4.302653 (Student-t table).
  @Test func summaryHasStudentTInterval() {
    let trials = [1.0, 2, 3].map {
      [MetricRow(scope: "aggregate", .forwardedPps, value: $0)]
    }
    let rows = MeasuredRow.summarize(trials, experiment: "e", scenario: "s", set: "a=1;b=2")
    #expect(rows.count == 1)
    #expect(rows[0].value == 2)
    #expect(abs(rows[0].ci95High! - (2 + 4.302653 / 3.0.squareRoot())) < 1e-5)
    #expect(rows[0].n == 3)
    let line = rows[0].csvLine
    #expect(line.hasPrefix("testbed,e,s,a=1;b=2,aggregate,forwarded_pps,pps,2,"))
    #expect(line.hasSuffix(",3,value,"))
    #expect(
      MeasuredRow.header
        == "source,experiment,scenario,set,scope,metric,unit,value,ci95_low,ci95_high,n,kind,note"
    )
  }

  @Test func trafgenFrameLengths() {
    // 64 B on the wire with FCS: 60 B sent = 14 Ethernet + 20 IP + 8 UDP + 18 padding.
    let f = Trafgen.frame(
      srcMAC: "02:00:00:00:00:01", dstMAC: "02:00:00:00:00:02", source: "10.0.0.1", destination: "198.18.0.1",
      bytes: 64)
    #expect(f.contains("const16(46)"))
    #expect(f.contains("const16(26)"))
    #expect(f.contains("fill(0x00, 18)"))
    #expect(Trafgen.reportedSeconds("  1 sec, 9644 usec on CPU0 (10000 packets)") == 1.009644)
    // trafgen's report as it printed it here (one worker, and two), in its order.
    #expect(
      Trafgen.reportedCPUs("      20000 packets outgoing\n  0 sec, 42803 usec on CPU0 (20000 packets)\n") == [
        0
      ])
    #expect(
      Trafgen.reportedCPUs("  2 sec, 204 usec on CPU0 (400000 packets)\n  1 sec, 5 usec on CPU12 (9 packets)")
        == [0, 12])
    #expect(Trafgen.reportedCPUs("Can't set this cpu affinity!") == [])
    // No taskset in trafgen's command: trafgen pins its worker to CPU 0 itself.
    #expect(!Trafgen.command(ns: "n", device: "d", config: "c", pps: 10, count: 20).contains("taskset"))
  }

  @Test func linkCountersParse() throws {
    let json = """
      [{"ifname":"a","stats64":{"rx":{"bytes":600,"packets":10,"dropped":1},"tx":{"bytes":60,"packets":1,"dropped":2}}}]
      """
    let c = try CounterReader.parseLinks(json)
    #expect(
      c["a"]
        == LinkCounters(rxPackets: 10, rxBytes: 600, rxDropped: 1, txPackets: 1, txBytes: 60, txDropped: 2))
    let snmp = "Ip: Forwarding DefaultTTL ForwDatagrams\nIp: 1 64 12345\nIcmp: InMsgs\nIcmp: 3\n"
    #expect(CounterReader.parseSNMP(snmp, table: "Ip")["ForwDatagrams"] == 12345)
  }
}
