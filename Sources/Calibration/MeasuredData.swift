import Foundation
import Report
import Scenario
import SimCore
import SwiftCSV

/// A problem in a measured-data file, at a line and column (the 1-based field number, with
/// the column's name).
public struct MeasuredDataProblem: Sendable, Equatable, CustomStringConvertible {
  /// The data file.
  public var file: String
  /// 1-based line.
  public var line: Int
  /// 1-based field number.
  public var column: Int
  /// The column's name (`metric`, `set`, ...), or `(file)` / `(header)`.
  public var field: String
  /// What is wrong.
  public var message: String

  public var description: String { "\(file):\(line):\(column): \(field): \(message)" }
}

/// Every problem of one or more measured-data files.
public struct MeasuredDataError: Error, Sendable, CustomStringConvertible {
  /// The problems, in file and line order.
  public var problems: [MeasuredDataProblem]
  public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// Reads measured-data CSV files (validation/README.md): a header with at least the columns
/// `source, experiment, scenario, set, scope, metric, unit, value, ci95_low, ci95_high, n,
/// kind` (any order; the optional `stated` and `note` columns are read too, others ignored),
/// then one row per measured quantity. Parsed by SwiftCSV (RFC 4180 quoting, CRLF or LF line
/// ends, a UTF-8 byte-order mark). Every row is checked: metric names against `Metric.all`,
/// units against the metric's, numbers finite, values not negative unless the metric can be
/// (`Metric.canBeNegative`), intervals ordered, scenario files present and
/// every `set` override against the scenario's declared keys (the scenario is loaded with
/// it). All problems are reported at once.
public enum MeasuredData {
  /// Reads and checks `paths`, in order.
  /// - Throws: `MeasuredDataError` with every problem found.
  public static func load(paths: [String]) throws(MeasuredDataError) -> [MeasuredRow] {
    var rows: [MeasuredRow] = []
    var problems: [MeasuredDataProblem] = []
    for path in paths {
      let r = read(path: path)
      rows += r.rows
      problems += r.problems
    }
    if !problems.isEmpty { throw MeasuredDataError(problems: problems) }
    return rows
  }

  /// Reads and checks one file: its rows and its problems (rows with problems left out).
  public static func read(path: String) -> (rows: [MeasuredRow], problems: [MeasuredDataProblem]) {
    guard let data = FileManager.default.contents(atPath: path) else {
      return (
        [], [MeasuredDataProblem(file: path, line: 1, column: 1, field: "(file)", message: "cannot be read")]
      )
    }
    guard let text = String(data: data, encoding: .utf8) else {
      return (
        [],
        [MeasuredDataProblem(file: path, line: 1, column: 1, field: "(file)", message: "is not UTF-8 text")]
      )
    }
    return read(text: text, file: path)
  }

