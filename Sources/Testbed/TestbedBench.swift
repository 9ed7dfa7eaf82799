import Foundation
import Report
import Scenario
import ScenarioRun

/// The benchmarks `vrsim testbed bench` knows.
public enum TestbedBenchmark: String, CaseIterable, Sendable {
  case sleep, superpi, masr, zfg, bonnie, iperf3
}

/// `vrsim testbed bench NAME`: the paper's benchmarks timed externally, in the virtual (router
/// namespace and cgroup) and the host environment.
public struct TestbedBench: Sendable {
  /// The benchmark.
  public var name: TestbedBenchmark
  /// Where: virtual, host or both.
  public var whereRun = "both"
  /// Runs per environment.
  public var repeats = 3
  /// Scenario whose router 0 sets the cgroup (weight, cap, vcpus).
  public var scenario: String?
  /// Overrides of `scenario`.
  public var overrides: [String] = []
  /// sleep: seconds.
  public var seconds = 1.0
  /// superpi: log2 of the digits.
  public var digitsLog2 = 16
  /// masr, zfg, bonnie: bytes.
  public var bytes = 64 << 20
  /// zfg: rounds.
  public var rounds = 10
  /// iperf3: the UDP rate asked for, bit/s with iperf3's suffixes.
  public var iperfRate = "100M"
  /// iperf3: out, in or both.
  public var direction = "both"
  /// Where the CSV goes (the sidecar beside it); nil: printed.
  public var out: String?
  /// The paper's sizes (`paperSized`): Super Pi 2^22 digits, MASR over 2 GiB, ZFG ten rounds
  /// of 2 GiB, Bonnie++ on a 2 GiB file inside a 512 MiB memory cgroup.
  public var paperSize = false
  /// A memory cgroup of this many bytes around the benchmark in both environments (memory and
  /// page cache together); nil: none (with `paperSize`, 512 MiB for bonnie).
  public var memoryLimit: Int?
  /// zfg: drop the whole machine's page cache between rounds (`sync` and
  /// `/proc/sys/vm/drop_caches`) instead of only the benchmark file's pages.
  public var dropCaches = false

  /// The paper's file and memory sizes: 2 GiB.
  public static let paperBytes = 2 << 30
  /// The memory cgroup of a paper-size Bonnie++: a quarter of its file.
  public static let paperBonnieMemory = 512 << 20

  /// A run of benchmark `name`.
  public init(name: TestbedBenchmark) { self.name = name }

  /// These options with the paper's sizes applied when `paperSize` is set.
  public var paperSized: TestbedBench {
    guard paperSize else { return self }
    var c = self
    c.digitsLog2 = 22
    c.bytes = Self.paperBytes
    c.rounds = 10
    if name == .bonnie && memoryLimit == nil { c.memoryLimit = Self.paperBonnieMemory }
    return c
  }

  /// The iperf3 directions asked for.
  var directions: [String] { direction == "both" ? ["out", "in"] : [direction] }

  /// The environments asked for (empty: `whereRun` is not one).
  public var environments: [BenchEnvironment] {
    whereRun == "both" ? BenchEnvironment.allCases : BenchEnvironment(rawValue: whereRun).map { [$0] } ?? []
  }

