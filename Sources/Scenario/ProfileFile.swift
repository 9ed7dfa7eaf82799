import Foundation
import Platforms
import SettingText
import SimCore

/// Cost profile files (scenarios/profiles/*.yaml): the provenance keys, then every declared
/// cost (`CostProfile.settings`) with its unit, as `driver_rx: 1250cycles`. A profile file is
/// checked by the scenario machinery: every problem at file:line:column with its key, unknown
/// keys with a suggestion, values against the declared ranges. A cost the file does not state
/// (a profile written before that cost was declared) takes its declared default and is named
/// in a warning, so nothing falls back to a default silently.
public enum ProfileFile {
  /// The profile built into vrsim (`CostProfile.paper2012`), used when a scenario names
  /// `paper-2012.yaml` and no such file is found.
  public static func isBuiltIn(_ name: String) -> Bool {
    let base = (name as NSString).lastPathComponent
    return base == "paper-2012.yaml" || base == "paper-2012"
  }

  /// Reads and checks a profile file.
  /// - Throws: `ScenarioError` with every problem of the file.
  public static func load(path: String) throws(ScenarioError) -> CostProfile {
    let read = read(path: path)
    if !read.diagnostics.isEmpty { throw ScenarioError(diagnostics: read.diagnostics) }
    return read.profile
  }

  /// Reads profile text (`file` is used in messages).
  /// - Throws: `ScenarioError` with every problem of the text.
  public static func load(text: String, file: String) throws(ScenarioError) -> CostProfile {
    let read = decode(
      YAMLReader.read(text: text, file: file, expecting: ScenarioSchema.emptyFileAllowed), file: file)
    if !read.diagnostics.isEmpty { throw ScenarioError(diagnostics: read.diagnostics) }
    return read.profile
  }

  /// The costs a profile text does not state, each with the declared default it takes
  /// (`CostProfile()`), as one warning line naming the file; nil when it states every cost.
  public static func missingCostsWarning(text: String, file: String) -> String? {
    guard let root = YAMLReader.read(text: text, file: file, expecting: ScenarioSchema.emptyFileAllowed).root
    else { return nil }
    return missingCostsWarning(root, file: file)
  }

  static func missingCostsWarning(_ root: YNode, file: String) -> String? {
    let missing = CostProfile.settings.filter { root.entry($0.key) == nil }
    guard !missing.isEmpty else { return nil }
    let defaults = missing.map { s in "\(s.key) = \(s.domain.text(of: s.value(in: CostProfile())))"
    }
    return "\(file): \(missing.count == 1 ? "cost" : "\(missing.count) costs") not in the profile, "
      + "so at the declared default: \(defaults.joined(separator: ", "))"
  }

  static func read(path: String) -> (
    profile: CostProfile, diagnostics: [ScenarioDiagnostic], warnings: [String]
  ) {
    guard let data = FileManager.default.contents(atPath: path) else {
      return (
        CostProfile(),
        [
          ScenarioDiagnostic(
            file: path, line: 1, column: 1, keyPath: "(file)", message: "the profile cannot be read",
            allowed: "a readable profile file")
        ],
        []
      )
    }
    return decode(
      YAMLReader.read(bytes: Array(data), file: path, expecting: ScenarioSchema.emptyFileAllowed), file: path)
  }

  private static func decode(_ outcome: YAMLReader.Outcome, file: String) -> (
    profile: CostProfile, diagnostics: [ScenarioDiagnostic], warnings: [String]
  ) {
    var profile = CostProfile()
    guard let root = outcome.root else { return (profile, outcome.diagnostics, []) }
    var problems = outcome.diagnostics
    guard let entries = root.entries else {
      problems.append(
        ScenarioDiagnostic(
          root.origin, "(document)", "expected a mapping of profile keys, found \(root.shapeText)",
          allowed: "a mapping such as driver_rx: 1250cycles"))
      return (profile, problems, [])
    }
    let known = CostProfile.provenanceKeys.map(\.key) + CostProfile.settings.map(\.key)
    for e in entries where !known.contains(e.key) {
      problems.append(
        ScenarioDiagnostic(
          e.keyOrigin, e.key, "unknown key '\(e.key)'\(Suggestion.didYouMean(e.key, among: known))",
          allowed: "a key of scenarios/README.md, section profile (name, provenance, method, data_set, "
            + "date, residuals, or a cost such as driver_rx)"))
    }
    for p in CostProfile.provenanceKeys {
      guard let e = root.entry(p.key) else { continue }
      guard let text = e.value.scalar, text.count <= 2_000 else {
        problems.append(
          ScenarioDiagnostic(
            e.value.origin, p.key, "expected text, found \(e.value.shapeText)",
            allowed: "text of at most 2000 characters"))
        continue
      }
      profile[keyPath: p.path] = text
    }
    var decoder = ScenarioDecoder(fileName: file, baseDirectory: nil)
    decoder.apply(CostProfile.settings, in: root, section: "profile", concrete: "", to: &profile)
    return (profile, problems + decoder.diagnostics, missingCostsWarning(root, file: file).map { [$0] } ?? [])
  }

  /// The text of a profile file: a comment header, the provenance keys, then every cost with
  /// its unit, in declaration order. `load(text:)` of it gives `profile` back.
  public static func text(_ profile: CostProfile, header: String = "") -> String {
    var out = header
    for p in CostProfile.provenanceKeys {
      out += "\(p.key): \(quoted(profile[keyPath: p.path]))\n"
    }
    for s in CostProfile.settings {
      let kind = s.domain
      out += "\(s.key): \(kind.text(of: s.value(in: profile)))\n"
    }
    return out
  }

  private static func quoted(_ s: String) -> String {
    var out = "\""
    for ch in s.unicodeScalars {
      switch ch {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      default: out.unicodeScalars.append(ch)
      }
    }
    return out + "\""
  }
}

/// Profile files read during one scenario load, by path, so that a sweep of many points reads
/// each profile once.
final class ProfileCache {
  private var read: [String: (profile: CostProfile, diagnostics: [ScenarioDiagnostic], warnings: [String])] =
    [:]

  init() {}

  /// The profile at `path`, the problems found in it and its warnings (reported once: the
  /// first read returns them, later reads of the same load return none).
  func read(_ path: String) -> (profile: CostProfile, diagnostics: [ScenarioDiagnostic], warnings: [String]) {
    if let r = read[path] { return (r.profile, [], []) }
    let r = ProfileFile.read(path: path)
    read[path] = r
    return r
  }
}