  /// Reads and checks CSV `text`; `file` names it in messages and anchors relative scenario
  /// paths (its folder, then the repository holding it).
  public static func read(text: String, file: String) -> (
    rows: [MeasuredRow], problems: [MeasuredDataProblem]
  ) {
    var problems: [MeasuredDataProblem] = []
    func problem(_ line: Int, _ column: Int, _ field: String, _ message: String) {
      problems.append(
        MeasuredDataProblem(file: file, line: line, column: column, field: field, message: message))
    }
    let csv: EnumeratedCSV
    var raw: [[String]] = []
    do {
      csv = try EnumeratedCSV(string: text, delimiter: .comma, loadColumns: false)
      let box = RowsBox()
      try csv.enumerateAsArray(startAt: 0, rowLimit: nil) { box.rows.append($0) }
      raw = box.rows
    } catch {
      problem(1, 1, "(file)", "malformed CSV: \(error)")
      return ([], problems)
    }
    guard let header = raw.first, !(header.count == 1 && header[0].isEmpty) else {
      problem(
        1, 1, "(header)",
        "empty file; expected the header " + MeasuredRow.requiredColumns.joined(separator: ","))
      return ([], problems)
    }
    let names = header.map { $0.trimmingCharacters(in: .whitespaces) }
    var index: [String: Int] = [:]
    for (i, n) in names.enumerated() where index[n] == nil { index[n] = i }
    let missing = MeasuredRow.requiredColumns.filter { index[$0] == nil }
    if !missing.isEmpty {
      problem(
        1, names.count + 1, "(header)",
        "missing column\(missing.count > 1 ? "s" : "") \(missing.map { "'\($0)'" }.joined(separator: ", ")); "
          + "the header must name " + MeasuredRow.requiredColumns.joined(separator: ","))
      return ([], problems)
    }
    let base = (file as NSString).deletingLastPathComponent
    let repository = AncestorFolder.checkout(
      from: URL(fileURLWithPath: base.isEmpty ? "." : base, isDirectory: true))?
      .path
    var line = 1 + newlines(in: header)
    var rows: [MeasuredRow] = []
    var cache = ScenarioCheckCache()
    for fields in raw.dropFirst() {
      let rowLine = line
      line += newlines(in: fields)
      if fields.count == 1 && fields[0].trimmingCharacters(in: .whitespaces).isEmpty { continue }
      let before = problems.count
      func field(_ name: String) -> (text: String, column: Int)? {
        let i = index[name]!
        guard i < fields.count else {
          problem(
            rowLine, i + 1, name,
            "missing column (the row has \(fields.count) fields, the header \(names.count))")
          return nil
        }
        return (fields[i].trimmingCharacters(in: .whitespaces), i + 1)
      }
      guard let source = field("source"), let experiment = field("experiment"),
        let scenario = field("scenario"),
        let setText = field("set"), let scope = field("scope"), let metricText = field("metric"),
        let unit = field("unit"), let valueText = field("value"), let lowText = field("ci95_low"),
        let highText = field("ci95_high"), let nText = field("n"), let kindText = field("kind")
      else { continue }
      if experiment.text.isEmpty {
        problem(rowLine, experiment.column, "experiment", "empty; name the experiment")
      }
      let kind = MeasuredRow.Kind(rawValue: kindText.text)
      if kind == nil {
        problem(
          rowLine, kindText.column, "kind",
          "unknown kind '\(kindText.text)'; allowed: "
            + MeasuredRow.Kind.allCases.map(\.rawValue).joined(separator: ", "))
      }
      let metric = Metric.named(metricText.text)
      if metric == nil {
        problem(
          rowLine, metricText.column, "metric",
          "unknown metric '\(metricText.text)'; allowed: " + Metric.all.map(\.name).joined(separator: ", "))
      }
      if let metric, unit.text != metric.unit {
        problem(
          rowLine, unit.column, "unit",
          "'\(unit.text)' is not the unit of \(metric.name); it is '\(metric.unit)'")
      }
      if !isKnownScope(scope.text) {
        problem(
          rowLine, scope.column, "scope",
          "unknown scope '\(scope.text)'; allowed: aggregate, vrN, dom0, host, sink, pcpuN, genN, iperf3-sN, stage:NAME, drop:PLACE, job:NAME, thread:NAME"
        )
      }
      func number(_ f: (text: String, column: Int), _ name: String, optional: Bool) -> Double?? {
        if f.text.isEmpty {
          if optional { return .some(nil) }
          problem(rowLine, f.column, name, "empty; expected a number")
          return nil
        }
        guard let v = Double(f.text) else {
          problem(rowLine, f.column, name, "'\(f.text)' is not a number")
          return nil
        }
        guard v.isFinite else {
          problem(rowLine, f.column, name, "'\(f.text)' is not finite; expected a finite number")
          return nil
        }
        return .some(v)
      }
      let value = number(valueText, "value", optional: false)
      let low = number(lowText, "ci95_low", optional: true)
      let high = number(highText, "ci95_high", optional: true)
      if case .some(.some(let lo)) = low, case .some(.some(let hi)) = high {
        if hi < lo {
          problem(
            rowLine, highText.column, "ci95_high",
            "negative interval width: ci95_high \(highText.text) is below ci95_low \(lowText.text)")
        } else if kind == .value, case .some(.some(let v)) = value, v < lo || v > hi {
          problem(
            rowLine, valueText.column, "value", "\(valueText.text) lies outside its interval [\(lo), \(hi)]")
        }
      } else if case .some(.some) = low, case .some(.none) = high {
        problem(rowLine, highText.column, "ci95_high", "empty while ci95_low is given; give both or neither")
      } else if case .some(.none) = low, case .some(.some) = high {
        problem(rowLine, lowText.column, "ci95_low", "empty while ci95_high is given; give both or neither")
      }
      var count: Int?
      if !nText.text.isEmpty {
        if let c = Int(nText.text), c > 0 {
          count = c
        } else {
          problem(rowLine, nText.column, "n", "'\(nText.text)' is not a positive whole number")
        }
      }
      // A rate, count, time, CPU share or fraction is never negative (its interval may reach
      // below 0: a t interval around a small mean does; the value itself may not).
      if let metric, !metric.canBeNegative, kind != .rank, case .some(.some(let v)) = value, v < 0 {
        problem(
          rowLine, valueText.column, "value",
          "\(valueText.text) is negative; \(metric.name) (\(metric.unit)) cannot be below 0 (only "
            + Metric.all.filter(\.canBeNegative).map(\.name).joined(separator: " and ") + " can)")
      }
      if kind == .rank, case .some(.some(let v)) = value, v < 1 || v != v.rounded() {
        problem(rowLine, valueText.column, "value", "a rank is a whole number from 1 (largest)")
      }
      let overrides = setText.text.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty }
      for o in overrides where !o.contains("=") {
        problem(rowLine, setText.column, "set", "'\(o)' is not key=value")
      }
      var scenarioPath: String?
      if !scenario.text.isEmpty {
        scenarioPath = resolve(scenario.text, base: base, repository: repository)
        if scenarioPath == nil {
          problem(
            rowLine, scenario.column, "scenario",
            "scenario file '\(scenario.text)' does not exist (looked relative to \(base.isEmpty ? "." : base)"
              + (repository.map { " and \($0)" } ?? "") + ")")
        }
      }
      if problems.count == before, scenarioPath != nil || !overrides.isEmpty {
        if let message = cache.check(scenarioPath, overrides) {
          problem(rowLine, setText.column, "set", message)
        }
      }
      guard problems.count == before, let kind, let metric, case .some(.some(let v)) = value else { continue }
      var lo: Double?
      var hi: Double?
      if case .some(.some(let x)) = low { lo = x }
      if case .some(.some(let x)) = high { hi = x }
      func optional(_ name: String) -> String {
        index[name].flatMap { $0 < fields.count ? fields[$0] : nil } ?? ""
      }
      rows.append(
        MeasuredRow(
          source: source.text, experiment: experiment.text, scenario: scenario.text,
          scenarioPath: scenarioPath,
          set: overrides, scope: scope.text, metric: metric, value: v, ci95Low: lo, ci95High: hi, n: count,
          kind: kind, stated: optional("stated"), note: optional("note"), file: file, line: rowLine))
    }
    return (rows, problems)
  }

