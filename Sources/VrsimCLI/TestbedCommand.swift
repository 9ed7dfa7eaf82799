import ArgumentParser
import Foundation
import Report
import Scenario
import ScenarioRun
import Testbed

/// `vrsim testbed`: the real-hardware validation harness (Linux network namespaces, the
/// kernel's forwarding, trafgen), writing the measured-data schema.
struct TestbedCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "testbed",
    abstract: "Run a scenario on the real Linux forwarder in network namespaces (root).",
    discussion: """
      Builds the scenario's topology (netns-direct, netns-router or netns-bridge) out of \
      network namespaces, veth pairs and a Linux bridge, sends real traffic with trafgen and \
      counts it at the sink and at every hop. Every name carries a per-run prefix \
      (vrt<pid-hex>-); everything is removed on exit, error, SIGINT and SIGTERM, and \
      `vrsim testbed clean` removes what a killed run left. Needs root; see docs/testbed.md.
      """,
    subcommands: [
      TestbedRunCommand.self, TestbedSearchCommand.self, TestbedBenchCommand.self,
      TestbedReproduceCommand.self,
      TestbedCleanCommand.self,
      TestbedPlanCommand.self, TestbedTimekeeperCommand.self, TestbedTimedCommand.self,
      TestbedSendCommand.self,
      TestbedCPULoopCommand.self, TestbedSSHDCommand.self,
    ]
  )
}

/// Helpers shared by the testbed subcommands.
extension TestbedGenerator: ExpressibleByArgument {}

enum TestbedCLI {
  /// Writes a progress line to stderr.
  static func note(_ text: String) {
    FileHandle.standardError.write(Data("vrsim: \(text)\n".utf8))
  }

  /// The programs a traffic run with `generator` needs.
  static func tools(_ generator: TestbedGenerator) -> [String] {
    generator == .iperf3 ? Preflight.tools + ["iperf3"] : Preflight.tools
  }

  /// Maps a testbed error to the CLI's error (exit 2 for usage and environment, 1 otherwise).
  static func mapped(_ error: any Error) -> any Error {
    if let e = error as? TestbedError { return RunError(e.message, exitCode: e.isUsage ? 2 : 1) }
    return error
  }

  /// The scenario's sweep points as testbed setups with the labels of the `set` column: the
  /// `--set` overrides, then the point's sweep assignments (a later key replaces an earlier).
  /// The roles `vrsim testbed run` and `search` may put on a remote host.
  static let trafficRoles: [TestbedRole] = [.generator, .dut, .sink]

  /// `remote`: the roles the command can run on a remote host; another role with an ssh
  /// target is refused, naming the key and `why`.
  static func points(
    file: String, overrides: [String], generator: TestbedGenerator = .trafgen,
    remote: [TestbedRole] = TestbedCLI.trafficRoles,
    why: String =
      "the time-keeper runs locally for now (the external timer needs a route from the benchmark's namespace)"
  ) throws -> (
    ScenarioSpec, [(setup: TestbedSetup, label: String)]
  ) {
    let spec = try ScenarioRunner.load(file: file, overrides: overrides)
    if let role = TestbedRole.allCases.first(where: {
      spec.testbed?.target($0) != nil && !remote.contains($0)
    }) {
      throw RunError(
        "testbed.\(role.rawValue).ssh: \(why); vrsim testbed plan prints the ssh command of each remote "
          + "role (docs/testbed.md, Roles over ssh)",
        exitCode: 2)
    }
    if generator == .iperf3, let role = TestbedRole.allCases.first(where: { spec.testbed?.target($0) != nil })
    {
      throw RunError(
        "testbed.\(role.rawValue).ssh: the iperf3 generator runs with every role local only; use --generator trafgen",
        exitCode: 2)
    }
    let cpus = ProcessInfo.processInfo.activeProcessorCount
    var out: [(TestbedSetup, String)] = []
    for point in spec.sweepPoints() {
      var keys: [String] = []
      var values: [String: String] = [:]
      let pairs =
        overrides.compactMap { o -> (String, String)? in
          guard let eq = o.firstIndex(of: "=") else { return nil }
          return (String(o[..<eq]), String(o[o.index(after: eq)...]))
        } + point.assignments.map { ($0.keyPath, $0.value) }
      for (k, v) in pairs {
        if values[k] == nil { keys.append(k) }
        values[k] = v
      }
      var setup: TestbedSetup
      do { setup = try TestbedSetup(spec: point.spec, hostCPUs: cpus) } catch { throw mapped(error) }
      setup.generator = generator
      if generator == .iperf3 {
        if let k = point.spec.traffic.firstIndex(where: { $0.arrival != .cbr }) {
          throw RunError(
            "traffic[\(k)].arrival: --generator iperf3 sends CBR only (iperf3 -b); set traffic[\(k)].arrival=cbr, "
              + "or leave out --generator for the testbed's own Poisson and on-off sender",
            exitCode: 2)
        }
        // Not a scenario key: the rows say it in their note (`TestbedCLI.note(generator:)`).
        for i in setup.flows.indices { setup.flows[i].frames = [(1518, 1)] }
      }
      out.append((setup, keys.map { "\($0)=\(values[$0]!)" }.joined(separator: ";")))
    }
    return (spec, out)
  }

