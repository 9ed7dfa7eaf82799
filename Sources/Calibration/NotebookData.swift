import Experiment
import Foundation
import Report
import Scenario
import ScenarioRun
import SimCore

/// The tidy data a notebook or a plot set is drawn from (`vrsim export notebook`, `vrsim
/// plot`), with what the notebook's header shows. It lives in Calibration because that is the
/// one library that sees all four sources: a campaign's store (Experiment), the paper
/// reproduction, a fit report and a validation report.
public struct NotebookData: Sendable {
  /// The figure families `vrsim_figures.py` knows (its `FIGURES` keys).
  public enum Family: String, Sendable, CaseIterable {
    /// A campaign's summaries (`vrsim results --format csv`).
    case campaign
    /// The paper reproduction (`vrsim reproduce paper --format csv`).
    case reproduce
    /// A fit report (`vrsim calibrate`'s JSON).
    case calibration
    /// A validation report (`vrsim validate --format csv`).
    case validation
    /// A measured-data CSV.
    case measured
  }

  /// The figure family.
  public var family: Family
  /// The sidecar CSV text.
  public var csv: String
  /// A title for the notebook.
  public var title: String
  /// Header lines: (label, value).
  public var header: [(String, String)]
  /// The date found in the data's provenance, if any.
  public var date: String?

  /// Number of data rows of the sidecar CSV.
  public var rowCount: Int { csv.split(separator: "\n").count - 1 }

  /// A campaign's aggregated results, as `vrsim results DIR --format csv` prints them.
  /// - Throws: `ScenarioRunError` (exit code 2) when the campaign cannot be read.
  public static func campaign(_ path: String) throws -> NotebookData {
    let campaign = try StoredCampaign(path: path)
    let (plan, spec, summaries) = (campaign.store.plan, campaign.spec, try campaign.summaries())
    var csv = ""
    SummaryReport.writeCSV(summaries) { csv += $0 }
    let axes = spec?.sweep?.axes.map { "\($0.keyPath) = \($0.values.joined(separator: ", "))" } ?? []
    var header: [(String, String)] = [
      ("scenario", spec.map { "\($0.name): \($0.about)" } ?? "(unreadable scenario text)"),
      ("vrsim", plan.vrsimVersion), ("seeds", "master seed \(plan.masterSeed) (\(plan.seedScheme))"),
      ("scenario hash", plan.scenarioHash),
    ]
    if let spec {
      header.append(
        (
          "runs",
          "\(plan.points.count) points x \(spec.run.replications) replications of \(spec.run.duration) (\(spec.run.warmup) warm-up)"
        ))
    }
    if !axes.isEmpty { header.append(("swept", axes.joined(separator: "; "))) }
    return NotebookData(
      family: .campaign, csv: csv,
      title: "Campaign \(spec?.name ?? URL(fileURLWithPath: path).lastPathComponent)",
      header: header, date: nil)
  }

  /// The paper reproduction (as `vrsim reproduce paper --format csv` prints it) of `outcome`.
  public static func reproduction(_ outcome: PaperReproduction.Outcome, version: String) -> NotebookData {
    NotebookData(
      family: .reproduce, csv: PaperReproduction.csv(outcome.rows),
      title: "Reproduction of the origin paper (Figs. 8 and 9, routes)",
      header: [
        ("scenario", "scenarios/paper/*.yaml against validation/paper-2012.csv"),
        ("vrsim", version), ("seeds", outcome.seeds.joined(separator: ", ")),
        ("runs", outcome.settings.joined(separator: "; ")),
      ], date: nil)
  }

