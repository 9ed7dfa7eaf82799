import Foundation
import Report

/// The renderers of a validation report: the text tables, CSV and JSON `vrsim validate` prints.
extension ValidationReport {
  /// The report as deterministic JSON text.
  public func json() throws -> String { try CalibrationJSON.text(ValidationJSON(self)) }

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

  /// The report as text tables: every row, then the error per metric and regime, then the MAPE
  /// per experiment.
  public var table: String {
    let r = self
    let posterior = r.lines.contains { $0.predictive != nil }
    var columns: [Table.Column] = [
      .init("line", alignment: .right), .init("experiment"), .init("set"), .init("scope"), .init("metric"),
      .init("unit"), .init("kind"), .init("measured", alignment: .right), .init("measured 95%"),
      .init("simulated", alignment: .right),
      .init(posterior ? "predictive 95%" : "simulated 95%"), .init(posterior ? "covered" : "overlap"),
      .init("z", alignment: .right), .init("regime"), .init("baseline", alignment: .right),
      .init("comparison"),
    ]
    // the z column (posterior only)
    let zColumn = 12
    if !posterior { columns.remove(at: zColumn) }
    var t = Table(columns: columns)
    for l in r.lines {
      var (s, sci) = Self.simulatedText(l.simulated)
      var check = l.intervalsOverlap.map { $0 ? "yes" : "no" } ?? "-"
      if posterior {
        sci = l.predictive.map { String(format: "[%.6g, %.6g]", $0.low, $0.high) } ?? "-"
        check = l.covered.map { $0 ? "yes" : "no" } ?? "-"
        if l.row.kind != .value, l.simulated != nil { s += " (mean)" }
      }
      var cells = [
        String(l.row.line), l.row.experiment, l.row.set.joined(separator: ";"), l.row.scope,
        l.row.metric.name, l.row.metric.unit,
        l.row.kind.rawValue, String(format: "%.6g", l.row.value),
        l.row.kind == .rank ? "-" : Self.interval(l.row.ci95Low, l.row.ci95High), s, sci, check,
        l.z.map { String(format: "%+.2f", $0) } ?? "-", l.regime?.rawValue ?? "-",
        l.baseline.map { String(format: "%.6g", $0) } ?? "-", l.status,
      ]
      if !posterior { cells.remove(at: zColumn) }
      t.append(cells)
    }
    var m = Table(columns: [
      .init("metric"), .init("regime"), .init("rows", alignment: .right),
      .init("zero rows", alignment: .right),
      .init("MAE", alignment: .right), .init("bias", alignment: .right), .init("MAPE", alignment: .right),
      .init("baseline MAE", alignment: .right), .init("baseline MAPE", alignment: .right),
      .init("skill", alignment: .right), .init("covered 95%", alignment: .right),
      .init("rms z", alignment: .right),
    ])
    func pct(_ x: Double) -> String { x.isNaN ? "-" : String(format: "%+.1f%%", x * 100) }
    for x in r.metrics {
      m.append([
        x.metric, x.regime.rawValue, String(x.rows), String(x.zeroRows),
        String(format: "%.4g %@", x.meanAbsoluteError, x.unit), pct(x.meanRelativeError),
        x.mape.isNaN ? "-" : String(format: "%.1f%%", x.mape * 100),
        x.baselineRows == 0 ? "-" : String(format: "%.4g %@", x.baselineMeanAbsoluteError, x.unit),
        x.baselineMAPE.isNaN ? "-" : String(format: "%.1f%%", x.baselineMAPE * 100),
        x.skill.isNaN ? "-" : String(format: "%+.2f", x.skill),
        x.intervalRows == 0 ? "-" : "\(x.covered)/\(x.intervalRows)",
        x.rmsZ.isNaN ? "-" : String(format: "%.2f", x.rmsZ),
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
    var head = "Per metric and regime (the headline: MAE in the metric's unit, rows measured as 0 included; "
    head += "skill = 1 - MAE/MAE(baseline) over the rows with a baseline; \(r.baselineSource)):\n"
    return t.render() + "\n" + head + m.render() + "\nMAPE per experiment (value rows not measured as 0):\n"
      + e.render()
  }

  /// The report as CSV, one line per row (the columns of `vrsim validate --format csv`).
  public var csv: String {
    let r = self
    let header = [
      "file", "line", "source", "experiment", "scenario", "set", "scope", "metric", "unit", "kind",
      "measured",
      "ci95_low", "ci95_high", "simulated", "simulated_ci95_low", "simulated_ci95_high", "replications",
      "relative_error", "intervals_overlap", "holds", "absolute_error", "regime", "baseline",
      "baseline_rule", "predictive_mean", "predictive_sd", "predictive_low", "predictive_high", "covered",
      "z", "comparison",
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
        l.holds.map { .text($0 ? "true" : "false") } ?? .empty,
        l.absoluteError.map(CSVField.number) ?? .empty, l.regime.map { .text($0.rawValue) } ?? .empty,
        l.baseline.map(CSVField.number) ?? .empty, l.baselineRule.map(CSVField.text) ?? .empty,
        l.predictive.map { .number($0.mean) } ?? .empty,
        l.predictive.map { .number($0.standardDeviation) } ?? .empty,
        l.predictive.map { .number($0.low) } ?? .empty, l.predictive.map { .number($0.high) } ?? .empty,
        l.covered.map { .text($0 ? "true" : "false") } ?? .empty, l.z.map(CSVField.number) ?? .empty,
        .text(l.status),
      ]
    }
    return CSV.render(header: header, rows: rows)
  }
}

/// The JSON form of a validation report (its keys in snake_case, `CalibrationJSON`).
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
    var absoluteError: Double?
    var regime: String?
    var baseline: Double?
    var baselineRule: String?
    var predictiveLow: Double?
    var predictiveHigh: Double?
    var predictiveSD: Double?
    var covered: Bool?
    var z: Double?
  }
  struct MetricRegime: Encodable {
    var metric: String
    var unit: String
    var regime: String
    var rows: Int
    var zeroRows: Int
    var mae: Double?
    var bias: Double?
    var mape: Double?
    var baselineRows: Int
    var baselineMAE: Double?
    var baselineMAPE: Double?
    var skill: Double?
    var intervalRows: Int
    var covered: Int
    var rmsZ: Double?
  }
  struct Experiment: Encodable {
    var experiment: String
    var mape: Double?
    var valueRows: Int
    var holds: Int
    var checked: Int
  }
  var rows: [Line]
  var metrics: [MetricRegime]
  var experiments: [Experiment]
  var baselineSource: String

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
        comparison: l.status, absoluteError: l.absoluteError.flatMap(JSONText.finite),
        regime: l.regime?.rawValue,
        baseline: l.baseline, baselineRule: l.baselineRule, predictiveLow: l.predictive?.low,
        predictiveHigh: l.predictive?.high, predictiveSD: l.predictive?.standardDeviation, covered: l.covered,
        z: l.z.flatMap(JSONText.finite))
    }
    metrics = r.metrics.map { x in
      MetricRegime(
        metric: x.metric, unit: x.unit, regime: x.regime.rawValue, rows: x.rows, zeroRows: x.zeroRows,
        mae: JSONText.finite(x.meanAbsoluteError), bias: JSONText.finite(x.meanRelativeError),
        mape: JSONText.finite(x.mape), baselineRows: x.baselineRows,
        baselineMAE: JSONText.finite(x.baselineMeanAbsoluteError),
        baselineMAPE: JSONText.finite(x.baselineMAPE),
        skill: JSONText.finite(x.skill), intervalRows: x.intervalRows, covered: x.covered,
        rmsZ: JSONText.finite(x.rmsZ))
    }
    baselineSource = r.baselineSource
    experiments = r.experiments.map {
      Experiment(
        experiment: $0.experiment, mape: JSONText.finite($0.mape), valueRows: $0.count, holds: $0.holds,
        checked: $0.checked)
    }
  }
}
