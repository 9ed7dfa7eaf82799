import Foundation
import Report

/// `vrsim testbed reproduce paper`: the origin paper's experiments on the testbed, each run
/// exactly as `TestbedSearch`, `TestbedRun` or `TestbedBench` would (each in a session of its
/// own), into one data set.
public struct TestbedReproduction: Sendable {
  /// The experiments, in the order they run.
  public static let experiments = [
    "fig9", "fig8a", "fig8b", "routes", "bench-superpi", "bench-masr", "bench-zfg", "bench-bonnie",
    "bench-iperf3",
  ]

  /// Short runs (200 ms trials, few replications, small benchmarks).
  public var quick = false
  /// Where the CSV goes (the sidecar beside it); nil: printed.
  public var out: String?
  /// The experiments to run, in run order.
  public var selected = TestbedReproduction.experiments

  /// A reproduction of every experiment.
  public init() {}

  /// The experiments named in `list` (comma-separated; `bench` is every benchmark), in run
  /// order; an unknown name is refused (naming the allowed ones).
  public static func select(_ list: String) throws(TestbedError) -> [String] {
    var asked = Set<String>()
    for name in list.split(separator: ",", omittingEmptySubsequences: false) {
      let n = name.trimmingCharacters(in: .whitespaces)
      if n == "bench" {
        asked.formUnion(experiments.filter { $0.hasPrefix("bench-") })
      } else if experiments.contains(n) {
        asked.insert(n)
      } else {
        throw TestbedError(
          "--experiments: unknown experiment '\(n)'; allowed: \((experiments + ["bench"]).joined(separator: ", "))",
          usage: true)
      }
    }
    return experiments.filter { asked.contains($0) }
  }

  /// One part of an experiment: a run, search or bench, collected into rows and facts.
  typealias Part = () throws -> (rows: [MeasuredRow], facts: [String: Any])

  /// One experiment's parts, its scenarios under `dir`.
  func parts(_ name: String, dir: String, version: String) throws -> [Part] {
    func file(_ f: String) -> String { dir + "/testbed/" + f }
    // Shorter runs (fig9: shorter search trials, below).
    let short = ["run.duration=200ms", "run.warmup=50ms"]
    func run(_ f: String, generator: TestbedGenerator? = nil) throws -> Part {
      var c = TestbedRun(file: file(f))
      c.experiment = name
      c.generator = generator
      c.out = out
      if quick {
        c.overrides = short + ["run.replications=2"]
        c.ceilingPackets = 20_000
      }
      try c.validate()
      return { try c.collect(version: version) }
    }
    switch name {
    case "fig9":
      return try ["netns-direct", "netns-router", "netns-bridge"].map { platform in
        // The MLRsearch's trial lengths are its own options (run.duration does not set them).
        var c = TestbedSearch(file: file("fig9-forwarding.yaml"))
        c.overrides = ["platform=\(platform)"]
        c.experiment = name
        c.out = out
        c.repeat = 1
        if quick {
          c.overrides += short
          c.resolution = 0.25
          c.initialDuration = 0.1
          c.finalDuration = 0.2
          c.finalTrials = 1
          c.ceilingRepeats = 1
          c.drain = 0.1
        }
        try c.validate()
        return { try c.collect(version: version) }
      }
    case "fig8a": return [try run("fig8a-iperf3.yaml", generator: .iperf3)]
    case "fig8b": return [try run("fig8b-routers.yaml")]
    case "routes": return [try run("routes.yaml")]
    default:
      var c = TestbedBench(name: TestbedBenchmark(rawValue: String(name.dropFirst("bench-".count)))!)
      c.repeats = quick ? 1 : 3
      c.out = out
      switch c.name {
      case .superpi: c.digitsLog2 = quick ? 12 : 16
      case .bonnie: c.bytes = quick ? 16 << 20 : 64 << 20
      case .iperf3: c.iperfRate = "1G"  // the paper's testbeds had Gigabit Ethernet
      default:
        c.bytes = quick ? 4 << 20 : 64 << 20
        c.rounds = quick ? 2 : 10
      }
      try c.validate()
      return [{ try c.collect() }]
    }
  }

  /// Runs the selected experiments with the scenarios under `dir` (every part is set up and
  /// checked before anything runs) and writes or prints the data set.
  public func run(dir: String, version: String) throws {
    let plan = try selected.map { ($0, try parts($0, dir: dir, version: version)) }
    var rows: [MeasuredRow] = []
    var facts: [String: Any] = [:]
    var timing: [[String: Any]] = []
    var lines: [String] = []
    let started = Date()
    for (k, (name, steps)) in plan.enumerated() {
      TestbedCommon.note("experiment \(k + 1)/\(plan.count): \(name) (\(steps.count) part(s))")
      let t0 = Date()
      var details: [Any] = []
      for step in steps {
        let (r, f) = try step()
        rows += r
        // host facts: the first part's, completed by what later parts record and it lacks
        // (a search records no veth offloads or namespace sysctls; a run does)
        facts.merge(f) { first, _ in first }
        details.append(f["experiments"] ?? [])
      }
      let seconds = Date().timeIntervalSince(t0)
      TestbedCommon.note(String(format: "experiment %@ took %.1f s", name, seconds))
      timing.append(["experiment": name, "seconds": seconds, "parts": details])
      lines.append(String(format: "%@: %.1f s", name, seconds))
    }
    let total = Date().timeIntervalSince(started)
    print("testbed reproduce paper\(quick ? " --quick" : ""): " + lines.joined(separator: ", "))
    print(String(format: "total %.1f s", total))
    facts["experiments"] = timing
    facts["reproduce"] = "paper"
    facts["quick"] = quick
    facts["total_seconds"] = total
    TestbedCommon.stamp(&facts, version: version)
    for key in ["scenario", "scenario_hash", "prefix"] { facts[key] = nil }
    try TestbedCommon.emit(rows: rows, facts: facts, out: out, announce: true)
  }
}
