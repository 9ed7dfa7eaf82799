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
extension TrialPath: ExpressibleByArgument {}
extension TestbedBenchmark: ExpressibleByArgument {}

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
  @Option(name: .long, help: .testbedGenerator)
  var generator: TestbedGenerator?
  @Option(name: .long, help: "The experiment column of the rows (default: run).")
  var experiment = "run"
  @Option(name: .long, parsing: .unconditional, help: "Frames sent to measure the generator's ceiling.")
  var ceilingPackets = 200_000
  @Option(
    name: .long,
    help: "Where the frames go: platform, generator-to-sink or generator-alone (docs/testbed.md).")
  var path: TrialPath = .platform
  @Option(name: .long, help: "A CPU hog (busy loop) pinned to this CPU during every trial (repeatable).")
  var hogCPU: [Int] = []

  /// The run the options ask for.
  var library: TestbedRun {
    var r = TestbedRun(file: file)
    (r.overrides, r.out, r.generator, r.experiment) = (overrides, out, generator, experiment)
    (r.ceilingPackets, r.path, r.hogCPUs) = (ceilingPackets, path, hogCPU)
    return r
  }

  func validate() throws {
    do { try library.validate() } catch { throw ValidationError(error.message) }
  }

  func run() throws {
    let (rows, facts) = try library.collect(version: VrsimVersion.string)
    try TestbedCommon.emit(rows: rows, facts: facts, out: out, announce: true)
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

  func run() throws { try TestbedCommon.clean(scenario: file) }
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
    print(try TestbedCommon.plan(file: file, overrides: overrides, maxLines: maxLines), terminator: "")
  }
}

extension ArgumentHelp {
  /// The `--generator` option's help, shared by `testbed run` and `testbed search`.
  static let testbedGenerator = ArgumentHelp(
    """
    Traffic generator: trafgen (frames of the scenario) or iperf3 (UDP 1472 B). Overrides the \
    scenario's host.generator (the generator the model simulates too): the same as --set \
    host.generator=..., so the rows' set column records it (default: the scenario's).
    """)
}
