import SettingText

@testable import Scenario

/// Dictionary words of the scenario language, read from the schema declarations: every key
/// (alone and as `key: `), every `--set` key path, every choice, every unit, YAML's own tokens.
public enum ScenarioWords {
  /// Words for scenario and profile files.
  public static var words: [String] {
    var out: [String] = []
    for entry in ScenarioSchema.entries {
      for part in entry.path.split(separator: ".") {
        let key = part.replacingOccurrences(of: "[]", with: "")
        out += [key, key + ": "]
      }
      if case .choice(let names) = entry.kind { out += names }
    }
    out += units
    out += ["off", "true", "false", "each", "all", "vr0", "vr1", "imix", "dynamic", "kind", "file"]
    out += [
      "- ", ": ", "{", "}", "[", "]", ", ", "&a ", "*a", "<<: ", "!!str ", "!!int ", "---", "...", "#", "'",
      "\"",
    ]
    return out
  }

  /// `--set` assignments' heads: every key path followed by `=`.
  public static var assignments: [String] {
    ScenarioSchema.keyPaths.map { $0 + "=" } + words
  }

  /// Every unit a quantity can be written in.
  public static var units: [String] {
    let kinds: [QuantityKind] = [
      .frequency, .bitRate, .packetRate, .duration, .size, .percentage, .cycles, .cyclesPerByte,
    ]
    return kinds.flatMap { $0.units.map(\.0) }
  }
}
