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
      measured and simulated values with both 95% intervals, the relative error (the absolute \
      one for rows measured as 0), the regime (saturated or below saturation) and a model-free \
      baseline: min(offered, the capacity of the baseline rows) for forwarded rates, the \
      nearest baseline row otherwise (--baseline; default the rows --test leaves out). The \
      headline table gives, per metric and regime, the mean absolute error of the model and of \
      the baseline and the skill score 1 - MAE/MAE(baseline); the MAPE per experiment follows. \
      With --posterior DRAWS each row is simulated under --draws posterior draws, each with its \
      own seed, and compared with its 95% predictive interval (coverage and z-score per metric \
      and regime). Bound and rank rows report whether they hold (ranks with their smallest \
      step); rows no model produces are listed as not simulated. Exits non-zero only on \
      errors, never because the agreement is poor.
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

  @Option(
    name: .long,
    help: "Rows the baseline may use, e.g. 'experiment = search' (default: the rows --test leaves out).")
  var baseline: String?

  @Option(
    name: .long, help: "Posterior draws CSV of vrsim calibrate --method posterior: predictive intervals.")
  var posterior: String?

  @Option(name: .long, help: "Posterior draws to simulate each row under (the file's first N).")
  var draws: Int = 100

  @Option(
    name: .long,
    help: ArgumentHelp(
      "A structural alternative NAME:KEY=VALUE[;KEY=VALUE...] (repeatable; with --posterior).",
      discussion:
        "Draw i is simulated under alternative i mod A: the prediction mixes them with equal weights."))
  var alternative: [String] = []

  @Option(
    name: .customLong("samples-out"),
    help:
      "With --posterior: write every draw's simulated value per row here (CSV: draw, alternative, line, ...)."
  )
  var samplesOut: String?

  func validate() throws {
    if let jobs, !(1...256).contains(jobs) {
      throw ValidationError("--jobs \(jobs) is out of range; allowed: 1 ... 256")
    }
    guard (2...100_000).contains(draws) else {
      throw ValidationError("--draws \(draws): allowed 2 ... 100000")
    }
    if !alternative.isEmpty, posterior == nil { throw ValidationError("--alternative needs --posterior") }
    if samplesOut != nil, posterior == nil { throw ValidationError("--samples-out needs --posterior") }
    for a in alternative {
      guard let c = a.firstIndex(of: ":"), a.index(after: c) < a.endIndex, c > a.startIndex else {
        throw ValidationError("--alternative \(a): expected NAME:KEY=VALUE[;KEY=VALUE...]")
      }
    }
  }

  /// The `--set`s of each alternative (one empty alternative without any).
  var alternativeSets: [[String]] {
    guard !alternative.isEmpty else { return [[]] }
    return alternative.map { a in
      let c = a.firstIndex(of: ":")!
      return a[a.index(after: c)...].split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
    }
  }

  func run() throws {
    let all = try CalibrationInputs.rows(data)
    let testFilter = try CalibrationInputs.filter(test)
    let rows = all.filter(testFilter.matches)
    let (training, source): ([MeasuredRow], String)
    if let baseline {
      let f = try CalibrationInputs.filter(baseline)
      (training, source) = (all.filter(f.matches), "baseline rows: \(f)")
    } else if test != nil {
      (training, source) = (all.filter { !testFilter.matches($0) }, "baseline rows: those --test leaves out")
    } else {
      (training, source) = (all, "baseline rows: all rows (in-sample: give --test or --baseline)")
    }
    let overrides = try CalibrationInputs.profileOverride(profile) + set
    let workers = jobs ?? ProcessInfo.processInfo.activeProcessorCount
    let posteriorDraws: PosteriorDraws?
    do { posteriorDraws = try posterior.map(PosteriorDraws.init(path:)) } catch {
      throw RunError("--posterior: \(error)", exitCode: 2)
    }
    let evaluators: [RowEvaluator]
    do {
      evaluators = try alternativeSets.map { extra in
        try RowEvaluator(
          rows: rows, parameters: posteriorDraws?.parameters ?? [], overrides: overrides + extra, seed: seed,
          jobs: workers)
      }
    } catch { throw RunError("\(error)", exitCode: 2) }
    let evaluator = evaluators[0]
    var outcomes: [RowOutcome]
    var predictive: [PredictiveInterval?]?
    if let posteriorDraws {
      let n = min(draws, posteriorDraws.values.count)
      if n < draws {
        CalibrationInputs.stderr(
          "validate: \(posteriorDraws.values.count) draws in \(posterior!), fewer than --draws \(draws)")
      }
      let base = (seed ?? 1) ^ 0x5EED_0F_7A11D
      var runs: [[RowOutcome]] = []
      let began = Date()
      let batch = max(workers, 10)
      do {
        var k = 0
        while k < n {
          let idx = Array(k..<min(n, k + batch))
          // Draw i runs under alternative i mod A.
          var part: [[RowOutcome]?] = Array(repeating: nil, count: idx.count)
          for (a, e) in evaluators.enumerated() {
            let mine = idx.indices.filter { idx[$0] % evaluators.count == a }
            guard !mine.isEmpty else { continue }
            let out = try e.simulate(
              mine.map { posteriorDraws.values[idx[$0]] },
              seeds: mine.map { PosteriorSampler.candidateSeed(base, idx[$0]) })
            for (m, o) in zip(mine, out) { part[m] = o }
          }
          runs += part.map { $0! }
          k += idx.count
          CalibrationInputs.stderr(
            String(
              format: "validate: %d of %d posterior draws simulated (%.1f s)", k, n,
              Date().timeIntervalSince(began)))
        }
      } catch { throw RunError("\(error)") }
      let simRows = evaluator.rows
      if let samplesOut {
        let names = alternative.map { String($0[..<$0.firstIndex(of: ":")!]) }
        var lines: [[CSVField]] = []
        for (c, run) in runs.enumerated() {
          for (i, r) in simRows.enumerated() {
            lines.append([
              .integer(c), .text(names.isEmpty ? "" : names[c % names.count]), .integer(r.line),
              .text(r.experiment), .text(r.set.joined(separator: ";")), .text(r.scope), .text(r.metric.name),
              .number(run[i].mean),
            ])
          }
        }
        let text = CSV.render(
          header: ["draw", "alternative", "line", "experiment", "set", "scope", "metric", "simulated"],
          rows: lines)
        do { try text.write(toFile: samplesOut, atomically: true, encoding: .utf8) } catch {
          throw RunError("--samples-out \(samplesOut): \(error.localizedDescription)", exitCode: 2)
        }
      }
      var intervals: [PredictiveInterval?] = []
      outcomes = []
      for (i, r) in simRows.enumerated() {
        let xs = runs.map { $0[i].mean }
        let m = xs.reduce(0, +) / Double(n)
        let sd = n > 1 ? (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(n - 1)).squareRoot() : 0
        let first = runs[0][i]
        outcomes.append(
          RowOutcome(
            mean: m, standardDeviation: sd, count: n, offered: first.offered, runOffered: first.runOffered,
            runForwarded: first.runForwarded))
        guard r.kind == .value else {
          intervals.append(nil)
          continue
        }
        let measuredSD = r.standardDeviation ?? Objective.fallbackRelativeSD * abs(r.value)
        let noises = (0..<n).map { c -> Double in
          let d = posteriorDraws.discrepancy[c] * abs(r.value)
          return (measuredSD * measuredSD + d * d).squareRoot()
        }
        intervals.append(PredictiveInterval(samples: xs, noises: noises))
      }
      var next = 0
      predictive = rows.map { r in
        guard r.isSimulated else { return nil }
        next += 1
        return intervals[next - 1]
      }
    } else {
      do { outcomes = try evaluator.simulate([[]])[0] } catch { throw RunError("\(error)") }
    }
    var next = 0
    let simulated: [RowOutcome?] = rows.map { r in
      guard r.isSimulated else { return nil }
      next += 1
      return outcomes[next - 1]
    }
    let report = ValidationReport(
      rows: rows, simulated: simulated, training: training, baselineSource: source, predictive: predictive)
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
    let posterior = r.lines.contains { $0.predictive != nil }
    var columns: [Table.Column] = [
      .init("line", alignment: .right), .init("experiment"), .init("set"), .init("scope"), .init("metric"),
      .init("kind"), .init("measured", alignment: .right), .init("measured 95%"),
      .init("simulated", alignment: .right),
      .init(posterior ? "predictive 95%" : "simulated 95%"), .init(posterior ? "covered" : "overlap"),
      .init("z", alignment: .right), .init("regime"), .init("baseline", alignment: .right),
      .init("comparison"),
    ]
    if !posterior { columns.remove(at: 11) }
    var t = Table(columns: columns)
    for l in r.lines {
      var (s, sci) = simulatedText(l.simulated)
      var check = l.intervalsOverlap.map { $0 ? "yes" : "no" } ?? "-"
      if posterior {
        sci = l.predictive.map { String(format: "[%.6g, %.6g]", $0.low, $0.high) } ?? "-"
        check = l.covered.map { $0 ? "yes" : "no" } ?? "-"
        if l.row.kind != .value, l.simulated != nil { s += " (mean)" }
      }
      var cells = [
        String(l.row.line), l.row.experiment, l.row.set.joined(separator: ";"), l.row.scope,
        l.row.metric.name,
        l.row.kind.rawValue, String(format: "%.6g", l.row.value),
        l.row.kind == .rank ? "-" : interval(l.row.ci95Low, l.row.ci95High), s, sci, check,
        l.z.map { String(format: "%+.2f", $0) } ?? "-", l.regime?.rawValue ?? "-",
        l.baseline.map { String(format: "%.6g", $0) } ?? "-", l.status,
      ]
      if !posterior { cells.remove(at: 11) }
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

  static func csv(_ r: ValidationReport) -> String {
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
    var absoluteError: Double?
    var regime: String?
    var baseline: Double?
    var baselineRule: String?
    var predictiveLow: Double?
    var predictiveHigh: Double?
    var predictiveSD: Double?
    var covered: Bool?
    var z: Double?

    enum CodingKeys: String, CodingKey {
      case file, line, experiment, set, scope, metric, unit, kind, measured
      case ci95Low = "ci95_low"
      case ci95High = "ci95_high"
      case simulated
      case simulatedHalfWidth = "simulated_half_width"
      case relativeError = "relative_error"
      case intervalsOverlap = "intervals_overlap"
      case holds, comparison
      case absoluteError = "absolute_error"
      case regime, baseline
      case baselineRule = "baseline_rule"
      case predictiveLow = "predictive_low"
      case predictiveHigh = "predictive_high"
      case predictiveSD = "predictive_sd"
      case covered, z
    }
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

    enum CodingKeys: String, CodingKey {
      case metric, unit, regime, rows
      case zeroRows = "zero_rows"
      case mae, bias, mape
      case baselineRows = "baseline_rows"
      case baselineMAE = "baseline_mae"
      case baselineMAPE = "baseline_mape"
      case skill
      case intervalRows = "interval_rows"
      case covered
      case rmsZ = "rms_z"
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
  var metrics: [MetricRegime]
  var experiments: [Experiment]
  var baselineSource: String

  enum CodingKeys: String, CodingKey {
    case rows, metrics, experiments
    case baselineSource = "baseline_source"
  }

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
