import Foundation
import Report
import Scenario

#if canImport(Glibc)
  import Glibc
#endif

/// One testbed session: the checks, the lock, the signal handlers and the ledger of what it
/// created. Open it, run points, close it; whatever happens in between (an error, SIGINT,
/// SIGTERM) everything the session created is removed.
///
/// SIGKILL cannot be caught: `TestbedCleaner` removes what a killed session left.
public final class TestbedSession: @unchecked Sendable {
  /// The run prefix of every name.
  public let prefix: RunPrefix
  /// The cgroup layout in use.
  public let cgroups: CgroupLayout
  /// Where trafgen configurations are written.
  public let workDirectory: String
  let runner: any CommandRunner
  let ledger: ResourceLedger
  let lock: TestbedLock
  let log: @Sendable (String) -> Void
  private var signalSources: [any DispatchSourceSignal] = []
  private var closed = false

  /// Takes the lock, opens the run's ledger file and installs the signal handlers, then
  /// checks the machine (the probe namespace is recorded in the ledger like any other) and
  /// makes the work folder (`mkdtemp`, recorded). Throws (usage errors) without root,
  /// namespaces, veth, the tools or a cgroup hierarchy, or when another run holds the lock.
  /// `ledgerDirectory`: where the ledger file goes (tests give their own).
  public init(
    runner: any CommandRunner = SystemCommandRunner(), prefix: RunPrefix = .current,
    tools: [String] = Preflight.tools, ledgerDirectory: String = LedgerJournal.defaultDirectory,
    log: @escaping @Sendable (String) -> Void
  ) throws {
    self.runner = runner
    self.prefix = prefix
    self.log = log
    guard geteuid() == 0 else {
      throw TestbedError(
        "the testbed needs root (network namespaces, veth pairs, cgroups); run it as root", usage: true)
    }
    lock = try TestbedLock()
    let taken = TestbedCleaner.leftovers(prefix: prefix.text, runner: runner)
    guard taken.isEmpty else {
      throw TestbedError(
        "names with this run's prefix \(prefix) exist already (\(taken.joined(separator: ", "))); run vrsim testbed clean",
        usage: true)
    }
    let stale = TestbedCleaner.leftovers(runner: runner)
    if !stale.isEmpty {
      log(
        "note: \(stale.count) item(s) left by an earlier killed run (e.g. \(stale[0])); vrsim testbed clean removes them"
      )
    }
    // Nothing is created before the ledger file exists and the handlers are installed.
    ledger = ResourceLedger(
      runner: runner, journal: try LedgerJournal(prefix: prefix, directory: ledgerDirectory))
    let sources = Self.installSignalHandlers(ledger: ledger, log: log)
    signalSources = sources
    do {
      cgroups = try Preflight.check(runner: runner, prefix: prefix, tools: tools, ledger: ledger)
      workDirectory = try ledger.createWorkDirectory(
        in: FileManager.default.temporaryDirectory.path, stem: prefix.name("work."))
    } catch {
      ledger.teardown()
      Self.restore(sources)
      throw error
    }
  }

