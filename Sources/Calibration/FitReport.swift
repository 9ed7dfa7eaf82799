import Foundation
import Platforms
import Report
import Scenario

/// The outputs of a calibration: the fitted profile file (values plus provenance and a
/// header carrying intervals, data, method, loss, residuals and version) and a Markdown
/// report.
public struct FitReport: Sendable {
  /// The calibration.
  public var result: CalibrationResult
  /// The fitted profile (every cost; the fitted ones at their fitted values).
  public var profile: CostProfile
  /// Data files, as given.
  public var dataFiles: [String]
  /// The training filter.
  public var train: String
  /// `--set` overrides given to every row.
  public var overrides: [String]
  /// The seed (nil: each scenario's own).
  public var seed: UInt64?
  /// vrsim's version.
  public var version: String
  /// ISO 8601 date of the fit.
  public var date: String
  /// Worker threads used.
  public var jobs: Int

  /// Builds the report; `profile` should be the resolved costs at the fitted values.
  public init(
    result: CalibrationResult, profile: CostProfile, name: String, dataFiles: [String], train: String,
    overrides: [String], seed: UInt64?, version: String, date: Date = Date(), jobs: Int
  ) {
    self.result = result
    self.dataFiles = dataFiles
    self.train = train
    self.overrides = overrides
    self.seed = seed
    self.version = version
    self.jobs = jobs
    self.date = Self.day(date)
    var p = profile
    p.name = name
    p.provenance = Self.cut(
      "fitted by vrsim calibrate \(version): "
        + result.fitted.map { f in "\(f.parameter.key) = \(Self.interval(f))" }.joined(separator: "; "))
    p.method = Self.method
    p.dataSet = Self.dataSet(dataFiles, train: train, rows: result.rows)
    p.date = self.date
    p.residuals = Self.cut(
      String(
        format: "loss %.6g (start %.6g) over %d terms; ", result.loss, result.startLoss,
        result.residuals.count)
        + zip(result.labels, result.residuals).map { String(format: "%@: %+.3g", $0, $1) }.joined(
          separator: "; "))
    self.profile = p
  }

  static let method =
    "simulation-based least squares, loss sum(((simulated - measured)/sd)^2), bounds and ranks one-sided; "
    + "common random numbers; logit transform between calibration bounds; GSL nmsimplex2 with restarts, then "
    + "Levenberg-Marquardt (forward-difference Jacobian); 95% intervals from (J^T J)^-1 at the optimum"

  /// A calibrated profile's `data_set`: the files, the training filter and the rows' lines.
  static func dataSet(_ files: [String], train: String, rows: [MeasuredRow]) -> String {
    cut(
      "\(files.joined(separator: ", ")); train: \(train); \(rows.count) rows (lines "
        + rows.map { String($0.line) }.joined(separator: ",") + ")")
  }

