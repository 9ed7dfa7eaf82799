import Foundation
import Report

/// A posterior calibration as data: what `vrsim calibrate --method posterior` writes as JSON
/// beside its Markdown report or its profile (the same place as `FitReportData`), and what
/// `vrsim export notebook --calibration` reads. Numbers are the sampler's own (not the rounded
/// text of the summary); NaN and infinities are `null`. The wall time is left out, so the same
/// command writes the same file.
public struct PosteriorReportData: Codable, Sendable, Equatable {
  /// One sampled key: its prior and its marginal posterior.
  public struct Key: Codable, Sendable, Equatable {
    /// The declared key, e.g. `profile.driver_rx`.
    public var key: String
    /// The key's unit, e.g. `cycles`.
    public var unit: String
    /// The prior's family: `uniform`, `log-uniform` or `normal`.
    public var prior: String
    /// Where the prior comes from.
    public var priorSource: String
    /// The prior's support inside the calibration bounds, in `unit`.
    public var priorLower: Double
    /// Upper end of the support, in `unit`.
    public var priorUpper: Double
    /// The prior's 2.5% quantile, in `unit`.
    public var priorLow: Double
    /// The prior's 97.5% quantile, in `unit`.
    public var priorHigh: Double
    /// Posterior mean, in `unit`.
    public var mean: Double?
    /// Posterior sd, in `unit`.
    public var sd: Double?
    /// Posterior 2.5% quantile, in `unit`.
    public var low: Double?
    /// Posterior median, in `unit`.
    public var median: Double?
    /// Posterior 97.5% quantile, in `unit`.
    public var high: Double?
    /// Posterior 95% width over the prior's (dimensionless; near 1: not moved).
    public var widthRatio: Double?
    /// What the data did to the key, in words (`KeySummary.verdict`).
    public var verdict: String
  }

  /// The posterior profile's name.
  public var name: String
  /// The profile file as given to `--out` (nil: not written).
  public var profileFile: String?
  /// The draws CSV as written (relative to where vrsim calibrate ran, unless absolute).
  public var drawsFile: String
  /// vrsim's version.
  public var version: String
  /// ISO 8601 day of the run.
  public var date: String
  /// The data files, as given.
  public var dataFiles: [String]
  /// The training filter.
  public var train: String
  /// Number of training rows.
  public var rows: Int
  /// The overrides given to every row (`profile.file=` names the base profile as given).
  public var overrides: [String]
  /// The sampler's seed.
  public var seed: UInt64
  /// How the posterior was sampled.
  public var method: String
  /// How the model discrepancy was set: `fitted` or `stated`.
  public var discrepancyMode: String
  /// Simulator evaluations (candidates, each all training rows).
  public var simulations: Int
  /// Weighted draws behind the posterior.
  public var weightedDraws: Int
  /// Simulations at the start values for the simulator's noise.
  public var noiseDraws: Int
  /// Kish effective sample size of the final weights.
  public var effectiveSampleSize: Double?
  /// The effective sample size after each iteration.
  public var essHistory: [Double?]
  /// Largest normalised weight (dimensionless).
  public var maxWeight: Double?
  /// log of the evidence estimate (dimensionless).
  public var logEvidence: Double?
  /// The relative model discrepancy's posterior 2.5%, 50% and 97.5% quantiles (relative sd).
  public var discrepancy: [Double]
  /// The sampled keys, in `--fit` order.
  public var keys: [Key]
  /// The posterior correlation matrix, rows and columns in `keys`' order.
  public var correlation: [[Double?]]

  /// The JSON text (snake_case keys, sorted, a final newline).
  public func json() throws -> String { try CalibrationJSON.text(self) }

  /// Reads a posterior report's JSON; errors name `file`.
  /// - Throws: `CalibrationError` when the file cannot be read or is not a posterior report.
  public init(path file: String) throws {
    self = try CalibrationJSON.read(
      Self.self, path: file, what: "a posterior report written by vrsim calibrate --method posterior")
  }

  /// The report from its parts (see the properties).
  init(_ report: PosteriorReport, profileFile: String?, drawsFile: String, seed: UInt64) {
    let r = report.result
    name = report.profile.name
    self.profileFile = profileFile
    self.drawsFile = drawsFile
    version = report.version
    date = report.date
    dataFiles = report.dataFiles
    train = report.train
    rows = report.rows.count
    overrides = report.overrides
    self.seed = seed
    method = PosteriorReport.method
    discrepancyMode = report.discrepancyMode
    simulations = r.simulations
    weightedDraws = r.weightedDraws
    noiseDraws = r.noiseDraws
    effectiveSampleSize = JSONText.finite(r.effectiveSampleSize)
    essHistory = r.essHistory.map(JSONText.finite)
    maxWeight = JSONText.finite(r.maxWeight)
    logEvidence = JSONText.finite(r.logEvidence)
    discrepancy = [0.025, 0.5, 0.975].map(r.discrepancyQuantile)
    keys = r.summaries.map { s in
      let pi = s.prior.interval95
      return Key(
        key: s.prior.parameter.key, unit: s.prior.parameter.declared.unit.rawValue,
        prior: s.prior.distribution.shape.rawValue, priorSource: s.prior.distribution.source,
        priorLower: s.prior.lower, priorUpper: s.prior.upper, priorLow: pi.low, priorHigh: pi.high,
        mean: JSONText.finite(s.mean), sd: JSONText.finite(s.sd), low: JSONText.finite(s.low),
        median: JSONText.finite(s.median), high: JSONText.finite(s.high),
        widthRatio: JSONText.finite(s.widthRatio), verdict: s.verdict)
    }
    correlation = r.correlation.map { $0.map(JSONText.finite) }
  }

