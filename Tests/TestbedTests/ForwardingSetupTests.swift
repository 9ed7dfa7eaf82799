import Foundation
import Platforms
import Scenario
import Testing

@testable import Testbed

/// The testbed's set-up reads the same forwarding mode as the model: `host.forwarding` (or its
/// old spelling `testbed.forwarding`), one value in the resolved scenario. Unit level: the set-up
/// and the plan it makes (the sysfs `threaded` writes), no live run.
@Suite("host.forwarding in the testbed's set-up")
struct ForwardingSetupTests {
  static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  /// The plan's steps that make a device's NAPI threaded.
  static func threadedWrites(_ setup: TestbedSetup) -> [String] {
    let plan = TopologyPlan(setup: setup, prefix: RunPrefix(tag: "0"), cgroups: .v1(root: "/sys/fs/cgroup"))
    return plan.steps.compactMap { TopologyPlan.threadedDevice(of: $0) }
  }

  @Test func theCommittedThreadedScenarioIsThreadedInTheModelAndOnTheTestbed() throws {
    let path = Self.repository.appendingPathComponent("scenarios/testbed/fig8b-scheduled.yaml").path
    let spec = try ScenarioLoader.load(path: path, overrides: [])
    #expect(spec.source.warnings.isEmpty, "\(spec.source.warnings)")
    for point in spec.sweepPoints() {
      #expect(try point.spec.platformSpec(profile: point.spec.costs).forwarding == .threaded)
      let setup = try TestbedSetup(spec: point.spec, hostCPUs: 2)
      #expect(setup.forwarding == .threaded && setup.threaded)
      // netns-direct: one threaded ingress veth per router, iNr (the testbed's names)
      #expect(Self.threadedWrites(setup).count == point.spec.routers.count)
    }
  }

  @Test(arguments: [
    ("", "softirq"),
    ("host: {forwarding: threaded}\n", "threaded"),
    ("testbed: {forwarding: threaded}\n", "threaded"),
    ("host: {forwarding: softirq}\ntestbed: {forwarding: softirq}\n", "softirq"),
  ])
  func theSetupSeesTheModelsValue(section: String, written: String) throws {
    let parsed = NetnsForwarding(rawValue: written)
    let mode = try #require(parsed)
    let spec = try ScenarioLoader.load(
      text: "name: m\nplatform: netns-bridge\n" + section, fileName: "m.yaml", overrides: [])
    let setup = try TestbedSetup(spec: spec, hostCPUs: 2)
    #expect(try spec.platformSpec(profile: spec.costs).forwarding == mode)
    #expect(setup.forwarding == mode)
    #expect(setup.threaded == (mode == .threaded))
    // netns-bridge, one router: its ingress veth and dom0's ingress are made threaded, or nothing
    #expect(Self.threadedWrites(setup).count == (mode == .threaded ? 2 : 0))
  }

  @Test func threadedWithARemoteDutIsRefusedNamingTheKey() throws {
    let spec = try ScenarioLoader.load(
      text: """
        name: r
        platform: netns-bridge
        host: {forwarding: threaded}
        testbed:
          dut: { ssh: { host: dut1, user: root }, ports: { generator: [eth1], sink: [eth2] } }
          generator: { ports: { dut: [eth1] } }
          sink: { ports: { dut: [eth1] } }
        """, fileName: "r.yaml", overrides: [])
    #expect(throws: TestbedError.self) { try TestbedSetup(spec: spec, hostCPUs: 2) }
    do { _ = try TestbedSetup(spec: spec, hostCPUs: 2) } catch let e as TestbedError {
      #expect(e.description.hasPrefix("host.forwarding: threaded runs with the dut local"), "\(e)")
    }
  }
}
