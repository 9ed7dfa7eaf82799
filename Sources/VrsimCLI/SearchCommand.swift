import ArgumentParser
import ScenarioRun

/// `vrsim search`: RFC 2544-style throughput search over the total offered packet rate.
struct SearchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "search",
    abstract: "Find the highest total offered rate (pps) with loss at most --max-loss (RFC 2544).",
    discussion: """
      Bisects the total offered packet rate of the scenario between --low and --high: each trial \
      sets the rate of the traffic (split over the flows in their written proportions; a flow \
      `to: each` gets its share divided by the router count), runs one replication of the \
      scenario's duration and measures the aggregate loss. The result is the highest rate tried \
      that passed; the threshold lies between it and it plus the stated resolution (for a loss \
      that grows with the rate). The scenario's `search:` section gives the defaults; options \
      override them. Without one: 1kpps to the NIC's 64B line rate, 1% resolution, 0% loss. \
      With a sweep, one search per sweep point (swept traffic rates are ignored).
      """
  )

  @Argument(help: "Scenario file (YAML). Without one, the built-in default: 4 virtual routers on xen-bridge.")
  var file: String?

  @Option(name: .customLong("set"), help: "Override a key, e.g. --set routers.count=8 (repeatable).")
  var overrides: [String] = []

  @Option(name: .long, help: "Lowest total rate tried, with its unit (pps, kpps, Mpps).")
  var low: String?

  @Option(name: .long, help: "Highest total rate tried, with its unit (pps, kpps, Mpps).")
  var high: String?

  @Option(
    name: .long, help: "Stop when the bracket is this narrow: a rate (e.g. 1kpps) or a share (e.g. 1%).")
  var resolution: String?

  @Option(name: .long, help: "Largest acceptable loss, with its unit: 0% to 100% (e.g. 0.1%; default 0%).")
  var maxLoss: String?

  /// The options as the library takes them.
  var options: ScenarioSearch.Options {
    .init(file: file, overrides: overrides, low: low, high: high, resolution: resolution, maxLoss: maxLoss)
  }

  func validate() throws {
    do { try options.validate() } catch let error as RunError { throw ValidationError(error.message) }
  }

  /// The loss limit as a fraction (`ScenarioSearch.parseLoss`).
  static func parseLoss(_ text: String) throws -> Double { try ScenarioSearch.parseLoss(text) }

  func run() throws {
    try ScenarioSearch.run(options, version: VrsimVersion.string) { print($0, terminator: "") }
  }
}
