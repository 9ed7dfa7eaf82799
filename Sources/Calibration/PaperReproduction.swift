import Foundation
import Report

/// The reproduction of the origin paper (`vrsim reproduce paper`): each experiment of
/// `scenarios/paper` compared with the paper's numbers (validation/paper-2012.csv), and the
/// reproduction table's renderers. Running the campaigns is the caller's part; this file turns
/// their summaries into rows.
public enum PaperReproduction {
  /// The reproduction as CSV (`--format csv`).
  public static func csv(_ rows: [PaperRow]) -> String {
    let header = [
      "experiment", "configuration", "unit", "simulated_mean", "simulated_half_width", "paper",
      "paper_value", "relative_error", "bound_holds", "comparison",
    ]
    let csvRows: [[CSVField]] = rows.map { r in
      [
        .text(r.experiment), .text(r.configuration), .text(r.unit), .number(r.mean), .number(r.halfWidth),
        .text(r.paperText), r.paperValue.map(CSVField.number) ?? .empty,
        r.relativeError.map(CSVField.number) ?? .empty,
        r.boundHolds.map { .text($0 ? "true" : "false") } ?? .empty, .text(r.comparison),
      ]
    }
    return CSV.render(header: header, rows: csvRows)
  }

  /// The reproduction as a text table, after one line per experiment's settings.
  public static func table(_ rows: [PaperRow], settings: [String]) -> String {
    var out = "vrsim reproduce paper: simulated (mean ± 95% CI half-width over replications) vs the paper\n"
    for s in settings { out += "  \(s)\n" }
    var t = Table(columns: [
      .init("experiment"), .init("configuration"), .init("simulated", alignment: .right), .init("paper"),
      .init("comparison"),
    ])
    for r in rows { t.append([r.experiment, r.configuration, r.simulatedText, r.paperText, r.comparison]) }
    return out + t.render()
  }

  /// The reproduction as JSON: `{"settings": [...], "rows": [...]}`.
  public static func json(_ rows: [PaperRow], settings: [String]) throws -> String {
    try JSONText.encode(PaperReportJSON(settings: settings, rows: rows))
  }
}

/// The paper's data file is missing or does not parse (invalid input).
public struct PaperDataError: Error, CustomStringConvertible {
  /// The file and what is wrong with it.
  public var message: String
  /// The message.
  public var description: String { message }
}

/// One line of the reproduction of the origin paper (`vrsim reproduce paper`): a simulated
/// figure (mean and 95% CI half-width over replications) beside the paper's value or bound.
public struct PaperRow: Encodable, Sendable {
  public var experiment: String
  public var configuration: String
  public var unit: String
  public var mean: Double
  public var halfWidth: Double
  /// The paper's value as stated (`~750 kpps`, `< 150 kpps`).
  public var paperText: String
  /// The paper's value as a number in `unit`, when it states one.
  public var paperValue: Double?
  /// (simulated - paper) / paper, when the paper gives a value.
  public var relativeError: Double?
  /// Whether the simulated mean satisfies the paper's bound, when the paper gives a bound.
  public var boundHolds: Bool?
  /// The comparison in words: `-3.1%`, `bound holds`, ...
  public var comparison: String

  public var simulatedText: String {
    NumberFormatting.withUncertainty(mean, halfWidth: halfWidth) + " " + unit
  }

  enum CodingKeys: String, CodingKey {
    case experiment, configuration, unit, mean
    case halfWidth = "half_width"
    case paperText = "paper"
    case
      paperValue = "paper_value"
    case relativeError = "relative_error"
    case boundHolds = "bound_holds"
    case comparison
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(experiment, forKey: .experiment)
    try c.encode(configuration, forKey: .configuration)
    try c.encode(unit, forKey: .unit)
    try c.encode(JSONText.finite(mean), forKey: .mean)
    try c.encode(JSONText.finite(halfWidth), forKey: .halfWidth)
    try c.encode(paperText, forKey: .paperText)
    try c.encode(paperValue.flatMap(JSONText.finite), forKey: .paperValue)
    try c.encode(relativeError.flatMap(JSONText.finite), forKey: .relativeError)
    try c.encode(boundHolds, forKey: .boundHolds)
    try c.encode(comparison, forKey: .comparison)
  }

