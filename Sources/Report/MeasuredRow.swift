import Foundation
import SimCore

/// One row of the measured-data schema (validation/README.md, "The measured-data schema"):
/// what was measured (experiment, scenario with overrides, scope, metric) and what was found
/// (a value with its 95% interval, or a bound, or a rank). The testbed writes these rows
/// (`csv`); `vrsim validate` and `vrsim calibrate` read them (Calibration's `MeasuredData`).
/// The metric is one of `Metric.all`, written with its unit, so a testbed row and the
/// simulator's figure of the same metric always mean the same thing.
public struct MeasuredRow: Sendable, Equatable {
  /// How a row states its quantity.
  public enum Kind: String, Sendable, CaseIterable {
    /// A measured value with its interval.
    case value
    /// The quantity is below `value`.
    case upperBound = "upper_bound"
    /// The quantity is above `value`.
    case lowerBound = "lower_bound"
    /// `value` is the rank (1 = largest) among the rank rows of the same experiment, scope
    /// and metric; equal ranks state equal quantities.
    case rank
  }

  /// Who measured it, e.g. `paper-2012` or `testbed`.
  public var source: String
  /// The experiment, e.g. `fig9`, `run`, `search`, `bench-superpi`.
  public var experiment: String
  /// The scenario file as written in the data, relative to the repository or the CSV's folder
  /// (empty: no scenario describes the row, no model of vrsim produces it).
  public var scenario: String
  /// The scenario file resolved to a path that exists (set by the reader; nil when `scenario`
  /// is empty or the row was not read from a file).
  public var scenarioPath: String?
  /// The `key=value` overrides of the `set` column, in order (declared keys only, exactly as
  /// `--set` takes them).
  public var set: [String]
  /// `aggregate`, a router (`vr0`), `dom0`, `host`, `pcpuN`, `stage:NAME`, `drop:PLACE`,
  /// `job:NAME`, `thread:NAME`.
  public var scope: String
  /// What was measured; its unit is `metric.unit`.
  public var metric: Metric
  /// The number (value, bound, or rank).
  public var value: Double
  /// Lower end of the 95% interval (nil when not stated).
  public var ci95Low: Double?
  /// Upper end of the 95% interval (nil when not stated).
  public var ci95High: Double?
  /// Number of measurements behind the value (nil when not stated).
  public var n: Int?
  /// Value, bound or rank.
  public var kind: Kind
  /// The value as the source states it (optional column `stated`), e.g. `~750 kp/s`.
  public var stated: String
  /// What the schema has no column for (optional column `note`): the generator, a search
  /// trial's load and phase, a benchmark's parameters (`key=value` joined by `;`).
  public var note: String
  /// The data file the row was read from (empty when not read from a file).
  public var file: String
  /// 1-based line of the row in `file` (0 when not read from a file).
  public var line: Int

  /// A row; see the properties for the meaning of each field.
  public init(
    source: String, experiment: String, scenario: String, scenarioPath: String?, set: [String], scope: String,
    metric: Metric, value: Double, ci95Low: Double?, ci95High: Double?, n: Int?, kind: Kind, stated: String,
    note: String = "", file: String, line: Int
  ) {
    self.source = source
    self.experiment = experiment
    self.scenario = scenario
    self.scenarioPath = scenarioPath
    self.set = set
    self.scope = scope
    self.metric = metric
    self.value = value
    self.ci95Low = ci95Low
    self.ci95High = ci95High
    self.n = n
    self.kind = kind
    self.stated = stated
    self.note = note
    self.file = file
    self.line = line
  }

  /// A measured value as the testbed writes it: `set` is the overrides joined by `;`, the
  /// interval nil with fewer than 2 values, `n` the number of values.
  public init(
    source: String = "testbed", experiment: String, scenario: String, set: String, scope: String,
    metric: Metric, value: Double, ciLow: Double?, ciHigh: Double?, n: Int, note: String = ""
  ) {
    self.init(
      source: source, experiment: experiment, scenario: scenario, scenarioPath: nil,
      set: set.isEmpty ? [] : set.split(separator: ";", omittingEmptySubsequences: false).map(String.init),
      scope: scope, metric: metric, value: value, ci95Low: ciLow, ci95High: ciHigh, n: n, kind: .value,
      stated: "", note: note, file: "", line: 0)
  }

