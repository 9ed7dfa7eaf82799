import Foundation
import Testing

/// What the testbed commands refuse of remote roles (before needing root), and the plan of a
/// scenario with remote roles (needs no root).
@Suite("vrsim testbed with remote roles: refusals and plan")
struct TestbedRemoteCLITests {
  /// A scenario file with the `testbed:` section `testbed` (removed by the caller).
  static func scenario(_ testbed: String, extra: String = "") throws -> String {
    let path = NSTemporaryDirectory() + "vrsim-remote-\(UUID().uuidString).yaml"
    let text = """
      name: remote
      platform: netns-bridge
      routers: { count: 1, each: { vcpus: 1, weight: 256, cap: 0, routes: 10 } }
      traffic: [ { to: each, rate: 10kpps, frame: 64B, arrival: cbr } ]
      run: { duration: 1s, replications: 1, seed: 1 }
      \(extra)
      testbed:
      \(testbed)
      """
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  static let remoteGenerator = """
      generator: { ssh: { host: gen1, user: root }, ports: { dut: [eth1], sink: [eth2] } }
      dut: { ports: { generator: [eth3] } }
      sink: { ports: { generator: [eth4] } }
    """

  @Test func remoteTimeKeeperIsRefusedNamingTheKey() throws {
    let path = try Self.scenario("  time_keeper: { ssh: { host: tk1 } }")
    defer { try? FileManager.default.removeItem(atPath: path) }
    for command in ["run", "search"] {
      let r = try CLIRun(["testbed", command, path])
      #expect(r.status == 2, "\(command): \(r.stderr)")
      #expect(
        r.stderr.contains("testbed.time_keeper.ssh: the time-keeper runs locally for now"), "\(r.stderr)")
    }
  }

  @Test func iperf3AndBenchRefuseRemoteRoles() throws {
    let path = try Self.scenario(Self.remoteGenerator)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let iperf = try CLIRun(["testbed", "run", path, "--generator", "iperf3"])
    #expect(iperf.status == 2)
    #expect(
      iperf.stderr.contains(
        "testbed.generator.ssh: the iperf3 generator (host.generator: iperf3) runs with every role local only"
      ),
      "\(iperf.stderr)")
    let bench = try CLIRun(["testbed", "bench", "sleep", "--scenario", path])
    #expect(bench.status == 2, "\(bench.stderr)")
    #expect(
      bench.stderr.contains("testbed.generator.ssh: vrsim testbed bench runs its router"), "\(bench.stderr)")
  }

  /// The testbed's own sender (Poisson, on-off) is this vrsim: not on a remote generator.
  @Test func poissonWithARemoteGeneratorIsRefused() throws {
    let path = try Self.scenario(Self.remoteGenerator)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let r = try CLIRun(["testbed", "run", path, "--set", "traffic[0].arrival=poisson"])
    #expect(r.status == 2, "\(r.stderr)")
    #expect(
      r.stderr.contains("traffic[0].arrival: a remote generator (testbed.generator.ssh) sends CBR only"),
      "\(r.stderr)")
  }

  @Test func missingCableIsRefusedNamingTheKey() throws {
    let path = try Self.scenario("  sink: { ssh: { host: sink1 } }")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let r = try CLIRun(["testbed", "plan", path])
    #expect(r.status == 2)
    #expect(r.stderr.contains("testbed.generator.ports.sink: 0 interface(s) given"), "\(r.stderr)")
  }

  @Test func workloadsWithARemoteRoleAreRefused() throws {
    let path = try Self.scenario(
      Self.remoteGenerator, extra: "workloads: [ { name: pi, in: vr0, kind: cpu, cycles: 1000000cycles } ]")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let r = try CLIRun(["testbed", "run", path])
    #expect(r.status == 2, "\(r.stderr)")
    #expect(
      r.stderr.contains("testbed.generator.ssh: a scenario with workloads runs with every role local only"))
  }

  /// The plan prints the generator's steps as ssh argument vectors and its cable end as a
  /// macvlan on the named parent.
  @Test func planShowsSSHVectorsAndMacvlans() throws {
    let path = try Self.scenario(Self.remoteGenerator)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let r = try CLIRun(["testbed", "plan", path])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("$ ssh -o BatchMode=yes -l root -p 22 -- gen1 'ip' 'netns' 'add' 'vrt0-gen'\n"))
    #expect(
      r.stdout.contains(
        "    link add link eth1 name vrt0-g0 address 02:76:74:00:00:01 netns vrt0-gen type macvlan mode bridge\n"
      ))
    #expect(r.stdout.contains("$ ip netns add vrt0-dom0\n"))
  }
}
