import Foundation
import Scenario
import Testing

@testable import Testbed

/// Plans of scenarios whose roles run on other hosts: cables, hosts per step, the checks.
@Suite("topology plans with remote roles: cables and hosts")
struct RemotePlanTests {
  /// The `testbed:` section of a scenario, parsed by the scenario loader.
  static func roles(_ testbed: String, platform: String = "netns-bridge", routers: Int = 2) throws
    -> ScenarioSpec
  {
    let text = """
      name: t
      platform: \(platform)
      routers: { count: \(routers), each: { vcpus: 1, weight: 256, cap: 0, routes: 3 } }
      traffic: [ { to: each, rate: 10kpps, frame: 64B, arrival: cbr } ]
      run: { duration: 1s, replications: 1, seed: 1 }
      testbed:
      \(testbed)
      """
    return try ScenarioLoader.load(text: text, fileName: "t.yaml", overrides: [])
  }

  /// The generator (gen1) and the sink (sink1) over ssh, the dut local, as many cables as
  /// `platform` with 2 routers has (bridge, router: 1 each way through dom0; direct: 2).
  static func mixed(_ platform: TestbedPlatform) -> String {
    let n = platform == .direct ? 2 : 1
    func list(_ base: String, from: Int) -> String {
      "[" + (0..<n).map { "\(base)\(from + $0)" }.joined(separator: ", ") + "]"
    }
    return """
        generator: { ssh: { host: gen1, user: root }, ports: { dut: \(list("eth", from: 1)), sink: [eth9] } }
        dut: { ports: { generator: \(list("eth", from: 2)), sink: \(list("eth", from: 5)) } }
        sink: { ssh: { host: sink1, user: root }, ports: { dut: \(list("eth", from: 1)), generator: [eth9] } }
      """
  }

  /// The golden plan's setup (2 routers, 10 kp/s each) with the mixed roles.
  static func mixedPlan(_ platform: TestbedPlatform) throws -> TopologyPlan {
    let spec = try roles(mixed(platform), platform: platform.rawValue)
    var setup = PlanGoldenTests.setup(platform)
    setup.roles = try #require(spec.testbed)
    try TestbedSetup.checkCables(setup.roles, platform: platform, routers: 2)
    return TopologyPlan(setup: setup, prefix: RunPrefix(tag: "0"), cgroups: .v1(root: "/sys/fs/cgroup"))
  }

  @Test(arguments: TestbedPlatform.allCases)
  func mixedPlanMatchesGolden(platform: TestbedPlatform) throws {
    try expectPlanGolden(try Self.mixedPlan(platform).render(), "plan-\(platform.rawValue)-remote.txt")
  }

