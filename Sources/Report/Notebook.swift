import Foundation

/// A Jupyter notebook in nbformat 4.5 (the JSON schema Jupyter reads): markdown and code cells,
/// written without outputs (executing it fills them in). The JSON text is deterministic: sorted
/// keys, stable cell ids, two-space indentation, so the same cells give the same bytes.
public struct Notebook: Sendable, Equatable {
  /// One cell of a notebook.
  public struct Cell: Sendable, Equatable {
    /// The two cell types vrsim writes.
    public enum Kind: String, Sendable {
      /// Markdown text.
      case markdown
      /// Python code, run by the kernel.
      case code
    }
    /// Markdown or code.
    public var kind: Kind
    /// The cell's text (lines joined by `\n`).
    public var source: String

    /// A markdown cell.
    public static func markdown(_ text: String) -> Cell { Cell(kind: .markdown, source: text) }
    /// A code cell.
    public static func code(_ text: String) -> Cell { Cell(kind: .code, source: text) }
  }

  /// The cells, in order.
  public var cells: [Cell]
  /// Free-form metadata kept under `metadata.vrsim` (source, command, version, date, ...).
  public var vrsim: [String: String]

  /// A notebook with `cells` and vrsim's metadata.
  public init(cells: [Cell], vrsim: [String: String] = [:]) {
    self.cells = cells
    self.vrsim = vrsim
  }

  /// The notebook's JSON text (nbformat 4.5, Python 3 kernel), ending with a newline.
  public var json: String {
    let doc = Document(
      cells: cells.enumerated().map { i, c in
        Document.Cell(
          cellType: c.kind.rawValue, id: String(format: "cell-%03d", i), source: Self.lines(c.source),
          executionCount: c.kind == .code ? .some(nil) : nil, outputs: c.kind == .code ? [] : nil)
      },
      metadata: .init(
        kernelspec: .init(displayName: "Python 3", language: "python", name: "python3"),
        languageInfo: .init(name: "python"), vrsim: vrsim),
      nbformat: 4, nbformatMinor: 5)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    // Encoding plain strings, integers and arrays cannot fail.
    let data = (try? encoder.encode(doc)) ?? Data()
    return String(decoding: data, as: UTF8.self) + "\n"
  }

  /// `text` as nbformat's list of lines: every line but the last keeps its `\n`.
  static func lines(_ text: String) -> [String] {
    var out: [String] = []
    var current = ""
    for c in text {
      current.append(c)
      if c == "\n" {
        out.append(current)
        current = ""
      }
    }
    if !current.isEmpty { out.append(current) }
    return out
  }

  private struct Document: Encodable {
    struct Cell: Encodable {
      var cellType: String
      var id: String
      var source: [String]
      /// `.some(nil)` encodes `"execution_count": null` (code cells); `nil` leaves it out.
      var executionCount: Int??
      var outputs: [String]?
      var metadata: [String: String] = [:]

      enum CodingKeys: String, CodingKey {
        case cellType = "cell_type"
        case id, source, metadata, outputs
        case executionCount = "execution_count"
      }

      func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cellType, forKey: .cellType)
        try c.encode(id, forKey: .id)
        try c.encode(source, forKey: .source)
        try c.encode(metadata, forKey: .metadata)
        if let outputs { try c.encode(outputs, forKey: .outputs) }
        if let executionCount { try c.encode(executionCount, forKey: .executionCount) }
      }
    }
    struct Metadata: Encodable {
      struct Kernel: Encodable {
        var displayName: String
        var language: String
        var name: String
        enum CodingKeys: String, CodingKey {
          case displayName = "display_name"
          case language, name
        }
      }
      struct Language: Encodable { var name: String }
      var kernelspec: Kernel
      var languageInfo: Language
      var vrsim: [String: String]
      enum CodingKeys: String, CodingKey {
        case kernelspec, vrsim
        case languageInfo = "language_info"
      }
    }
    var cells: [Cell]
    var metadata: Metadata
    var nbformat: Int
    var nbformatMinor: Int
    enum CodingKeys: String, CodingKey {
      case cells, metadata, nbformat
      case nbformatMinor = "nbformat_minor"
    }
  }
}