  /// Writes `rows` to `path` (CSV) and `facts` beside it (same name, `.json`).
  /// The rows' note for a generator (trafgen, the default, goes unsaid).
  static func note(generator: TestbedGenerator) -> String {
    generator == .trafgen ? "" : "generator=\(generator.rawValue)"
  }

  static func write(rows: [MeasuredRow], facts: [String: Any], to path: String) throws {
    let url = URL(fileURLWithPath: path)
    do {
      try Data(MeasuredRow.csv(rows).utf8).write(to: url)
      let sidecar = url.deletingPathExtension().appendingPathExtension("json")
      try Data(HostFacts.json(facts).utf8).write(to: sidecar)
    } catch {
      throw RunError("cannot write \(path): \(error.localizedDescription)")
    }
  }

  /// A one-line human summary of a point.
  static func summary(_ label: String, _ rows: [MeasuredRow], seconds: Double) -> String {
    func v(_ m: Metric) -> MeasuredRow? { rows.first { $0.scope == "aggregate" && $0.metric == m } }
    func pps(_ r: MeasuredRow?) -> String {
      guard let r else { return "?" }
      let ci = r.ci95High.map { String(format: " ± %.0f", $0 - r.value) } ?? ""
      return String(format: "%.0f", r.value) + ci
    }
    let loss = v(.loss).map { String(format: "%.3f%%", $0.value * 100) } ?? "?"
    let bound = (v(.generatorBound)?.value ?? 0) > 0 ? " [generator-bound]" : ""
    let ceiling = v(.generatorCeilingPps).map { String(format: "%.0f", $0.value) } ?? "?"
    return
      "\(label.isEmpty ? "(base)" : label): target \(pps(v(.targetPps))) pps, offered \(pps(v(.offeredPps))), forwarded \(pps(v(.forwardedPps))) pps, loss \(loss), generator ceiling \(ceiling) pps\(bound) (\(String(format: "%.1f", seconds)) s)"
  }
}

