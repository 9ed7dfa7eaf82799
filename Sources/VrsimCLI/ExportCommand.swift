import ArgumentParser
import Calibration
import Foundation

/// `vrsim export notebook`: a Jupyter notebook with the figures of a campaign, the paper
/// reproduction, a calibration or a validation report, its data in a sidecar CSV beside it.
struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract:
      "Write a Jupyter notebook (with a sidecar CSV) of a campaign, reproduction, calibration or validation.",
    discussion: """
      Writes OUT (nbformat 4) and OUT's name with .csv instead of .ipynb: the data, as \
      vrsim results --format csv, vrsim reproduce paper --format csv, a fit or posterior report \
      (the JSON vrsim calibrate writes; a posterior with its draws and the point fit it started \
      from when both are given), or the validation / measured CSV given. The notebook's cells load the \
      CSV with pandas and draw the figures with notebooks-export/vrsim_figures.py (matplotlib), \
      the code vrsim plot runs too. --execute runs it with nbclient in the notebooks' Python \
      environment (.venv-notebooks, made by scripts/install-deps.sh), so the figures are in the \
      file. The date in the header is --date, else the data's own (a calibration report's), \
      else 'not recorded': never the clock, so the same inputs give the same file.
      """
  )

  @Argument(help: "What to export: notebook.")
  var target: String

  @OptionGroup var source: FigureSourceOptions

  @Option(name: .long, help: "The notebook to write (.ipynb); the sidecar CSV goes beside it.")
  var out: String

  @Option(name: .long, help: "The date shown in the header (e.g. 2026-12-01).")
  var date: String?

  @Flag(name: .long, help: "Run the notebook (nbclient) so its outputs and figures are stored in it.")
  var execute = false

  func validate() throws {
    guard target == "notebook" else { throw ValidationError("unknown target '\(target)'; allowed: notebook") }
    guard out.hasSuffix(".ipynb") else {
      throw ValidationError("--out \(out): the notebook's name must end in .ipynb")
    }
  }

  func run() throws {
    let figures = try FigureModule.locate()
    let python = execute ? try figures.python() : nil
    let data = try source.load()
    let notebookURL = URL(fileURLWithPath: out).standardizedFileURL
    let sidecarURL = try figures.writeNotebook(
      of: data, to: notebookURL, named: out, date: date ?? data.date ?? "not recorded",
      version: VrsimVersion.string)
    print(
      "wrote \(out) and \(sidecarURL.lastPathComponent) (\(data.family.rawValue), \(data.rowCount) rows)"
    )
    if let python {
      try figures.run(python, ["execute", notebookURL.path])
      print("executed \(out)")
    }
  }
}

/// `vrsim plot`: PNG and SVG of the notebooks' figures, for people without Jupyter.
struct PlotCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plot",
    abstract: "Write the figures of a campaign, reproduction, calibration or validation as PNG and SVG.",
    discussion: """
      Writes OUT/data.csv (the same sidecar vrsim export notebook writes) and, for every figure \
      that applies, OUT/NAME.png and OUT/NAME.svg, drawn by notebooks-export/vrsim_figures.py \
      (matplotlib) in the notebooks' Python environment (.venv-notebooks, made by \
      scripts/install-deps.sh): the same code as the notebooks' cells.
      """
  )

  @OptionGroup var source: FigureSourceOptions

  @Option(name: .long, help: "Directory to write the figures into (created if missing).")
  var out: String

  func run() throws {
    let figures = try FigureModule.locate()
    let python = try figures.python()
    let data = try source.load()
    let dir = URL(fileURLWithPath: out).standardizedFileURL
    let csv = dir.appendingPathComponent("data.csv")
    try FigureModule.write([(data.csv, csv)], creating: dir, named: out)
    try figures.run(python, ["plot", data.family.rawValue, csv.path, dir.path])
  }
}

/// The data source of `vrsim export notebook` and `vrsim plot`: exactly one of a campaign, the
/// paper reproduction, a calibrated profile or a validation / measured-data CSV.
struct FigureSourceOptions: ParsableArguments {
  @Option(name: .long, help: "Campaign directory (made by vrsim sweep): its aggregated results.")
  var campaign: String?

  @Option(name: .long, help: "Run the reproduction of: paper (as vrsim reproduce paper --format csv).")
  var reproduce: String?

  @Option(
    name: .long,
    help:
      "A report's JSON written by vrsim calibrate (REPORT.json or OUT-report.json): a fit's or a posterior's; give a posterior's and its point fit's to show both."
  )
  var calibration: [String] = []

  @Option(name: .long, help: "CSV from vrsim validate --format csv, or a measured-data CSV.")
  var validation: String?

  @Flag(name: .long, help: "With --reproduce: shorter runs, as vrsim reproduce paper --quick.")
  var quick = false

  @Option(name: .long, help: "The scenarios directory for --reproduce (default: ./scenarios or a parent's).")
  var scenarios: String?

  @Option(
    name: .long, help: "Parallel workers for --reproduce (default: all cores); results do not depend on it.")
  var jobs: Int?

  func validate() throws {
    let given = [campaign, reproduce, calibration.first, validation].compactMap { $0 }
    if given.count != 1 {
      throw ValidationError("give exactly one of --campaign, --reproduce, --calibration, --validation")
    }
    if let reproduce, reproduce != "paper" {
      throw ValidationError("unknown --reproduce target '\(reproduce)'; allowed: paper")
    }
    try ScenarioOptions.checkJobs(jobs)
  }

  /// Reads or computes the source's data.
  func load() throws -> NotebookData {
    if let campaign { return try NotebookData.campaign(campaign) }
    if reproduce != nil {
      let dir = try PaperReproduction.scenariosDirectory(scenarios)
      let outcome = try ReproduceCommand.reproduce(scenarios: dir, quick: quick, jobs: jobs)
      return NotebookData.reproduction(outcome, version: VrsimVersion.string)
    }
    if !calibration.isEmpty { return try NotebookData.calibration(calibration) }
    return try NotebookData.validation(validation ?? "", version: VrsimVersion.string)
  }
}
