import Foundation
import Scenario

#if canImport(Glibc)
  import Glibc
#endif

/// Executes a `TopologyPlan` on this machine, recording each namespace and cgroup in the
/// ledger before creating it.
public enum TopologyBuilder {
  /// Runs every step of `plan`; on a failure the caller tears the ledger down. In threaded
  /// mode each NAPI thread the kernel starts is found (the new `napi/DEV...` thread after
  /// the device's `threaded` write) and moved into its router's cgroups (recorded in the
  /// ledger before they were made; the thread ends with its namespace, and a cgroup's
  /// removal moves a kernel thread back to the hierarchy's root first). Returns the
  /// threads: scope (`thread:vrN`, `thread:dom0`) -> pid.
  @discardableResult
  public static func build(_ plan: TopologyPlan, runner: any CommandRunner, ledger: ResourceLedger) throws
    -> [String: Int32]
  {
    var threads: [String: Int32] = [:]
    for (i, step) in plan.steps.enumerated() {
      let host = i < plan.stepHosts.count ? plan.stepHosts[i] : nil
      guard let device = TopologyPlan.threadedDevice(of: step),
        let entry = plan.threadedDevices.first(where: { $0.port.name == device })
      else {
        try build(steps: [step], hosts: [host], runner: runner, ledger: ledger)
        continue
      }
      let comm = String(("napi/" + device).prefix(15))
      let before = Set(ThreadSched.kernelThreads(prefix: comm).map(\.pid))
      try build(steps: [step], hosts: [host], runner: runner, ledger: ledger)
      var found: [Int32] = []
      for _ in 0..<50 {
        found = ThreadSched.kernelThreads(prefix: comm).map(\.pid).filter { !before.contains($0) }
        if !found.isEmpty { break }
        usleep(20_000)
      }
      guard found.count == 1, let pid = found.first else {
        throw TestbedError(
          "host.forwarding: threaded: the kernel started \(found.count) NAPI threads for \(device) (expected 1: GRO on a veth gives it one NAPI instance)"
        )
      }
      let scope = entry.router.map { "thread:vr\($0)" } ?? "thread:dom0"
      threads[scope] = pid
      if let router = entry.router {
        try place(pid, router: router, plan: plan, cgroups: entry.cgroups, runner: runner, ledger: ledger)
      } else if !plan.setup.dom0Pin.isEmpty, host == nil {
        // dom0's hop (its ingress bridge port or forwarding interface): pinned with taskset to
        // `dom0.pin` (dom0 has no cgroup on the testbed; the thread dies with its veth).
        let cpus = plan.setup.dom0Pin.map { String($0 % max(1, plan.setup.hostCPUs)) }.joined(separator: ",")
        try ledger.whileOpen { _ = try runner.check(["taskset", "-pc", cpus, String(pid)]) }
      }
    }
    return threads
  }

  /// Places router `router`'s NAPI thread: into its cgroups (v1 cpu and cpuset: the weight,
  /// the cap and the cpuset apply to it as to any task there); without them (cgroup v2,
  /// where kernel threads stay in the root) pinned with taskset to the router's CPUs and
  /// given the nice level whose CFS weight is nearest the router's weight relative to 256
  /// (each nice step is a factor of about 1.25; no cap).
  static func place(
    _ pid: Int32, router: Int, plan: TopologyPlan, cgroups: [String], runner: any CommandRunner,
    ledger: ResourceLedger
  ) throws {
    if !cgroups.isEmpty {
      // A thread the kernel has just started may refuse the move (EINVAL) for a moment:
      // measured here, about one run in five; it is tried again for up to 2 s.
      for dir in cgroups {
        var last: (any Error)? = nil
        for _ in 0..<100 {
          do {
            try ledger.whileOpen { try CgroupFiles.write(String(pid), to: dir + "/tasks") }
            last = nil
            break
          } catch {
            last = error
            usleep(20_000)
          }
        }
        if let last { throw TestbedError("cannot move NAPI thread \(pid) into cgroup \(dir): \(last)") }
      }
      return
    }
    let r = plan.setup.routers[router]
    let cpus =
      r.pin.isEmpty
      ? TopologyPlan.cpuList(router: router, vcpus: r.vcpus, hostCPUs: plan.setup.hostCPUs)
      : r.pin.map { String($0 % max(1, plan.setup.hostCPUs)) }.joined(separator: ",")
    try ledger.whileOpen {
      _ = try runner.check(["taskset", "-pc", cpus, String(pid)])
      _ = try runner.check(["renice", "-n", String(niceLevel(weight: r.weight)), "-p", String(pid)])
    }
  }

  /// The nice level whose CFS weight relative to nice 0 is nearest `weight` / 256
  /// (CFS weights step by about 1.25 per nice level).
  public static func niceLevel(weight: Int) -> Int {
    let ratio = Double(max(1, weight)) / 256
    return max(-20, min(19, -Int((log(ratio) / log(1.25)).rounded())))
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
