import ArgumentParser
import Calibration
import Foundation
import Report

/// `vrsim validate`: simulates measured rows and prints measured against simulated.
struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Compare measured data with the simulation, row by row, with the error per experiment.",
    discussion: """
      Simulates each row of the measured-data CSV files (or those --test selects) and prints \
      measured and simulated values with both 95% intervals, the relative error, whether the \
      intervals overlap, and the mean absolute percentage error (MAPE) of the value rows per \
      experiment and overall. Bound and rank rows report whether they hold; rows no model \
      produces are listed as not simulated. Exits non-zero only on errors, never because the \
      agreement is poor.
      """
  )

  @Argument(help: "Measured-data CSV files.")
  var data: [String]

  @Option(name: .long, help: "Profile file to simulate with (default: each scenario's own).")
  var profile: String?

  @Option(name: .long, help: "Rows to compare, e.g. 'experiment = fig8b' (default: all).")
  var test: String?

  @Option(name: .long, help: "Output format: table, csv or json.")
  var format: OutputFormat = .table

  @Option(name: .customLong("set"), help: "Override for every row, KEY=VALUE (e.g. run.duration=300ms).")
  var set: [String] = []

  @Option(name: .long, help: "Parallel workers (default: all cores); results do not depend on it.")
  var jobs: Int?

  @Option(name: .long, help: "Seed of every simulation (default: each scenario's run.seed).")
  var seed: UInt64?

  func validate() throws {
    if let jobs, !(1...256).contains(jobs) {
      throw ValidationError("--jobs \(jobs) is out of range; allowed: 1 ... 256")
    }
  }

  func run() throws {
    let rows = try CalibrationInputs.rows(data).filter(try CalibrationInputs.filter(test).matches)
    let overrides = try CalibrationInputs.profileOverride(profile) + set
    let evaluator: RowEvaluator
    do {
      evaluator = try RowEvaluator(
        rows: rows, parameters: [], overrides: overrides, seed: seed,
        jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount)
    } catch { throw RunError("\(error)", exitCode: 2) }
    let outcomes: [RowOutcome]
    do { outcomes = try evaluator.simulate([[]])[0] } catch { throw RunError("\(error)") }
    var next = 0
    let simulated: [RowOutcome?] = rows.map { r in
      guard r.isSimulated else { return nil }
      next += 1
      return outcomes[next - 1]
    }
    let report = ValidationReport(rows: rows, simulated: simulated)
    switch format {
    case .table: print(Self.table(report), terminator: "")
    case .csv: print(Self.csv(report), terminator: "")
    case .json: print(try JSONText.encode(ValidationJSON(report)), terminator: "")
    }
  }

  static func interval(_ lo: Double?, _ hi: Double?) -> String {
    guard let lo, let hi else { return "-" }
    return String(format: "[%.6g, %.6g]", lo, hi)
  }

  static func simulatedText(_ o: RowOutcome?) -> (String, String) {
    guard let o else { return ("-", "-") }
    let m = String(format: "%.6g", o.mean)
    guard o.halfWidth.isFinite else { return (m, "-") }
    return (m, String(format: "[%.6g, %.6g]", o.mean - o.halfWidth, o.mean + o.halfWidth))
  }

  static func table(_ r: ValidationReport) -> String {
    var t = Table(columns: [
      .init("line", alignment: .right), .init("experiment"), .init("set"), .init("scope"), .init("metric"),
      .init("kind"), .init("measured", alignment: .right), .init("measured 95%"),
      .init("simulated", alignment: .right), .init("simulated 95%"), .init("overlap"), .init("comparison"),
    ])
    for l in r.lines {
      let (s, sci) = simulatedText(l.simulated)
      t.append([
        String(l.row.line), l.row.experiment, l.row.set.joined(separator: ";"), l.row.scope,
        l.row.metric.name,
        l.row.kind.rawValue, String(format: "%.6g", l.row.value),
        l.row.kind == .rank ? "-" : interval(l.row.ci95Low, l.row.ci95High), s, sci,
        l.intervalsOverlap.map { $0 ? "yes" : "no" } ?? "-", l.status,
      ])
    }
    var e = Table(columns: [
      .init("experiment"), .init("MAPE", alignment: .right), .init("value rows", alignment: .right),
      .init("bounds/ranks holding", alignment: .right),
    ])
    for x in r.experiments {
      e.append([
        x.experiment, x.mape.isNaN ? "-" : String(format: "%.1f%%", x.mape * 100), String(x.count),
        x.checked > 0 ? "\(x.holds)/\(x.checked)" : "-",
      ])
    }
    return t.render() + "\n" + e.render()
  }

  static func csv(_ r: ValidationReport) -> String {
    let header = [
      "file", "line", "source", "experiment", "scenario", "set", "scope", "metric", "unit", "kind",
      "measured",
      "ci95_low", "ci95_high", "simulated", "simulated_ci95_low", "simulated_ci95_high", "replications",
      "relative_error", "intervals_overlap", "holds", "comparison",
    ]
    let rows: [[CSVField]] = r.lines.map { l in
      let s = l.simulated
      let h = s.map { $0.halfWidth.isFinite ? $0.halfWidth : Double.nan } ?? .nan
      return [
        .text(l.row.file), .integer(l.row.line), .text(l.row.source), .text(l.row.experiment),
        .text(l.row.scenario),
        .text(l.row.set.joined(separator: ";")), .text(l.row.scope), .text(l.row.metric.name),
        .text(l.row.metric.unit), .text(l.row.kind.rawValue), .number(l.row.value),
        l.row.ci95Low.map(CSVField.number) ?? .empty, l.row.ci95High.map(CSVField.number) ?? .empty,
        s.map { .number($0.mean) } ?? .empty, s.map { _ in .number(s!.mean - h) } ?? .empty,
        s.map { _ in .number(s!.mean + h) } ?? .empty, s.map { .integer($0.count) } ?? .empty,
        l.relativeError.map(CSVField.number) ?? .empty,
        l.intervalsOverlap.map { .text($0 ? "true" : "false") } ?? .empty,
        l.holds.map { .text($0 ? "true" : "false") } ?? .empty, .text(l.status),
      ]
    }
    return CSV.render(header: header, rows: rows)
  }
}

