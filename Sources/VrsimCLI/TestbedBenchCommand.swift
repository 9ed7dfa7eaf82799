import ArgumentParser
import Foundation
import Report
import Scenario
import Testbed

/// The benchmarks `vrsim testbed bench` knows.
enum TestbedBenchmark: String, ExpressibleByArgument, CaseIterable {
  case sleep, superpi, masr, zfg, bonnie, iperf3
}

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

  /// The iperf3 directions asked for.
  var directions: [String] { direction == "both" ? ["out", "in"] : [direction] }

  @Option(name: .long, help: "Write the CSV here (and the host facts beside it as .json).")
  var out: String?

  var environments: [BenchEnvironment] {
    whereRun == "both" ? BenchEnvironment.allCases : BenchEnvironment(rawValue: whereRun).map { [$0] } ?? []
  }

  func validate() throws {
    if environments.isEmpty {
      throw ValidationError("--where-run '\(whereRun)' is not allowed; allowed: virtual, host, both")
    }
    if !(1...100).contains(repeats) {
      throw ValidationError("--repeats \(repeats) is out of range; allowed: 1 ... 100")
    }
    if !(0.0...3600).contains(seconds) {
      throw ValidationError("--seconds \(seconds) is out of range; allowed: 0 ... 3600")
    }
    if !(1...28).contains(digitsLog2) {
      throw ValidationError("--digits-log2 \(digitsLog2) is out of range; allowed: 1 ... 28")
    }
    if !(4096...(64 << 30)).contains(bytes) {
      throw ValidationError("--bytes \(bytes) is out of range; allowed: 4096 ... 68719476736")
    }
    if !["out", "in", "both"].contains(direction) {
      throw ValidationError("--direction '\(direction)' is not allowed; allowed: out, in, both")
    }
    if iperfRate.isEmpty || !iperfRate.allSatisfy({ $0.isASCII && ($0.isNumber || "kKmMgGtT.".contains($0)) })
      || !(iperfRate.first?.isNumber ?? false)
    {
      throw ValidationError(
        "--iperf-rate '\(iperfRate)' is not a rate; allowed: a number of bit/s with an optional k, M, G or T (e.g. 100M)"
      )
    }
    if !(1...100).contains(rounds) {
      throw ValidationError("--rounds \(rounds) is out of range; allowed: 1 ... 100")
    }
  }

  static var selfPath: String { URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path }

  /// The benchmark program built next to vrsim.
  static var benchmarksPath: String {
    URL(fileURLWithPath: selfPath).deletingLastPathComponent().appendingPathComponent("vrsim-benchmarks").path
  }

  func run() throws {
    let (rows, facts) = try collect()
    if let out {
      try TestbedCLI.write(rows: rows, facts: facts, to: out)
    } else {
      print(MeasuredRow.csv(rows), terminator: "")
    }
  }

  /// Runs the benchmark in a session of its own (printing every round) and returns the rows
  /// and the host facts; `vrsim testbed reproduce` calls it too.
  func collect() throws -> (rows: [MeasuredRow], facts: [String: Any]) {
    var router = TestbedRouter(vcpus: 1, weight: 256, cap: 0, generatedRoutes: 0, routePrefixes: nil)
    var scenarioSet = ""  // the overrides and sweep values of the point router 0 comes from
    if let scenario {
      let (_, points) = try TestbedCLI.points(
        file: scenario, overrides: overrides, remote: [],
        why:
          "vrsim testbed bench runs its router, its benchmark and the time-keeper locally (it takes only the router's settings from the scenario)"
      )
      if let r = points.first?.setup.routers.first { router = r }
      scenarioSet = points.first?.label ?? ""
    }
    let tools =
      Preflight.tools.filter { $0 != "trafgen" } + (name == .bonnie ? ["bonnie++"] : [])
      + (name == .iperf3 ? ["iperf3"] : [])
    let session: TestbedSession
    do { session = try TestbedSession(tools: tools, log: TestbedCLI.note) } catch {
      throw TestbedCLI.mapped(error)
    }
    defer { session.close() }
    let benchmarks = URL(fileURLWithPath: Self.selfPath).deletingLastPathComponent().appendingPathComponent(
      "vrsim-benchmarks"
    ).path
    let dir = session.workDirectory
    let argv: [String]
    // The benchmark's parameters are no scenario keys: they go in the rows' note.
    var label = ""
    switch name {
    case .sleep:
      argv = []
      label += "seconds=\(seconds)"
    case .superpi:
      argv = [benchmarks, "superpi", String(digitsLog2)]
      label += "digits=2^\(digitsLog2)"
    case .masr:
      argv = [benchmarks, "masr", String(bytes)]
      label += "bytes=\(bytes)"
    case .zfg:
      argv = [benchmarks, "zfg", dir, String(bytes), String(rounds)]
      label += "bytes=\(bytes);rounds=\(rounds)"
    case .bonnie:
      let mb = max(16, bytes >> 20)
      argv = [
        "bonnie++", "-d", dir, "-u", "root", "-s", String(mb), "-r", String(mb / 2), "-n", "0", "-f", "-q",
      ]
      label += "size_mb=\(mb)"
    case .iperf3:
      argv = []  // per environment: the client's target differs
      label += "rate=\(iperfRate);frame=1472B"
    }
    if [.superpi, .masr, .zfg].contains(name) && !FileManager.default.isExecutableFile(atPath: benchmarks) {
      throw RunError(
        "\(benchmarks) not found: build it with swift build --product vrsim-benchmarks", exitCode: 2)
    }
    var rows: [MeasuredRow] = []
    let t0 = Date()
    do {
      let bench = try BenchRunner(session: session, router: router, selfPath: Self.selfPath)
      // iperf3 runs once per direction; the other benchmarks have one (nil).
      let ways: [String?] = name == .iperf3 ? directions : [nil]
      for env in environments {
        for way in ways {
          var trials: [[MetricRow]] = []
          for _ in 0..<repeats {
            var command = argv
            if name == .iperf3 {
              try bench.startInKeeperNamespace(["iperf3", "-s", "-1", "-B", BenchRunner.keeperAddress(env)])
              usleep(300_000)
              command =
                [
                  "iperf3", "-c", BenchRunner.keeperAddress(env), "-u", "-l", "1472", "-b", iperfRate, "-t",
                  "2",
                  "-J",
                ] + (way == "in" ? ["-R"] : [])
            }
            let r = try bench.run(command, sleep: name == .sleep ? seconds : nil, in: env)
            guard r.status == 0 else {
              throw RunError("\(name.rawValue) exited with status \(r.status) in \(env)")
            }
            let scope = env == .virtual ? "vr0" : "host"
            var m = [
              MetricRow(scope: scope, .benchmarkTime, value: r.externalSeconds),
              MetricRow(scope: scope, .benchmarkOwnTime, value: r.ownSeconds),
              MetricRow(scope: scope, .benchmarkWallTime, value: r.wallSeconds),
              MetricRow(scope: scope, .timerDifference, value: r.externalSeconds - r.wallSeconds),
            ]
            if let sends = r.sendSeconds { m.append(MetricRow(scope: scope, .timerSendTime, value: sends)) }
            if let t = r.throttledSeconds {
              m.append(MetricRow(scope: scope, .cgroupThrottledTime, value: t))
            }
            var extra = r.throttledSeconds.map { String(format: ", cgroup throttled %.3f s", $0) } ?? ""
            if name == .iperf3 {
              let report = try IperfReport.parse(r.output)
              m.append(MetricRow(scope: scope, .udpGoodputBps, value: report.goodputBitsPerSecond))
              m.append(MetricRow(scope: scope, .udpLoss, value: report.loss))
              extra += String(
                format: ", %@ %.1f Mbit/s received, loss %.2f%%", way ?? "",
                report.goodputBitsPerSecond / 1e6,
                report.loss * 100)
            }
            trials.append(m)
            print(
              String(
                format: "%@ in %@: external %.6f s, own %.6f s, wall %.6f s", name.rawValue, env.rawValue,
                r.externalSeconds, r.ownSeconds, r.wallSeconds) + extra)
          }
          // Scope vr0 (the virtual environment) or host; every metric is measured only.
          rows += MeasuredRow.summarize(
            trials, experiment: "bench-\(name.rawValue)",
            scenario: scenario.map { ScenarioReference.path(of: $0, csv: out) } ?? "",
            set: scenarioSet,
            note: [label, "env=\(env.rawValue)", way.map { "direction=\($0)" } ?? ""].filter { !$0.isEmpty }
              .joined(separator: ";"))
        }
      }
    } catch { throw TestbedCLI.mapped(error) }
    TestbedCLI.note(String(format: "bench took %.1f s", Date().timeIntervalSince(t0)))
    var facts = out == nil ? [:] : HostFacts.collect(runner: SystemCommandRunner())
    facts["experiments"] = [
      ["benchmark": name.rawValue, "note": label, "seconds": Date().timeIntervalSince(t0)]
    ]
    return (rows, facts)
  }
}

/// `vrsim testbed _timekeeper`: the time-keeper's loop (started by bench inside its namespace).
struct TestbedTimekeeperCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "_timekeeper", abstract: "Internal: stamp ICMP echo requests (run by testbed bench).",
    shouldDisplay: false)

  func run() throws {
    do { try ExternalTimer.keepTime() } catch { throw TestbedCLI.mapped(error) }
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
    } catch { throw TestbedCLI.mapped(error) }
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
    do {
      guard let data = FileManager.default.contents(atPath: job) else {
        throw TestbedError("\(job): cannot be read", usage: true)
      }
      let spec = try JSONDecoder().decode(SenderJob.self, from: data)
      print(try ScheduledSender.run(spec).line)
    } catch let error as DecodingError {
      throw RunError("\(job): not a sender job: \(error)", exitCode: 2)
    } catch { throw TestbedCLI.mapped(error) }
  }
}