  /// The report(s) `vrsim calibrate` writes as JSON: a point fit's (`FitReportData`), a
  /// posterior's (`PosteriorReportData`, with the draws CSV it names), or one of each (the
  /// posterior beside the point fit it started from). A fit alone gives the fit's own columns.
  /// - Throws: `ScenarioRunError` (exit code 2) when a file cannot be read, two of one kind are
  ///   given, or the draws are not found.
  public static func calibration(_ paths: [String]) throws -> NotebookData {
    var fit: FitReportData?
    var posterior: (report: PosteriorReportData, path: String)?
    do {
      for path in paths {
        if isPosteriorReport(path) {
          guard posterior == nil else {
            throw CalibrationError("\(path): a second posterior report; give one")
          }
          posterior = (try PosteriorReportData(path: path), path)
        } else {
          guard fit == nil else { throw CalibrationError("\(path): a second fit report; give one") }
          fit = try FitReportData(path: path)
        }
      }
    } catch { throw ScenarioRunError("\(error)", exitCode: 2) }
    guard let posterior else {
      guard let fit else { throw ScenarioRunError("no calibration report given", exitCode: 2) }
      return NotebookData(
        family: .calibration, csv: fit.figureCSV, title: "Calibration report: \(fit.name)",
        header: fit.headerLines, date: fit.date)
    }
    let (report, path) = posterior
    let rows: [[CSVField]]
    do {
      let draws = try PosteriorDraws(path: try drawsPath(report.drawsFile, of: path))
      let padding = [CSVField](repeating: .empty, count: PosteriorReportData.figureColumns.count)
      rows = (fit?.figureRows ?? []).map { $0 + padding } + (try report.figureRows(draws: draws, file: path))
    } catch { throw ScenarioRunError("\(error)", exitCode: 2) }
    return NotebookData(
      family: .calibration,
      csv: CSV.render(header: FitReportData.figureColumns + PosteriorReportData.figureColumns, rows: rows),
      title: "Calibration report: \(report.name) (posterior)"
        + (fit.map { ", beside the point fit \($0.name)" } ?? ""),
      header: report.headerLines + [
        (
          "point fit",
          fit.map { "\($0.profileFile ?? $0.name): its parameters and residuals below" } ?? "none given"
        )
      ],
      date: report.date)
  }

  /// Whether the JSON file `path` is a posterior report (it names a draws file); anything
  /// else is read as a fit report, whose reader names the problem.
  static func isPosteriorReport(_ path: String) -> Bool {
    guard let data = FileManager.default.contents(atPath: path),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return false }
    return object["draws_file"] != nil
  }

  /// The draws file `given` (as vrsim calibrate wrote it, relative to where it ran) of the
  /// report `report`: as given when absolute or found from here, else under the nearest
  /// folder above the report that holds it.
  /// - Throws: `CalibrationError` naming both when it is not found.
  static func drawsPath(_ given: String, of report: String) throws -> String {
    if given.hasPrefix("/") || FileManager.default.fileExists(atPath: given) { return given }
    let folder = URL(fileURLWithPath: report).deletingLastPathComponent()
    guard let root = AncestorFolder.nearest(from: folder, holding: given) else {
      throw CalibrationError(
        "\(report): its draws file \(given) is neither under the working directory nor under a folder above "
          + "the report")
    }
    return root.appendingPathComponent(given).path
  }

  /// The columns a validation report needs for its figures (of `ValidationReport.csv`).
  static let validationColumns = [
    "experiment", "set", "scope", "metric", "unit", "kind", "measured", "ci95_low", "ci95_high",
    "simulated", "simulated_ci95_low", "simulated_ci95_high",
  ]

  /// A validation report (`vrsim validate --format csv`, told by its `simulated` column) or a
  /// measured-data CSV, copied as is.
  /// - Throws: `ScenarioRunError` (exit code 2) when it cannot be read or lacks a column.
  public static func validation(_ path: String, version: String) throws -> NotebookData {
    let text: String
    do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
      throw ScenarioRunError("\(path): cannot read: \(error.localizedDescription)", exitCode: 2)
    }
    let first = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    let columns = Set(first.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    let measured = MeasuredRow.requiredColumns
    let family: Family = columns.contains("simulated") ? .validation : .measured
    let missing = (family == .validation ? validationColumns : measured).filter { !columns.contains($0) }
    if !missing.isEmpty {
      throw ScenarioRunError(
        "\(path):1: the header lacks \(missing.joined(separator: ", ")); expected the columns of "
          + (family == .validation
            ? "vrsim validate --format csv" : "a measured-data CSV (\(measured.joined(separator: ",")))"),
        exitCode: 2)
    }
    return NotebookData(
      family: family, csv: text,
      title: family == .validation ? "Validation report: measured vs simulated" : "Measured data",
      header: [
        ("input", URL(fileURLWithPath: path).lastPathComponent),
        ("scenario", distinctValues(text, column: "scenario").joined(separator: ", ")), ("vrsim", version),
        ("seeds", "each scenario's run.seed"), ("rows", String(text.split(separator: "\n").count - 1)),
      ], date: nil)
  }

  /// The distinct values of a simple (unquoted) column, in order of appearance.
  static func distinctValues(_ text: String, column name: String) -> [String] {
    let lines = text.split(separator: "\n")
    guard let head = lines.first, let i = head.split(separator: ",").firstIndex(where: { $0 == name }) else {
      return []
    }
    var seen: [String] = []
    for l in lines.dropFirst() {
      let f = l.split(separator: ",", omittingEmptySubsequences: false)
      guard i < f.count else { continue }
      let v = String(f[i])
      if !v.isEmpty && !seen.contains(v) { seen.append(v) }
    }
    return seen
  }
}
