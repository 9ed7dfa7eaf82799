import Foundation
import Report

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

  /// Checks the machine, takes the lock and installs the signal handlers. Throws (usage
  /// errors) without root, namespaces, veth, the tools or a cgroup hierarchy, or when another
  /// run holds the lock.
  public init(
    runner: any CommandRunner = SystemCommandRunner(), prefix: RunPrefix = .current,
    tools: [String] = Preflight.tools, log: @escaping @Sendable (String) -> Void
  ) throws {
    self.runner = runner
    self.prefix = prefix
    self.log = log
    guard geteuid() == 0 else {
      throw TestbedError(
        "the testbed needs root (network namespaces, veth pairs, cgroups); run it as root", usage: true)
    }
    lock = try TestbedLock()
    cgroups = try Preflight.check(runner: runner, prefix: prefix, tools: tools)
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
    ledger = ResourceLedger(runner: runner)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(prefix.name("work")).path
    try? FileManager.default.removeItem(atPath: dir)
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    workDirectory = dir
    installSignalHandlers()
  }

  private func installSignalHandlers() {
    for (sig, code) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143)), (SIGHUP, Int32(129))] {
      signal(sig, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
      let ledger = self.ledger
      let log = self.log
      let dir = workDirectory
      source.setEventHandler {
        let removed = ledger.teardown()
        try? FileManager.default.removeItem(atPath: dir)
        log(
          "interrupted (signal \(sig)); removed \(removed.count) item(s): \(removed.joined(separator: ", "))")
        exit(code)
      }
      source.resume()
      signalSources.append(source)
    }
  }

  /// Builds the topology of `setup`, measures the generator's ceiling, runs `trials`
  /// trials (each of `setup.duration`) and tears the topology down. Returns every trial's
  /// measurements, the time the whole point took and the time building the topology took
  /// (`setup`: namespaces, links, cgroups and the routes loaded).
  public func measure(_ setup: TestbedSetup, trials: Int, ceilingPackets: Int = 200_000) throws
    -> (trials: [[MetricRow]], seconds: Double, ceiling: Double, setup: Double)
  {
    let t0 = Date()
    return try withTopology(setup) { _, trial in
      let built = Date().timeIntervalSince(t0)
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
    let plan = TopologyPlan(setup: setup, prefix: prefix, cgroups: cgroups)
    defer { ledger.teardown(final: false) }
    try TopologyBuilder.build(plan, runner: runner, ledger: ledger)
    let trial = TrafficTrial(plan: plan, runner: runner, ledger: ledger, workDirectory: workDirectory)
    return try body(plan, trial)
  }

  /// The host facts, with the offloads of a veth in a topology built for the purpose.
  public func hostFacts(sample setup: TestbedSetup) -> [String: Any] {
    (try? withTopology(setup) { plan, _ in
      var facts = HostFacts.collect(
        runner: runner, offloadsOf: (plan.generatorNamespace, plan.ceilingPorts.gen.name))
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
    try? FileManager.default.removeItem(atPath: workDirectory)
    for s in signalSources { s.cancel() }
    for sig in [SIGINT, SIGTERM, SIGHUP] { signal(sig, SIG_DFL) }
    withExtendedLifetime(lock) {}
    return removed
  }

  deinit { close() }
}
