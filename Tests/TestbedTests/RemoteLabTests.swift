import Foundation
import Scenario
import Testing

@testable import Testbed

#if canImport(Glibc)
  import Glibc
#endif

/// A small lab of "machines" made of namespaces, for running roles over ssh for real: a
/// generator host and a sink host (each a namespace with its own sshd and temporary keys,
/// reached from a management namespace), cabled to this machine (the dut's host) by veth
/// pairs standing in for physical cables. With `remoteDut`, the dut's host is a lab namespace
/// as well (its sshd enters only the network namespace, so its sessions see the real cgroup
/// hierarchy), and every cable joins two lab hosts. Names carry the lab's own prefix `vlab<hex>-`,
/// outside the testbed's `vrt<hex>-` family, so `vrsim testbed clean` never touches the lab;
/// `remove()` takes everything down (sshd by pid, the namespaces, the cable ends on this
/// machine, the key directory).
final class SSHLab {
  let prefix: String
  let runner = SystemCommandRunner()
  let directory: String
  var namespaces: [String] = []
  var rootLinks: [String] = []
  var servers: [String: NamespaceSSHServer] = [:]
  var mgmt: String { prefix + "mgmt" }
  var gen: String { prefix + "gen" }
  var sink: String { prefix + "sink" }
  var dut: String { prefix + "dut" }
  let remoteDut: Bool
  /// Management addresses of the generator's, the sink's and the dut's sshd.
  static let genAddress = "10.249.0.2"
  static let sinkAddress = "10.249.0.6"
  static let dutAddress = "10.249.0.10"

  init(remoteDut: Bool = false) throws {
    self.remoteDut = remoteDut
    prefix = "vlab" + String(UInt32(getpid()) & 0xffff, radix: 16) + "-"
    directory = FileManager.default.temporaryDirectory.appendingPathComponent(prefix + "keys").path
    do { try build() } catch {
      remove()
      throw error
    }
  }

  private func build() throws {
    try? FileManager.default.removeItem(atPath: directory)
    try FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
    for ns in [mgmt, gen, sink] + (remoteDut ? [dut] : []) {
      namespaces.append(ns)
      try runner.check(["ip", "netns", "add", ns])
      try runner.check([
        "ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
        "net.ipv6.conf.default.disable_ipv6=1",
      ])
      try runner.check(["ip", "-n", ns, "link", "set", "lo", "up"])
    }
    // Management network: mgmt -- gen (10.249.0.0/30), mgmt -- sink (10.249.0.4/30).
    for (host, name, local, remote) in [
      (gen, "mg", "10.249.0.1", Self.genAddress), (sink, "ms", "10.249.0.5", Self.sinkAddress),
    ] + (remoteDut ? [(dut, "md", "10.249.0.9", Self.dutAddress)] : []) {
      try runner.check([
        "ip", "-n", mgmt, "link", "add", name, "type", "veth", "peer", "name", name, "netns", host,
      ])
      try runner.check(["ip", "-n", mgmt, "addr", "add", local + "/30", "dev", name])
      try runner.check(["ip", "-n", host, "addr", "add", remote + "/30", "dev", name])
      try runner.check(["ip", "-n", mgmt, "link", "set", name, "up"])
      try runner.check(["ip", "-n", host, "link", "set", name, "up"])
    }
    // Cables: gen dut0, dut1 -- this machine's <prefix>g0, g1; sink dut0, dut1 -- <prefix>s0, s1;
    // gen sink0 -- sink gen0. No addresses, IPv6 off (no router solicitations on them).
    //    With a remote dut: the dut host's gen0, gen1, sink0, sink1 instead.
    for (end, host, k) in [("g0", gen, 0), ("g1", gen, 1), ("s0", sink, 0), ("s1", sink, 1)] {
      if remoteDut {
        let here = (end.hasPrefix("g") ? "gen" : "sink") + "\(k)"
        try runner.check([
          "ip", "-n", dut, "link", "add", here, "type", "veth", "peer", "name", "dut\(k)", "netns", host,
        ])
        try runner.check(["ip", "-n", dut, "link", "set", here, "up"])
        try runner.check(["ip", "-n", host, "link", "set", "dut\(k)", "up"])
        continue
      }
      let name = prefix + end
      rootLinks.append(name)
      try runner.check(["ip", "link", "add", name, "type", "veth", "peer", "name", "dut\(k)", "netns", host])
      try runner.check(["sysctl", "-q", "-w", "net.ipv6.conf.\(name).disable_ipv6=1"])
      try runner.check(["ip", "link", "set", name, "up"])
      try runner.check(["ip", "-n", host, "link", "set", "dut\(k)", "up"])
    }
    try runner.check([
      "ip", "-n", gen, "link", "add", "sink0", "type", "veth", "peer", "name", "gen0", "netns", sink,
    ])
    try runner.check(["ip", "-n", gen, "link", "set", "sink0", "up"])
    try runner.check(["ip", "-n", sink, "link", "set", "gen0", "up"])
    for (role, ns, address) in [("gen", gen, Self.genAddress), ("sink", sink, Self.sinkAddress)]
      + (remoteDut ? [("dut", dut, Self.dutAddress)] : [])
    {
      servers[role] = try NamespaceSSHServer(
        directory: directory + "/" + role, namespace: ns, address: address, port: 2222, clientNamespace: mgmt,
        runner: runner, networkOnly: role == "dut")
    }
  }

