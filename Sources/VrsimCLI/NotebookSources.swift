import ArgumentParser
import Calibration
import Experiment
import Foundation
import Report
import Scenario

/// The data source of `vrsim export notebook` and `vrsim plot`: exactly one of a campaign, the
/// paper reproduction, a calibrated profile or a validation / measured-data CSV.
struct FigureSourceOptions: ParsableArguments {
  @Option(name: .long, help: "Campaign directory (made by vrsim sweep): its aggregated results.")
  var campaign: String?

  @Option(name: .long, help: "Run the reproduction of: paper (as vrsim reproduce paper --format csv).")
  var reproduce: String?

  @Option(name: .long, help: "Profile written by vrsim calibrate: its fit report (parameters, residuals).")
  var calibration: String?

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
    let given = [campaign, reproduce, calibration, validation].compactMap { $0 }
    if given.count != 1 {
      throw ValidationError("give exactly one of --campaign, --reproduce, --calibration, --validation")
    }
    if let reproduce, reproduce != "paper" {
      throw ValidationError("unknown --reproduce target '\(reproduce)'; allowed: paper")
    }
    if let jobs, !(1...256).contains(jobs) {
      throw ValidationError("--jobs \(jobs) is out of range; allowed: 1 ... 256")
    }
  }

  /// Reads or computes the source's data.
  func load() throws -> FigureData {
    if let campaign { return try FigureData.campaign(campaign) }
    if reproduce != nil {
      return try FigureData.reproduction(scenarios: scenarios, quick: quick, jobs: jobs)
    }
    if let calibration { return try FigureData.calibration(calibration) }
    return try FigureData.validation(validation ?? "")
  }
}

/// The tidy data one notebook or plot set is drawn from, with what its header shows.
struct FigureData {
  /// The figure family: campaign, reproduce, calibration, validation or measured (the name
  /// `vrsim_figures.py` knows it by).
  var kind: String
  /// The sidecar CSV text.
  var csv: String
  /// A title for the notebook.
  var title: String
  /// Header lines: (label, value).
  var header: [(String, String)]
  /// The date found in the data's provenance, if any.
  var date: String?

  /// A campaign's aggregated results, as `vrsim results DIR --format csv` prints them.
  static func campaign(_ path: String) throws -> FigureData {
    let store: CampaignStore
    do { store = try CampaignStore.open(at: URL(fileURLWithPath: path)) } catch {
      throw RunError("\(error)", exitCode: 2)
    }
    let plan = store.plan
    let summaries: [MetricSummary]
    do { summaries = try CampaignResults.summarize(plan: plan, store: store) } catch {
      throw RunError("\(error)", exitCode: 2)
    }
    let spec = try? ScenarioLoader.load(text: plan.scenarioText, fileName: "<campaign>", overrides: [])
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
    return FigureData(
      kind: "campaign", csv: csv,
      title: "Campaign \(spec?.name ?? URL(fileURLWithPath: path).lastPathComponent)",
      header: header, date: nil)
  }

  /// The paper reproduction, as `vrsim reproduce paper --format csv` prints it.
  static func reproduction(scenarios: String?, quick: Bool, jobs: Int?) throws -> FigureData {
    let dir = try ReproduceCommand.scenariosDirectory(scenarios)
    let (rows, settings, seeds) = try ReproduceCommand.reproduce(
      scenarios: dir, overrides: quick ? ReproduceCommand.quickOverrides : [], jobs: jobs)
    return FigureData(
      kind: "reproduce", csv: PaperReproduction.csv(rows),
      title: "Reproduction of the origin paper (Figs. 8 and 9, routes)",
      header: [
        ("scenario", "scenarios/paper/*.yaml against validation/paper-2012.csv"),
        ("vrsim", VrsimVersion.string), ("seeds", seeds.joined(separator: ", ")),
        ("runs", settings.joined(separator: "; ")),
      ], date: nil)
  }

