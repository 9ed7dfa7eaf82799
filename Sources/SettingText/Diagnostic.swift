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

/// One problem found in a scenario or profile file, located by file, line, column and key path.
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

  package init(_ origin: SourceOrigin, _ keyPath: String, _ message: String, allowed: String) {
    self.init(
      file: origin.file, line: origin.line, column: origin.column, keyPath: keyPath,
      message: message, allowed: allowed)
  }

  public var description: String {
    "\(file):\(line):\(column): \(keyPath): \(message); allowed: \(allowed)"
  }
}
