import Foundation
import Report

/// A fit report as data: what `vrsim calibrate` writes as JSON beside its Markdown report (or
/// beside the profile), and what `vrsim export notebook --calibration` reads. Numbers are the
/// fit's own (not the rounded text of the report); NaN and infinities are `null`.
public struct FitReportData: Codable, Sendable, Equatable {
  /// One fitted key.
  public struct Parameter: Codable, Sendable, Equatable {
    /// The declared key, e.g. `profile.driver_rx`.
    public var key: String
    /// Its start value, in `unit`.
    public var start: Double
    /// Its fitted value, in `unit`.
    public var fitted: Double
    /// Standard error, in `unit` (nil: infinite, the key is not determined).
    public var standardError: Double?
    /// Lower end of the 95% interval, in `unit`.
    public var low: Double?
    /// Upper end of the 95% interval, in `unit`.
    public var high: Double?
    /// The key's unit, e.g. `cycles`.
    public var unit: String
    /// False when the data do not determine the key.
    public var identifiable: Bool
  }

  /// One term of the loss at the fitted values.
  public struct Residual: Codable, Sendable, Equatable {
    /// (simulated - measured) / sd, one-sided for bounds and ranks (dimensionless).
    public var residual: Double?
    /// The measured value, in the row's unit (nil for a rank term).
    public var measured: Double?
    /// The simulated value at the fitted values (nil for a rank term).
    public var simulated: Double?
    /// The row's kind (`value`, `upper_bound`, `lower_bound`) or `rank`.
    public var kind: String
    /// What the term compares: experiment, scope, metric, overrides and the data line(s).
    public var label: String
    /// The data line of a row term (nil for a rank term).
    public var line: Int?
  }

  /// The fitted profile's name.
  public var name: String
  /// The fitted profile file as given to `--out` (nil: printed).
  public var profileFile: String?
  /// vrsim's version.
  public var version: String
  /// ISO 8601 day of the fit.
  public var date: String
  /// The data files, as given.
  public var dataFiles: [String]
  /// The training filter.
  public var train: String
  /// Number of training rows.
  public var rows: Int
  /// The overrides given to every row.
  public var overrides: [String]
  /// The seed (nil: each scenario's own `run.seed`).
  public var seed: UInt64?
  /// How the fit was made.
  public var method: String
  /// The loss at the start values (dimensionless).
  public var startLoss: Double?
  /// The loss at the fitted values (dimensionless).
  public var loss: Double?
  /// Condition number of the scaled JᵀJ (nil: infinite).
  public var conditionNumber: Double?
  /// The identifiability warnings.
  public var warnings: [String]
  /// The fitted keys, in `--fit` order.
  public var parameters: [Parameter]
  /// The loss terms, in the objective's order.
  public var residuals: [Residual]

  /// The JSON text (snake_case keys, sorted, a final newline).
  public func json() throws -> String { try CalibrationJSON.text(self) }

  /// Reads a fit report's JSON; errors name `file`.
  /// - Throws: `CalibrationError` when the file cannot be read or is not a fit report.
  public init(path file: String) throws {
    self = try CalibrationJSON.read(Self.self, path: file, what: "a fit report written by vrsim calibrate")
  }

  /// A report from its fields; see the properties.
  public init(
    name: String, profileFile: String?, version: String, date: String, dataFiles: [String], train: String,
    rows: Int, overrides: [String], seed: UInt64?, method: String, startLoss: Double?, loss: Double?,
    conditionNumber: Double?, warnings: [String], parameters: [Parameter], residuals: [Residual]
  ) {
    self.name = name
    self.profileFile = profileFile
    self.version = version
    self.date = date
    self.dataFiles = dataFiles
    self.train = train
    self.rows = rows
    self.overrides = overrides
    self.seed = seed
    self.method = method
    self.startLoss = startLoss
    self.loss = loss
    self.conditionNumber = conditionNumber
    self.warnings = warnings
    self.parameters = parameters
    self.residuals = residuals
  }

  /// The columns of `figureCSV`.
  public static let figureColumns = [
    "table", "key", "label", "start", "fitted", "se", "low", "high", "unit", "identifiable", "residual",
    "measured", "simulated", "kind", "line",
  ]

  /// The report as the tidy CSV the notebooks draw: one row per fitted key (`table` =
  /// parameter), then one per loss term (`table` = residual).
  public var figureCSV: String { CSV.render(header: Self.figureColumns, rows: figureRows) }

  /// The rows of `figureCSV` (columns `figureColumns`).
  public var figureRows: [[CSVField]] {
    func number(_ x: Double?) -> CSVField { x.map(CSVField.number) ?? .empty }
    let keys: [[CSVField]] = parameters.map { p in
      [
        "parameter", .text(p.key), .text(p.key), .number(p.start), .number(p.fitted),
        p.standardError.map(CSVField.number) ?? .text("inf"), number(p.low), number(p.high), .text(p.unit),
        .text(p.identifiable ? "true" : "false"), .empty, .empty, .empty, .empty, .empty,
      ]
    }
    let terms: [[CSVField]] = residuals.map { r in
      [
        "residual", .empty, .text(r.label), .empty, .empty, .empty, .empty, .empty, .empty, .empty,
        number(r.residual), number(r.measured), number(r.simulated), .text(r.kind),
        r.line.map(CSVField.integer) ?? .empty,
      ]
    }
    return keys + terms
  }

  /// The lines a notebook's header shows, as the profile's comment header words them:
  /// (label, value).
  public var headerLines: [(String, String)] {
    [
      ("profile", profileFile ?? "(printed, not written)"),
      ("scenario", "\(dataFiles.joined(separator: ", ")); train: \(train); \(rows) rows."),
      ("vrsim", version),
      ("seeds", "\(seed.map(String.init) ?? "each scenario's run.seed") (common random numbers)."),
      ("method", method + "."),
      (
        "loss",
        String(
          format: "%.6g at the start, %.6g fitted (%d terms).", startLoss ?? .nan, loss ?? .nan,
          residuals.count)
      ),
    ]
  }
}

extension FitReport {
  /// The report as data; `profileFile` is the fitted profile's path as given (nil: printed).
  public func data(profileFile: String?) -> FitReportData {
    let objective = Objective(rows: result.rows)
    let residuals = objective.terms.enumerated().map { k, t -> FitReportData.Residual in
      switch t {
      case .row(let i, _):
        let r = result.rows[i]
        return FitReportData.Residual(
          residual: JSONText.finite(result.residuals[k]), measured: r.value,
          simulated: JSONText.finite(result.outcomes[i].mean), kind: r.kind.rawValue,
          label: objective.label(k),
          line: r.line)
      case .rank:
        return FitReportData.Residual(
          residual: JSONText.finite(result.residuals[k]), measured: nil, simulated: nil, kind: "rank",
          label: objective.label(k), line: nil)
      }
    }
    return FitReportData(
      name: profile.name, profileFile: profileFile, version: version, date: date, dataFiles: dataFiles,
      train: train, rows: result.rows.count, overrides: overrides, seed: seed, method: Self.method,
      startLoss: JSONText.finite(result.startLoss), loss: JSONText.finite(result.loss),
      conditionNumber: JSONText.finite(result.conditionNumber), warnings: result.warnings,
      parameters: result.fitted.map { f in
        FitReportData.Parameter(
          key: f.parameter.key, start: f.start, fitted: f.value,
          standardError: JSONText.finite(f.standardError),
          low: JSONText.finite(f.low), high: JSONText.finite(f.high),
          unit: f.parameter.declared.unit.rawValue,
          identifiable: f.identifiable)
      },
      residuals: residuals)
  }
}