  /// The fit report in the comment header of a profile written by `vrsim calibrate`.
  static func calibration(_ path: String) throws -> FigureData {
    let text: String
    do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
      throw RunError("\(path): cannot read: \(error.localizedDescription)", exitCode: 2)
    }
    if PosteriorSidecar.isPosterior(text) {
      let p = try PosteriorSidecar.parse(text, file: path)
      return FigureData(
        kind: "calibration", csv: p.csv, title: "Calibration report: \(p.name) (posterior)",
        header: [
          ("profile", path), ("scenario", p.data), ("vrsim", p.version), ("method", p.method),
          ("sampler", p.summary),
          ("point fit", p.pointFit.map { "\($0) (its parameters and residuals below)" } ?? "none read"),
        ], date: p.date)
    }
    let report = try CalibrationSidecar.parse(text, file: path)
    return FigureData(
      kind: "calibration", csv: report.csv, title: "Calibration report: \(report.name)",
      header: [
        ("profile", path), ("scenario", report.data), ("vrsim", report.version), ("seeds", report.seed),
        ("method", report.method), ("loss", report.loss),
      ], date: report.date)
  }

  /// A validation report (`vrsim validate --format csv`) or measured-data CSV, copied as is.
  static func validation(_ path: String) throws -> FigureData {
    let text: String
    do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
      throw RunError("\(path): cannot read: \(error.localizedDescription)", exitCode: 2)
    }
    let first = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    let columns = Set(first.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    let measured = [
      "source", "experiment", "scenario", "set", "scope", "metric", "unit", "value", "ci95_low",
      "ci95_high", "n", "kind",
    ]
    let report = [
      "experiment", "set", "scope", "metric", "unit", "kind", "measured", "ci95_low", "ci95_high",
      "simulated", "simulated_ci95_low", "simulated_ci95_high",
    ]
    let kind: String
    let missing: [String]
    if columns.contains("simulated") {
      kind = "validation"
      missing = report.filter { !columns.contains($0) }
    } else {
      kind = "measured"
      missing = measured.filter { !columns.contains($0) }
    }
    if !missing.isEmpty {
      throw RunError(
        "\(path):1: the header lacks \(missing.joined(separator: ", ")); expected the columns of "
          + (kind == "validation"
            ? "vrsim validate --format csv" : "a measured-data CSV (\(measured.joined(separator: ",")))"),
        exitCode: 2)
    }
    let rows = text.split(separator: "\n").count - 1
    let sources = Self.column(text, named: kind == "validation" ? "scenario" : "scenario")
    return FigureData(
      kind: kind, csv: text,
      title: kind == "validation" ? "Validation report: measured vs simulated" : "Measured data",
      header: [
        ("input", URL(fileURLWithPath: path).lastPathComponent),
        ("scenario", sources.joined(separator: ", ")), ("vrsim", VrsimVersion.string),
        ("seeds", "each scenario's run.seed"), ("rows", String(rows)),
      ], date: nil)
  }

  /// The distinct values of a simple (unquoted) column, in order of appearance.
  static func column(_ text: String, named name: String) -> [String] {
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

/// The fit report of a calibrated profile (the comment header `vrsim calibrate` writes) as a
/// tidy CSV: one row per fitted parameter (`table` = parameter) and per residual term
/// (`table` = residual).
struct CalibrationSidecar {
  var name = ""
  var version = ""
  var date: String?
  var data = ""
  var seed = ""
  var method = ""
  var loss = ""
  var parameters: [[CSVField]] = []
  var residuals: [[CSVField]] = []

  static let header = [
    "table", "key", "label", "start", "fitted", "se", "low", "high", "unit", "identifiable", "residual",
    "measured", "simulated", "kind", "line",
  ]

  var csv: String { CSV.render(header: Self.header, rows: parameters + residuals) }

  // `profile.driver_rx start 1250 fitted 1348.3 se 228.8 95% [959.213, 1862.7] cycles [NOT IDENTIFIABLE]`
  nonisolated(unsafe) static let parameterLine =
    /^(\S+)\s+start\s+(\S+)\s+fitted\s+(\S+)\s+se\s+(\S+)\s+95% \[(\S+), (\S+)\]\s+(\S+)(\s+NOT IDENTIFIABLE)?\s*$/
  // `+0.003  measured 750000 simulated 750058 value fig9 aggregate forwarded_pps [set] (line 2)`
  nonisolated(unsafe) static let valueLine =
    /^([-+]?[0-9.]+)\s+measured\s+(\S+)\s+simulated\s+(\S+)\s+(\S+)\s+(.*\(line (\d+)\))\s*$/
  // `+0.000  fig9 rank a >= b (lines 6, 8)`
  nonisolated(unsafe) static let rankLine = /^([-+]?[0-9.]+)\s+(.*)$/

  /// Parses the header of `text` (a profile file); errors name `file` and the line.
  static func parse(_ text: String, file: String) throws -> CalibrationSidecar {
    var r = CalibrationSidecar()
    var section = ""
    var sawHeader = false
    for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let lineNo = n + 1
      if !raw.hasPrefix("#") {
        if raw.hasPrefix("name:") {
          r.name = raw.dropFirst(5).trimmingCharacters(in: .whitespaces).trimmingCharacters(
            in: CharacterSet(charactersIn: "\""))
        }
        if raw.hasPrefix("date:") {
          r.date = raw.dropFirst(5).trimmingCharacters(in: .whitespaces).trimmingCharacters(
            in: CharacterSet(charactersIn: "\""))
        }
        continue
      }
      let body = raw.dropFirst().trimmingCharacters(in: .whitespaces)
      if lineNo == 1 {
        // `# NAME: fitted by `vrsim calibrate` (vrsim 0.1.0) on 2026-12-01.`
        guard let m = body.firstMatch(of: /fitted by `vrsim calibrate` \(vrsim (\S+)\) on (\S+)\./) else {
          throw RunError(
            "\(file):1: not a profile written by vrsim calibrate (its first line should read "
              + "'# NAME: fitted by `vrsim calibrate` (vrsim VERSION) on DATE.')", exitCode: 2)
        }
        r.version = String(m.1)
        r.date = String(m.2)
        sawHeader = true
        continue
      }
      if body.hasPrefix("Data: ") { r.data = String(body.dropFirst(6)) }
      if body.hasPrefix("Seed: ") { r.seed = String(body.dropFirst(6)) }
      if body.hasPrefix("Method: ") { r.method = String(body.dropFirst(8)) }
      if body.hasPrefix("Loss: ") { r.loss = String(body.dropFirst(6)) }
      if body.hasPrefix("Fitted values") {
        section = "parameter"
        continue
      }
      if body.hasPrefix("Residuals") {
        section = "residual"
        continue
      }
      if body.isEmpty || body.hasPrefix("Condition number") || body.hasPrefix("WARNING") {
        if body.isEmpty { section = "" }
        continue
      }
      switch section {
      case "parameter":
        guard let m = body.wholeMatch(of: parameterLine), let start = Double(m.2), let fitted = Double(m.3),
          let low = Double(m.5), let high = Double(m.6)
        else {
          throw RunError("\(file):\(lineNo): cannot read the fitted-value line '\(body)'", exitCode: 2)
        }
        let se = Double(m.4) ?? .infinity
        r.parameters.append([
          "parameter", .text(String(m.1)), .text(String(m.1)), .number(start), .number(fitted),
          se.isFinite ? .number(se) : .text("inf"), .number(low), .number(high), .text(String(m.7)),
          .text(m.8 == nil ? "true" : "false"), .empty, .empty, .empty, .empty, .empty,
        ])
      case "residual":
        if let m = body.wholeMatch(of: valueLine), let res = Double(m.1), let meas = Double(m.2),
          let sim = Double(m.3), let line = Int(m.6)
        {
          r.residuals.append([
            "residual", .empty, .text(String(m.5)), .empty, .empty, .empty, .empty, .empty, .empty, .empty,
            .number(res), .number(meas), .number(sim), .text(String(m.4)), .integer(line),
          ])
        } else if let m = body.wholeMatch(of: rankLine), let res = Double(m.1) {
          r.residuals.append([
            "residual", .empty, .text(String(m.2)), .empty, .empty, .empty, .empty, .empty, .empty, .empty,
            .number(res), .empty, .empty, "rank", .empty,
          ])
        } else {
          throw RunError("\(file):\(lineNo): cannot read the residual line '\(body)'", exitCode: 2)
        }
      default: continue
      }
    }
    if !sawHeader {
      throw RunError(
        "\(file):1: not a profile written by vrsim calibrate (no fit report header)", exitCode: 2)
    }
    if r.parameters.isEmpty {
      throw RunError(
        "\(file): the fit report lists no fitted values ('# Fitted values' section)", exitCode: 2)
    }
    return r
  }
}