  /// A runner on the lab host `role` (gen or sink), over its ssh.
  func remote(_ role: String) -> SSHCommandRunner { SSHCommandRunner(servers[role]!.launcher, local: runner) }

  /// The scenario's ssh target for `role` as YAML flow mapping.
  func sshYAML(_ role: String) -> String {
    let t = servers[role]!.launcher.target
    let options = t.options.map { "\($0.name): \"\($0.value)\"" }.joined(separator: ", ")
    return
      "{ host: \(t.host), user: root, port: \(t.port), identity: \(t.identity!), client_namespace: \(mgmt), options: { \(options) } }"
  }

  /// A scenario with the generator and the sink on the lab's hosts, the dut here (or on the
  /// lab's dut host), each link between hosts on one of the lab's cables.
  func scenario(platform: String, routers: Int) -> String {
    let n = platform == "netns-direct" ? routers : 1
    func list(_ names: [String]) -> String { "[" + names.joined(separator: ", ") + "]" }
    let dutEnds = (0..<n).map { "dut\($0)" }
    return """
      name: remote-lab
      about: generator and sink on lab hosts over ssh, the dut \(remoteDut ? "too" : "local")
      host: { cpus: 2, clock: 2.5GHz, nic: { rate: 10Gbps, rx_ring: 256, tx_ring: 256, vfs: 0 } }
      platform: \(platform)
      routers: { count: \(routers), each: { vcpus: 1, weight: 256, cap: 0, routes: 10 } }
      traffic: [ { to: each, rate: 10kpps, frame: 64B, arrival: cbr } ]
      run: { duration: 1s, warmup: 100ms, replications: 1, seed: 1 }
      testbed:
        generator:
          ssh: \(sshYAML("gen"))
          ports: { dut: \(list(dutEnds)), sink: [sink0] }
        dut:\(remoteDut ? "\n    ssh: " + sshYAML("dut") : "")
          ports: { generator: \(list(dutPorts("g", n))), sink: \(list(dutPorts("s", n))) }
        sink:
          ssh: \(sshYAML("sink"))
          ports: { dut: \(list(dutEnds)), generator: [gen0] }

      """
  }

  /// The dut host's cable ends toward the generator (`g`) or the sink (`s`).
  func dutPorts(_ side: String, _ n: Int) -> [String] {
    (0..<n).map { remoteDut ? (side == "g" ? "gen\($0)" : "sink\($0)") : prefix + side + "\($0)" }
  }

  /// Names with `prefix` in `ip netns list` and `ip -o link show` of this machine and of each
  /// lab host (seen over its ssh), one line each.
  func names(with prefix: String) -> [String] {
    var out = TestbedCleaner.leftovers(prefix: prefix, runner: runner).map { "here: \($0)" }
    for role in ["gen", "sink", "dut"] where servers[role] != nil {
      let r = remote(role)
      out += NamespaceTools.list(runner: r).filter { $0.hasPrefix(prefix) }.map { "\(role): netns \($0)" }
      out += TestbedCleaner.hostLinks(runner: r).filter { $0.hasPrefix(prefix) }.map { "\(role): link \($0)" }
    }
    return out
  }