  /// A row compared with a paper value: relative error.
  public static func value(
    _ experiment: String, _ configuration: String, unit: String, mean: Double, halfWidth: Double,
    paper: Double, paperText: String
  ) -> PaperRow {
    let error = (mean - paper) / paper
    return PaperRow(
      experiment: experiment, configuration: configuration, unit: unit, mean: mean, halfWidth: halfWidth,
      paperText: paperText, paperValue: paper, relativeError: error, boundHolds: nil,
      comparison: String(format: "%+.1f%%", error * 100))
  }

  /// A row compared with a paper upper bound: whether it holds.
  public static func below(
    _ experiment: String, _ configuration: String, unit: String, mean: Double, halfWidth: Double,
    bound: Double, paperText: String
  ) -> PaperRow {
    let holds = mean < bound
    return PaperRow(
      experiment: experiment, configuration: configuration, unit: unit, mean: mean, halfWidth: halfWidth,
      paperText: paperText, paperValue: bound, relativeError: nil, boundHolds: holds,
      comparison: holds
        ? "bound holds"
        : String(format: "bound violated (%+.1f%%)", (mean - bound) / bound * 100))
  }
}

private struct PaperReportJSON: Encodable {
  var settings: [String]
  var rows: [PaperRow]
}

/// Summaries of one campaign, looked up by sweep parameters, scope and metric.
public struct SummaryIndex: Sendable {
  /// The summaries, one per (point, scope, metric).
  public var summaries: [MetricSummary]
  /// An index over `summaries`.
  public init(_ summaries: [MetricSummary]) { self.summaries = summaries }

  /// The summary of `scope`/`metric` at the point whose parameters include all of `where`.
  public func find(_ scope: String, _ metric: String, where parameters: [String: String] = [:])
    -> MetricSummary?
  {
    summaries.first { s in
      s.scope == scope && s.metric == metric
        && parameters.allSatisfy { key, value in s.parameters.contains { $0.key == key && $0.value == value }
        }
    }
  }

  /// Every summary of `scope`/`metric` (one per point).
  public func all(_ scope: String, _ metric: String) -> [MetricSummary] {
    summaries.filter { $0.scope == scope && $0.metric == metric }
  }
}

/// The origin paper's numbers, read from validation/paper-2012.csv (the measured-data schema,
/// validation/README.md): the paper's values, bounds and wording per experiment.
public struct PaperData: Sendable {
  /// The paper's rows (measured-data schema).
  public var rows: [MeasuredRow]

  /// The data file beside the scenarios directory: `DIR/../validation/paper-2012.csv`.
  /// Throws `PaperDataError` (invalid input) when the file is missing or does not parse.
  public static func load(scenarios dir: String) throws -> PaperData {
    let path = ((dir as NSString).deletingLastPathComponent as NSString)
      .appendingPathComponent("validation/paper-2012.csv")
    guard FileManager.default.fileExists(atPath: path) else {
      throw PaperDataError(
        message: "\(path): missing; vrsim reproduce paper reads the paper's values from it")
    }
    do {
      return PaperData(rows: try MeasuredData.load(paths: [path]))
    } catch {
      throw PaperDataError(message: "\(path):\n\(error)")
    }
  }

  /// The rows of `experiment` that compare `metric` of `scope` (not ranks unless asked).
  public func rows(
    _ experiment: String, scope: String = "aggregate", metric: Metric = .forwardedPps, ranks: Bool = false
  )
    -> [MeasuredRow]
  {
    rows.filter {
      $0.experiment == experiment && $0.scope == scope && $0.metric == metric && ($0.kind == .rank) == ranks
    }
  }
}

/// The paper's experiments and how each is compared with the paper's numbers
/// (validation/paper-2012.csv; docs/platform-facts.md, "The origin paper").
public enum PaperExperiments {
  /// One experiment: its id, its scenario file under `scenarios/paper`, and how its campaign's
  /// summaries are compared with the paper's rows.
  public struct Experiment {
    /// Short id (`fig9`).
    public var id: String
    /// The scenario file name under `scenarios/paper`.
    public var file: String
    /// The comparison of a campaign's summaries with the paper.
    public var analyze: (SummaryIndex, PaperData) -> [PaperRow]
  }

