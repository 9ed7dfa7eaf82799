import Foundation
import SettingText
import SimCore

/// A scenario file read into a tree (with positions), before validation: the stage at
/// which `--set` overrides apply. Non-fatal reading problems (duplicate keys) are kept and
/// reported by `resolve()` together with validation problems.
public struct ScenarioDocument: Sendable {
  /// The file name used in messages.
  public let fileName: String
  /// The directory relative paths are resolved against.
  public let baseDirectory: String?
  var root: YNode
  var pending: [ScenarioDiagnostic]
  private var overridesApplied = 0
  /// Concrete key paths set by overrides: a sweep axis on one of them is dropped (the
  /// command line wins over the file).
  private var overridden: Set<String> = []

  init(fileName: String, baseDirectory: String?, root: YNode, pending: [ScenarioDiagnostic]) {
    self.fileName = fileName
    self.baseDirectory = baseDirectory
    self.root = root
    self.pending = pending
  }

  /// Reads scenario text. Throws when the text cannot be read as a YAML mapping at all
  /// (too large, binary, empty, tabs, syntax); other problems wait for `resolve()`.
  public static func parse(
    text: String, fileName: String, baseDirectory: String? = nil
  ) throws(ScenarioError) -> ScenarioDocument {
    try make(
      YAMLReader.read(text: text, file: fileName, expecting: ScenarioSchema.emptyFileAllowed), fileName,
      baseDirectory)
  }

  /// Reads raw file bytes (checked for size and UTF-8 first).
  public static func parse(
    bytes: [UInt8], fileName: String, baseDirectory: String? = nil
  ) throws(ScenarioError) -> ScenarioDocument {
    try make(
      YAMLReader.read(bytes: bytes, file: fileName, expecting: ScenarioSchema.emptyFileAllowed), fileName,
      baseDirectory)
  }

  private static func make(
    _ outcome: YAMLReader.Outcome, _ fileName: String, _ baseDirectory: String?
  ) throws(ScenarioError) -> ScenarioDocument {
    guard let root = outcome.root else { throw ScenarioError(diagnostics: outcome.diagnostics) }
    return ScenarioDocument(
      fileName: fileName, baseDirectory: baseDirectory, root: root, pending: outcome.diagnostics)
  }

  /// Applies `key.path=value` overrides (the value is YAML) to the tree, in order; a key
  /// set here is no longer swept. Unknown
  /// paths and malformed assignments are errors naming the override; all are reported at
  /// once. Overrides are located as `--set:N:column` (N = 1-based position of the override,
  /// counted over all calls).
  public mutating func applyOverrides(_ assignments: [String]) throws(ScenarioError) {
    let problems = applyOverridesCollecting(assignments)
    if !problems.isEmpty { throw ScenarioError(diagnostics: problems) }
  }

  mutating func applyOverridesCollecting(_ assignments: [String]) -> [ScenarioDiagnostic] {
    var problems: [ScenarioDiagnostic] = []
    for text in assignments {
      overridesApplied += 1
      let line = overridesApplied
      let at = SourceOrigin(file: "--set", line: line, column: 1)
      guard let eq = text.firstIndex(of: "=") else {
        problems.append(
          ScenarioDiagnostic(
            at, "(--set)", "'\(text)' is not key.path=value", allowed: "key.path=value, e.g. routers.count=8")
        )
        continue
      }
      let pathText = String(text[..<eq]).trimmingCharacters(in: " ")
      let valueText = String(text[text.index(after: eq)...])
      guard let path = KeyPathSyntax.parse(pathText) else {
        problems.append(
          ScenarioDiagnostic(
            at, pathText.isEmpty ? "(--set)" : pathText, "'\(pathText)' is not a key path",
            allowed: "a key path such as routers.count or traffic[0].rate"))
        continue
      }
      if let problem = KeyPathSyntax.check(path, text: pathText) {
        problems.append(ScenarioDiagnostic(at, pathText, problem.message, allowed: problem.allowed))
        continue
      }
      let valueColumn = text.distance(from: text.startIndex, to: eq) + 2
      var value: YNode
      if valueText.allSatisfy({ $0 == " " }) {
        value = YNode(content: .null, origin: SourceOrigin(file: "--set", line: line, column: valueColumn))
      } else {
        let outcome = YAMLReader.read(
          text: valueText, file: "--set", expecting: ScenarioSchema.emptyFileAllowed)
        let shift = { (o: SourceOrigin) in
          SourceOrigin(
            file: "--set", line: line + o.line - 1,
            column: o.line == 1 ? o.column + valueColumn - 1 : o.column)
        }
        guard let node = outcome.root else {
          problems += outcome.diagnostics.map {
            var d = $0
            let o = shift(SourceOrigin(file: d.file, line: d.line, column: d.column))
            d.line = o.line
            d.column = o.column
            d.keyPath = pathText
            return d
          }
          continue
        }
        value = node.mappingOrigins(shift)
      }
      if let problem = root.set(path[...], to: value) {
        problems.append(
          ScenarioDiagnostic(at, pathText, problem, allowed: "a path that exists in the scenario"))
      } else {
        overridden.insert(KeyPathSyntax.concrete(path))
      }
    }
    return problems
  }

