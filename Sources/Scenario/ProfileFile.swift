import Foundation
import Platforms
import SettingText
import SimCore

/// Cost profile files (scenarios/profiles/*.yaml): the provenance keys, then every declared
/// cost (`CostProfile.settings`) with its unit, as `driver_rx: 1250cycles`. A profile file is
/// checked by the scenario machinery: every problem at file:line:column with its key, unknown
/// keys with a suggestion, values against the declared ranges. A cost the file does not state
/// (a profile written before that cost was declared) takes its declared default and is named
/// in a warning, so nothing falls back to a default silently. `netns_forwarding`, which
/// profiles held before the forwarding mode became the host's (`host.forwarding`), is read
/// only to warn: the mode a run uses is the scenario's (docs/DESIGN.md, "Settings are declared once").
/// So are `generator_socket` and `udp_receiver_cpu` (now `host.generator` and
/// `host.udp_receiver_cpu`): read only to warn, never used.
public enum ProfileFile {
  /// The key older profile files state the netns forwarding mode with: read to warn, never used.
  public static let retiredForwardingKey = "netns_forwarding"

  /// What reading a profile file gave: the costs, the problems, the warnings, and the forwarding
  /// mode an older file states (nil when it states none).
  struct Read {
    var profile: CostProfile
    var diagnostics: [ScenarioDiagnostic]
    var warnings: [String]
    var forwarding: StatedForwarding?
  }

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

  static func read(path: String) -> Read {
    guard let data = FileManager.default.contents(atPath: path) else {
      return Read(
        profile: CostProfile(),
        diagnostics: [
          ScenarioDiagnostic(
            file: path, line: 1, column: 1, keyPath: "(file)", message: "the profile cannot be read",
            allowed: "a readable profile file")
        ],
        warnings: [], forwarding: nil)
    }
    return decode(
      YAMLReader.read(bytes: Array(data), file: path, expecting: ScenarioSchema.emptyFileAllowed), file: path)
  }

  private static func decode(_ outcome: YAMLReader.Outcome, file: String) -> Read {
    var profile = CostProfile()
    guard let root = outcome.root else {
      return Read(profile: profile, diagnostics: outcome.diagnostics, warnings: [], forwarding: nil)
    }
    var problems = outcome.diagnostics
    guard let entries = root.entries else {
      problems.append(
        ScenarioDiagnostic(
          root.origin, "(document)", "expected a mapping of profile keys, found \(root.shapeText)",
          allowed: "a mapping such as driver_rx: 1250cycles"))
      return Read(profile: profile, diagnostics: problems, warnings: [], forwarding: nil)
    }
    let known =
      CostProfile.provenanceKeys.map(\.key) + CostProfile.settings.map(\.key) + [retiredForwardingKey]
      + RetiredProfileKey.all.map(\.key)
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
    let forwarding = decoder.statedForwarding(
      in: root, key: retiredForwardingKey, concrete: retiredForwardingKey)
    let retired = decoder.retiredProfileWarnings(in: root)
    return Read(
      profile: profile, diagnostics: problems + decoder.diagnostics,
      warnings: (missingCostsWarning(root, file: file).map { [$0] } ?? []) + retired, forwarding: forwarding)
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
  private var read: [String: ProfileFile.Read] = [:]

  init() {}

  /// The profile at `path`, the problems found in it and its warnings (reported once: the
  /// first read returns them, later reads of the same load return none), and the forwarding
  /// mode it states (every read: the scenario's rules compare it with each point's mode).
  func read(_ path: String) -> ProfileFile.Read {
    if var r = read[path] {
      r.diagnostics = []
      r.warnings = []
      return r
    }
    let r = ProfileFile.read(path: path)
    read[path] = r
    return r
  }
}

/// A forwarding mode written under an old key (`testbed.forwarding`, `profile.netns_forwarding`
/// in a scenario or a profile file), with where it was written.
struct StatedForwarding: Sendable {
  /// The key as written, e.g. `testbed.forwarding`.
  var key: String
  /// The mode it states.
  var mode: NetnsForwarding
  /// Where its value was written.
  var origin: SourceOrigin

  /// `file:line:column` of the value.
  var place: String { "\(origin.file):\(origin.line):\(origin.column)" }
}
