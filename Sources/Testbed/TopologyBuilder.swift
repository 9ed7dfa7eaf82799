import Foundation
import Scenario

#if canImport(Glibc)
  import Glibc
#endif

/// Executes a `TopologyPlan` on this machine, recording each namespace and cgroup in the
/// ledger before creating it.
public enum TopologyBuilder {
  /// Runs every step of `plan`; on a failure the caller tears the ledger down.
  public static func build(_ plan: TopologyPlan, runner: any CommandRunner, ledger: ResourceLedger) throws {
    try build(steps: plan.steps, hosts: plan.stepHosts, runner: runner, ledger: ledger)
  }

  /// Runs `steps` in order, recording what they create in `ledger`. `hosts[i]` is where step
  /// i runs (nil or absent: this machine): remote steps run over ssh (a `-batch -` script on
  /// ssh's stdin, cgroups as `mkdir` and `tee`), recorded with their host.
  public static func build(
    steps: [PlanStep], hosts: [SSHTarget?] = [], runner: any CommandRunner, ledger: ResourceLedger
  ) throws {
    for (i, step) in steps.enumerated() {
      let host = i < hosts.count ? hosts[i] : nil
      let on = Testbed.runner(on: host, local: runner)
      switch step {
      case .namespace(let ns):
        try ledger.createNamespace(ns, on: host) { try on.check(["ip", "netns", "add", ns]) }
      case .command(let argv, let input):
        try ledger.whileOpen { _ = try on.check(argv, input: input) }
      case .cgroup(let c):
        if host != nil {
          try ledger.createCgroup(c.path, on: host) { try CgroupFiles.create(c, runner: on) }
        } else {
          try ledger.createCgroup(c.path) { try CgroupFiles.create(c) }
        }
      }
    }
  }
}

/// Checks that this machine can run the testbed, before anything is created: root, network
/// namespaces and veth pairs, the tools, a cgroup hierarchy. Each failure says what to do.
public enum Preflight {
  /// The programs a traffic run needs.
  public static let tools = ["ip", "bridge", "sysctl", "taskset", "trafgen"]

  /// The cgroup layout, or an error naming the first thing missing.
  /// `ledger`: the session's, which records the probe namespace before it is made.
  public static func check(
    runner: any CommandRunner, prefix: RunPrefix, tools: [String] = Preflight.tools,
    ledger: ResourceLedger? = nil
  )
    throws -> CgroupLayout
  {
    guard geteuid() == 0 else {
      throw TestbedError(
        "the testbed needs root (network namespaces, veth pairs, cgroups); run it as root", usage: true)
    }
    for t in tools where ProgramPath.resolve(t) == nil {
      throw TestbedError(
        "'\(t)' is not installed; install it with scripts/install-deps.sh (apt: netsniff-ng iproute2 util-linux procps)",
        usage: true)
    }
    guard FileManager.default.fileExists(atPath: "/proc/self/ns/net") else {
      throw TestbedError("this kernel has no network namespaces (/proc/self/ns/net is missing)", usage: true)
    }
    try probeNamespaces(runner: runner, prefix: prefix, ledger: ledger)
    guard let layout = CgroupLayout.detect() else {
      throw TestbedError("no cgroup hierarchy with cpu and cpuset under /sys/fs/cgroup", usage: true)
    }
    return layout
  }

  /// Creates a namespace and a veth pair inside it (under the run's prefix) and removes them:
  /// the proof that namespaces and veth work here. With `ledger`, the namespace is recorded
  /// there before it is made.
  public static func probeNamespaces(
    runner: any CommandRunner, prefix: RunPrefix, ledger: ResourceLedger? = nil
  )
    throws
  {
    let ns = prefix.name("probe")
    var made = CommandResult(status: 0, stdout: "", stderr: "")
    if let ledger {
      try ledger.createNamespace(ns) { made = try runner.run(["ip", "netns", "add", ns], input: nil) }
    } else {
      made = try runner.run(["ip", "netns", "add", ns], input: nil)
    }
    guard made.status == 0 else {
      throw TestbedError(
        "cannot create a network namespace (ip netns add): \(made.stderr.trimmingCharacters(in: .whitespacesAndNewlines))",
        usage: true)
    }
    defer { _ = NamespaceTools.remove(ns, runner: runner) }
    let veth = try runner.run(
      ["ip", "-n", ns, "link", "add", prefix.name("pa"), "type", "veth", "peer", "name", prefix.name("pb")],
      input: nil)
    guard veth.status == 0 else {
      throw TestbedError(
        "veth pairs are not available: \(veth.stderr.trimmingCharacters(in: .whitespacesAndNewlines))",
        usage: true)
    }
  }

  /// Why namespaces cannot be used here (nil when they can): for tests that must skip
  /// with a printed reason.
  public static func unavailableReason() -> String? {
    do {
      _ = try check(runner: SystemCommandRunner(), prefix: .current)
      return nil
    } catch {
      return "\(error)"
    }
  }
}
