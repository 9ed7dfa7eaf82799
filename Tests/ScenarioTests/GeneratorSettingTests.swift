import Foundation
import Platforms
import SettingText
import Testing

@testable import Scenario

/// The netns generator is one key, `host.generator` (trafgen or iperf3), and the UDP
/// receivers' CPU another, `host.udp_receiver_cpu`; the model and the testbed both read them.
/// Their old spellings (`profile.generator_socket`, `profile.udp_receiver_cpu` in a scenario or
/// `--set`) still set them, each with a warning at its place; a disagreement is an error; in a
/// profile file they are never read, and a warning says so. Expected texts and places are
/// written out by hand from the inputs (line and column counted in the strings).
@Suite("host.generator, host.udp_receiver_cpu and their old spellings")
struct GeneratorSettingTests {
  static func load(_ text: String, _ overrides: [String] = []) throws(ScenarioError) -> ScenarioSpec {
    try ScenarioLoader.load(text: text, fileName: "g.yaml", overrides: overrides)
  }

  /// The diagnostics of a scenario that must be refused.
  static func refused(_ text: String, _ overrides: [String] = []) -> [ScenarioDiagnostic] {
    do {
      _ = try load(text, overrides)
      return []
    } catch { return error.diagnostics }
  }

  @Test func theDefaultIsTrafgenOnCPU1AndReachesThePlatformSpec() throws {
    let spec = try Self.load("name: d\nplatform: netns-direct\n")
    #expect(spec.host.generator == .trafgen && spec.host.udpReceiverCPU == 1)
    let platform = try spec.platformSpec(profile: spec.costs)
    #expect(platform.generator == .trafgen && platform.udpReceiverCPU == 1)
    #expect(spec.source.warnings.isEmpty, "\(spec.source.warnings)")
  }

  @Test func theHostKeysReachThePlatformSpecWithoutAWarning() throws {
    let spec = try Self.load(
      "name: t\nplatform: netns-router\nhost: {cpus: 2, generator: iperf3, udp_receiver_cpu: 0}\n")
    let platform = try spec.platformSpec(profile: spec.costs)
    #expect(platform.generator == .iperf3 && platform.udpReceiverCPU == 0)
    #expect(spec.source.warnings.isEmpty, "\(spec.source.warnings)")
    let viaSet = try Self.load("name: t\nplatform: netns-bridge\n", ["host.generator=iperf3"])
    #expect(viaSet.host.generator == .iperf3)
  }