  static func newlines(in fields: [String]) -> Int {
    1 + fields.reduce(0) { $0 + $1.reduce(0) { $0 + ($1.isNewline ? 1 : 0) } }
  }

  static func isKnownScope(_ s: String) -> Bool {
    if ["aggregate", "host", "dom0", "sink"].contains(s) { return true }
    // the netns platforms' processes: senders gen<k>, UDP receivers iperf3-s<r>
    for prefix in ["vr", "pcpu", "gen", "iperf3-s"] where s.hasPrefix(prefix) {
      let rest = s.dropFirst(prefix.count)
      if !rest.isEmpty && rest.allSatisfy(\.isASCII) && rest.allSatisfy(\.isNumber) { return true }
    }
    for prefix in ["stage:", "drop:", "job:", "thread:"] where s.hasPrefix(prefix) && s.count > prefix.count {
      return true
    }
    return false
  }

  static func resolve(_ scenario: String, base: String, repository: String?) -> String? {
    let fm = FileManager.default
    if scenario.hasPrefix("/") { return fm.fileExists(atPath: scenario) ? scenario : nil }
    var candidates = [(base.isEmpty ? "." : base as NSString).appendingPathComponent(scenario)]
    if let repository { candidates.append((repository as NSString).appendingPathComponent(scenario)) }
    return candidates.first { fm.fileExists(atPath: $0) }
  }
}

/// Rows collected by SwiftCSV's callback.
private final class RowsBox {
  var rows: [[String]] = []
}

/// Checks of `set` overrides by loading the scenario with them, each (scenario, set) once.
struct ScenarioCheckCache {
  private var seen: [String: String?] = [:]

  /// nil when the scenario loads with `overrides` to exactly one point; else the problem.
  mutating func check(_ path: String?, _ overrides: [String]) -> String? {
    let key = (path ?? "") + "\u{0}" + overrides.joined(separator: "\u{0}")
    if let r = seen[key] { return r }
    let r = Self.load(path, overrides)
    seen[key] = r
    return r
  }

  static func load(_ path: String?, _ overrides: [String]) -> String? {
    do {
      let spec: ScenarioSpec
      if let path {
        spec = try ScenarioLoader.load(path: path, overrides: overrides)
      } else {
        // No scenario: the keys must exist (in the built-in default scenario); values are
        // not resolved, as no model runs the row.
        var doc = try ScenarioDocument.parse(
          text: ScenarioLoader.defaultScenarioText, fileName: "<built-in default>")
        try doc.applyOverrides(overrides)
        return nil
      }
      let points = spec.sweepPoints()
      if path != nil && points.count > 1 {
        let keys = Set(points.flatMap { $0.assignments.map(\.keyPath) }).sorted()
        return "leaves \(points.count) sweep points of the scenario; set every swept key ("
          + keys.joined(separator: ", ") + ")"
      }
      return nil
    } catch {
      let lines = error.diagnostics.map { d -> String in
        let place = d.file == "--set" ? "override \(d.line) (\(overrides[safe: d.line - 1] ?? "?"))" : d.file
        return "\(place): \(d.keyPath): \(d.message)"
      }
      return lines.joined(separator: "; ")
    }
  }
}

extension Array {
  fileprivate subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
