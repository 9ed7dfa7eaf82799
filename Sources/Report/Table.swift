/// A plain-text table for terminals: a header row, a rule, and rows of cells, each column
/// padded to its widest cell and aligned left or right.
///
/// The rendering is deterministic (no terminal width probing, no colour), so it can be used in
/// golden-output tests. Width is counted in `Character`s, which is right for the ASCII and Latin
/// text vrsim prints (`±` counts as one).
///
/// ```
/// var t = Table(columns: [.init("router"), .init("rate (pps)", alignment: .right)])
/// t.append(["vr0", "130000"])
/// print(t.render())
/// ```
public struct Table: Sendable, Equatable {
  /// How the cells of a column are padded.
  public enum Alignment: Sendable, Equatable {
    /// Text columns: padded on the right.
    case left
    /// Number columns: padded on the left so digits line up.
    case right
  }

  /// One column: its header and alignment.
  public struct Column: Sendable, Equatable {
    /// Header text, with the unit where the column has one, e.g. `"forwarded (pps)"`.
    public var title: String
    /// Alignment of the header and every cell.
    public var alignment: Alignment

    /// A column titled `title`, left-aligned unless told otherwise.
    public init(_ title: String, alignment: Alignment = .left) {
      self.title = title
      self.alignment = alignment
    }
  }

  /// The columns, in display order.
  public var columns: [Column]
  /// The rows; every row has exactly `columns.count` cells.
  public private(set) var rows: [[String]] = []
  /// Text between two columns.
  public var separator: String = "  "

  /// An empty table with these columns.
  public init(columns: [Column]) {
    self.columns = columns
  }

  /// Adds a row. - Precondition: `cells.count == columns.count`.
  public mutating func append(_ cells: [String]) {
    precondition(
      cells.count == columns.count, "row has \(cells.count) cells, table has \(columns.count) columns")
    rows.append(cells)
  }

  /// The table as text: header, a rule of dashes, then the rows; every line ends with `\n` and
  /// carries no trailing spaces.
  ///
  /// - Complexity: O(cells).
  public func render() -> String {
    var widths = columns.map { $0.title.count }
    for row in rows {
      for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
    }
    var out = ""
    func line(_ cells: [String]) {
      var text = ""
      for (i, cell) in cells.enumerated() {
        if i > 0 { text += separator }
        let pad = String(repeating: " ", count: widths[i] - cell.count)
        text += columns[i].alignment == .left ? cell + pad : pad + cell
      }
      while text.last == " " { text.removeLast() }
      out += text + "\n"
    }
    line(columns.map(\.title))
    line(widths.map { String(repeating: "-", count: $0) })
    for row in rows { line(row) }
    return out
  }
}
