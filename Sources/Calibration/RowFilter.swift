import Report

/// A selection of measured rows for `--train` and `--test`, e.g.
/// `experiment in [fig9, fig8a]`, `set has routers.count=4`, `kind = value`,
/// `not experiment = fig8b`, joined with `and` / `or` (`and` binds tighter). A value may hold
/// paired brackets (`set has traffic[0].rate=1000000pps`) or be written in double quotes.
///
/// Fields: `source`, `experiment`, `scenario`, `scope`, `metric`, `kind`, and `set` (with
/// `has KEY=VALUE` or `has KEY`). Comparisons are exact, on the text of the data file.
public struct RowFilter: Sendable, CustomStringConvertible {
  indirect enum Node: Sendable {
    case isIn(String, [String])
    case has(String, String?)
    case not(Node)
    case and(Node, Node)
    case or(Node, Node)
    case all
  }

  let node: Node
  /// The filter as written.
  public let description: String

  /// Every row.
  public static let all = RowFilter(node: .all, description: "all rows")

  init(node: Node, description: String) {
    self.node = node
    self.description = description
  }

  /// Parses `text`.
  /// - Throws: `CalibrationError` naming the position of the problem.
  public init(_ text: String) throws {
    var p = Parser(text: text)
    node = try p.parseOr()
    p.skipSpaces()
    guard p.atEnd else { throw p.error("unexpected '\(p.rest)'") }
    description = text
  }

  /// Whether `row` is selected.
  public func matches(_ row: MeasuredRow) -> Bool { Self.eval(node, row) }

  static func field(_ name: String, _ r: MeasuredRow) -> String {
    switch name {
    case "source": r.source
    case "experiment": r.experiment
    case "scenario": r.scenario
    case "scope": r.scope
    case "metric": r.metric.name
    case "kind": r.kind.rawValue
    default: ""
    }
  }

  static func eval(_ n: Node, _ r: MeasuredRow) -> Bool {
    switch n {
    case .all: true
    case .isIn(let f, let values): values.contains(field(f, r))
    case .has(let key, let value):
      if let value { r.setValue(key) == value } else { r.setValue(key) != nil }
    case .not(let x): !eval(x, r)
    case .and(let a, let b): eval(a, r) && eval(b, r)
    case .or(let a, let b): eval(a, r) || eval(b, r)
    }
  }

  static let fields = ["source", "experiment", "scenario", "scope", "metric", "kind"]

  struct Parser {
    let chars: [Character]
    let text: String
    var i = 0
    init(text: String) {
      self.text = text
      chars = Array(text)
    }
    var atEnd: Bool { i >= chars.count }
    var rest: String { String(chars[i...]) }

    func error(_ message: String) -> CalibrationError {
      CalibrationError(
        "filter '\(text)', column \(i + 1): \(message); e.g. 'experiment in [fig9, fig8a] and set has routers.count=4'"
      )
    }

    mutating func skipSpaces() { while i < chars.count, chars[i] == " " { i += 1 } }

    /// The next word: up to a space, `,` or a list's bracket. Brackets inside a word are
    /// part of it when they pair up (`traffic[0].rate=1Mpps`), so `--set` keys with indices
    /// can be filtered on; a word in double quotes may hold anything but a double quote.
    mutating func word() -> String {
      skipSpaces()
      var w = ""
      if i < chars.count, chars[i] == "\"" {
        var j = i + 1
        while j < chars.count, chars[j] != "\"" { j += 1 }
        guard j < chars.count else { return "" }  // unterminated: the caller reports the column
        w = String(chars[(i + 1)..<j])
        i = j + 1
        return w
      }
      var depth = 0
      while i < chars.count {
        let c = chars[i]
        if c == " " || c == "," { break }
        if c == "[" {
          if w.isEmpty { break }
          depth += 1
        } else if c == "]" {
          if depth == 0 { break }
          depth -= 1
        }
        w.append(c)
        i += 1
      }
      return w
    }

    mutating func peekWord() -> String {
      let save = i
      let w = word()
      i = save
      return w
    }

    mutating func parseOr() throws -> Node {
      var left = try parseAnd()
      while peekWord() == "or" {
        _ = word()
        left = .or(left, try parseAnd())
      }
      return left
    }

    mutating func parseAnd() throws -> Node {
      var left = try parseTerm()
      while peekWord() == "and" {
        _ = word()
        left = .and(left, try parseTerm())
      }
      return left
    }

    mutating func parseTerm() throws -> Node {
      let name = word()
      if name == "not" { return .not(try parseTerm()) }
      if name == "set" {
        guard word() == "has" else { throw error("expected 'has' after 'set'") }
        let kv = word()
        guard !kv.isEmpty else { throw error("expected KEY=VALUE or KEY after 'set has'") }
        if let eq = kv.firstIndex(of: "=") {
          return .has(String(kv[..<eq]), String(kv[kv.index(after: eq)...]))
        }
        return .has(kv, nil)
      }
      guard RowFilter.fields.contains(name) else {
        throw error("unknown field '\(name)'; allowed: \(RowFilter.fields.joined(separator: ", ")), set")
      }
      let op = word()
      switch op {
      case "=", "==": return .isIn(name, [word()])
      case "!=": return .not(.isIn(name, [word()]))
      case "in":
        skipSpaces()
        guard i < chars.count, chars[i] == "[" else { throw error("expected '[' after 'in'") }
        i += 1
        var values: [String] = []
        while true {
          let v = word()
          if !v.isEmpty { values.append(v) }
          skipSpaces()
          guard i < chars.count else { throw error("missing ']'") }
          if chars[i] == "]" {
            i += 1
            break
          }
          guard chars[i] == "," else { throw error("expected ',' or ']'") }
          i += 1
        }
        return .isIn(name, values)
      default: throw error("expected '=', '!=' or 'in' after '\(name)'")
      }
    }
  }
}
