/// Where a value came from: a file position, 1-based, columns counted in Unicode scalars
/// (as libyaml counts them). Values given with `--set` use the file name `--set`, the
/// override's 1-based position as the line and the column inside the argument.
public struct SourceOrigin: Hashable, Sendable, Codable {
  /// The file name as given to the loader (or `--set`).
  public var file: String
  /// 1-based line.
  public var line: Int
  /// 1-based column in Unicode scalars.
  public var column: Int

  /// Creates an origin.
  public init(file: String, line: Int, column: Int) {
    self.file = file
    self.line = line
    self.column = column
  }
}

/// One problem found in a scenario, located by file, line, column and key path.
///
/// Printed as `file:line:column: key.path: what is wrong; allowed: what is allowed`.
/// Problems that belong to no key (an empty file, a YAML syntax error) use the pseudo key
/// paths `(file)` and `(yaml)`.
public struct ScenarioDiagnostic: Hashable, Sendable, Codable, CustomStringConvertible {
  /// The file name as given to the loader, or `--set` for a command-line override.
  public var file: String
  /// 1-based line.
  public var line: Int
  /// 1-based column (Unicode scalars).
  public var column: Int
  /// Dotted key path, list elements as `[i]`: `traffic[0].rate`.
  public var keyPath: String
  /// What is wrong.
  public var message: String
  /// What would be accepted instead.
  public var allowed: String

  /// Creates a diagnostic.
  public init(file: String, line: Int, column: Int, keyPath: String, message: String, allowed: String) {
    self.file = file
    self.line = line
    self.column = column
    self.keyPath = keyPath
    self.message = message
    self.allowed = allowed
  }

  init(_ origin: SourceOrigin, _ keyPath: String, _ message: String, allowed: String) {
    self.init(
      file: origin.file, line: origin.line, column: origin.column, keyPath: keyPath,
      message: message, allowed: allowed)
  }

  public var description: String {
    "\(file):\(line):\(column): \(keyPath): \(message); allowed: \(allowed)"
  }
}

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
