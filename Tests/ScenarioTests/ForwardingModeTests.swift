import Foundation
import Platforms
import SettingText
import Testing

@testable import Scenario

/// The host's forwarding mode is one key, `host.forwarding`, that the model and the testbed both
/// read. Its old spellings (`testbed.forwarding`, a scenario's `profile.netns_forwarding`) still
/// set it, each with a warning at its place; a disagreement is an error; a profile file's
/// `netns_forwarding` is never read, and a rule says so with the mode the run uses. Expected texts
/// and places are written out by hand from the inputs (line and column counted in the strings).
@Suite("host.forwarding and its old spellings")
struct ForwardingModeTests {
  static func load(_ text: String, _ overrides: [String] = []) throws(ScenarioError) -> ScenarioSpec {
    try ScenarioLoader.load(text: text, fileName: "f.yaml", overrides: overrides)
  }

  /// The diagnostics of a scenario that must be refused.
  static func refused(_ text: String, _ overrides: [String] = []) -> [ScenarioDiagnostic] {
    do {
      _ = try load(text, overrides)
      return []
    } catch { return error.diagnostics }
  }

  @Test func theDefaultIsSoftirqAndReachesThePlatformSpec() throws {
    let spec = try Self.load("name: d\nplatform: netns-direct\n")
    #expect(spec.host.forwarding == .softirq)
    #expect(try spec.platformSpec(profile: spec.costs).forwarding == .softirq)
    #expect(spec.source.warnings.isEmpty, "\(spec.source.warnings)")
  }

  @Test func hostForwardingReachesThePlatformSpecWithoutAWarning() throws {
    let spec = try Self.load("name: t\nplatform: netns-direct\nhost: {forwarding: threaded}\n")
    #expect(spec.host.forwarding == .threaded)
    #expect(try spec.platformSpec(profile: spec.costs).forwarding == .threaded)
    #expect(spec.source.warnings.isEmpty, "\(spec.source.warnings)")
    let viaSet = try Self.load("name: t\nplatform: netns-bridge\n", ["host.forwarding=threaded"])
    #expect(viaSet.host.forwarding == .threaded)
  }

