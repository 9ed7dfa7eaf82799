import ArgumentParser
import Foundation
import Report
import Scenario
import Testbed

/// `vrsim testbed reproduce paper`: the origin paper's experiments on the testbed, one data set.
struct TestbedReproduceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "reproduce",
    abstract: "Run the paper's experiments on the testbed (root) and write one measured data set.",
    discussion: """
      Runs, in this order, each as testbed run, search or bench would (each in a session of \
      its own, so everything is removed between experiments): fig9, the highest forwarding \
      rate at 64 B (testbed search of scenarios/testbed/fig9-forwarding.yaml on netns-direct, \
      netns-router and netns-bridge); fig8a (fig8a-iperf3.yaml with --generator iperf3); \
      fig8b (fig8b-routers.yaml: 130 kp/s over 1 ... 4 routers); routes (routes.yaml: 1k, \
      10k, 100k and 1M routes, with each point's setup_time, the time building the topology \
      and loading the routes took; --quick keeps the 1M point, whose setup time is the \
      experiment's point); bench-superpi (2^16 digits), bench-masr and bench-zfg (64 MB), \
      bench-bonnie (bonnie++ on 64 MB) and bench-iperf3 (2 s of UDP 1472 B at 1 Gbit/s each \
      way between the environment and the time-keeper), 3 runs each in the virtual and host environments. Progress goes to stderr, each \
      experiment's time to stdout at the end. The rows (experiment column fig9, fig9-warmup, \
      fig8a, fig8b, routes, bench-*) follow the measured-data schema vrsim validate reads; \
      with --out the CSV is written there with a sidecar JSON (host facts, every \
      experiment's time and settings), else printed. --quick: trials of 200 ms, 1 \
      replication (2 for fig8a, fig8b and routes), a coarse search, 1 run of each \
      benchmark at small sizes (bonnie++ on 16 MB). Needs root; see docs/testbed.md.
      """
  )

  /// The experiments, in the order they run.
  static let experiments = [
    "fig9", "fig8a", "fig8b", "routes", "bench-superpi", "bench-masr", "bench-zfg", "bench-bonnie",
    "bench-iperf3",
  ]

  @Argument(help: "What to reproduce: paper.")
  var target: String = "paper"

  @Flag(name: .long, help: "Short runs (200 ms trials, few replications, small benchmarks): a quick look.")
  var quick = false

  @Option(name: .long, help: "Write the CSV here (and the host facts beside it as .json).")
  var out: String?

  @Option(
    name: .long,
    help:
      "Comma-separated experiments to run (default: all): fig9, fig8a, fig8b, routes, bench-superpi, bench-masr, bench-zfg, bench-bonnie, bench-iperf3; bench is all five benchmarks."
  )
  var experiments: String?

  @Option(name: .long, help: "The scenarios directory (default: ./scenarios or the nearest parent's).")
  var scenarios: String?

  /// The experiments asked for, in run order.
  var selected: [String] {
    guard let experiments else { return Self.experiments }
    let asked = Set(
      experiments.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.flatMap {
        $0 == "bench" ? Self.experiments.filter { $0.hasPrefix("bench-") } : [$0]
      })
    return Self.experiments.filter { asked.contains($0) }
  }

  func validate() throws {
    guard target == "paper" else { throw ValidationError("unknown target '\(target)'; allowed: paper") }
    if let experiments {
      for name in experiments.split(separator: ",", omittingEmptySubsequences: false) {
        let n = name.trimmingCharacters(in: .whitespaces)
        if n != "bench" && !Self.experiments.contains(n) {
          throw ValidationError(
            "--experiments: unknown experiment '\(n)'; allowed: \((Self.experiments + ["bench"]).joined(separator: ", "))"
          )
        }
      }
    }
  }

  /// One experiment's parts: the testbed subcommands it runs, as their own argument vectors.
  func parts(_ name: String, dir: String) throws -> [() throws -> (rows: [MeasuredRow], facts: [String: Any])]
  {
    func file(_ f: String) -> String { dir + "/testbed/" + f }
    // Shorter runs (fig9: shorter search trials, below).
    let short = ["--set", "run.duration=200ms", "--set", "run.warmup=50ms"]
    let quickRun = quick ? short + ["--set", "run.replications=2", "--ceiling-packets", "20000"] : []
    func run(_ f: String, _ extra: [String]) throws -> () throws -> (
      rows: [MeasuredRow], facts: [String: Any]
    ) {
      var c = try TestbedRunCommand.parse([file(f), "--experiment", name] + extra + quickRun)
      c.out = out
      return { try c.collect() }
    }
    switch name {
    case "fig9":
      // The MLRsearch's trial lengths are its own options (run.duration does not set them).
      let quickSearch =
        quick
        ? short + [
          "--resolution", "0.25", "--initial-duration", "0.1", "--final-duration", "0.2", "--final-trials",
          "1",
          "--repeat", "1", "--ceiling-repeats", "1", "--drain", "0.1",
        ] : ["--repeat", "1"]
      return try ["netns-direct", "netns-router", "netns-bridge"].map { platform in
        var c = try TestbedSearchCommand.parse(
          [file("fig9-forwarding.yaml"), "--set", "platform=\(platform)", "--experiment", name] + quickSearch)
        c.out = out
        return { try c.collect() }
      }
    case "fig8a": return [try run("fig8a-iperf3.yaml", ["--generator", "iperf3"])]
    case "fig8b": return [try run("fig8b-routers.yaml", [])]
    case "routes": return [try run("routes.yaml", [])]
    default:
      let bench = String(name.dropFirst("bench-".count))
      let sizes: [String] =
        switch bench {
        case "superpi": ["--digits-log2", quick ? "12" : "16"]
        case "bonnie": ["--bytes", String(quick ? 16 << 20 : 64 << 20)]
        case "iperf3": ["--iperf-rate", "1G"]  // the paper's testbeds had Gigabit Ethernet
        default: ["--bytes", String(quick ? 4 << 20 : 64 << 20), "--rounds", quick ? "2" : "10"]
        }
      var c = try TestbedBenchCommand.parse([bench, "--repeats", quick ? "1" : "3"] + sizes)
      c.out = out
      return [{ try c.collect() }]
    }
  }

  func run() throws {
    let dir = try ReproduceCommand.scenariosDirectory(scenarios)
    let names = selected
    // Every part is parsed (and its options checked) before anything runs.
    let plan = try names.map { ($0, try parts($0, dir: dir)) }
    var rows: [MeasuredRow] = []
    var facts: [String: Any] = [:]
    var timing: [[String: Any]] = []
    var lines: [String] = []
    let started = Date()
    for (k, (name, steps)) in plan.enumerated() {
      TestbedCLI.note("experiment \(k + 1)/\(plan.count): \(name) (\(steps.count) part(s))")
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
      TestbedCLI.note(String(format: "experiment %@ took %.1f s", name, seconds))
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
    facts["date"] = ISO8601DateFormatter().string(from: Date())
    facts["vrsim"] = VrsimVersion.string
    for key in ["scenario", "scenario_hash", "prefix"] { facts[key] = nil }
    if let out {
      try TestbedCLI.write(rows: rows, facts: facts, to: out)
      TestbedCLI.note("wrote \(rows.count) rows to \(out)")
    } else {
      print(MeasuredRow.csv(rows), terminator: "")
    }
  }
}