/// `vrsim testbed run FILE`: every sweep point of a scenario, its replications as trials.
struct TestbedRunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Measure a scenario on the testbed: forwarded rate, loss and drops per hop, with 95% CIs.",
    discussion: """
      For every sweep point: builds the topology, measures the generator's own ceiling \
      (generator straight to the sink), runs run.replications trials of run.duration each \
      and tears the topology down. Rows follow the measured-data schema \
      (source,experiment,scenario,set,scope,metric,unit,value,ci95_low,ci95_high,n,kind,note) \
      that vrsim validate reads as it is: the scenario file's path, Metric names and units, \
      testbed-only counters as measured-only metrics. With \
      --out the CSV is written there with a sidecar JSON of host facts (same name, .json), \
      else printed. Results at or above 90% of the generator's ceiling are flagged \
      generator_bound. The scenario's workloads: jobs run in every trial beside the traffic, \
      each in its router's namespace and cgroup (dom0 jobs in the dom0 namespace), timed by \
      the external ICMP time-keeper: rows job_seconds, job_share (and job_response for \
      periodic jobs) under scope job:NAME, the metric names of vrsim run. The scenario's \
      testbed: section may put the generator, the dut and the sink on remote hosts (over \
      ssh, cabled to each other: testbed.ROLE.ports); the time-keeper, workloads and the \
      iperf3 generator need every role local (docs/testbed.md, Roles over ssh).
      """
  )

  @Argument(help: "Scenario file (YAML) with platform netns-direct, netns-router or netns-bridge.")
  var file: String

  @Option(name: .customLong("set"), help: "Override a key, e.g. --set routers.count=2 (repeatable).")
  var overrides: [String] = []

  @Option(name: .long, help: "Write the CSV here (and the host facts beside it as .json).")
  var out: String?

  @Option(name: .long, help: "Traffic generator: trafgen (frames of the scenario) or iperf3 (UDP 1472 B).")
  var generator: TestbedGenerator = .trafgen

  @Option(name: .long, help: "The experiment column of the rows (default: run).")
  var experiment = "run"

  @Option(name: .long, parsing: .unconditional, help: "Frames sent to measure the generator's ceiling.")
  var ceilingPackets = 200_000

  func validate() throws {
    if !(1_000...50_000_000).contains(ceilingPackets) {
      throw ValidationError("--ceiling-packets \(ceilingPackets) is out of range; allowed: 1000 ... 50000000")
    }
  }

  func run() throws {
    let (rows, facts) = try collect()
    if let out {
      try TestbedCLI.write(rows: rows, facts: facts, to: out)
      TestbedCLI.note("wrote \(rows.count) rows to \(out)")
    } else {
      print(MeasuredRow.csv(rows), terminator: "")
    }
  }

  /// Measures every point in a session of its own (printing each point's summary) and
  /// returns the rows and the host facts; `vrsim testbed reproduce` calls it too.
  func collect() throws -> (rows: [MeasuredRow], facts: [String: Any]) {
    let (spec, points) = try TestbedCLI.points(file: file, overrides: overrides, generator: generator)
    let jobs: [TestbedJob]
    do { jobs = try TestbedJob.jobs(of: spec) } catch { throw TestbedCLI.mapped(error) }
    if !jobs.isEmpty, let role = TestbedCLI.trafficRoles.first(where: { spec.testbed?.target($0) != nil }) {
      throw RunError(
        "testbed.\(role.rawValue).ssh: a scenario with workloads runs with every role local only (its jobs are timed by the local time-keeper)",
        exitCode: 2)
    }
    if jobs.contains(where: { if case .superpi = $0.work { true } else { false } }),
      !FileManager.default.isExecutableFile(atPath: TestbedBenchCommand.benchmarksPath)
    {
      throw RunError(
        "\(TestbedBenchCommand.benchmarksPath) not found: build it with swift build --product vrsim-benchmarks",
        exitCode: 2)
    }
    let session: TestbedSession
    do { session = try TestbedSession(tools: TestbedCLI.tools(generator), log: TestbedCLI.note) } catch {
      throw TestbedCLI.mapped(error)
    }
    defer { session.close() }
    TestbedCLI.note(
      "testbed prefix \(session.prefix), cgroups \(session.cgroups.label), \(points.count) point(s)")
    var rows: [MeasuredRow] = []
    var timing: [[String: Any]] = []
    for (setup, label) in points {
      let result: (trials: [[MetricRow]], seconds: Double, ceiling: Double, setup: Double)
      do {
        result =
          jobs.isEmpty
          ? try session.measure(setup, trials: setup.replications, ceilingPackets: ceilingPackets)
          : try session.measure(
            setup, jobs: jobs, trials: setup.replications, ceilingPackets: ceilingPackets,
            selfPath: TestbedBenchCommand.selfPath, benchmarks: TestbedBenchCommand.benchmarksPath)
      } catch {
        throw TestbedCLI.mapped(error)
      }
      let summary = MeasuredRow.summarize(
        result.trials, experiment: experiment, scenario: ScenarioReference.path(of: file, csv: out),
        set: label,
        note: TestbedCLI.note(generator: generator))
      rows += summary
      rows.append(
        MeasuredRow(
          experiment: experiment, scenario: ScenarioReference.path(of: file, csv: out), set: label,
          scope: "aggregate", metric: .setupTime, value: result.setup, ciLow: nil, ciHigh: nil, n: 1,
          note: TestbedCLI.note(generator: generator)))
      timing.append(["set": label, "seconds": result.seconds, "trials": result.trials.count])
      // Written at once (not buffered): a long run shows each point as it ends.
      FileHandle.standardOutput.write(
        Data((TestbedCLI.summary(label, summary, seconds: result.seconds) + "\n").utf8))
    }
    var facts = out == nil ? [:] : session.hostFacts(sample: points[0].setup)
    facts["experiments"] = timing
    facts["scenario"] = spec.name
    facts["scenario_hash"] = spec.source.hash
    facts["vrsim"] = VrsimVersion.string
    facts["date"] = ISO8601DateFormatter().string(from: Date())
    facts["prefix"] = session.prefix.text
    return (rows, facts)
  }
}