/// The JSON form of a validation report.
private struct ValidationJSON: Encodable {
  struct Line: Encodable {
    var file: String
    var line: Int
    var experiment: String
    var set: [String]
    var scope: String
    var metric: String
    var unit: String
    var kind: String
    var measured: Double
    var ci95Low: Double?
    var ci95High: Double?
    var simulated: Double?
    var simulatedHalfWidth: Double?
    var relativeError: Double?
    var intervalsOverlap: Bool?
    var holds: Bool?
    var comparison: String

    enum CodingKeys: String, CodingKey {
      case file, line, experiment, set, scope, metric, unit, kind, measured
      case ci95Low = "ci95_low"
      case ci95High = "ci95_high"
      case simulated
      case simulatedHalfWidth = "simulated_half_width"
      case relativeError = "relative_error"
      case intervalsOverlap = "intervals_overlap"
      case holds, comparison
    }
  }
  struct Experiment: Encodable {
    var experiment: String
    var mape: Double?
    var valueRows: Int
    var holds: Int
    var checked: Int

    enum CodingKeys: String, CodingKey {
      case experiment, mape
      case valueRows = "value_rows"
      case holds, checked
    }
  }
  var rows: [Line]
  var experiments: [Experiment]

  init(_ r: ValidationReport) {
    rows = r.lines.map { l in
      Line(
        file: l.row.file, line: l.row.line, experiment: l.row.experiment, set: l.row.set, scope: l.row.scope,
        metric: l.row.metric.name, unit: l.row.metric.unit, kind: l.row.kind.rawValue, measured: l.row.value,
        ci95Low: l.row.ci95Low, ci95High: l.row.ci95High,
        simulated: l.simulated.flatMap { JSONText.finite($0.mean) },
        simulatedHalfWidth: l.simulated.flatMap { JSONText.finite($0.halfWidth) },
        relativeError: l.relativeError.flatMap(JSONText.finite), intervalsOverlap: l.intervalsOverlap,
        holds: l.holds,
        comparison: l.status)
    }
    experiments = r.experiments.map {
      Experiment(
        experiment: $0.experiment, mape: JSONText.finite($0.mape), valueRows: $0.count, holds: $0.holds,
        checked: $0.checked)
    }
  }
}