  /// SIGINT, SIGTERM and SIGHUP tear `ledger` down and exit 130, 143, 129.
  private static func installSignalHandlers(ledger: ResourceLedger, log: @escaping @Sendable (String) -> Void)
    -> [any DispatchSourceSignal]
  {
    var signalSources: [any DispatchSourceSignal] = []
    for (sig, code) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143)), (SIGHUP, Int32(129))] {
      signal(sig, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
      source.setEventHandler {
        let removed = ledger.teardown(signalExitCode: code)
        log(
          "interrupted (signal \(sig)); removed \(removed.count) item(s): \(removed.joined(separator: ", "))")
        exit(code)
      }
      source.resume()
      signalSources.append(source)
    }
    return signalSources
  }

  /// Cancels `sources` and restores the default actions.
  private static func restore(_ sources: [any DispatchSourceSignal]) {
    for s in sources { s.cancel() }
    for sig in [SIGINT, SIGTERM, SIGHUP] { signal(sig, SIG_DFL) }
  }

  /// Builds the topology of `setup`, measures the generator's ceiling, runs `trials`
  /// trials (each of `setup.duration`) and tears the topology down. Returns every trial's
  /// measurements, the time the whole point took and the time building the topology took
  /// (`setup`: namespaces, links, cgroups and the routes loaded). `configure` sets the trial
  /// runner up before the first trial (its path, CPU hogs).
  public func measure(
    _ setup: TestbedSetup, trials: Int, ceilingPackets: Int = 200_000,
    configure: (TrafficTrial) -> Void = { _ in }
  ) throws
    -> (trials: [[MetricRow]], seconds: Double, ceiling: Double, setup: Double)
  {
    let t0 = Date()
    return try withTopology(setup) { _, trial in
      let built = Date().timeIntervalSince(t0)
      configure(trial)
      let ceiling = try trial.measureCeiling(packets: ceilingPackets)
      let out = try (0..<trials).map { try trial.run(setup, index: $0) }
      return (out, Date().timeIntervalSince(t0), ceiling, built)
    }
  }

  /// Builds the topology of `setup` and hands it to `body` (with a trial runner), tearing
  /// it down afterwards: what the throughput search and the benchmarks use.
  public func withTopology<T>(_ setup: TestbedSetup, _ body: (TopologyPlan, TrafficTrial) throws -> T) throws
    -> T
  {
    let layout = try checkRemoteHosts(setup)
    var placed = setup
    // The routers' cpusets spread over the dut host's CPUs; trafgen runs on CPU 0
    // (Trafgen.workerCPU), the testbed's own sender over the generator's CPUs.
    if let dut = setup.roles.target(.dut) { placed.hostCPUs = try remoteCPUs(dut) }
    let generatorCPUs = try setup.roles.target(.generator).map(remoteCPUs) ?? setup.hostCPUs
    let plan = TopologyPlan(setup: placed, prefix: prefix, cgroups: layout)
    defer { ledger.teardown(final: false) }
    try TopologyBuilder.build(plan, runner: runner, ledger: ledger)
    let trial = TrafficTrial(
      plan: plan, runner: runner, ledger: ledger, workDirectory: workDirectory, generatorCPUs: generatorCPUs)
    return try body(plan, trial)
  }

  private var checkedHosts: [String: CgroupLayout?] = [:]
  private var cpuCounts: [String: Int] = [:]

  /// The CPUs of a remote host (`nproc` over ssh), read once.
  func remoteCPUs(_ target: SSHTarget) throws -> Int {
    let key = "\(target.host):\(target.port)"
    if let n = cpuCounts[key] { return n }
    let text = try target.runner(local: runner).check(["nproc"])
    guard let n = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), n > 0 else {
      throw TestbedError("nproc on \(target.host) printed '\(text.prefix(40))', not a CPU count")
    }
    cpuCounts[key] = n
    return n
  }

  /// Checks each remote host of `setup` once (reached over ssh as root: `ip netns list`
  /// runs; trafgen on the generator's) and returns the cgroup layout the routers get: this
  /// session's, or the remote dut's. The time-keeper stays local (the external timer needs
  /// a route from the benchmark's namespace), so a remote one is refused.
  func checkRemoteHosts(_ setup: TestbedSetup) throws -> CgroupLayout {
    if setup.roles.target(.timeKeeper) != nil {
      throw TestbedError(
        "testbed.time_keeper.ssh: the time-keeper runs locally for now (it needs a route from the benchmark's namespace); remove the entry",
        usage: true)
    }
    var layout = cgroups
    for role in [TestbedRole.generator, .dut, .sink] {
      guard let target = setup.roles.target(role) else { continue }
      let key = "\(target.host):\(target.port)"
      let on = target.runner(local: runner)
      if checkedHosts[key] == nil {
        let r = try on.run(["ip", "netns", "list"], input: nil)
        guard r.status == 0 else {
          throw TestbedError(
            "testbed.\(role.rawValue).ssh: cannot run ip netns list on \(target.host) over ssh (status \(r.status)): \(r.stderr.split(separator: "\n").prefix(2).joined(separator: "; ")); the role needs root there (docs/testbed.md, Roles over ssh)",
            usage: true)
        }
        checkedHosts[key] = .some(nil)
      }
      // trafgen -v exits 1 after printing its version; the remote shell says 127 when it is missing.
      if role == .generator,
        [127, 255].contains((try? on.run(["trafgen", "-v"], input: nil))?.status ?? 255)
      {
        throw TestbedError(
          "testbed.generator.ssh: trafgen does not run on \(target.host) (Debian: netsniff-ng)", usage: true)
      }
      if role == .dut {
        if case .some(.some(let known)) = checkedHosts[key] {
          layout = known
        } else {
          layout = try Self.remoteLayout(on, host: target.host)
          checkedHosts[key] = .some(layout)
        }
      }
    }
    return layout
  }

  /// The cgroup layout of a remote host (the same tests as `CgroupLayout.detect`, by `test -e`).
  static func remoteLayout(_ on: any CommandRunner, host: String, root: String = "/sys/fs/cgroup") throws
    -> CgroupLayout
  {
    func exists(_ path: String) -> Bool { (try? on.run(["test", "-e", path], input: nil))?.status == 0 }
    if exists(root + "/cpu/cpu.shares") && exists(root + "/cpuset/cpuset.cpus") { return .v1(root: root) }
    if exists(root + "/cgroup.controllers") { return .v2(root: root) }
    throw TestbedError(
      "testbed.dut.ssh: \(host) has no cgroup hierarchy with cpu and cpuset under \(root)", usage: true)
  }

  /// The host facts, with the offloads of a veth in a topology built for the purpose.
  public func hostFacts(sample setup: TestbedSetup) -> [String: Any] {
    (try? withTopology(setup) { plan, _ in
      let localGenerator = setup.roles.target(.generator) == nil
      var facts = HostFacts.collect(
        runner: runner,
        offloadsOf: localGenerator ? (plan.generatorNamespace, plan.ceilingPorts.gen.name) : nil)
      // The remote roles' hosts, each by its facts read over ssh.
      var hosts: [String: [String: Any]] = [:]
      for role in TestbedRole.allCases {
        guard let t = setup.roles.target(role) else { continue }
        var h = HostFacts.remote(runner: t.runner(local: runner))
        h["host"] = t.host
        hosts[role.rawValue] = h
      }
      if !hosts.isEmpty { facts["remote_hosts"] = hosts }
      // The sysctls each namespace is given (role names without the run's prefix).
      var sysctls: [String: [String]] = [:]
      for case .command(let argv, _) in plan.steps where argv.count > 4 && argv[4] == "sysctl" {
        sysctls[String(argv[3].dropFirst(prefix.text.count))] = argv.filter { $0.contains("=") }
      }
      facts["namespace_sysctls"] = sysctls
      return facts
    }) ?? HostFacts.collect(runner: runner)
  }

  /// Removes everything, restores the signal handlers and releases the lock. Returns what
  /// was removed.
  @discardableResult
  public func close() -> [String] {
    guard !closed else { return [] }
    closed = true
    let removed = ledger.teardown()
    Self.restore(signalSources)
    withExtendedLifetime(lock) {}
    return removed
  }

  deinit { close() }
}