  @Test func testbedForwardingIsAnAliasThatWarnsAtItsPlace() throws {
    // line 3, column 23: `testbed: {forwarding: ` is 22 characters
    let spec = try Self.load("name: a\nplatform: netns-direct\ntestbed: {forwarding: threaded}\n")
    #expect(spec.host.forwarding == .threaded)
    #expect(try spec.platformSpec(profile: spec.costs).forwarding == .threaded)
    #expect(
      spec.source.warnings == [
        "f.yaml:3:23: testbed.forwarding: the old spelling of host.forwarding (the forwarding mode is the "
          + "host's, read by the model and the testbed alike); write host: {forwarding: threaded} "
          + "(--set host.forwarding=threaded) instead"
      ])
  }

  @Test func profileNetnsForwardingInAScenarioIsAnAliasToo() throws {
    // --set number 1; the value starts after `profile.netns_forwarding=` (25 characters): column 26
    let spec = try Self.load("name: p\nplatform: netns-router\n", ["profile.netns_forwarding=threaded"])
    #expect(spec.host.forwarding == .threaded)
    #expect(spec.source.warnings.count == 1)
    #expect(
      spec.source.warnings.first?.hasPrefix(
        "--set:1:26: profile.netns_forwarding: the old spelling of host.forwarding") == true,
      "\(spec.source.warnings)")
  }

  @Test func anAliasThatDisagreesWithHostForwardingIsRefusedAtItsPlace() {
    let d = Self.refused(
      "name: c\nplatform: netns-direct\nhost: {forwarding: softirq}\ntestbed: {forwarding: threaded}\n")
    #expect(d.count == 1, "\(d)")
    // host.forwarding's value: line 3, column 20 (`host: {forwarding: ` is 19 characters)
    #expect(
      d.first?.description
        == "f.yaml:4:23: testbed.forwarding: 'threaded' disagrees with host.forwarding ('softirq' at "
        + "f.yaml:3:20); allowed: softirq, as host.forwarding says; better: only host.forwarding")
  }

  @Test func twoAliasesThatDisagreeAreRefusedAtTheSecond() {
    let d = Self.refused(
      "name: c\nplatform: netns-direct\ntestbed: {forwarding: threaded}\n",
      ["profile.netns_forwarding=softirq"])
    #expect(d.count == 1, "\(d)")
    #expect(d.first?.keyPath == "profile.netns_forwarding")
    #expect(d.first?.file == "--set" && d.first?.line == 1 && d.first?.column == 26)
    #expect(d.first?.message == "'softirq' disagrees with testbed.forwarding ('threaded' at f.yaml:3:23)")
  }

  @Test func anAliasThatAgreesRunsWithItsWarning() throws {
    let spec = try Self.load(
      "name: c\nplatform: netns-direct\nhost: {forwarding: threaded}\ntestbed: {forwarding: threaded}\n")
    #expect(spec.host.forwarding == .threaded)
    #expect(spec.source.warnings.count == 1)
  }

  @Test func threadedIsRefusedWhereNoHopIsAVeth() {
    let d = Self.refused("name: x\nplatform: xen-bridge\nhost: {forwarding: threaded}\n")
    #expect(d.count == 1, "\(d)")
    #expect(
      d.first?.description
        == "f.yaml:3:20: host.forwarding: threaded is threaded NAPI on the veth hops of the netns platforms; "
        + "xen-bridge has no veth hop and would ignore it; allowed: softirq (the default) on xen-bridge; "
        + "threaded on netns-bridge, netns-router or netns-direct")
    // set through an old spelling: reported where that was written
    let alias = Self.refused("name: x\nplatform: openvz\ntestbed: {forwarding: threaded}\n")
    #expect(alias.map(\.keyPath) == ["host.forwarding"])
    #expect(alias.first.map { "\($0.line):\($0.column)" } == "3:23")
    // softirq is what every Linux hop does: accepted on every platform
    #expect(Self.refused("name: x\nplatform: xen-router\nhost: {forwarding: softirq}\n").isEmpty)
  }

  @Test func aValueThatIsNoModeIsRefusedUnderEverySpelling() {
    for (text, key) in [
      ("name: v\nhost: {forwarding: napi}\n", "host.forwarding"),
      ("name: v\ntestbed: {forwarding: napi}\n", "testbed.forwarding"),
      ("name: v\nprofile: {netns_forwarding: napi}\n", "profile.netns_forwarding"),
    ] {
      let d = Self.refused(text)
      #expect(d.map(\.keyPath) == [key], "\(text): \(d)")
      #expect(d.first?.allowed.contains("softirq") == true)
    }
  }

  @Test func aSweepSaysAnAliasWarningOnce() throws {
    let spec = try Self.load(
      "name: s\nplatform: netns-direct\ntestbed: {forwarding: threaded}\nsweep: {routers.count: [1, 2, 3]}\n")
    #expect(spec.sweepPoints().allSatisfy { $0.spec.host.forwarding == .threaded })
    #expect(spec.source.warnings.count == 1, "\(spec.source.warnings)")
  }

  @Test func theModeCanBeSwept() throws {
    let spec = try Self.load(
      "name: s\nplatform: netns-direct\nsweep: {host.forwarding: [softirq, threaded]}\n")
    #expect(spec.sweepPoints().map(\.spec.host.forwarding) == [.softirq, .threaded])
    #expect(
      try spec.sweepPoints().map { try $0.spec.platformSpec(profile: $0.spec.costs).forwarding } == [
        .softirq, .threaded,
      ])
  }

  /// A profile file that states the mode (as every profile did before the key moved): not read;
  /// a warning names the file, line, column and key, and the mode the run uses.
  @Test func aProfileFilesModeIsNotReadAndARuleSaysWhichModeRuns() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vrsim-fwd-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let body = ProfileFile.text(.paper2012)
    let line = body.split(separator: "\n").count + 1
    try (body + "netns_forwarding: threaded\n").write(
      to: dir.appendingPathComponent("old.yaml"), atomically: true, encoding: .utf8)
    let profile = dir.appendingPathComponent("old.yaml").path
    func load(_ host: String) throws -> ScenarioSpec {
      let file = dir.appendingPathComponent("s.yaml")
      try "name: s\nplatform: netns-direct\nprofile: old.yaml\n\(host)".write(
        to: file, atomically: true, encoding: .utf8)
      return try ScenarioLoader.load(path: file.path, overrides: [])
    }
    // `netns_forwarding: ` is 18 characters: the value at column 19
    let place = "\(profile):\(line):19: netns_forwarding: "
    let head =
      "the forwarding mode is now the scenario's option host.forwarding, not a cost: the profile's "
      + "'threaded' is not read, this run uses host.forwarding = "
    let softirq = try load("")
    #expect(softirq.host.forwarding == .softirq, "the profile's threaded is not honoured")
    #expect(
      softirq.source.warnings == [
        place + head + "softirq; the profile was written for threaded mode and is used for a softirq "
          + "scenario: its costs were fitted with the other execution contexts (set host.forwarding: "
          + "threaded to run it as fitted), and remove the key from the profile"
      ])
    #expect(softirq.costs == CostProfile.paper2012, "the rest of the file is read as before")
    let threaded = try load("host: {forwarding: threaded}\n")
    #expect(threaded.host.forwarding == .threaded)
    #expect(
      threaded.source.warnings == [place + head + "threaded (the same mode); remove the key from the profile"]
    )
    // a value that is no mode is an error in the profile file, at its place
    try (body + "netns_forwarding: napi\n").write(
      to: dir.appendingPathComponent("old.yaml"), atomically: true, encoding: .utf8)
    do {
      _ = try load("")
      Issue.record("a profile's netns_forwarding: napi must be refused")
    } catch let error as ScenarioError {
      #expect(
        error.diagnostics.map { "\($0.file):\($0.line):\($0.keyPath)" } == [
          "\(profile):\(line):netns_forwarding"
        ])
    }
  }

  @Test func theCommittedProfilesStateNoMode() throws {
    let folder = FixturePaths.repository.appendingPathComponent("scenarios/profiles")
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter {
      $0.hasSuffix(".yaml")
    }
    #expect(!files.isEmpty)
    for f in files {
      let text = try String(contentsOf: folder.appendingPathComponent(f), encoding: .utf8)
      #expect(!text.contains("\nnetns_forwarding:"), "\(f) still states the forwarding mode")
      #expect(!text.contains("\ngenerator_socket:"), "\(f) still states the generator (host.generator)")
      #expect(
        !text.contains("\nudp_receiver_cpu:"), "\(f) still states the receiver's CPU (host.udp_receiver_cpu)")
    }
  }
}
