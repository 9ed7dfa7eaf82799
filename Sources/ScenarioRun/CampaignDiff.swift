import Experiment
import Foundation
import Scenario

/// Says what changed between the scenario of a campaign and the one given now.
public enum CampaignDiff {
  /// One line: the campaign, the changed keys (old -> new) and what to do.
  public static func message(directory: String, old: CampaignPlan, new: CampaignPlan, differences: [String])
    -> String
  {
    var what = differences.filter { !$0.hasPrefix("scenario hash") }
    if old.scenarioHash != new.scenarioHash {
      let keys = changedKeys(old: old.scenarioText, new: new.scenarioText)
      what.insert(
        keys.isEmpty ? "the scenario text changed" : "scenario changed: " + keys.joined(separator: ", "),
        at: 0)
    }
    return "campaign \(directory) was made from a different scenario (\(what.joined(separator: "; "))); "
      + "use another --campaign directory, or add to it anyway with --allow-mismatch"
  }

  /// The keys whose values differ between two scenario texts, as `key: old -> new`, using
  /// the resolved scenarios (so layout and defaults do not count).
  public static func changedKeys(old: String, new: String) -> [String] {
    guard let a = flatten(old), let b = flatten(new) else { return [] }
    var out: [String] = []
    for key in Set(a.keys).union(b.keys).sorted() where a[key] != b[key] {
      out.append("\(key): \(a[key] ?? "(none)") -> \(b[key] ?? "(none)")")
    }
    if out.count > 6 { out = Array(out.prefix(6)) + ["... (\(out.count - 6) more)"] }
    return out
  }

  private static func flatten(_ text: String) -> [String: String]? {
    guard var spec = try? ScenarioLoader.load(text: text, fileName: "<campaign>", overrides: []) else {
      return nil
    }
    spec.source.fileName = ""
    spec.source.baseDirectory = nil
    spec.source.canonicalText = ""
    spec.source.hash = ""
    spec.profile.candidates = []
    spec.profile.resolvedPath = nil
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    guard let data = try? encoder.encode(spec), let object = try? JSONSerialization.jsonObject(with: data)
    else {
      return nil
    }
    var out: [String: String] = [:]
    func walk(_ value: Any, _ path: String) {
      if let d = value as? [String: Any] {
        for (k, v) in d { walk(v, path.isEmpty ? k : "\(path).\(k)") }
      } else if let list = value as? [Any] {
        for (i, v) in list.enumerated() { walk(v, "\(path)[\(i)]") }
      } else if !path.hasPrefix("points") {
        out[path] = "\(value)"
      }
    }
    walk(object, "")
    return out
  }
}
