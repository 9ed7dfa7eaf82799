import SettingText

/// Every problem found in one scenario (file plus overrides), reported at once.
public struct ScenarioError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The problems in the order of the file (line, column), then in the order found.
  public var diagnostics: [ScenarioDiagnostic]

  /// Creates an error from problems; order is normalised by position, duplicates removed.
  public init(diagnostics: [ScenarioDiagnostic]) {
    var seen = Set<ScenarioDiagnostic>()
    let unique = diagnostics.filter { seen.insert($0).inserted }
    self.diagnostics = unique.enumerated().sorted { a, b in
      let x = a.element
      let y = b.element
      if x.file != y.file { return x.file == "--set" ? false : (y.file == "--set" ? true : x.file < y.file) }
      if x.line != y.line { return x.line < y.line }
      if x.column != y.column { return x.column < y.column }
      return a.offset < b.offset
    }.map(\.element)
  }

  /// One diagnostic per line.
  public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
