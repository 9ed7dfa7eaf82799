import Foundation

/// The three renderings of aggregated results: an aligned terminal table for people, tidy CSV
/// and JSON for programs. Every rendering is a pure function of its input rows, so equal rows
/// give byte-identical text.
public enum SummaryReport {
  /// The sweep keys present in `rows`, in order of first appearance.
  public static func parameterKeys(_ rows: [MetricSummary]) -> [String] {
    var seen = Set<String>()
    var keys: [String] = []
    for row in rows {
      for a in row.parameters where seen.insert(a.key).inserted { keys.append(a.key) }
    }
    return keys
  }

  // MARK: Terminal table

  /// An aligned table with one row per (point, scope) and one column per metric, the unit in
  /// the column header (`forwarded_pps (pps)`), each cell `mean ± half-width`
  /// (`NumberFormatting.withUncertainty`). A `point` column and one column per sweep key lead
  /// when there is more than one point; an `n` column gives the replication count (a cell whose
  /// own count differs says so, e.g. `12.5 (n=3)`). Rows and metric columns keep the order in
  /// which they first appear in `rows`.
  public static func table(_ rows: [MetricSummary]) -> String {
    struct MetricKey: Hashable {
      var metric: String
      var unit: String
    }
    struct RowKey: Hashable {
      var point: Int
      var scope: String
    }
    var metricKeys: [MetricKey] = []
    var metricSeen = Set<MetricKey>()
    var rowKeys: [RowKey] = []
    var cells: [RowKey: [MetricKey: MetricSummary]] = [:]
    var parameters: [Int: [Assignment]] = [:]
    for r in rows {
      let mk = MetricKey(metric: r.metric, unit: r.unit)
      if metricSeen.insert(mk).inserted { metricKeys.append(mk) }
      let rk = RowKey(point: r.point, scope: r.scope)
      if cells[rk] == nil { rowKeys.append(rk) }
      cells[rk, default: [:]][mk] = r
      parameters[r.point] = parameters[r.point] ?? r.parameters
    }
    let showPoints = Set(rows.map(\.point)).count > 1
    let keys = showPoints ? parameterKeys(rows) : []

    var columns: [Table.Column] = []
    if showPoints { columns.append(.init("point", alignment: .right)) }
    columns += keys.map { Table.Column($0) }
    columns.append(.init("scope"))
    columns.append(.init("n", alignment: .right))
    columns += metricKeys.map { mk in
      let title = mk.unit.isEmpty || mk.unit == "1" ? mk.metric : "\(mk.metric) (\(mk.unit))"
      return Table.Column(title, alignment: .right)
    }
    var table = Table(columns: columns)
    for rk in rowKeys {
      let byMetric = cells[rk] ?? [:]
      let n = metricKeys.lazy.compactMap { byMetric[$0]?.count }.first ?? 0
      var line: [String] = []
      if showPoints { line.append(String(rk.point)) }
      let values = parameters[rk.point] ?? []
      for key in keys { line.append(values.first { $0.key == key }?.value ?? "") }
      line.append(rk.scope)
      line.append(String(n))
      for mk in metricKeys {
        guard let s = byMetric[mk] else {
          line.append("")
          continue
        }
        var text = NumberFormatting.withUncertainty(s.mean, halfWidth: s.halfWidth)
        if s.count != n { text += " (n=\(s.count))" }
        line.append(text)
      }
      table.append(line)
    }
    return table.render()
  }

  // MARK: CSV

  /// The fixed columns of the summary CSV that follow the sweep-key columns.
  public static let csvValueColumns = [
    "scope", "metric", "unit", "n", "mean", "ci_half_width", "ci_low", "ci_high", "ci_level",
    "std_dev", "min", "max",
  ]

  /// Tidy CSV, one line per (point, scope, metric): `point`, one column per sweep key (in
  /// `parameterKeys` order, empty where a point lacks the key), then `csvValueColumns`.
  /// Numbers use `NumberFormatting.exact`; a missing interval is an empty field. Rows keep their
  /// input order.
  public static func csv(_ rows: [MetricSummary]) -> String {
    let keys = parameterKeys(rows)
    let header = ["point"] + keys + csvValueColumns
    return CSV.render(header: header, rows: rows.map { csvFields($0, keys: keys) })
  }

