import ArgumentParser
import Experiment
import Foundation
import Report
import Scenario
import ScenarioRun

/// `vrsim results`: print the results kept in a campaign directory.
struct ResultsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "results",
    abstract: "Print the results of a campaign directory (aggregated, or per run with --runs).",
    discussion: """
      Without --runs: the aggregated results (mean and 95% CI per point, scope and metric), as \
      `vrsim sweep` prints them. With --runs: every stored run, one row per metric (tidy CSV, or \
      JSON with --format json). Reads only; nothing is simulated.
      """
  )

  @Argument(help: "Campaign directory (made by vrsim sweep, vrsim run --out or vrsim merge).")
  var directory: String

  @Option(name: .long, help: "Output format: table, csv or json (--runs: csv or json; table means csv).")
  var format: OutputFormat = .table

  @Flag(name: .long, help: "Print every run instead of the aggregated results.")
  var runs = false

  func run() throws {
    let campaign = try StoredCampaign(path: directory)
    let plan = campaign.store.plan
    if runs {
      let records: [RunRecord]
      do { records = try campaign.store.records() } catch { throw RunError("\(error)", exitCode: 2) }
      switch format {
      case .json: print(try CampaignResults.recordsJSON(plan: plan, records: records))
      case .csv, .table: print(CampaignResults.recordsCSV(plan: plan, records: records), terminator: "")
      }
      return
    }
    try CampaignSession.print(
      summaries: try campaign.summaries(), format: format, spec: campaign.spec, plan: plan)
  }
}

/// `vrsim merge`: join shard campaigns into one.
struct MergeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge",
    abstract: "Join campaign directories (the shards of one campaign) into DEST.",
    discussion: """
      DEST is created with the first source's scenario when it does not exist. Every source must \
      come from the same scenario (else refused unless --allow-mismatch); a run present in \
      several sources is kept once when the results agree, and the merge fails, changing \
      nothing, when they differ.
      """
  )

  @Argument(help: "Destination campaign directory.")
  var destination: String

  @Argument(help: "Source campaign directories.")
  var sources: [String] = []

  @Flag(name: .long, help: "Join campaigns made from different scenarios anyway.")
  var allowMismatch = false

  func validate() throws {
    if sources.isEmpty { throw ValidationError("give at least one source campaign directory after DEST") }
  }

  func run() throws {
    let summary: MergeSummary
    do {
      summary = try CampaignStore.merge(
        sources: sources.map { URL(fileURLWithPath: $0) }, into: URL(fileURLWithPath: destination),
        allowMismatch: allowMismatch)
    } catch { throw RunError("\(error)", exitCode: 2) }  // the campaigns given do not fit together
    print(
      "merged \(sources.count) campaign\(sources.count == 1 ? "" : "s") into \(destination): "
        + "\(summary.added) runs added, \(summary.identicalDuplicates) identical duplicates kept once, "
        + "\(summary.total) runs in total")
  }
}
