import Foundation
import Platforms
import Scenario
import SimCore
import Testing

@testable import Testbed

/// The testbed's set-up reads the same generator and receiver CPU as the model:
/// `host.generator` and `host.udp_receiver_cpu` (or their old spellings), one value each in the
/// resolved scenario; `--generator` is `--set host.generator=...`, recorded in the rows' `set`
/// column. Unit level: the set-up and the points the commands measure, no live run.
@Suite("host.generator and host.udp_receiver_cpu in the testbed's set-up")
struct GeneratorSetupTests {
  static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  @Test func theSetupSeesTheModelsValues() throws {
    let cases: [(section: String, overrides: [String], generator: TrafficGenerator, cpu: Int)] = [
      ("", [], .trafgen, 1),
      ("host: {cpus: 2, generator: iperf3, udp_receiver_cpu: 0}\n", [], .iperf3, 0),
      ("", ["profile.generator_socket=udp", "profile.udp_receiver_cpu=0"], .iperf3, 0),
    ]
    for c in cases {
      let spec = try ScenarioLoader.load(
        text: "name: g\nplatform: netns-router\n" + (c.section.isEmpty ? "host: {cpus: 2}\n" : c.section),
        fileName: "g.yaml", overrides: c.overrides)
      let platform = try spec.platformSpec(profile: spec.costs)
      let setup = try TestbedSetup(spec: spec, hostCPUs: 2)
      #expect(platform.generator == c.generator && setup.generator == c.generator, "\(c)")
      #expect(platform.udpReceiverCPU == c.cpu && setup.udpReceiverCPU == c.cpu, "\(c)")
    }
  }

  /// The committed UDP scenarios: every point runs iperf3 in the model and on the testbed,
  /// with the receiver on the CPU the sweep names (1, then 0), written in the new spellings.
  @Test(arguments: ["validation/netns-udp-identify.yaml", "validation/netns-udp-heldout.yaml"])
  func theCommittedUDPScenariosRunIperf3InBoth(file: String) throws {
    let path = Self.repository.appendingPathComponent(file).path
    let (spec, points, generator) = try TestbedCommon.points(file: path, overrides: [])
    // (the base profile predates the UDP costs: its one warning names them; none is about spellings)
    #expect(!spec.source.warnings.contains { $0.contains("old spelling") || $0.contains("not read") })
    #expect(generator == .iperf3)
    #expect(!points.isEmpty)
    for (setup, label) in points {
      #expect(setup.generator == .iperf3, "\(label)")
      let cpu = label.contains("host.udp_receiver_cpu=0") ? 0 : 1
      #expect(setup.udpReceiverCPU == cpu, "\(label)")
      #expect(label.contains("host.generator=iperf3;host.udp_receiver_cpu="), "\(label)")
    }
  }

  /// `--generator iperf3` is `--set host.generator=iperf3`: the points run iperf3 and their label
  /// (the rows' `set` column) says so, so `vrsim validate` simulates the same sender; without it
  /// the scenario's value runs and the label is unchanged.
  @Test func theGeneratorOptionIsASetThatTheLabelRecords() throws {
    let path = Self.repository.appendingPathComponent("scenarios/testbed/smoke.yaml").path
    let (_, plain, used) = try TestbedCommon.points(file: path, overrides: [])
    #expect(used == .trafgen && plain.allSatisfy { $0.setup.generator == .trafgen })
    #expect(plain.allSatisfy { !$0.label.contains("host.generator") })
    let (_, iperf, chosen) = try TestbedCommon.points(
      file: path, overrides: ["traffic[0].frame=1518B"], generator: .iperf3)
    #expect(chosen == .iperf3 && iperf.allSatisfy { $0.setup.generator == .iperf3 })
    #expect(iperf.allSatisfy { $0.label.contains("host.generator=iperf3") }, "\(iperf.map(\.label))")
    #expect(
      iperf.allSatisfy { $0.setup.flows.allSatisfy { $0.frames == [FrameShare(bytes: 1518, weight: 1)] } })
  }

  /// iperf3 on the testbed sends 1472 B datagrams (1518 B frames) only. A scenario with another
  /// frame (smoke.yaml's 64 B) is refused, naming the traffic entry, rather than sent at 1518 B
  /// while the model simulates 64 B (it was replaced silently before).
  @Test func iperf3WithAnotherFrameIsRefused() throws {
    let path = Self.repository.appendingPathComponent("scenarios/testbed/smoke.yaml").path
    do {
      _ = try TestbedCommon.points(file: path, overrides: [], generator: .iperf3)
      Issue.record("iperf3 with 64 B frames must be refused")
    } catch {
      #expect(
        "\(error)".contains("traffic[0].frame: host.generator iperf3 sends 1472 B datagrams"), "\(error)")
    }
  }

  /// A sweep over the generator is refused: one run has one set of tools and one rows' note.
  @Test func aSweepOverTheGeneratorIsRefused() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vrsim-gs-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("s.yaml").path
    try "name: s\nplatform: netns-direct\nsweep: {host.generator: [trafgen, iperf3]}\n".write(
      toFile: file, atomically: true, encoding: .utf8)
    do {
      _ = try TestbedCommon.points(file: file, overrides: [])
      Issue.record("a sweep over host.generator must be refused")
    } catch {
      #expect("\(error)".contains("host.generator: a sweep point runs iperf3, the first trafgen"), "\(error)")
    }
  }
}
