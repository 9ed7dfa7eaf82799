import ArgumentParser
import Calibration
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

  func validate() throws {
    guard target == "paper" else { throw ValidationError("unknown target '\(target)'; allowed: paper") }
    if let experiments {
      do { _ = try TestbedReproduction.select(experiments) } catch { throw ValidationError(error.message) }
    }
  }

  func run() throws {
    var r = TestbedReproduction()
    (r.quick, r.out) = (quick, out)
    if let experiments { r.selected = try TestbedReproduction.select(experiments) }
    try r.run(dir: try PaperReproduction.scenariosDirectory(scenarios), version: VrsimVersion.string)
  }
}