  /// The effective scenario in canonical form (see `ScenarioSource.canonicalText`).
  public var canonicalText: String { root.canonicalText }

  /// Validates and resolves the scenario, with every sweep point. All problems of the
  /// file, the overrides and every sweep point are reported together.
  public func resolve() throws(ScenarioError) -> ScenarioSpec {
    let profiles = ProfileCache()
    var decoder = ScenarioDecoder(fileName: fileName, baseDirectory: baseDirectory, profiles: profiles)
    var spec = decoder.decode(root)
    var problems = pending + decoder.diagnostics
    var warnings = decoder.warnings
    spec.source = Self.source(root, fileName, baseDirectory)
    let axes = decoder.sweepAxes.filter { !overridden.contains($0.keyPath) }
    if var sweep = spec.sweep {
      sweep.axes.removeAll { overridden.contains($0.keyPath) }
      spec.sweep = sweep.axes.isEmpty ? nil : sweep
    }
    // the platform and written costs of each decoded run: the scenario, or its sweep points
    var runs = [(platform: spec.platform, costs: decoder.writtenCosts)]
    if !axes.isEmpty && problems.isEmpty {
      let base = root.removing("sweep")
      var points: [SweepPoint] = []
      runs = []
      for (index, combination) in Self.combinations(axes, mode: decoder.sweepMode).enumerated() {
        var tree = base
        var assignments: [SweepAssignment] = []
        for (axis, value) in zip(axes, combination) {
          if let problem = tree.set(axis.path[...], to: value) {
            problems.append(
              ScenarioDiagnostic(
                value.origin, axis.keyPath, problem, allowed: "a path that exists in the scenario"))
          }
          assignments.append(SweepAssignment(keyPath: axis.keyPath, value: value.canonicalText))
        }
        var pointDecoder = ScenarioDecoder(
          fileName: fileName, baseDirectory: baseDirectory, profiles: profiles)
        var pointSpec = pointDecoder.decode(tree)
        pointSpec.source = Self.source(tree, fileName, baseDirectory)
        problems += pointDecoder.diagnostics
        warnings += pointDecoder.warnings
        runs.append((platform: pointSpec.platform, costs: pointDecoder.writtenCosts))
        points.append(SweepPoint(index: index, assignments: assignments, spec: pointSpec))
        if problems.count > 200 { break }
      }
      spec.points = points
    }
    if !problems.isEmpty { throw ScenarioError(diagnostics: problems) }
    warnings += Self.unreadCostWarnings(runs)
    // every sweep point reads the same file: a warning about one place is said once
    var seen: Set<String> = []
    spec.source.warnings = warnings.filter { seen.insert($0).inserted }
    return spec
  }

  private static func source(_ tree: YNode, _ fileName: String, _ baseDirectory: String?) -> ScenarioSource {
    let text = tree.canonicalText
    return ScenarioSource(
      fileName: fileName, baseDirectory: baseDirectory, canonicalText: text,
      hash: SHA256.hex(Array(text.utf8)))
  }

  private static func combinations(_ axes: [ScenarioDecoder.SweepAxisNodes], mode: SweepMode) -> [[YNode]] {
    switch mode {
    case .zip:
      let n = axes.map(\.values.count).min() ?? 0
      return (0..<n).map { i in axes.map { $0.values[i] } }
    case .product:
      var out: [[YNode]] = [[]]
      for axis in axes {
        out = out.flatMap { prefix in axis.values.map { prefix + [$0] } }
      }
      return out
    }
  }
}

