import Foundation
import Report
import SimCore

/// One row of the measured-data schema that `vrsim validate` and `vrsim calibrate` read
/// (validation/README.md): `source,experiment,scenario,set,scope,metric,unit,value,ci95_low,
/// ci95_high,n,kind,note`. The metric is one of `Metric.all`, written with its unit, so a
/// testbed row and the simulator's figure of the same metric always mean the same thing;
/// what only the testbed measures uses the catalogue's measured-only metrics.
public struct MeasuredRow: Sendable, Equatable {
  /// Who measured: `testbed`.
  public var source: String
  /// The experiment (`run`, `search`, `search-warmup`, `bench-superpi`, a figure name).
  public var experiment: String
  /// The scenario file that re-creates the point, relative to the repository or the CSV's
  /// folder (`ScenarioReference`); empty when no scenario describes it (a benchmark on its own).
  public var scenario: String
  /// The scenario's overrides that fix the point, `key=value` joined by `;` (declared keys only,
  /// exactly as `--set` takes them).
  public var set: String
  /// `aggregate`, `vrN`, `dom0`, `host` or `pcpuN`.
  public var scope: String
  /// What was measured; its unit is written with it.
  public var metric: Metric
  /// The mean over replications (or the single value).
  public var value: Double
  /// Lower end of the 95% Student-t interval (nil with fewer than 2 values).
  public var ciLow: Double?
  /// Upper end of the interval.
  public var ciHigh: Double?
  /// Number of values behind `value`.
  public var n: Int
  /// What the schema has no column for: the generator, a search trial's load and phase, a
  /// benchmark's parameters (`key=value` joined by `;`).
  public var note: String

  /// Creates a row from its fields.
  public init(
    source: String = "testbed", experiment: String, scenario: String, set: String, scope: String,
    metric: Metric, value: Double, ciLow: Double?, ciHigh: Double?, n: Int, note: String = ""
  ) {
    self.source = source
    self.experiment = experiment
    self.scenario = scenario
    self.set = set
    self.scope = scope
    self.metric = metric
    self.value = value
    self.ciLow = ciLow
    self.ciHigh = ciHigh
    self.n = n
    self.note = note
  }

  /// The CSV header.
  public static let header =
    "source,experiment,scenario,set,scope,metric,unit,value,ci95_low,ci95_high,n,kind,note"

  /// This row as a CSV line (fields with commas or quotes are quoted); its kind is `value`.
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
    // %.6g may round the mean just outside an interval of width 0 (every trial equal):
    // print the bounds so that they contain the printed value, as the reader checks.
    var lo = num(ciLow)
    var hi = num(ciHigh)
    if let l = Double(lo), let v = Double(num(value)), l > v { lo = num(value) }
    if let h = Double(hi), let v = Double(num(value)), h < v { hi = num(value) }
    return [
      q(source), q(experiment), q(scenario), q(set), q(scope), q(metric.name), q(metric.unit), num(value), lo,
      hi, String(n), "value", q(note),
    ].joined(separator: ",")
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

  /// The CSV text of `rows`, header first.
  public static func csv(_ rows: [MeasuredRow]) -> String {
    ([header] + rows.map(\.csvLine)).joined(separator: "\n") + "\n"
  }
}

/// How a data file names its scenario so that `vrsim validate` finds it (validation/README.md,
/// column `scenario`: relative to the CSV's folder or to the repository holding the CSV):
/// relative to that repository (the nearest folder with Package.swift above the CSV's
/// folder) when the scenario lies inside it; else relative to the CSV's folder (with `..`);
/// printed rather than written, relative to the repository holding the working directory.
public enum ScenarioReference {
  /// The `scenario` column for scenario `file` (as given on the command line, relative to
  /// the working directory) in a CSV written to `csv` (nil: printed, not written).
  public static func path(of file: String, csv: String?) -> String {
    let fm = FileManager.default
    let cwd = fm.currentDirectoryPath
    func absolute(_ p: String) -> URL {
      URL(fileURLWithPath: p.hasPrefix("/") ? p : (cwd as NSString).appendingPathComponent(p))
        .standardizedFileURL.resolvingSymlinksInPath()
    }
    let scenario = absolute(file)
    let folder = csv.map { absolute($0).deletingLastPathComponent() } ?? absolute(".")
    if let repository = root(from: folder), let r = relative(scenario, to: repository) { return r }
    guard csv != nil else { return scenario.path }
    let b = folder.pathComponents
    let u = scenario.pathComponents
    var common = 0
    while common < min(b.count, u.count) && b[common] == u[common] { common += 1 }
    return (Array(repeating: "..", count: b.count - common) + u.dropFirst(common)).joined(separator: "/")
  }

  /// `url` relative to folder `base` when it lies inside it.
  static func relative(_ url: URL, to base: URL) -> String? {
    let b = base.pathComponents
    let u = url.pathComponents
    guard u.count > b.count, Array(u.prefix(b.count)) == b else { return nil }
    return u.dropFirst(b.count).joined(separator: "/")
  }

  /// The nearest folder at or above `dir` holding Package.swift.
  static func root(from dir: URL) -> URL? {
    AncestorFolder.nearest(from: dir, holding: "Package.swift")
  }
}