  /// Every experiment, in the order of the reproduction table.
  public static var all: [Experiment] {
    [
      Experiment(id: "fig9", file: "fig9-forwarding.yaml", analyze: fig9),
      Experiment(id: "fig8a", file: "fig8a-udp.yaml", analyze: fig8a),
      Experiment(id: "fig8b", file: "fig8b-routers.yaml", analyze: fig8b),
      Experiment(id: "routes", file: "routes.yaml", analyze: routes),
    ]
  }

  /// Bytes counted per 1518 B frame by the paper's 969 Mb/s (IP datagrams of 1500 B).
  static let ipBytesPer1518Frame = 1500.0

  static func kpps(_ s: MetricSummary) -> (Double, Double) { (s.mean / 1000, s.halfWidth / 1000) }

  static func fig9(_ index: SummaryIndex, _ paper: PaperData) -> [PaperRow] {
    var rows: [PaperRow] = []
    let forwarded = index.all("aggregate", Metric.forwardedPps.name)
    func saturation(_ platform: String) -> MetricSummary? {
      forwarded.filter { s in s.parameters.contains { $0.key == "platform" && $0.value == platform } }
        .max { $0.mean < $1.mean }
    }
    func offered(_ s: MetricSummary) -> String {
      s.parameters.first { $0.key.hasPrefix("traffic") }?.value ?? "?"
    }
    let experiment = "Fig. 9 forwarding, 64 B"
    let cases: [(String, String, Double, Bool)] = paper.rows("fig9").compactMap { r in
      r.setValue("platform").map { ($0, r.stated, r.value / 1000, r.kind == .upperBound) }
    }
    for (platform, text, value, isBound) in cases {
      guard let s = saturation(platform) else { continue }
      let (m, h) = kpps(s)
      let config = "\(platform), max over sweep (at \(offered(s)) offered)"
      rows.append(
        isBound
          ? .below(experiment, config, unit: "kpps", mean: m, halfWidth: h, bound: value, paperText: text)
          : .value(experiment, config, unit: "kpps", mean: m, halfWidth: h, paper: value, paperText: text))
    }
    return rows
  }

  static func fig8a(_ index: SummaryIndex, _ paper: PaperData) -> [PaperRow] {
    var rows: [PaperRow] = []
    let experiment = "Fig. 8a UDP 1472 B"
    let toMbps = ipBytesPer1518Frame * 8 / 1e6
    for stated in paper.rows("fig8a") {
      guard let n = stated.setValue("routers.count").flatMap(Int.init) else { continue }
      // The paper's aggregate in Mb/s of IP bytes (969), from frames per second.
      let paperMbps = stated.value * ipBytesPer1518Frame * 8 / 1e6
      let p = ["routers.count": "\(n)"]
      guard let agg = index.find("aggregate", Metric.forwardedPps.name, where: p) else { continue }
      rows.append(
        .value(
          experiment, "\(n) VM\(n > 1 ? "s" : ""), aggregate (IP bytes)", unit: "Mb/s",
          mean: agg.mean * toMbps,
          halfWidth: agg.halfWidth * toMbps, paper: paperMbps, paperText: stated.stated))
      guard n > 1 else { continue }
      let perVM = (0..<n).compactMap { index.find("vr\($0)", Metric.forwardedPps.name, where: p) }
      guard perVM.count == n else { continue }
      let means = perVM.map { $0.mean * toMbps }
      let mean = means.reduce(0, +) / Double(n)
      let jain =
        index.find("host", "jain_index", where: p).map { String(format: ", Jain %.3f", $0.mean) } ?? ""
      let spread = String(format: "%.1f ... %.1f Mb/s", means.min() ?? 0, means.max() ?? 0)
      var row = PaperRow.value(
        experiment, "\(n) VMs, per VM (\(spread)\(jain))",
        unit: "Mb/s", mean: mean, halfWidth: perVM.map { $0.halfWidth * toMbps }.max() ?? .nan,
        paper: paperMbps / Double(n),
        paperText: String(format: "%g/%d = %.1f Mb/s", paperMbps, n, paperMbps / Double(n)))
      row.comparison += " (CI: widest per VM)"
      rows.append(row)
    }
    return rows
  }

