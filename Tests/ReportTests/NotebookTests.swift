import Foundation
import Report
import Testing

/// The notebook writer against the nbformat 4.5 JSON schema (nbformat/v4/nbformat.v4.5.schema.json):
/// top-level `nbformat` 4 and `nbformat_minor` 5, `metadata`, `cells`; every cell has `cell_type`,
/// an `id` of 1 to 64 characters from [a-zA-Z0-9-_] unique in the notebook, `metadata` and
/// `source` (a list of strings); code cells also `outputs` (a list) and `execution_count` (null
/// before execution); markdown cells neither.
@Suite struct NotebookTests {
  static let notebook = Notebook(
    cells: [
      .markdown("# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |"),
      .code("import pandas as pd\ndf = pd.read_csv(\"x.csv\")\n"),
      .markdown("one line"), .code("print(\"tab\\t\")"),
    ], vrsim: ["kind": "campaign", "date": "2026-12-01"])

  func parsed() throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(Self.notebook.json.utf8))
    return try #require(object as? [String: Any])
  }

  @Test func topLevelFollowsTheSchema() throws {
    let doc = try parsed()
    #expect(Set(doc.keys) == ["cells", "metadata", "nbformat", "nbformat_minor"])
    #expect(doc["nbformat"] as? Int == 4)
    #expect(doc["nbformat_minor"] as? Int == 5)
    let metadata = try #require(doc["metadata"] as? [String: Any])
    let kernel = try #require(metadata["kernelspec"] as? [String: String])
    #expect(kernel["name"] == "python3")
    #expect(kernel["display_name"] != nil)
    let vrsim = try #require(metadata["vrsim"] as? [String: String])
    #expect(vrsim == ["kind": "campaign", "date": "2026-12-01"])
  }

  @Test func cellsFollowTheSchema() throws {
    let cells = try #require(try parsed()["cells"] as? [[String: Any]])
    #expect(cells.count == 4)
    var ids = Set<String>()
    for (cell, expected) in zip(cells, ["markdown", "code", "markdown", "code"]) {
      #expect(cell["cell_type"] as? String == expected)
      let id = try #require(cell["id"] as? String)
      #expect((1...64).contains(id.count))
      #expect(id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
      ids.insert(id)
      #expect(cell["metadata"] is [String: Any])
      #expect(cell["source"] is [String])
      if expected == "code" {
        #expect((cell["outputs"] as? [Any])?.isEmpty == true)
        #expect(cell.keys.contains("execution_count"))
        #expect(cell["execution_count"] is NSNull)
      } else {
        #expect(cell["outputs"] == nil)
        #expect(cell["execution_count"] == nil)
      }
    }
    #expect(ids.count == 4)
  }

  /// Sources are lists of lines, each but the last keeping its "\n" (nbformat's multiline
  /// string); joined they give the text back.
  @Test func sourcesAreLinesThatJoinToTheText() throws {
    let cells = try #require(try parsed()["cells"] as? [[String: Any]])
    let sources = cells.map { ($0["source"] as? [String]) ?? [] }
    #expect(sources[0] == ["# Title\n", "\n", "| a | b |\n", "|---|---|\n", "| 1 | 2 |"])
    #expect(sources[1] == ["import pandas as pd\n", "df = pd.read_csv(\"x.csv\")\n"])
    #expect(sources[2] == ["one line"])
    #expect(sources[3] == ["print(\"tab\\t\")"])
  }

  @Test func sameCellsGiveTheSameBytes() {
    let again = Notebook(cells: Self.notebook.cells, vrsim: Self.notebook.vrsim)
    #expect(again.json == Self.notebook.json)
    #expect(Self.notebook.json.hasSuffix("}\n"))
  }
}