  public func validate() throws(TestbedError) {
    if environments.isEmpty {
      throw TestbedError("--where-run '\(whereRun)' is not allowed; allowed: virtual, host, both")
    }
    if !(1...100).contains(repeats) {
      throw TestbedError("--repeats \(repeats) is out of range; allowed: 1 ... 100")
    }
    if !(0.0...3600).contains(seconds) {
      throw TestbedError("--seconds \(seconds) is out of range; allowed: 0 ... 3600")
    }
    if !(1...28).contains(digitsLog2) {
      throw TestbedError("--digits-log2 \(digitsLog2) is out of range; allowed: 1 ... 28")
    }
    if let memoryLimit, !((16 << 20)...(64 << 30)).contains(memoryLimit) {
      throw TestbedError("--memory-limit \(memoryLimit) is out of range; allowed: 16777216 ... 68719476736")
    }
    if dropCaches && name != .zfg {
      throw TestbedError("--drop-caches applies to zfg only")
    }
    if !(4096...(64 << 30)).contains(bytes) {
      throw TestbedError("--bytes \(bytes) is out of range; allowed: 4096 ... 68719476736")
    }
    if !["out", "in", "both"].contains(direction) {
      throw TestbedError("--direction '\(direction)' is not allowed; allowed: out, in, both")
    }
    if iperfRate.isEmpty || !iperfRate.allSatisfy({ $0.isASCII && ($0.isNumber || "kKmMgGtT.".contains($0)) })
      || !(iperfRate.first?.isNumber ?? false)
    {
      throw TestbedError(
        "--iperf-rate '\(iperfRate)' is not a rate; allowed: a number of bit/s with an optional k, M, G or T (e.g. 100M)"
      )
    }
    if !(1...100).contains(rounds) {
      throw TestbedError("--rounds \(rounds) is out of range; allowed: 1 ... 100")
    }
  }

  /// Runs the benchmark in a session of its own (printing every round) and returns the rows
  /// and the host facts.
  public func collect() throws -> (rows: [MeasuredRow], facts: [String: Any]) {
    try paperSized.collectAsGiven()
  }

  func collectAsGiven() throws -> (rows: [MeasuredRow], facts: [String: Any]) {
    var router = TestbedRouter(vcpus: 1, weight: 256, cap: 0, generatedRoutes: 0, routePrefixes: nil)
    var scenarioSet = ""  // the overrides and sweep values of the point router 0 comes from
    if let scenario {
      let (_, points, _) = try TestbedCommon.points(
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
    do { session = try TestbedSession(tools: tools, log: TestbedCommon.note) } catch {
      throw TestbedCommon.mapped(error)
    }
    defer { session.close() }
    let benchmarks = URL(fileURLWithPath: TestbedCommon.selfPath).deletingLastPathComponent()
      .appendingPathComponent(
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
      argv = [benchmarks, "zfg", dir, String(bytes), String(rounds)] + (dropCaches ? ["drop"] : [])
      label += "bytes=\(bytes);rounds=\(rounds)" + (dropCaches ? ";drop_caches=global" : "")
    case .bonnie:
      // bonnie++ wants its file at least twice the memory it is told of (-r): the memory
      // cgroup's size when there is one (its page cache cannot hold the file), else half.
      let mb = max(16, bytes >> 20)
      let ram = min(mb / 2, memoryLimit.map { max(1, $0 >> 20) } ?? mb)
      argv = [
        "bonnie++", "-d", dir, "-u", "root", "-s", String(mb), "-r", String(ram), "-n", "0", "-f", "-q",
      ]
      label += "size_mb=\(mb)"
    case .iperf3:
      argv = []  // per environment: the client's target differs
      label += "rate=\(iperfRate);frame=1472B"
    }
    if let memoryLimit { label += ";memory_limit_bytes=\(memoryLimit)" }
    if [.superpi, .masr, .zfg].contains(name) && !FileManager.default.isExecutableFile(atPath: benchmarks) {
      throw ScenarioRunError(
        "\(benchmarks) not found: build it with swift build --product vrsim-benchmarks", exitCode: 2)
    }
    var rows: [MeasuredRow] = []
    let t0 = Date()
    do {
      let bench = try BenchRunner(
        session: session, router: router, selfPath: TestbedCommon.selfPath, memoryLimit: memoryLimit)
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
              throw ScenarioRunError("\(name.rawValue) exited with status \(r.status) in \(env)")
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
    } catch { throw TestbedCommon.mapped(error) }
    TestbedCommon.note(String(format: "bench took %.1f s", Date().timeIntervalSince(t0)))
    var facts = out == nil ? [:] : HostFacts.collect(runner: SystemCommandRunner())
    facts["experiments"] = [
      ["benchmark": name.rawValue, "note": label, "seconds": Date().timeIntervalSince(t0)]
    ]
    return (rows, facts)
  }
}