/// Loads scenario files: read, apply `--set` overrides, validate, resolve into base units.
public enum ScenarioLoader {
  /// Loads a scenario file. Relative paths inside it resolve against its directory.
  /// - Throws: `ScenarioError` with every problem of the file and the overrides.
  public static func load(path: String, overrides: [String] = []) throws(ScenarioError) -> ScenarioSpec {
    let url = URL(fileURLWithPath: path)
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    guard let attributes else {
      throw ScenarioError(diagnostics: [
        ScenarioDiagnostic(
          file: path, line: 1, column: 1, keyPath: "(file)",
          message: "the file cannot be read (missing or not accessible)",
          allowed: "a readable scenario file")
      ])
    }
    if let size = attributes[.size] as? NSNumber, size.intValue > YAMLReader.maxBytes {
      throw ScenarioError(diagnostics: [
        ScenarioDiagnostic(
          file: path, line: 1, column: 1, keyPath: "(file)",
          message: "the file is \(size.intValue) bytes, more than the limit of \(YAMLReader.maxBytes) bytes",
          allowed: "a scenario file of at most 1 MiB")
      ])
    }
    guard let data = try? Data(contentsOf: url) else {
      throw ScenarioError(diagnostics: [
        ScenarioDiagnostic(
          file: path, line: 1, column: 1, keyPath: "(file)", message: "the file cannot be read",
          allowed: "a readable scenario file")
      ])
    }
    let base = url.deletingLastPathComponent().path
    var document = try ScenarioDocument.parse(bytes: Array(data), fileName: path, baseDirectory: base)
    return try resolve(&document, overrides)
  }

  /// Loads scenario text; `fileName` is used in messages, `baseDirectory` (default: the
  /// current directory) for relative paths.
  public static func load(
    text: String, fileName: String, baseDirectory: String? = nil, overrides: [String] = []
  ) throws(ScenarioError) -> ScenarioSpec {
    var document = try ScenarioDocument.parse(text: text, fileName: fileName, baseDirectory: baseDirectory)
    return try resolve(&document, overrides)
  }

  private static func resolve(_ document: inout ScenarioDocument, _ overrides: [String]) throws(ScenarioError)
    -> ScenarioSpec
  {
    let problems = document.applyOverridesCollecting(overrides)
    let result: Result<ScenarioSpec, ScenarioError>
    do {
      result = .success(try document.resolve())
    } catch {
      result = .failure(error)
    }
    switch result {
    case .success(let spec):
      if !problems.isEmpty { throw ScenarioError(diagnostics: problems) }
      return spec
    case .failure(let error):
      throw ScenarioError(diagnostics: error.diagnostics + problems)
    }
  }

  /// SHA-256 (hex) of the canonical form of scenario text: the same for texts that differ
  /// only in comments, layout or quoting.
  public static func canonicalHash(text: String, fileName: String = "scenario.yaml") throws(ScenarioError)
    -> String
  {
    let document = try ScenarioDocument.parse(text: text, fileName: fileName)
    return SHA256.hex(Array(document.canonicalText.utf8))
  }

  /// SHA-256 (hex) of arbitrary text.
  public static func sha256(_ text: String) -> String { SHA256.hex(Array(text.utf8)) }

  /// The scenario `vrsim run` uses without a file: the origin paper's Fig. 8b setting.
  public static let defaultScenarioText = """
    name: default-xen-bridge-4vr
    about: Four virtual routers behind the Xen dom0 bridge, 130 kp/s of 64 B frames in total (paper Fig. 8b)
    host: { cpus: 4, clock: 3.06GHz, nic: { rate: 1Gbps, rx_ring: 256, tx_ring: 256, vfs: 7 } }
    platform: xen-bridge
    profile: paper-2012.yaml
    scheduler: { kind: credit, version: "4.0", tslice: 30ms }
    dom0: { vcpus: 1, weight: 256 }
    routers: { count: 4, each: { vcpus: 1, weight: 256, cap: 0, routes: 1000 } }
    traffic: [ { to: all, rate: 130kpps, frame: 64B, arrival: cbr } ]
    run: { duration: 2s, warmup: 200ms, replications: 5, seed: 42 }

    """
}