  /// MAC, flags other than promiscuity, and addresses of every cable end (the parents the
  /// runs must leave as they found them).
  func parents() -> [String] {
    var out: [String] = []
    let dutEnds = remoteDut ? [(dut, "gen0"), (dut, "gen1"), (dut, "sink0"), (dut, "sink1")] : []
    for (ns, dev) in [
      (gen, "dut0"), (gen, "dut1"), (gen, "sink0"), (sink, "dut0"), (sink, "dut1"), (sink, "gen0"),
    ] + dutEnds {
      let link = (try? runner.check(["ip", "-n", ns, "-o", "link", "show", "dev", dev])) ?? "missing"
      let addr = (try? runner.check(["ip", "-n", ns, "-o", "addr", "show", "dev", dev])) ?? ""
      out.append(
        ns + " " + dev + " " + link.split(separator: " ").filter { $0.contains(":") }.joined() + " " + addr)
    }
    for l in rootLinks {
      out.append(
        ((try? runner.check(["ip", "-o", "link", "show", "dev", l])) ?? "missing").components(
          separatedBy: "\\")[0])
    }
    return out
  }

  /// Stops the sshds, deletes the lab's namespaces (killing what runs in them) and cable ends.
  func remove() {
    for s in servers.values { s.stop() }
    servers = [:]
    for l in rootLinks { _ = try? runner.run(["ip", "link", "del", "dev", l], input: nil) }
    rootLinks = []
    for ns in namespaces.reversed() { _ = NamespaceTools.remove(ns, runner: runner) }
    namespaces = []
    try? FileManager.default.removeItem(atPath: directory)
  }

  deinit { remove() }
}

/// Roles on remote hosts, for real, in the serialized live suite.
extension LiveTestbedTests {
  /// Writes `text` to a scenario file in a fresh directory (removed by the caller).
  static func writeScenario(_ text: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vrsim-remote-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let file = dir.appendingPathComponent("remote-lab.yaml")
    try Data(text.utf8).write(to: file)
    return file
  }

  /// The generator and the sink on the lab's hosts over ssh (their namespaces, macvlans and
  /// trafgen made there through sshd), the dut here; netns-bridge with 1 router and
  /// netns-direct with 2 at 10 kp/s per router for 1 s: received equals sent within 1% (the
  /// criterion of the local test: 64 B CBR far below this machine's forwarding rate loses
  /// nothing but the odd frame), sent is the 10 000 frames per router asked for within 1%,
  /// and afterwards nothing with the run's prefix is left here or on the lab's hosts, the
  /// cable ends are as they were, and after the lab is removed nothing with its prefix is left.
  @Test(
    .enabled(if: LiveSSH.reason == nil, "needs root, network namespaces, trafgen and OpenSSH"),
    arguments: [("netns-bridge", 1), ("netns-router", 1), ("netns-direct", 2)])
  func remoteGeneratorAndSinkForwardEverything(platform: String, routers: Int) throws {
    let lab = try SSHLab()
    defer { lab.remove() }
    let file = try Self.writeScenario(lab.scenario(platform: platform, routers: routers))
    defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
    let before = lab.parents()
    let out = file.deletingLastPathComponent().appendingPathComponent("run.csv")
    let log = file.deletingLastPathComponent().appendingPathComponent("run.log")
    let p = try Live.start(
      ["testbed", "run", file.path, "--ceiling-packets", "20000", "--out", out.path], log: log)
    p.waitUntilExit()
    let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    #expect(p.terminationStatus == 0, "\(output)")
    let csv = try String(contentsOf: out, encoding: .utf8)
    let sent = try #require(Live.aggregate(csv, "sent_packets"))
    let received = try #require(Live.aggregate(csv, "received_packets"))
    let asked = 10_000.0 * Double(routers)
    #expect(abs(sent - asked) <= 0.01 * asked, "sent \(sent) of \(asked)")
    #expect(abs(received - sent) <= 0.01 * sent, "received \(received) of \(sent)")
    print("RemoteLab \(platform) x\(routers): sent \(sent), received \(received)")
    let facts = try String(
      contentsOf: out.deletingPathExtension().appendingPathExtension("json"), encoding: .utf8)
    #expect(facts.contains("\"remote_hosts\""), "no remote host facts in the sidecar")
    let prefix = RunPrefix(pid: p.processIdentifier).text
    #expect(lab.names(with: prefix) == [])
    #expect(lab.parents() == before, "a cable end changed")
    let labPrefix = lab.prefix
    lab.remove()
    #expect(TestbedCleaner.leftovers(prefix: labPrefix, runner: SystemCommandRunner()) == [])
  }