  /// `date` as an ISO 8601 day in UTC (`2026-12-05`), whatever the locale.
  static func day(_ date: Date) -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "yyyy-MM-dd"
    return f.string(from: date)
  }

  static func cut(_ s: String) -> String { s.count <= 2_000 ? s : String(s.prefix(1_990)) + " ..." }

  /// `value [low, high] unit`, or `value (not identifiable) unit`.
  static func interval(_ f: FittedValue) -> String {
    let u = f.parameter.declared.unit.rawValue
    return f.identifiable
      ? String(format: "%.6g [%.6g, %.6g] %@", f.value, f.low, f.high, u)
      : String(format: "%.6g (not identifiable) %@", f.value, u)
  }

  /// The fitted-values table as text lines.
  public var parameterLines: [String] {
    result.fitted.map { f in
      let se = f.standardError.isFinite ? String(format: "%.4g", f.standardError) : "inf"
      return String(
        format: "%-34@ start %-10.6g fitted %-10.6g se %-9@ 95%% [%.6g, %.6g] %@%@", f.parameter.key, f.start,
        f.value, se, f.low, f.high, f.parameter.declared.unit.rawValue,
        f.identifiable ? "" : "  NOT IDENTIFIABLE")
    }
  }

  /// The residual table as text lines: measured, simulated, normalised residual.
  public var residualLines: [String] {
    let objective = Objective(rows: result.rows)
    return objective.terms.enumerated().map { k, t in
      switch t {
      case .row(let i, _):
        let r = result.rows[i]
        return String(
          format: "%+8.3f  measured %-12.6g simulated %-12.6g %@ %@", result.residuals[k], r.value,
          result.outcomes[i].mean,
          r.kind.rawValue, objective.label(k))
      case .rank:
        return String(format: "%+8.3f  %@", result.residuals[k], objective.label(k))
      }
    }
  }

  /// The summary of the run: evaluations, time, rate.
  public var runLine: String {
    String(
      format:
        "%d evaluations (%d simulated here, %d from the checkpoint) in %.1f s: %.2f evaluations/s on %d workers; "
        + "Levenberg-Marquardt: %@",
      result.evaluations, result.simulatedEvaluations, result.replayedEvaluations, result.seconds,
      Double(result.simulatedEvaluations) / max(result.seconds, 1e-9), jobs, result.lmNote)
  }

  /// The profile file's text: a comment header with the whole fit, then the profile.
  public var profileText: String {
    var h = "# \(profile.name): fitted by `vrsim calibrate` (vrsim \(version)) on \(date).\n"
    h += "#\n# Data: \(dataFiles.joined(separator: ", ")); train: \(train); \(result.rows.count) rows.\n"
    if !overrides.isEmpty { h += "# Overrides of every row: \(overrides.joined(separator: " "))\n" }
    h += "# Seed: \(seed.map(String.init) ?? "each scenario's run.seed") (common random numbers).\n"
    h += "# Method: \(Self.method).\n"
    h += "# \(runLine)\n"
    h += String(
      format: "# Loss: %.6g at the start, %.6g fitted (%d terms).\n#\n", result.startLoss, result.loss,
      result.residuals.count)
    h += "# Fitted values (95% intervals):\n"
    for l in parameterLines { h += "#   \(l)\n" }
    h += String(format: "# Condition number of the scaled J^T J: %.3g\n", result.conditionNumber)
    for w in result.warnings { h += "# WARNING: \(w)\n" }
    h += "#\n# Residuals ((simulated - measured) / sd):\n"
    for l in residualLines { h += "#   \(l)\n" }
    h += "#\n"
    return ProfileFile.text(profile, header: h)
  }

  /// What `vrsim calibrate` prints: rows and keys, the losses, the fitted values, the
  /// condition number, the warnings and the run line.
  public var summaryLines: [String] {
    ["vrsim calibrate: \(result.rows.count) training rows, \(result.fitted.count) keys"]
      + [String(format: "loss %.6g at the start, %.6g fitted", result.startLoss, result.loss)]
      + parameterLines.map { "  " + $0 } + [String(format: "condition number %.3g", result.conditionNumber)]
      + result.warnings.map { "warning: " + $0 } + [runLine]
  }

  /// One line on how the fit was made, for the Markdown report.
  public static var methodText: String {
    "simulation-based least squares (GSL nmsimplex2 with restarts, then Levenberg-Marquardt), common random "
      + "numbers, logit bounds, intervals from the covariance at the optimum."
  }

  /// The fit as a Markdown report: method, losses, the fitted values with their intervals,
  /// warnings and the training residuals.
  public var markdown: String {
    let r = self
    var s = "# Fit: \(r.profile.name)\n\n"
    s +=
      "vrsim \(r.version), \(r.date). Data: \(r.dataFiles.joined(separator: ", ")); train: `\(r.train)`.\n\n"
    s += "Method: \(FitReport.methodText)\n\n"
    s += "\(r.runLine)\n\n"
    s += String(format: "Loss: %.6g at the start, %.6g fitted.\n\n", r.result.startLoss, r.result.loss)
    s += "| key | start | fitted | se | 95% interval | unit |\n|---|---|---|---|---|---|\n"
    for f in r.result.fitted {
      s += String(
        format: "| %@ | %.6g | %.6g | %@ | %@ | %@ |\n", f.parameter.key, f.start, f.value,
        f.standardError.isFinite ? String(format: "%.4g", f.standardError) : "inf",
        f.identifiable ? String(format: "[%.6g, %.6g]", f.low, f.high) : "not identifiable",
        f.parameter.declared.unit.rawValue)
    }
    s += String(format: "\nCondition number of the scaled JᵀJ: %.3g.\n", r.result.conditionNumber)
    for w in r.result.warnings { s += "\n- **Warning:** \(w)" }
    s += "\n\n## Training residuals\n\n```\n" + r.residualLines.joined(separator: "\n") + "\n```\n"
    return s
  }
}