  /// The lines a notebook's header shows: (label, value).
  public var headerLines: [(String, String)] {
    func g(_ x: Double?) -> String { x.map { String(format: "%.6g", $0) } ?? "not finite" }
    return [
      ("profile", profileFile ?? "(not written)"),
      ("scenario", "\(dataFiles.joined(separator: ", ")); train: \(train); \(rows) rows."),
      ("vrsim", version),
      ("seeds", "sampler seed \(seed); independent seeds per candidate."),
      ("method", method + "."),
      (
        "sampler",
        "\(simulations) simulator evaluations (\(weightedDraws) weighted draws + \(noiseDraws) for the noise); "
          + "effective sample size \(g(effectiveSampleSize)); largest weight \(g(maxWeight)); "
          + "log evidence \(g(logEvidence)); model discrepancy (relative sd, \(discrepancyMode)) median "
          + "\(g(discrepancy.count == 3 ? discrepancy[1] : nil))."
      ),
      ("draws", drawsFile),
    ]
  }
}

extension PosteriorReport {
  /// The report as data; `profileFile` is the profile's path as given (nil: not written),
  /// `drawsFile` the draws CSV's, `seed` the sampler's.
  public func data(profileFile: String?, drawsFile: String, seed: UInt64) -> PosteriorReportData {
    PosteriorReportData(self, profileFile: profileFile, drawsFile: drawsFile, seed: seed)
  }
}

/// How calibration's reports are written as JSON and read back: snake_case keys, sorted,
/// pretty-printed, a final newline.
enum CalibrationJSON {
  /// `value` as JSON text.
  static func text<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
  }

  /// The `T` in the JSON file `file`, which should be `what`.
  /// - Throws: `CalibrationError` naming the file when it cannot be read or decoded.
  static func read<T: Decodable>(_ type: T.Type, path file: String, what: String) throws -> T {
    guard let data = FileManager.default.contents(atPath: file) else {
      throw CalibrationError("\(file): cannot be read")
    }
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    do { return try decoder.decode(T.self, from: data) } catch {
      throw CalibrationError("\(file): not \(what) (the JSON beside its report): \(error)")
    }
  }
}

extension PosteriorReportData {
  /// The columns a posterior adds to the fit report's (`FitReportData.figureColumns`) in the
  /// notebooks' tidy CSV.
  public static let figureColumns = ["prior_low", "prior_high", "width_ratio", "draw", "value"]

  /// The posterior's rows of the notebooks' tidy CSV (columns `FitReportData.figureColumns`
  /// then `figureColumns`): one `posterior` row per key (`fitted` the median, `se` the
  /// posterior sd, `low`/`high` its 95% interval, `label` the verdict, `kind` the prior's
  /// family, `prior_low`/`prior_high` the prior's 95% interval), then one `draw` row per key
  /// and draw of `draws` (`draw` its index, `value` its value).
  /// - Throws: `CalibrationError` when the draws' keys are not the report's.
  public func figureRows(draws: PosteriorDraws, file: String) throws -> [[CSVField]] {
    let drawKeys = draws.parameters.map(\.key)
    guard drawKeys == keys.map(\.key) else {
      throw CalibrationError(
        "\(file): the draws' keys (\(drawKeys.joined(separator: ", "))) are not the report's "
          + "(\(keys.map(\.key).joined(separator: ", ")))")
    }
    func number(_ x: Double?) -> CSVField { x.map(CSVField.number) ?? .empty }
    let summaries: [[CSVField]] = keys.map { k in
      [
        "posterior", .text(k.key), .text(k.verdict), .empty, number(k.median), number(k.sd), number(k.low),
        number(k.high), .text(k.unit), .empty, .empty, .empty, .empty, .text(k.prior), .empty,
        .number(k.priorLow), .number(k.priorHigh), number(k.widthRatio), .empty, .empty,
      ]
    }
    var values: [[CSVField]] = []
    for (n, d) in draws.values.enumerated() {
      for (j, k) in keys.enumerated() {
        values.append(
          [
            "draw", .text(k.key), .empty, .empty, .empty, .empty, .empty, .empty, .text(k.unit), .empty,
            .empty,
            .empty, .empty, .empty, .empty, .empty, .empty, .empty, .integer(n), .number(d[j]),
          ])
      }
    }
    return summaries + values
  }
}
