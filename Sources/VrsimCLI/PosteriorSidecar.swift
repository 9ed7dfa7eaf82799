import Calibration
import Foundation
import Report
import SimCore

/// The summary of a posterior profile (the comment header `vrsim calibrate --method posterior`
/// writes) with its draws and the point fit it started from, as one tidy CSV: the point fit's
/// `parameter` and `residual` rows (`CalibrationSidecar`, from the base profile named by the
/// header's `profile.file=` override, when that is a fitted profile), one `posterior` row per
/// key (its prior's and its posterior's 95% interval, the width ratio, the verdict in `label`)
/// and one `draw` row per key and posterior draw (`draw` the draw's index, `value` its value).
struct PosteriorSidecar {
  var name = ""
  var version = ""
  var date: String?
  var data = ""
  var method = ""
  var summary = ""
  var pointFit: String?
  var pointFitPath: String?
  var rows: [[CSVField]] = []

  static let header =
    CalibrationSidecar.header + ["prior_low", "prior_high", "width_ratio", "draw", "value"]

  var csv: String { CSV.render(header: Self.header, rows: rows) }

  // `# paper-2012-posterior: posterior of `vrsim calibrate --method posterior` (vrsim 0.1.0) on 2026-12-05.`
  nonisolated(unsafe) static let firstLine =
    /posterior of `vrsim calibrate --method posterior` \(vrsim (\S+)\) on (\S+)\./
  // `profile.bridge: uniform 500 ... 19500 -> 5046.05 [2153.51, 9085.6] cycles, ratio 0.36, constrained by the data`
  nonisolated(unsafe) static let keyLine =
    /^(\S+): (\S+) (\S+) \.\.\. (\S+) -> (\S+) \[(\S+), (\S+)\] (\S+), ratio (\S+), (.+)$/

  /// Whether `text` (a profile file) is a posterior profile.
  static func isPosterior(_ text: String) -> Bool {
    let first = text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
    return first.hasPrefix("#") && first.firstMatch(of: firstLine) != nil
  }

  /// Parses the posterior profile `text` read from `file`, its draws file (named in its
  /// header, beside it) and the base profile of its `profile.file=` override.
  /// - Throws: `RunError` (exit code 2) naming the file and line of a problem.
  static func parse(_ text: String, file: String) throws -> PosteriorSidecar {
    var r = PosteriorSidecar()
    var drawsName: String?
    var inKeys = false
    for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let lineNo = n + 1
      if !raw.hasPrefix("#") {
        if raw.hasPrefix("name:") {
          r.name = raw.dropFirst(5).trimmingCharacters(in: .whitespaces).trimmingCharacters(
            in: CharacterSet(charactersIn: "\""))
        }
        continue
      }
      let body = raw.dropFirst().trimmingCharacters(in: .whitespaces)
      if lineNo == 1 {
        guard let m = body.firstMatch(of: firstLine) else {
          throw RunError("\(file):1: not a posterior profile written by vrsim calibrate", exitCode: 2)
        }
        r.version = String(m.1)
        r.date = String(m.2)
        continue
      }
      if body.hasPrefix("Data: ") { r.data = String(body.dropFirst(6)) }
      if body.hasPrefix("Method: ") { r.method = String(body.dropFirst(8)) }
      if body.hasPrefix("effective sample size") { r.summary = body }
      if body.hasPrefix("Overrides of every row: "),
        let f = body.split(separator: " ").first(where: { $0.hasPrefix("profile.file=") })
      {
        r.pointFit = String(f.dropFirst("profile.file=".count))
      }
      if let m = body.firstMatch(of: /the draws are in (\S+)\.$/) { drawsName = String(m.1) }
      if body.hasPrefix("key: prior 95% -> posterior") {
        inKeys = true
        continue
      }
      if inKeys {
        guard let m = body.wholeMatch(of: keyLine) else {
          inKeys = false
          continue
        }
        guard let pl = Double(m.3), let ph = Double(m.4), let med = Double(m.5), let lo = Double(m.6),
          let hi = Double(m.7), let ratio = Double(m.9)
        else {
          throw RunError("\(file):\(lineNo): cannot read the posterior line '\(body)'", exitCode: 2)
        }
        r.rows.append(
          [
            "posterior", .text(String(m.1)), .text(String(m.10)), .empty, .number(med), .empty, .number(lo),
            .number(hi), .text(String(m.8)), .text(ratio < 0.5 ? "true" : "false"), .empty, .empty, .empty,
            .text(String(m.2)), .empty, .number(pl), .number(ph), .number(ratio), .empty, .empty,
          ])
      }
    }
    if r.rows.isEmpty {
      throw RunError(
        "\(file): the posterior summary lists no key ('# key: prior 95% -> posterior' lines)", exitCode: 2)
    }
    // The draws, beside the profile.
    guard let drawsName else {
      throw RunError("\(file): the header names no draws file ('the draws are in FILE.')", exitCode: 2)
    }
    let drawsPath = ((file as NSString).deletingLastPathComponent as NSString).appendingPathComponent(
      drawsName)
    let draws: PosteriorDraws
    do { draws = try PosteriorDraws(path: drawsPath) } catch { throw RunError("\(error)", exitCode: 2) }
    for (k, d) in draws.values.enumerated() {
      for (j, p) in draws.parameters.enumerated() {
        r.rows.append(
          [
            "draw", .text(p.key), .empty, .empty, .empty, .empty, .empty, .empty,
            .text(p.declared.unit.rawValue),
            .empty, .empty, .empty, .empty, .empty, .empty, .empty, .empty, .empty, .integer(k),
            .number(d[j]),
          ])
      }
    }
    // The point fit it started from.
    // The override's path is as given to vrsim calibrate (relative to where it ran): read it
    // from here, else from the nearest folder above the profile that holds it.
    if let given = r.pointFit, !given.hasPrefix("/"), !FileManager.default.fileExists(atPath: given),
      let root = AncestorFolder.nearest(
        from: URL(fileURLWithPath: file).deletingLastPathComponent().standardizedFileURL, holding: given)
    {
      r.pointFitPath = root.appendingPathComponent(given).path
    } else {
      r.pointFitPath = r.pointFit
    }
    if let base = r.pointFitPath, let t = try? String(contentsOfFile: base, encoding: .utf8),
      let fit = try? CalibrationSidecar.parse(t, file: base)
    {
      r.rows =
        (fit.parameters + fit.residuals).map { $0 + [.empty, .empty, .empty, .empty, .empty] } + r.rows
    } else {
      r.pointFit = nil
    }
    return r
  }
}