  /// The bytes of `csv(rows)`, handed to `write` in pieces of at most `chunk` rows, so that the
  /// whole text and every row's fields are never held at once (a 10,000-point sweep's table
  /// is tens of megabytes of text).
  public static func writeCSV(_ rows: [MetricSummary], chunk: Int = 4096, to write: (String) -> Void) {
    let keys = parameterKeys(rows)
    write(CSV.render(header: ["point"] + keys + csvValueColumns, rows: []))
    var start = 0
    while start < rows.count {
      let end = Swift.min(rows.count, start + Swift.max(1, chunk))
      var text = ""
      for r in rows[start..<end] {
        text += csvFields(r, keys: keys).map(CSV.text).joined(separator: ",") + "\n"
      }
      write(text)
      start = end
    }
  }

  private static func csvFields(_ r: MetricSummary, keys: [String]) -> [CSVField] {
    var fields: [CSVField] = [.integer(r.point)]
    for key in keys {
      if let a = r.parameters.first(where: { $0.key == key }) {
        fields.append(.text(a.value))
      } else {
        fields.append(.empty)
      }
    }
    fields += [
      .text(r.scope), .text(r.metric), .text(r.unit), .integer(r.count), .number(r.mean),
      .number(r.halfWidth), .number(r.low), .number(r.high), .number(r.level),
      .number(r.standardDeviation), .number(r.min), .number(r.max),
    ]
    return fields
  }

  // MARK: JSON

  /// JSON with sorted keys: `{"metadata": {...}, "summaries": [...]}`, one object per row with
  /// the CSV's fields (`parameters` as an object of key to value); NaN becomes `null`.
  /// `metadata` carries what identifies the results (scenario hash, master seed, vrsim
  /// version).
  public static func json(_ rows: [MetricSummary], metadata: [String: String] = [:]) throws -> String {
    try JSONText.encode(
      SummaryDocument(metadata: metadata, summaries: rows.map(SummaryDocument.Row.init)))
  }
}

/// The JSON shape of `SummaryReport.json`.
private struct SummaryDocument: Encodable {
  struct Row: Encodable {
    var point: Int
    var parameters: [String: String]
    var scope: String
    var metric: String
    var unit: String
    var n: Int
    @JSONNull var mean: Double?
    @JSONNull var ciHalfWidth: Double?
    @JSONNull var ciLow: Double?
    @JSONNull var ciHigh: Double?
    var ciLevel: Double
    @JSONNull var stdDev: Double?
    @JSONNull var min: Double?
    @JSONNull var max: Double?

    enum CodingKeys: String, CodingKey {
      case point, parameters, scope, metric, unit, n, mean, min, max
      case ciHalfWidth = "ci_half_width"
      case ciLow = "ci_low"
      case ciHigh = "ci_high"
      case ciLevel = "ci_level"
      case stdDev = "std_dev"
    }

    init(_ s: MetricSummary) {
      point = s.point
      parameters = Dictionary(s.parameters.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
      scope = s.scope
      metric = s.metric
      unit = s.unit
      n = s.count
      mean = JSONText.finite(s.mean)
      ciHalfWidth = JSONText.finite(s.halfWidth)
      ciLow = JSONText.finite(s.low)
      ciHigh = JSONText.finite(s.high)
      ciLevel = s.level
      stdDev = JSONText.finite(s.standardDeviation)
      min = JSONText.finite(s.min)
      max = JSONText.finite(s.max)
    }
  }

  var metadata: [String: String]
  var summaries: [Row]
}

/// Deterministic JSON text: sorted keys, pretty-printed, unescaped slashes, a final newline.
public enum JSONText {
  /// `value` encoded as deterministic JSON text.
  public static func encode<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    return String(decoding: data, as: UTF8.self) + "\n"
  }

  /// `value` when finite, `nil` (JSON `null`) for NaN and infinities.
  public static func finite(_ value: Double) -> Double? { value.isFinite ? value : nil }
}

/// An optional property that a synthesised `Encodable` writes as JSON `null` when absent,
/// instead of leaving its key out: for outputs whose every row has every key.
@propertyWrapper public struct JSONNull<Value: Encodable & Sendable>: Encodable, Sendable {
  /// The value (nil: `null`).
  public var wrappedValue: Value?

  /// Wraps `wrappedValue`.
  public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

  /// Encodes the value, or `null` when there is none.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    if let wrappedValue { try c.encode(wrappedValue) } else { try c.encodeNil() }
  }
}
