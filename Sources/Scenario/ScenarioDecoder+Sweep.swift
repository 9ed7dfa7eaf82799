import Foundation
import HostModel
import Platforms
import SettingText
import SimCore

extension ScenarioDecoder {
  // MARK: Sweep

  mutating func decodeSweep(_ root: YNode) -> SweepSpec? {
    guard let e = root.entry("sweep"), e.value.content != .null else { return nil }
    origins["sweep"] = e.value.origin
    guard let entries = e.value.entries else {
      report(
        e.value.origin, "sweep", "expected a mapping, found \(e.value.shapeText)",
        SettingDomain.sweepKeys.allowed
      )
      return nil
    }
    let longForm = e.value.entry("keys") != nil
    if case .text(let m) = value("sweep.mode", in: e.value, "sweep") {
      sweepMode = SweepMode(rawValue: m) ?? .product
    }
    var axisEntries: [(YEntry, String)] = []
    if longForm {
      checkKeys(e.value, "sweep", "sweep")
      if let keys = e.value.entry("keys")?.value {
        if let list = keys.entries {
          axisEntries = list.map { ($0, "sweep.keys.\($0.key)") }
        } else {
          report(
            keys.origin, "sweep.keys", "expected a mapping, found \(keys.shapeText)",
            SettingDomain.sweepKeys.allowed)
        }
      }
    } else {
      axisEntries = entries.filter { $0.key != "mode" }.map { ($0, "sweep.\($0.key)") }
    }
    if axisEntries.isEmpty && !diagnostics.contains(where: { $0.keyPath.hasPrefix("sweep") }) {
      report(e.value.origin, "sweep", "no keys to vary", SettingDomain.sweepKeys.allowed)
    }
    var axes: [SweepAxisNodes] = []
    for (entry, shown) in axisEntries {
      guard let path = KeyPathSyntax.parse(entry.key) else {
        report(
          entry.keyOrigin, shown, "'\(entry.key)' is not a key path",
          "a key path such as routers.count or traffic[0].rate")
        continue
      }
      if case .key("sweep") = path[0] {
        report(entry.keyOrigin, shown, "the sweep cannot vary itself", "a key path outside sweep")
        continue
      }
      if let problem = KeyPathSyntax.check(path, text: entry.key) {
        let all = ScenarioSchema.keyPaths
        let hint = Suggestion.didYouMean(entry.key, among: all)
        let message =
          hint.isEmpty
          ? "unknown key path '\(entry.key)': \(problem.message)" : "unknown key path '\(entry.key)'\(hint)"
        report(
          entry.keyOrigin, shown, message,
          "a key path of the schema (scenarios/README.md), e.g. routers.count")
        continue
      }
      var values: [YNode] = []
      switch entry.value.content {
      case .sequence(let items):
        values = items
        if items.isEmpty {
          report(entry.value.origin, shown, "the list of values is empty", "at least one value")
        }
      case .mapping:
        values = expandRange(entry.value, shown)
      default:
        report(
          entry.value.origin, shown,
          "expected a list of values or {from, to, step}, found \(entry.value.shapeText)",
          "a list such as [1, 2, 4] or a range such as {from: 1, to: 8, step: 1}")
      }
      if !values.isEmpty {
        axes.append(SweepAxisNodes(keyPath: KeyPathSyntax.concrete(path), path: path, values: values))
      }
    }
    if sweepMode == .zip, let first = axes.first,
      let other = axes.first(where: { $0.values.count != first.values.count })
    {
      report(
        e.value.origin, "sweep",
        "zip needs lists of equal length: \(first.keyPath) has \(first.values.count) values, \(other.keyPath) has \(other.values.count)",
        "lists of equal length, or mode product")
      axes = []
    }
    let total =
      sweepMode == .zip
      ? (axes.first?.values.count ?? 0) : axes.reduce(1) { min(1_000_000, $0 * $1.values.count) }
    if total > 10_000 {
      report(
        e.value.origin, "sweep",
        "the sweep has \(total >= 1_000_000 ? "more than 1000000" : "\(total)") points",
        "at most 10000 points")
      axes = []
    }
    sweepAxes = axes
    return SweepSpec(
      mode: sweepMode,
      axes: axes.map { SweepAxis(keyPath: $0.keyPath, values: $0.values.map(\.canonicalText)) })
  }

  /// `{from, to, step}` into exact decimal values with the same unit.
  mutating func expandRange(_ node: YNode, _ shown: String) -> [YNode] {
    let allowed =
      "{from, to, step}: numbers with the same unit, step above 0, to not below from, at most 1000 values"
    for e in node.entries ?? [] where !["from", "to", "step"].contains(e.key) {
      report(
        e.keyOrigin, "\(shown).\(e.key)",
        "unknown key '\(e.key)'\(Suggestion.didYouMean(e.key, among: ["from", "to", "step"]))",
        "from, to, step")
    }
    var parts: [(digits: Int64, decimals: Int, unit: String)] = []
    for key in ["from", "to", "step"] {
      guard let v = node.entry(key)?.value else {
        report(node.origin, "\(shown).\(key)", "'\(key)' is missing", allowed)
        return []
      }
      guard let s = v.scalar, let p = RangeNumber.split(s) else {
        report(v.origin, "\(shown).\(key)", "\(v.shapeText) is not a number with an optional unit", allowed)
        return []
      }
      parts.append(p)
    }
    guard parts[0].unit == parts[1].unit && parts[1].unit == parts[2].unit else {
      report(node.origin, shown, "from, to and step use different units", allowed)
      return []
    }
    let decimals = parts.map(\.decimals).max() ?? 0
    let scaled = parts.map { RangeNumber.scale($0.digits, from: $0.decimals, to: decimals) }
    guard let from = scaled[0], let to = scaled[1], let step = scaled[2], step > 0, to >= from,
      (to - from) / step < 1_000
    else {
      report(node.origin, shown, "the range is empty, too long or has a step of 0", allowed)
      return []
    }
    var out: [YNode] = []
    var v = from
    var factor: Int64 = 1
    for _ in 0..<decimals { factor *= 10 }
    while v <= to {
      out.append(YNode(content: .scalar(decimalText(v, scale: factor) + parts[0].unit), origin: node.origin))
      v += step
    }
    return out
  }
}