  static func fig8b(_ index: SummaryIndex, _ paper: PaperData) -> [PaperRow] {
    var rows: [PaperRow] = []
    let experiment = "Fig. 8b 130 kpps, 64 B"
    var byCount: [Int: MetricSummary] = [:]
    let stated = paper.rows("fig8b")
    func statedRows(_ n: Int) -> [MeasuredRow] { stated.filter { $0.setValue("routers.count") == "\(n)" } }
    let counts = stated.compactMap { $0.setValue("routers.count").flatMap(Int.init) }
    var paperValue: [Int: Double] = [:]
    for n in (counts.min() ?? 1)...(counts.max() ?? 0) {
      guard let s = index.find("aggregate", Metric.forwardedPps.name, where: ["routers.count": "\(n)"]) else {
        continue
      }
      byCount[n] = s
      let (m, h) = kpps(s)
      let config = "\(n) router\(n > 1 ? "s" : ""), aggregate forwarded"
      let here = statedRows(n)
      if let v = here.first(where: { $0.kind == .value }) {
        paperValue[n] = v.value
        rows.append(
          .value(
            experiment, config, unit: "kpps", mean: m, halfWidth: h, paper: v.value / 1000,
            paperText: v.stated))
      } else {
        rows.append(
          PaperRow(
            experiment: experiment, configuration: config, unit: "kpps", mean: m, halfWidth: h,
            paperText: here.first?.stated ?? "-", paperValue: nil, relativeError: nil, boundHolds: nil,
            comparison: "-"))
      }
    }
    if let one = byCount[1], let four = byCount[4], one.mean > 0, let p1 = paperValue[1],
      let p4 = paperValue[4]
    {
      // The paper states the change as a whole percentage (-30%); its 91 kp/s is 130 less 30%.
      let paperChange = ((p4 / p1 - 1) * 100).rounded()
      let change = (four.mean / one.mean - 1) * 100
      // First-order propagation of the two half-widths into the ratio.
      let hw = abs(four.mean / one.mean) * (four.halfWidth / four.mean + one.halfWidth / one.mean) * 100
      rows.append(
        PaperRow(
          experiment: experiment, configuration: "change from 1 to 4 routers", unit: "%", mean: change,
          halfWidth: hw, paperText: String(format: "%.0f%%", paperChange), paperValue: paperChange,
          relativeError: (change - paperChange) / paperChange,
          boundHolds: nil, comparison: String(format: "%+.1f points", change - paperChange)))
    }
    return rows
  }

  static func routes(_ index: SummaryIndex, _ paper: PaperData) -> [PaperRow] {
    var rows: [PaperRow] = []
    let experiment = "Sec. V routes, route cache"
    let stated = paper.rows("routes", ranks: true)
    let counts = stated.compactMap { $0.setValue("routers.each.routes").flatMap(Int.init) }
    guard let first = counts.first else { return [] }
    let base = index.find("aggregate", Metric.forwardedPps.name, where: ["routers.each.routes": "\(first)"])
    for (routes, row) in zip(counts, stated) {
      guard
        let s = index.find(
          "aggregate", Metric.forwardedPps.name, where: ["routers.each.routes": "\(routes)"]),
        let base
      else { continue }
      let (m, h) = kpps(s)
      let delta = (s.mean / base.mean - 1) * 100
      let flat = abs(s.mean - base.mean) <= max(s.halfWidth + base.halfWidth, 0.01 * base.mean)
      rows.append(
        PaperRow(
          experiment: experiment, configuration: "\(routes / 1000)k routes", unit: "kpps",
          mean: m, halfWidth: h, paperText: row.stated, paperValue: nil,
          relativeError: routes == first ? nil : delta / 100, boundHolds: flat,
          comparison: routes == first
            ? "reference"
            : String(format: "%+.1f%% vs %dk: ", delta, first / 1000) + (flat ? "flat" : "not flat")))
    }
    return rows
  }
}
