/// One field of a CSV file: text, or a number formatted by `NumberFormatting.exact`.
public enum CSVField: Sendable, Equatable, ExpressibleByStringLiteral {
  /// A text field, quoted when it needs to be.
  case text(String)
  /// A number field: shortest round-trip decimal; empty for NaN.
  case number(Double)
  /// An integer field.
  case integer(Int)
  /// An empty field (a missing value).
  case empty

  /// A text field from a string literal.
  public init(stringLiteral value: String) { self = .text(value) }
}

/// RFC 4180 CSV writing with a stable, byte-identical output: `\n` line ends, fields quoted
/// only when they contain a comma, a quote, or a line break, numbers in their shortest
/// round-trip form (`NumberFormatting.exact`).
public enum CSV {
  /// The CSV text of a header and rows, each line ending with `\n`.
  ///
  /// - Precondition: every row has `header.count` fields.
  public static func render(header: [String], rows: [[CSVField]]) -> String {
    var out = header.map(escape).joined(separator: ",") + "\n"
    for row in rows {
      precondition(row.count == header.count, "CSV row has \(row.count) fields, header has \(header.count)")
      out += row.map(text).joined(separator: ",") + "\n"
    }
    return out
  }

  /// The text of one field.
  public static func text(_ field: CSVField) -> String {
    switch field {
    case .text(let s): escape(s)
    case .number(let v): NumberFormatting.exact(v)
    case .integer(let i): String(i)
    case .empty: ""
    }
  }

  /// `s` quoted (with inner quotes doubled) when it holds a comma, a quote or a line break.
  public static func escape(_ s: String) -> String {
    let needsQuotes = s.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
    guard needsQuotes else { return s }
    var quoted = "\""
    for c in s {
      quoted.append(c)
      if c == "\"" { quoted.append("\"") }
    }
    return quoted + "\""
  }
}