  /// Every role on a lab host (the dut's sshd sees the real cgroup hierarchy): netns-bridge,
  /// 1 router at 10 kp/s for 1 s forwards every frame within 1% (the criterion of the local
  /// run); the router's cgroups were made over ssh (`mkdir`, `tee`: the run fails otherwise)
  /// and are gone afterwards with everything else of the run (this machine's cgroup
  /// hierarchy is the dut host's); the host rows (/proc/stat read over ssh) are there.
  @Test(.enabled(if: LiveSSH.reason == nil, "needs root, network namespaces, trafgen and OpenSSH"))
  func everyRoleRemoteForwardsEverything() throws {
    let lab = try SSHLab(remoteDut: true)
    defer { lab.remove() }
    let file = try Self.writeScenario(lab.scenario(platform: "netns-bridge", routers: 1))
    defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
    let before = lab.parents()
    let out = file.deletingLastPathComponent().appendingPathComponent("run.csv")
    let log = file.deletingLastPathComponent().appendingPathComponent("run.log")
    let p = try Live.start(
      ["testbed", "run", file.path, "--ceiling-packets", "20000", "--out", out.path], log: log)
    p.waitUntilExit()
    let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    #expect(p.terminationStatus == 0, "\(output)")
    let csv = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
    let sent = try #require(Live.aggregate(csv, "sent_packets"), "\(output)")
    let received = try #require(Live.aggregate(csv, "received_packets"))
    #expect(abs(sent - 10_000) <= 100, "sent \(sent)")
    #expect(abs(received - sent) <= 0.01 * sent, "received \(received) of \(sent)")
    #expect(csv.contains(",pcpu0,utilisation,"), "no host rows")
    print("RemoteLab every role remote: sent \(sent), received \(received)")
    let prefix = RunPrefix(pid: p.processIdentifier).text
    #expect(lab.names(with: prefix) == [])
    #expect(lab.parents() == before, "a cable end changed")
  }

  /// `vrsim testbed search` with the generator and the sink on the lab's hosts: between 2.5
  /// and 10 kp/s (netns-bridge, 1 router) every load passes, as the run at 10 kp/s lost no
  /// frame (`remoteGeneratorAndSinkForwardEverything`), so NDR and PDR are the upper end,
  /// 10 000 pps; nothing with the run's prefix is left.
  @Test(.enabled(if: LiveSSH.reason == nil, "needs root, network namespaces, trafgen and OpenSSH"))
  func remoteSearchFindsTheUpperEnd() throws {
    let lab = try SSHLab()
    defer { lab.remove() }
    let file = try Self.writeScenario(lab.scenario(platform: "netns-bridge", routers: 1))
    defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
    let out = file.deletingLastPathComponent().appendingPathComponent("search.csv")
    let log = file.deletingLastPathComponent().appendingPathComponent("search.log")
    let p = try Live.start(
      [
        "testbed", "search", file.path, "--low", "2500", "--high", "10000", "--resolution", "0.5",
        // Short trials, one repeat, no gate (which repeats every trial on a busy machine).
        "--initial-duration", "0.2", "--final-duration", "0.5", "--final-trials", "2", "--repeat", "1",
        "--ceiling-repeats", "1", "--drain", "0.1", "--no-gate", "--out", out.path,
      ],
      log: log)
    p.waitUntilExit()
    let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    #expect(p.terminationStatus == 0, "\(output)")
    let csv = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
    #expect(Live.aggregate(csv, "ndr_pps") == 10_000, "\(output)")
    #expect(Live.aggregate(csv, "pdr_pps") == 10_000, "\(output)")
    print(
      "RemoteLab search: ndr \(Live.aggregate(csv, "ndr_pps") ?? -1), pdr \(Live.aggregate(csv, "pdr_pps") ?? -1)"
    )
    #expect(lab.names(with: RunPrefix(pid: p.processIdentifier).text) == [])
  }

