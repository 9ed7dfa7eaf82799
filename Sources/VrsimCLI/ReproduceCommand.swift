import ArgumentParser
import Calibration
import Foundation

/// `vrsim reproduce paper`: runs the origin paper's experiments (scenarios/paper/*.yaml) and
/// prints each simulated figure next to the paper's value with the relative error.
struct ReproduceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "reproduce",
    abstract: "Run the origin paper's experiments and compare each figure with the paper.",
    discussion: """
      Runs scenarios/paper/fig9-forwarding.yaml, fig8a-udp.yaml, fig8b-routers.yaml and \
      routes.yaml (found from the current directory upwards, or in --scenarios DIR) and prints \
      one table: experiment, configuration, simulated value (mean ± 95% CI half-width over \
      replications), the paper's value (read from validation/paper-2012.csv next to the \
      scenarios directory) and the relative error, or for the paper's upper bounds whether \
      the bound holds. --check only loads and \
      validates every scenario file under the scenarios directory, without running anything.
      """
  )

  @Argument(help: "What to reproduce: paper.")
  var target: String = "paper"

  @Option(name: .long, help: "Parallel workers (default: all cores); results do not depend on it.")
  var jobs: Int?

  @Option(name: .long, help: "Output format: table, csv or json.")
  var format: OutputFormat = .table

  @Flag(
    name: .long, help: "Shorter runs (200 ms after 50 ms warm-up, 2 replications): a quick look, wider CIs.")
  var quick = false

  @Option(name: .long, help: "The scenarios directory (default: ./scenarios or the nearest parent's).")
  var scenarios: String?

  @Flag(name: .long, help: "Only load and validate every scenario file under the scenarios directory.")
  var check = false

  func validate() throws {
    guard target == "paper" else {
      throw ValidationError("unknown target '\(target)'; allowed: paper")
    }
    try ScenarioOptions.checkJobs(jobs)
  }

  func run() throws {
    let dir = try PaperReproduction.scenariosDirectory(scenarios)
    if check {
      try PaperReproduction.checkScenarios(in: dir) { Swift.print($0) }
      return
    }
    let started = Date()
    let outcome = try Self.reproduce(scenarios: dir, quick: quick, jobs: jobs)
    switch format {
    case .table:
      Swift.print(PaperReproduction.table(outcome.rows, settings: outcome.settings), terminator: "")
    case .csv: Swift.print(PaperReproduction.csv(outcome.rows), terminator: "")
    case .json:
      Swift.print(try PaperReproduction.json(outcome.rows, settings: outcome.settings), terminator: "")
    }
    let seconds = Date().timeIntervalSince(started)
    FileHandle.standardError.write(Data(String(format: "vrsim: reproduce paper took %.1f s\n", seconds).utf8))
  }

  /// Runs the paper's experiments (`PaperReproduction.run`) with a progress line per experiment.
  static func reproduce(scenarios dir: String, quick: Bool, jobs: Int?) throws -> PaperReproduction.Outcome {
    try PaperReproduction.run(
      scenarios: dir, overrides: quick ? PaperReproduction.quickOverrides : [], jobs: jobs,
      version: VrsimVersion.string, display: CampaignSession.display)
  }
}
