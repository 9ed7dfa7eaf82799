import Foundation
import Testing

@testable import Scenario

/// A cost a scenario writes (its `profile:` mapping, `--set profile.KEY`, a sweep) that its
/// platform never reads is a warning at its place, naming the key, the platform and the
/// platforms that read it; a cost the platform reads, a profile file's costs and the profile's
/// file are not; a sweep over platforms warns only when none of them reads the cost. Which
/// platforms read `bridge` (xen-bridge, netns-bridge) and `udp_recv_wakeup` (the three netns
/// platforms) is what their paths do (XenSplitDriverPath bridges on xen-bridge only; NetnsPath
/// bridges on netns-bridge, and its UDP sockets are netns-only), checked by
/// `ProfileKeyUseTests`; places are counted by hand in the texts.
@Suite("warnings for costs the platform never reads")
struct UnreadCostWarningTests {
  static func load(_ text: String, _ overrides: [String] = []) throws -> ScenarioSpec {
    try ScenarioLoader.load(text: text, fileName: "u.yaml", overrides: overrides)
  }

  static let netnsDirect = "platform: netns-direct\nscheduler: {kind: cfs}\n"

  @Test func aScenarioCostThePlatformNeverReadsIsWarnedAtItsPlace() throws {
    // line 3: `profile: {bridge: ` is 18 characters, the value starts at column 19
    let spec = try Self.load(Self.netnsDirect + "profile: {bridge: 9000cycles, veth_hop: 700cycles}\n")
    #expect(
      spec.source.warnings == [
        "u.yaml:3:19: profile.bridge: not read on netns-direct (no stage, host model or result of that "
          + "platform uses this cost), so the value changes nothing; read on xen-bridge, netns-bridge"
      ], "\(spec.source.warnings)")
    // the value is still the scenario's (a warning, not an error)
    #expect(spec.costs.bridge == 9_000 && spec.costs.vethHop == 700)
  }

  @Test func aSetOfANetnsCostOnXenIsWarnedAtTheSet() throws {
    // the built-in default platform is xen-bridge; `profile.udp_recv_wakeup=` is 24 characters
    let spec = try Self.load("name: x\n", ["profile.udp_recv_wakeup=100cycles"])
    #expect(
      spec.source.warnings == [
        "--set:1:25: profile.udp_recv_wakeup: not read on xen-bridge (no stage, host model or result of that "
          + "platform uses this cost), so the value changes nothing; read on netns-bridge, netns-router, "
          + "netns-direct"
      ], "\(spec.source.warnings)")
  }

  @Test func aCostThePlatformReadsAndAProfileFileAreNotWarned() throws {
    let read = try Self.load(Self.netnsDirect + "profile: {file: paper-2012.yaml, veth_hop: 700cycles}\n")
    #expect(read.source.warnings.isEmpty, "\(read.source.warnings)")
    let set = try Self.load("name: x\n", ["profile.bridge=9000cycles"])
    #expect(set.source.warnings.isEmpty, "\(set.source.warnings)")
  }

  @Test func aSweepOverPlatformsWarnsOnlyWhenNoneReadsTheCost() throws {
    let cost = "profile: {bridge: 9000cycles}\n"
    let one = try Self.load(Self.netnsDirect + cost + "sweep: {platform: [netns-direct, netns-bridge]}\n")
    #expect(one.source.warnings.isEmpty, "netns-bridge reads it: \(one.source.warnings)")
    let none = try Self.load(Self.netnsDirect + cost + "sweep: {platform: [netns-direct, netns-router]}\n")
    // line 3: `profile: {bridge: ` is 18 characters
    #expect(
      none.source.warnings == [
        "u.yaml:3:19: profile.bridge: not read on netns-direct, netns-router (no stage, host model or result of "
          + "those platforms uses this cost), so the value changes nothing; read on xen-bridge, netns-bridge"
      ], "\(none.source.warnings)")
  }

  @Test func aSweepOverAnUnreadCostIsWarnedOnce() throws {
    // line 3: `sweep: {profile.bridge: [` is 25 characters, the first value at column 26
    let spec = try Self.load(Self.netnsDirect + "sweep: {profile.bridge: [1000cycles, 2000cycles]}\n")
    #expect(
      spec.source.warnings == [
        "u.yaml:3:26: profile.bridge: not read on netns-direct (no stage, host model or result of that "
          + "platform uses this cost), so the value changes nothing; read on xen-bridge, netns-bridge"
      ], "\(spec.source.warnings)")
  }
}
