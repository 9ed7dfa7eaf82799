import ArgumentParser
import Foundation
import Testbed

/// `vrsim testbed bench NAME`: the paper's benchmarks timed externally.
struct TestbedBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Run a benchmark in a router namespace and cgroup, timed externally by ICMP echo.",
    discussion: """
      The paper's method (Sec. III): the benchmark's environment sends an ICMP echo request to \
      a time-keeper namespace at start and at end; the time-keeper stamps both on its own clock \
      (an AF_PACKET socket) and the difference, benchmark_time, is reported beside the \
      benchmark's own time (benchmark_own_time) and its process's clock \
      (benchmark_wall_time). Environments: virtual (router namespace vr0 in its cgroup: weight, cap and cpuset of the scenario's \
      router 0, given with --scenario) and host (no cgroup limit). Benchmarks: sleep (an \
      in-process sleep, the timer's own check), superpi (Gauss-Legendre pi to 2^K digits with \
      GNU MPFR), masr (allocate, set, read), zfg (a zero-filled file written --rounds times \
      with fsync), bonnie (bonnie++), iperf3 (2 s of UDP 1472 B between the environment and \
      the time-keeper, each --direction: also udp_goodput_bps and udp_loss, the receiver's \
      figures).
      """
  )

  @Argument(help: "Benchmark: sleep, superpi, masr, zfg, bonnie or iperf3.")
  var name: TestbedBenchmark
  @Option(name: .long, help: "Where: virtual, host or both.")
  var whereRun: String = "both"
  @Option(name: .long, parsing: .unconditional, help: "Runs per environment.")
  var repeats: Int = 3
  @Option(name: .long, help: "Scenario whose router 0 sets the cgroup (weight, cap, vcpus).")
  var scenario: String?
  @Option(name: .customLong("set"), help: "Override a key of --scenario (repeatable).")
  var overrides: [String] = []
  @Option(name: .long, parsing: .unconditional, help: "sleep: seconds.")
  var seconds = 1.0
  @Option(name: .long, parsing: .unconditional, help: "superpi: log2 of the digits (the paper: 22).")
  var digitsLog2 = 16
  @Option(name: .long, parsing: .unconditional, help: "masr, zfg: bytes (the paper: 2 GB).")
  var bytes = 64 << 20
  @Option(name: .long, parsing: .unconditional, help: "zfg: rounds (the paper: 10).")
  var rounds = 10
  @Option(
    name: .long, help: "iperf3: the UDP rate asked for, in bit/s with iperf3's suffixes (e.g. 100M, 1G).")
  var iperfRate = "100M"
  @Option(
    name: .long,
    help:
      "iperf3: out (the environment sends to the time-keeper), in (it receives: iperf3 -R) or both, as the paper measured."
  )
  var direction = "both"
  @Option(name: .long, help: "Write the CSV here (and the host facts beside it as .json).")
  var out: String?
  @Flag(
    name: .long, help: "The paper's sizes: superpi 2^22, masr and zfg 2 GiB x 10, bonnie 2 GiB in 512 MiB.")
  var paperSize = false
  @Option(name: .long, help: "Bytes of a memory cgroup (memory and page cache) around it, both environments.")
  var memoryLimit: Int?
  @Flag(name: .long, help: "zfg: drop the whole machine's page cache between rounds (sync, drop_caches).")
  var dropCaches = false

  /// The benchmark run the options ask for.
  var library: TestbedBench {
    var c = TestbedBench(name: name)
    (c.whereRun, c.repeats, c.scenario, c.overrides, c.seconds) = (
      whereRun, repeats, scenario, overrides, seconds
    )
    (c.digitsLog2, c.bytes, c.rounds, c.iperfRate, c.direction) = (
      digitsLog2, bytes, rounds, iperfRate, direction
    )
    (c.out, c.paperSize, c.memoryLimit, c.dropCaches) = (out, paperSize, memoryLimit, dropCaches)
    return c
  }

  func validate() throws {
    do { try library.validate() } catch { throw ValidationError(error.message) }
  }

  func run() throws {
    let (rows, facts) = try library.collect()
    try TestbedCommon.emit(rows: rows, facts: facts, out: out, announce: false)
  }
}

/// `vrsim testbed _timekeeper`: the time-keeper's loop (started by bench inside its namespace).
struct TestbedTimekeeperCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "_timekeeper", abstract: "Internal: stamp ICMP echo requests (run by testbed bench).",
    shouldDisplay: false)

  func run() throws {
    do { try ExternalTimer.keepTime() } catch { throw TestbedCommon.mapped(error) }
  }
}

/// `vrsim testbed _timed`: the timed child (started by bench inside the environment).
struct TestbedTimedCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "_timed",
    abstract: "Internal: run a benchmark between two ICMP echoes (run by testbed bench).",
    shouldDisplay: false)

  @Option(name: .long, help: "The time-keeper's address.")
  var keeper: String
  @Option(name: .long, parsing: .unconditional, help: "ICMP identifier.")
  var id: UInt16
  @Option(name: .long, parsing: .unconditional, help: "Sleep this long in-process instead of a command.")
  var sleep: Double?
  @Argument(parsing: .captureForPassthrough, help: "The benchmark command.")
  var command: [String] = []

  func run() throws {
    let argv = command.first == "--" ? Array(command.dropFirst()) : command
    do {
      try BenchRunner.timedChild(keeper: keeper, id: id, sleep: sleep, argv: argv)
    } catch { throw TestbedCommon.mapped(error) }
  }
}

/// `vrsim testbed _send`: the testbed's own sender for Poisson and on-off flows (started by
/// testbed run and search inside the generator's namespace).
struct TestbedSendCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "_send",
    abstract: "Internal: send a trial's Poisson and on-off frames on one device (run by testbed run).",
    shouldDisplay: false)

  @Option(name: .long, help: "The job file (JSON) testbed run wrote.")
  var job: String

  func run() throws {
    do { print(try ScheduledSender.run(jobFile: job).line) } catch { throw TestbedCommon.mapped(error) }
  }
}
