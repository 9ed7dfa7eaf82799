import Platforms
import SettingText

// A cost a scenario writes (its `profile:` mapping, `--set profile.KEY`, a sweep over a
// profile key) that the scenario's platform never reads changes nothing: a warning says so
// (`PlatformKind.profileKeys` lists what each platform reads). A profile file states every
// cost and may serve several platforms: its keys are not warned about, nor are the provenance
// keys. Not an error: one scenario's profile may be meant for several platforms.

/// A cost key written in a scenario's `profile:` mapping, with where its value was written.
struct WrittenCost: Sendable, Equatable {
  /// The key under `profile.` (`bridge`).
  var key: String
  /// Where its value was written (the file, `--set`, or a sweep's value).
  var origin: SourceOrigin
}

extension ScenarioDocument {
  /// One warning per cost key that the scenario writes and that no platform it runs on reads:
  /// `runs` holds, per decoded scenario (the scenario itself, or each sweep point), its
  /// platform and the cost keys it writes. A key is warned about at the place it was first
  /// written, naming the platforms that do not read it and those that do; a sweep over
  /// platforms warns only when none of them reads it.
  static func unreadCostWarnings(_ runs: [(platform: PlatformKind, costs: [WrittenCost])]) -> [String] {
    var order: [String] = []
    var first: [String: SourceOrigin] = [:]
    var platforms: [String: [PlatformKind]] = [:]
    for run in runs {
      for c in run.costs {
        if first[c.key] == nil {
          order.append(c.key)
          first[c.key] = c.origin
        }
        if !platforms[c.key, default: []].contains(run.platform) {
          platforms[c.key, default: []].append(run.platform)
        }
      }
    }
    return order.compactMap { key in
      let on = platforms[key] ?? []
      guard !on.contains(where: { $0.profileKeys.contains(key) }), let at = first[key] else { return nil }
      let readers = PlatformKind.allCases.filter { $0.profileKeys.contains(key) }.map(\.rawValue)
      let names = on.map(\.rawValue).joined(separator: ", ")
      let those = on.count > 1 ? "those platforms" : "that platform"
      return
        "\(at.file):\(at.line):\(at.column): profile.\(key): not read on \(names) (no stage, host model or "
        + "result of \(those) uses this cost), so the value changes nothing; read on "
        + (readers.isEmpty ? "no platform" : readers.joined(separator: ", "))
    }
  }
}