  @Test func theOldSpellingsSetTheHostKeysWithAWarningAtTheirPlace() throws {
    // `profile.generator_socket=` is 25 characters: the value at column 26 of --set 1;
    // `profile.udp_receiver_cpu=` is 25 too: column 26 of --set 2
    let spec = try Self.load(
      "name: o\nplatform: netns-direct\nhost: {cpus: 2}\n",
      ["profile.generator_socket=udp", "profile.udp_receiver_cpu=0"])
    #expect(spec.host.generator == .iperf3 && spec.host.udpReceiverCPU == 0)
    let platform = try spec.platformSpec(profile: spec.costs)
    #expect(platform.generator == .iperf3 && platform.udpReceiverCPU == 0)
    #expect(
      spec.source.warnings == [
        "--set:1:26: profile.generator_socket: the old spelling of host.generator (a setting of the run read by "
          + "the model and the testbed alike, not a cost); write host: {generator: iperf3} "
          + "(--set host.generator=iperf3) instead",
        "--set:2:26: profile.udp_receiver_cpu: the old spelling of host.udp_receiver_cpu (a setting of the run "
          + "read by the model and the testbed alike, not a cost); write host: {udp_receiver_cpu: 0} "
          + "(--set host.udp_receiver_cpu=0) instead",
      ])
    // packet is trafgen; in the scenario's own profile section: line 3, column 29
    // (`profile: {generator_socket: ` is 28 characters)
    let packet = try Self.load("name: o\nplatform: netns-direct\nprofile: {generator_socket: packet}\n")
    #expect(packet.host.generator == .trafgen)
    #expect(
      packet.source.warnings.first?.hasPrefix("g.yaml:3:29: profile.generator_socket: the old spelling")
        == true)
  }

  @Test func anOldSpellingThatDisagreesIsRefusedAtItsPlace() {
    // host.generator's value: line 3, column 19 (`host: {generator: ` is 18 characters)
    let d = Self.refused(
      "name: c\nplatform: netns-direct\nhost: {generator: trafgen}\n", ["profile.generator_socket=udp"])
    #expect(d.count == 1, "\(d)")
    #expect(
      d.first?.description
        == "--set:1:26: profile.generator_socket: 'udp' (host.generator iperf3) disagrees with host.generator "
        + "('trafgen' at g.yaml:3:19); allowed: a value meaning host.generator trafgen; better: only host.generator"
    )
    // one that agrees runs, with its warning
    let agrees = try? Self.load(
      "name: c\nplatform: netns-direct\nhost: {generator: iperf3}\n", ["profile.generator_socket=udp"])
    #expect(agrees?.host.generator == .iperf3 && agrees?.source.warnings.count == 1)
  }

  @Test func iperf3IsRefusedWhereTheTrafficComesFromTheWire() {
    let d = Self.refused("name: x\nplatform: xen-bridge\nhost: {generator: iperf3}\n")
    #expect(d.count == 1, "\(d)")
    #expect(
      d.first?.description
        == "g.yaml:3:19: host.generator: iperf3 is the netns platforms' own UDP sender and sink; xen-bridge "
        + "takes its traffic from the wire and would ignore it; allowed: trafgen (the default) on xen-bridge; "
        + "iperf3 on netns-bridge, netns-router or netns-direct")
    // set through the old spelling: reported where that was written
    let alias = Self.refused("name: x\nplatform: native\n", ["profile.generator_socket=udp"])
    #expect(alias.map(\.keyPath) == ["host.generator"])
    #expect(alias.first.map { "\($0.file):\($0.line):\($0.column)" } == "--set:1:26")
    #expect(Self.refused("name: x\nplatform: xen-router\nhost: {generator: trafgen}\n").isEmpty)
  }

  /// iperf3 -b paces a constant rate, and the testbed refuses any other law with iperf3: the
  /// model refuses it too, at the arrival, instead of simulating an iperf3 that draws Poisson
  /// or on-off departures.
  @Test func iperf3IsCBROnlyInTheModelToo() {
    // `traffic: [{to: each, rate: 10kpps, frame: 1518B, arrival: ` is 58 characters: column 59
    let d = Self.refused(
      "name: p\nplatform: netns-direct\nhost: {generator: iperf3}\n"
        + "traffic: [{to: each, rate: 10kpps, frame: 1518B, arrival: poisson}]\n")
    #expect(d.count == 1, "\(d)")
    #expect(
      d.first?.description
        == "g.yaml:4:59: traffic[0].arrival: host.generator iperf3 sends CBR only (iperf3 -b paces a constant "
        + "rate), in the model and on the testbed alike; allowed: cbr with host.generator iperf3; or "
        + "host.generator trafgen (the default) for other arrival laws")
    // the same law through --set on a trafgen scenario turned iperf3 by --set: reported at the law
    let viaSet = Self.refused(
      "name: p\nplatform: netns-bridge\n",
      ["host.generator=iperf3", "traffic[0].arrival={kind: onoff, on: 1ms, off: 1ms}"])
    #expect(viaSet.map(\.keyPath) == ["traffic[0].arrival"], "\(viaSet)")
    // CBR with iperf3, and Poisson with trafgen, load
    #expect(
      Self.refused(
        "name: p\nplatform: netns-direct\nhost: {generator: iperf3}\n"
          + "traffic: [{to: each, rate: 10kpps, frame: 1518B, arrival: cbr}]\n"
      ).isEmpty)
    #expect(
      Self.refused(
        "name: p\nplatform: netns-direct\ntraffic: [{to: each, rate: 10kpps, frame: 64B, arrival: poisson}]\n"
      ).isEmpty)
  }

  @Test func theReceiversCPUMustExistWhenIperf3Runs() {
    // host.cpus 2: CPU 2 does not exist; `host: {cpus: 2, generator: iperf3, udp_receiver_cpu: ` is 53
    // characters, the value at column 54
    let d = Self.refused(
      "name: r\nplatform: netns-direct\nhost: {cpus: 2, generator: iperf3, udp_receiver_cpu: 2}\n")
    #expect(d.count == 1, "\(d)")
    #expect(
      d.first?.description
        == "g.yaml:3:54: host.udp_receiver_cpu: CPU 2 does not exist (host.cpus is 2); allowed: CPU numbers from 0 to 1"
    )
    // trafgen runs no receiver: the key is not read, a one-CPU host keeps its default
    #expect(Self.refused("name: r\nplatform: netns-direct\nhost: {cpus: 1}\n").isEmpty)
  }

  /// A CPU given for the UDP receivers is range-checked whatever the generator: trafgen (and
  /// a Xen platform) does not read it, but a CPU the host does not have is an error all the
  /// same, written in the scenario or by --set.
  @Test func aGivenReceiverCPUMustExistWhateverTheGenerator() {
    // `host: {cpus: 2, udp_receiver_cpu: ` is 34 characters: the value at column 35
    let d = Self.refused("name: r\nplatform: netns-direct\nhost: {cpus: 2, udp_receiver_cpu: 5}\n")
    #expect(d.count == 1, "\(d)")
    #expect(
      d.first?.description
        == "g.yaml:3:35: host.udp_receiver_cpu: CPU 5 does not exist (host.cpus is 2); allowed: CPU numbers from 0 to 1"
    )
    let viaSet = Self.refused("name: r\nplatform: xen-bridge\nhost: {cpus: 2}\n", ["host.udp_receiver_cpu=7"])
    #expect(viaSet.map(\.keyPath) == ["host.udp_receiver_cpu"], "\(viaSet)")
    // a CPU the host has loads with trafgen
    #expect(Self.refused("name: r\nplatform: netns-direct\nhost: {cpus: 2, udp_receiver_cpu: 1}\n").isEmpty)
  }

  @Test func theGeneratorCanBeSwept() throws {
    let spec = try Self.load("name: s\nplatform: netns-direct\nsweep: {host.generator: [trafgen, iperf3]}\n")
    #expect(
      try spec.sweepPoints().map { try $0.spec.platformSpec(profile: $0.spec.costs).generator } == [
        .trafgen, .iperf3,
      ])
  }

  /// A profile file that states the generator and the receiver's CPU (as the fitted UDP profile
  /// did): never read; a warning names the file, line, column and key, and what to write.
  @Test func aProfileFilesGeneratorIsNeverRead() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vrsim-gen-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let body = ProfileFile.text(.paper2012)
    let line = body.split(separator: "\n").count + 1
    try (body + "generator_socket: udp\nudp_receiver_cpu: 0\n").write(
      to: dir.appendingPathComponent("old.yaml"), atomically: true, encoding: .utf8)
    let profile = dir.appendingPathComponent("old.yaml").path
    let file = dir.appendingPathComponent("s.yaml")
    try "name: s\nplatform: netns-direct\nprofile: old.yaml\n".write(
      to: file, atomically: true, encoding: .utf8)
    let spec = try ScenarioLoader.load(path: file.path, overrides: [])
    #expect(spec.host.generator == .trafgen, "the profile's udp is not honoured")
    #expect(spec.host.udpReceiverCPU == 1, "the profile's CPU 0 is not honoured")
    #expect(spec.costs == CostProfile.paper2012, "the rest of the file is read as before")
    let tail = " in the scenario (--set "
    #expect(
      spec.source.warnings == [
        // `generator_socket: ` is 18 characters, `udp_receiver_cpu: ` too: values at column 19
        "\(profile):\(line):19: generator_socket: not read: host.generator is now a setting of the scenario "
          + "(read by the model and the testbed alike; the testbed never reads profile files), not a cost: this "
          + "profile's 'udp' is never used, the run uses the scenario's host.generator; write host: "
          + "{generator: iperf3}\(tail)host.generator=iperf3) to run as this profile was fitted, and remove the "
          + "key from the profile",
        "\(profile):\(line + 1):19: udp_receiver_cpu: not read: host.udp_receiver_cpu is now a setting of the "
          + "scenario (read by the model and the testbed alike; the testbed never reads profile files), not a "
          + "cost: this profile's '0' is never used, the run uses the scenario's host.udp_receiver_cpu; write "
          + "host: {udp_receiver_cpu: 0}\(tail)host.udp_receiver_cpu=0) to run as this profile was fitted, and "
          + "remove the key from the profile",
      ], "\(spec.source.warnings)")
  }
}
