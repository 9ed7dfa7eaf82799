import Foundation
import SimCore

/// One row of the measured-data schema that `vrsim validate` and the calibration read:
/// `source,experiment,scenario,set,scope,metric,unit,value,ci95_low,ci95_high,n,kind`.
public struct MeasuredRow: Sendable, Equatable {
  /// Who measured: `testbed`.
  public var source: String
  /// The experiment (`run`, `search`, a figure name).
  public var experiment: String
  /// The scenario's name.
  public var scenario: String
  /// The settings that identify the point, `key=value` joined by `;`.
  public var set: String
  /// `aggregate`, `vrN`, `dom0` or `host`.
  public var scope: String
  /// e.g. `forwarded_pps`.
  public var metric: String
  /// e.g. `pps`.
  public var unit: String
  /// The mean over replications (or the single value).
  public var value: Double
  /// Lower end of the 95% Student-t interval (nil with fewer than 2 values).
  public var ciLow: Double?
  /// Upper end of the interval.
  public var ciHigh: Double?
  /// Number of values behind `value`.
  public var n: Int
  /// `value` (a mean over replications), `trial` (one trial of a search), `ndr`/`pdr`.
  public var kind: String

  /// Creates a row from its fields.
  public init(
    source: String, experiment: String, scenario: String, set: String, scope: String, metric: String,
    unit: String,
    value: Double, ciLow: Double?, ciHigh: Double?, n: Int, kind: String
  ) {
    self.source = source
    self.experiment = experiment
    self.scenario = scenario
    self.set = set
    self.scope = scope
    self.metric = metric
    self.unit = unit
    self.value = value
    self.ciLow = ciLow
    self.ciHigh = ciHigh
    self.n = n
    self.kind = kind
  }

  /// The CSV header.
  public static let header =
    "source,experiment,scenario,set,scope,metric,unit,value,ci95_low,ci95_high,n,kind"

  /// This row as a CSV line (fields with commas or quotes are quoted).
  public var csvLine: String {
    func q(_ s: String) -> String {
      s.contains(",") || s.contains("\"") || s.contains("\n")
        ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
    func num(_ v: Double?) -> String {
      guard let v, v.isFinite else { return "" }
      if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
      return String(format: "%.6g", v)
    }
    return [
      q(source), q(experiment), q(scenario), q(set), q(scope), q(metric), q(unit), num(value), num(ciLow),
      num(ciHigh),
      String(n), q(kind),
    ].joined(separator: ",")
  }

  /// Rows summarising `trials` (each a list of measurements): per (scope, metric) the mean
  /// and its 95% Student-t interval over the trials, in the order first seen.
  public static func summarize(
    _ trials: [[HopMeasurement]], experiment: String, scenario: String, set: String, kind: String = "value"
  ) -> [MeasuredRow] {
    var order: [String] = []
    var values: [String: [Double]] = [:]
    var meta: [String: HopMeasurement] = [:]
    for t in trials {
      for m in t {
        let key = m.scope + "\u{1}" + m.metric
        if values[key] == nil {
          order.append(key)
          meta[key] = m
        }
        values[key, default: []].append(m.value)
      }
    }
    return order.map { key in
      let v = values[key]!
      let m = meta[key]!
      let ci = ConfidenceInterval(v)
      return MeasuredRow(
        source: "testbed", experiment: experiment, scenario: scenario, set: set, scope: m.scope,
        metric: m.metric,
        unit: m.unit, value: ci.mean, ciLow: ci.halfWidth.isNaN ? nil : ci.low,
        ciHigh: ci.halfWidth.isNaN ? nil : ci.high, n: v.count, kind: kind)
    }
  }

  /// One row per measurement of a single trial (`kind` trial), numbered in `set`.
  public static func trialRows(
    _ trial: [HopMeasurement], experiment: String, scenario: String, set: String, kind: String = "trial"
  ) -> [MeasuredRow] {
    trial.map {
      MeasuredRow(
        source: "testbed", experiment: experiment, scenario: scenario, set: set, scope: $0.scope,
        metric: $0.metric,
        unit: $0.unit, value: $0.value, ciLow: nil, ciHigh: nil, n: 1, kind: kind)
    }
  }

  /// The CSV text of `rows`, header first.
  public static func csv(_ rows: [MeasuredRow]) -> String {
    ([header] + rows.map(\.csvLine)).joined(separator: "\n") + "\n"
  }
}