  /// The columns every data file has, in the order the testbed writes them.
  public static let requiredColumns = [
    "source", "experiment", "scenario", "set", "scope", "metric", "unit", "value", "ci95_low", "ci95_high",
    "n", "kind",
  ]

  /// The columns the testbed writes: the required ones, then `note`.
  public static let columns = requiredColumns + ["note"]

  /// The CSV header the testbed writes.
  public static let header = columns.joined(separator: ",")

  /// True when a model of vrsim produces this row: it names a scenario and its metric is not
  /// measured only (a testbed counter or a benchmark's time, `Metric.measuredOnly`).
  public var isSimulated: Bool { scenarioPath != nil && !metric.measuredOnly }

  /// The row's standard deviation from its 95% interval, (high − low) / (2 · 1.96), when the
  /// interval is stated and not degenerate.
  public var standardDeviation: Double? {
    guard let lo = ci95Low, let hi = ci95High, hi > lo else { return nil }
    return (hi - lo) / (2 * 1.959963984540054)
  }

  /// `file:line` of the row.
  public var location: String { "\(file):\(line)" }

  /// The value of override `key` in `set`, if the row sets it.
  public func setValue(_ key: String) -> String? {
    for s in set {
      guard let eq = s.firstIndex(of: "=") else { continue }
      if s[..<eq].trimmingCharacters(in: .whitespaces) == key {
        return String(s[s.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
      }
    }
    return nil
  }

  /// This row as a line of `columns` (text quoted as `CSV.escape` does; numbers whole when
  /// they are, else with 6 significant digits).
  public var csvLine: String {
    func num(_ v: Double?) -> String {
      guard let v, v.isFinite else { return "" }
      if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
      return String(format: "%.6g", v)
    }
    // %.6g may round the mean just outside an interval of width 0 (every trial equal):
    // print the bounds so that they contain the printed value, as the reader checks.
    var lo = num(ci95Low)
    var hi = num(ci95High)
    if let l = Double(lo), let v = Double(num(value)), l > v { lo = num(value) }
    if let h = Double(hi), let v = Double(num(value)), h < v { hi = num(value) }
    let text = [source, experiment, scenario, set.joined(separator: ";"), scope, metric.name, metric.unit]
    return
      (text.map(CSV.escape) + [num(value), lo, hi, n.map(String.init) ?? "", kind.rawValue, CSV.escape(note)])
      .joined(separator: ",")
  }

  /// The CSV text of `rows`, header first.
  public static func csv(_ rows: [MeasuredRow]) -> String {
    ([header] + rows.map(\.csvLine)).joined(separator: "\n") + "\n"
  }

  /// Rows summarising `trials` (each a list of measurements): per (scope, metric) the mean
  /// and its 95% Student-t interval over the trials, in the order first seen.
  public static func summarize(
    _ trials: [[MetricRow]], experiment: String, scenario: String, set: String, note: String = ""
  ) -> [MeasuredRow] {
    var order: [String] = []
    var values: [String: [Double]] = [:]
    var meta: [String: MetricRow] = [:]
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
        experiment: experiment, scenario: scenario, set: set, scope: m.scope, metric: metric(of: m),
        value: ci.mean, ciLow: ci.halfWidth.isNaN ? nil : ci.low, ciHigh: ci.halfWidth.isNaN ? nil : ci.high,
        n: v.count, note: note)
    }
  }

  /// One row per measurement of a single trial (n = 1, no interval).
  public static func trialRows(
    _ trial: [MetricRow], experiment: String, scenario: String, set: String, note: String = ""
  ) -> [MeasuredRow] {
    trial.map {
      MeasuredRow(
        experiment: experiment, scenario: scenario, set: set, scope: $0.scope, metric: metric(of: $0),
        value: $0.value, ciLow: nil, ciHigh: nil, n: 1, note: note)
    }
  }

  /// The catalogue's metric of a row (rows are made from `Metric` values, so it exists; a
  /// foreign one keeps its name and unit and is marked measured only).
  static func metric(of row: MetricRow) -> Metric {
    if let m = Metric.named(row.metric), m.unit == row.unit { return m }
    return Metric(row.metric, row.unit, "", measuredOnly: true)
  }
}