  /// Each link between hosts is two macvlans, one on each named parent (links per platform:
  /// generator-dut and dut-sink 1 each through dom0, 2 on direct; generator-sink 1), made in
  /// the host's own namespace and moved into the role's; no veth joins two hosts; a parent
  /// appears only as `link PARENT` of a macvlan (never moved, renamed, re-addressed); every
  /// step on the generator's or the sink's namespace runs over ssh on its host, the dut's here.
  @Test(arguments: TestbedPlatform.allCases)
  func cablesAreMacvlansOnTheNamedParents(platform: TestbedPlatform) throws {
    let plan = try Self.mixedPlan(platform)
    let n = platform == .direct ? 2 : 1
    let lines = plan.steps.flatMap { step -> [String] in
      guard case .command(_, let input?) = step else { return [] }
      return input.split(separator: "\n").map(String.init)
    }
    let macvlans = lines.filter { $0.contains("type macvlan") }
    #expect(macvlans.count == 2 * (n + n + 1), "\(macvlans)")
    for line in lines where line.contains(" eth") {
      #expect(line.hasPrefix("link add link eth") && line.contains(" type macvlan mode "), "\(line)")
    }
    for line in lines where line.contains("type veth") {
      let peerNS = line.split(separator: " ").last.map(String.init) ?? ""
      let creator = plan.steps.first {
        if case .command(let argv, let input?) = $0 { return input.contains(line) && argv.count > 2 }
        return false
      }
      if case .command(let argv, _) = creator {
        #expect(
          plan.role(ofNamespace: argv[2]) == plan.role(ofNamespace: peerNS), "veth across hosts: \(line)")
      }
    }
    for (step, host) in plan.placedSteps {
      let ns: String?
      switch step {
      case .namespace(let name): ns = name
      case .command(let argv, _):
        ns =
          argv.count > 3 && argv[1] == "netns" && argv[2] == "exec"
          ? argv[3] : argv.count > 2 && argv[1] == "-n" ? argv[2] : nil
      case .cgroup: ns = plan.routerNamespace(0)
      }
      if let ns {
        let expected: String? = [plan.generatorNamespace: "gen1", plan.sinkNamespace: "sink1"][ns]
        #expect(host?.host == expected, "\(step)")
      }
    }
    // dom0's bridge port toward the generator takes every frame from the generator's MAC.
    let g0 = plan.generators[0].port
    let source = macvlans.filter { $0.contains("mode source") }
    if platform == .bridge {
      #expect(
        source == [
          "link add link eth2 name vrt0-d0 address 02:76:74:00:00:02 netns vrt0-dom0 type macvlan mode source macaddr add \(g0.mac)"
        ])
    } else {
      #expect(source == [])
    }
  }

  /// The all-local plan is what it was: the role defaults change nothing.
  @Test func allLocalRolesKeepTheVethPlan() throws {
    let spec = try Self.roles("  time_keeper: {}")
    var setup = PlanGoldenTests.setup(.bridge)
    setup.roles = spec.testbed ?? TestbedRolesSpec()
    let plan = TopologyPlan(setup: setup, prefix: RunPrefix(tag: "0"), cgroups: .v1(root: "/sys/fs/cgroup"))
    try expectPlanGolden(plan.render(), "plan-netns-bridge.txt")
    #expect(plan.stepHosts.allSatisfy { $0 == nil })
  }

  /// A remote dut's cgroups are made over ssh as argument vectors: mkdir, then tee FILE with
  /// the value on stdin (weight 512 -> cpu.shares 2048, cap 50% -> quota 50000 us).
  @Test func remoteDutCgroupsAreMkdirAndTee() throws {
    let spec = try Self.roles(
      """
        dut: { ssh: { host: dut1 }, ports: { generator: [eth1], sink: [eth2] } }
        generator: { ports: { dut: [eth3] } }
        sink: { ports: { dut: [eth4] } }
      """)
    var setup = PlanGoldenTests.setup(.router)
    setup.roles = try #require(spec.testbed)
    try TestbedSetup.checkCables(setup.roles, platform: .router, routers: 2)
    let plan = TopologyPlan(setup: setup, prefix: RunPrefix(tag: "0"), cgroups: .v1(root: "/sys/fs/cgroup"))
    let cgroups = plan.placedSteps.compactMap { s -> CgroupStep? in
      if case .cgroup(let c) = s.step {
        #expect(s.host?.host == "dut1")
        return c
      }
      return nil
    }
    let cmds = TopologyPlan.remoteCgroupCommands(cgroups[2])
    #expect(
      cmds.map(\.argv) == [
        ["mkdir", "/sys/fs/cgroup/cpu/vrt0-vr1"], ["tee", "/sys/fs/cgroup/cpu/vrt0-vr1/cpu.shares"],
        ["tee", "/sys/fs/cgroup/cpu/vrt0-vr1/cpu.cfs_period_us"],
        ["tee", "/sys/fs/cgroup/cpu/vrt0-vr1/cpu.cfs_quota_us"],
      ])
    #expect(cmds.map(\.input) == [nil, "2048", "100000", "50000"])
    let text = plan.render()
    #expect(
      text.contains(
        "$ ssh -o BatchMode=yes -p 22 -- dut1 'tee' '/sys/fs/cgroup/cpu/vrt0-vr1/cpu.shares'\n    2048\n"))
    // The generator and the sink share this machine: their ceiling link stays a veth pair.
    #expect(text.contains("link add vrt0-cg address 02:76:74:00:00:0d type veth peer name vrt0-cs"))
  }

  /// Too few or too many cable ends, or ends between roles on one host: refused, naming the key.
  @Test func cableCountsAreChecked() throws {
    func error(_ testbed: String, platform: String = "netns-bridge", routers: Int = 2) throws -> String {
      let spec = try Self.roles(testbed, platform: platform, routers: routers)
      do {
        _ = try TestbedSetup(spec: spec, hostCPUs: 2)
        return "no error"
      } catch let e as TestbedError {
        #expect(e.isUsage)
        return e.message
      }
    }
    let none = try error("  generator: { ssh: { host: gen1 } }")
    #expect(
      none.hasPrefix(
        "testbed.generator.ports.dut: 0 interface(s) given; netns-bridge with 2 router(s) has 1 link"),
      "\(none)")
    let many = try error(
      "  generator: { ssh: { host: gen1 }, ports: { dut: [eth1, eth2], sink: [eth3] } }\n  dut: { ports: { generator: [eth1] } }\n  sink: { ports: { generator: [eth1] } }"
    )
    #expect(
      many.hasPrefix(
        "testbed.generator.ports.dut: 2 interface(s) given; netns-bridge with 2 router(s) has 1 link"),
      "\(many)")
    // Direct with 3 routers: one cable per router, on both ends.
    let direct = try error(
      "  sink: { ssh: { host: s1 }, ports: { dut: [a, b, c], generator: [c] } }\n  dut: { ports: { sink: [a, b] } }\n  generator: { ports: { sink: [d] } }",
      platform: "netns-direct", routers: 3)
    #expect(
      direct.hasPrefix(
        "testbed.dut.ports.sink: 2 interface(s) given; netns-direct with 3 router(s) has 3 link"),
      "\(direct)")
    #expect(direct.contains("one per router"))
    let sinkShort = try error(
      "  sink: { ssh: { host: s1 }, ports: { dut: [a, b], generator: [c] } }\n  dut: { ports: { sink: [a, b, c] } }\n  generator: { ports: { sink: [d] } }",
      platform: "netns-direct", routers: 3)
    #expect(sinkShort.hasPrefix("testbed.sink.ports.dut: 2 interface(s) given"), "\(sinkShort)")
    let ceiling = try error(
      "  sink: { ssh: { host: s1 }, ports: { dut: [a] } }\n  dut: { ports: { sink: [a] } }")
    #expect(ceiling.hasPrefix("testbed.generator.ports.sink: 0 interface(s) given"), "\(ceiling)")
    #expect(ceiling.contains("the generator-ceiling link"))
    let same = try error("  dut: { ports: { generator: [eth1] } }")
    #expect(
      same.hasPrefix("testbed.dut.ports.generator: the dut and the generator run on the same host"), "\(same)"
    )
    // Two roles on one remote host (same host and port) are one machine: veth between them.
    let shared = try error(
      "  generator: { ssh: { host: h, user: a }, ports: { dut: [e1], sink: [x] } }\n  sink: { ssh: { host: h, user: b }, ports: { dut: [e4] } }\n  dut: { ports: { generator: [e2], sink: [e3] } }"
    )
    #expect(shared.hasPrefix("testbed.generator.ports.sink: the generator and the sink run on the same host"))
  }

  /// The roles' dictionaries encode as objects keyed by role name (sorted keys: the same JSON
  /// in every process), not as arrays of pairs in hash order.
  @Test func rolesEncodeAsKeyedObjects() throws {
    let spec = try Self.roles(Self.mixed(.direct), platform: "netns-direct")
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let text = String(decoding: try encoder.encode(try #require(spec.testbed)), as: UTF8.self)
    #expect(
      text.contains("\"ports\":{\"dut\":{\"generator\":[\"eth2\",\"eth3\"],\"sink\":[\"eth5\",\"eth6\"]}"),
      "\(text)")
    #expect(text.contains("\"remote\":{\"generator\":{"), "\(text)")
    let back = try JSONDecoder().decode(TestbedRolesSpec.self, from: Data(text.utf8))
    #expect(back == spec.testbed)
  }

  /// Interface names and the client namespace are checked where the scenario is read.
  @Test func portNamesAreChecked() throws {
    func diagnostics(_ testbed: String) -> String {
      do {
        _ = try Self.roles(testbed)
        return "no error"
      } catch {
        return "\(error)"
      }
    }
    let bad = diagnostics("  generator: { ports: { dut: [eth1, \"-x\"] } }")
    #expect(bad.contains("testbed.generator.ports.dut[1]"), "\(bad)")
    #expect(bad.contains("interface name"))
    let long = diagnostics("  generator: { ports: { dut: [abcdefghijklmnop] } }")
    #expect(long.contains("testbed.generator.ports.dut"), "\(long)")
    let twice = diagnostics("  sink: { ports: { dut: [a, a] } }")
    #expect(twice.contains("named twice"), "\(twice)")
    let unknown = diagnostics("  generator: { ports: { dom0: [a] } }")
    #expect(unknown.contains("testbed.generator.ports.dom0"), "\(unknown)")
    #expect(unknown.contains("unknown key"))
    let keeper = diagnostics("  time_keeper: { ports: { dut: [a] } }")
    #expect(keeper.contains("testbed.time_keeper.ports"), "\(keeper)")
    let ns = diagnostics("  generator: { ssh: { host: g, client_namespace: \"../x\" } }")
    #expect(ns.contains("testbed.generator.ssh.client_namespace"), "\(ns)")
    let ok = try Self.roles(
      "  generator: { ssh: { host: g, client_namespace: mgmt }, ports: { dut: eth1, sink: [eth2] } }")
    #expect(ok.testbed?.ports(.generator, toward: .dut) == ["eth1"])
    #expect(ok.testbed?.target(.generator)?.clientNamespace == "mgmt")
    #expect(
      try RemoteLauncher(target: try #require(ok.testbed?.target(.generator))).argv(["true"]).prefix(5) == [
        "ip", "netns", "exec", "mgmt", "ssh",
      ])
  }
}