  /// A run with remote roles stopped by SIGTERM while trafgen sends on the lab's generator
  /// host tears down by itself (its ledger removes the remote namespaces over ssh): exit 143,
  /// nothing with its prefix left here or on the lab's hosts, no process of it left.
  @Test(.enabled(if: LiveSSH.reason == nil, "needs root, network namespaces, trafgen and OpenSSH"))
  func sigtermedRemoteRunTearsDownItsHosts() throws {
    let lab = try SSHLab()
    defer { lab.remove() }
    let run = try Self.signalledRemoteRun(lab, SIGTERM)
    defer { run.cleanUp() }
    #expect(run.status == 143, "\(run.output)")
    #expect(run.output.contains("netns \(run.prefix)gen on \(SSHLab.genAddress)"), "\(run.output)")
    #expect(lab.names(with: run.prefix) == [])
    #expect(Self.processes(with: run.prefix) == [])
  }

  /// A netns-bridge run (1 router, a 30 s trial) with the lab's remote roles, sent `signal`
  /// once trafgen runs on the lab's generator host; throws when trafgen never started there.
  static func signalledRemoteRun(_ lab: SSHLab, _ signal: Int32) throws -> (
    status: Int32, output: String, prefix: String, file: URL, cleanUp: () -> Void
  ) {
    let file = try writeScenario(lab.scenario(platform: "netns-bridge", routers: 1))
    let cleanUp = { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
    let log = file.deletingLastPathComponent().appendingPathComponent("run.log")
    let p = try Live.start(
      ["testbed", "run", file.path, "--set", "run.duration=30s", "--ceiling-packets", "1000"], log: log)
    let prefix = RunPrefix(pid: p.processIdentifier).text
    // The ceiling measurement, then the 30 s trial: trafgen runs in the remote generator namespace.
    let sending = waitForRemoteTrafgen(lab, namespace: prefix + "gen", while: p)
    kill(p.processIdentifier, signal)
    p.waitUntilExit()
    let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    guard sending else {
      cleanUp()
      throw TestbedError("trafgen never ran on the lab's generator host: \(output)")
    }
    return (p.terminationStatus, output, prefix, file, { cleanUp() })
  }

  /// Waits (up to 60 s, while `p` runs) for a process in `namespace` on the lab's generator host.
  static func waitForRemoteTrafgen(_ lab: SSHLab, namespace: String, while p: Process) -> Bool {
    let remote = lab.remote("gen")
    for _ in 0..<240 where p.isRunning {
      let pids = (try? remote.run(["ip", "netns", "pids", namespace], input: nil))?.stdout ?? ""
      if !pids.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return true }
      usleep(250_000)
    }
    return false
  }

  /// Processes whose command line holds `text` (trafgen's names the run's device).
  static func processes(with text: String) -> [String] {
    let procs = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter {
      Int32($0) != nil
    }
    return procs.filter { pid in
      FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map {
        String(decoding: $0, as: UTF8.self)
      }?
      .contains(text) == true
    }
  }

  /// A run with remote roles killed with SIGKILL while trafgen sends on the lab's generator
  /// host: `vrsim testbed clean FILE` removes the run's namespaces there (killing trafgen)
  /// and here, prints them per host, and nothing with the run's prefix is left anywhere.
  @Test(.enabled(if: LiveSSH.reason == nil, "needs root, network namespaces, trafgen and OpenSSH"))
  func sigkilledRemoteRunIsCleanedWithItsFile() throws {
    let lab = try SSHLab()
    defer { lab.remove() }
    let run = try Self.signalledRemoteRun(lab, SIGKILL)
    defer { run.cleanUp() }
    let prefix = run.prefix
    let gen = prefix + "gen"
    let remote = lab.remote("gen")
    let file = run.file
    #expect(
      NamespaceTools.list(runner: remote).contains(gen), "the killed run's namespace should be left there")
    let (status, cleaned) = try Live.run(["testbed", "clean", file.path])
    #expect(status == 0, "clean failed: \(cleaned)")
    #expect(cleaned.contains("\(SSHLab.genAddress): removed netns \(gen)"), "\(cleaned)")
    // The lab's hosts share this machine's /run/netns directory (each sees the others' names,
    // though not their mounts), so the sink's namespace may be removed through either host.
    #expect(cleaned.contains(": removed netns \(prefix)sink"), "\(cleaned)")
    #expect(lab.names(with: prefix) == [])
    // No process of the run is left: trafgen's command line names the run's device.
    #expect(Self.processes(with: prefix) == [])
    print("RemoteLab clean after SIGKILL:\n\(cleaned)")
  }
}