/// `vrsim testbed clean`: removes what killed runs left.
struct TestbedCleanCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "clean",
    abstract: "Remove the namespaces, cgroups, processes and folders that killed testbed runs left.",
    discussion: """
      Reads the ledger file every testbed run writes before it creates anything (in \
      /run/vrsim-testbed) and removes exactly what the runs that died recorded: their \
      processes (only while the pid still names the process that started then, by its start \
      time) and the processes those started, their cgroups and network namespaces with what \
      runs inside (links go with their namespace), locally or over ssh on the remote host \
      recorded with them, and their work folders (a directory owned by root, no symlink \
      followed). Prints each removal, with the host for remote ones, and lists names in the \
      testbed's family (vrt<hex>-) that no ledger records: those are left alone. Refuses \
      while a run holds the testbed lock. Given a scenario FILE, the ssh settings of its \
      roles replace the recorded ones for the same host and port.
      """
  )

  @Argument(help: "A scenario whose remote roles' hosts are cleaned too (optional).")
  var file: String?

  func run() throws {
    guard geteuid() == 0 else { throw RunError("vrsim testbed clean needs root", exitCode: 2) }
    var remotes: [SSHTarget] = []
    if let file {
      let spec = try ScenarioRunner.load(file: file, overrides: [])
      for role in TestbedRole.allCases {
        guard let t = spec.testbed?.target(role),
          !remotes.contains(where: { $0.host == t.host && $0.port == t.port })
        else { continue }
        remotes.append(t)
      }
    }
    let report: TestbedCleaner.Report
    do { report = try TestbedCleaner.clean(runner: SystemCommandRunner(), remotes: remotes) } catch {
      throw TestbedCLI.mapped(error)
    }
    var failed: [String] = []
    for h in report.hosts {
      for r in h.removed { print("\(h.host): removed \(r)") }
      if h.removed.isEmpty { print("\(h.host): nothing to remove") }
      failed += h.failed.map { "\($0) on \(h.host)" }
    }
    for r in report.removed { print("removed \(r)") }
    if report.removed.isEmpty { print("nothing to remove") }
    for u in report.untouched { print("left alone (no ledger records it): \(u)") }
    failed += report.failed
    if !failed.isEmpty {
      throw RunError("could not remove: \(failed.joined(separator: ", "))")
    }
  }
}

/// `vrsim testbed plan FILE`: prints the commands a run would execute.
struct TestbedPlanCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plan",
    abstract: "Print the topology plan (namespaces, command vectors, cgroups) without running it.",
    discussion: """
      Prints, for every sweep point, each command as the argument vector the run executes \
      (stdin scripts of ip -batch indented below it) and each cgroup with its settings. Needs \
      no root. Names use the prefix vrt0- instead of the run's own. Roles the scenario's \
      testbed: section puts on a remote host are printed first with the ssh argument vector \
      their programs start with (each remote word quoted for the remote shell).
      """
  )

  @Argument(help: "Scenario file (YAML).")
  var file: String

  @Option(name: .customLong("set"), help: "Override a key (repeatable).")
  var overrides: [String] = []

  @Option(name: .long, parsing: .unconditional, help: "Most stdin lines printed per command.")
  var maxLines = 40

  func run() throws {
    let (spec, points) = try TestbedCLI.points(file: file, overrides: overrides, remote: TestbedRole.allCases)
    let layout = CgroupLayout.detect() ?? .v1(root: "/sys/fs/cgroup")
    for role in TestbedRole.allCases {
      guard let target = spec.testbed?.target(role) else { continue }
      // How the role's programs are started there (the time-keeper's own; others as a pattern).
      let argv: [String]
      let program = role == .timeKeeper ? ["vrsim", "testbed", "_timekeeper"] : ["PROGRAM", "ARG"]
      do { argv = try RemoteLauncher(target: target).argv(program) } catch {
        throw TestbedCLI.mapped(error)
      }
      print("# role \(role.rawValue) over ssh: " + argv.map { "[\($0)]" }.joined(separator: " "))
    }
    for (setup, label) in points {
      if !label.isEmpty { print("# point: \(label)") }
      print(
        TopologyPlan(setup: setup, prefix: RunPrefix(tag: "0"), cgroups: layout).render(
          maxInputLines: maxLines), terminator: "")
    }
  }
}
