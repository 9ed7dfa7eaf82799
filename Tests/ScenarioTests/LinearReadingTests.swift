import Foundation
import Testing

@testable import Scenario

/// The YAML reader works in one pass: duplicate keys, however many, cost one hash lookup each.
@Suite("linear-time scenario reading")
struct LinearReadingTests {
  /// 1 MiB of repeated `about: x` lines (about 116,000 duplicates) is reported quickly; it took
  /// 139 s when the reader re-parsed the file once per duplicate.
  @Test func manyDuplicateKeysAreFoundInOnePass() throws {
    var text = "name: dup\n"
    while text.utf8.count + 9 <= YAMLReader.maxBytes { text += "about: x\n" }
    let lines = text.split(separator: "\n").count
    let start = Date()
    let outcome = YAMLReader.read(text: text, file: "dup.yaml")
    let seconds = Date().timeIntervalSince(start)
    #expect(seconds < 20, "took \(seconds) s")
    #expect(outcome.root != nil)
    #expect(outcome.diagnostics.count == lines - 2)
    #expect(
      outcome.diagnostics.first?.description
        == "dup.yaml:3:1: about: duplicate key 'about' (first at line 2, column 1); allowed: each key once in a mapping"
    )
  }

  /// Every duplicate of a mapping is reported at its own position, nested ones included, in
  /// one read.
  @Test func duplicatesAtSeveralLevelsAreAllReported() throws {
    let text = """
      platform: native
      host: { cpus: 4, cpus: 8, clock: 3GHz, clock: 2GHz }
      platform: xen-bridge
      "platform": openvz

      """
    let outcome = YAMLReader.read(text: text, file: "d.yaml")
    #expect(
      outcome.diagnostics.map(\.description) == [
        "d.yaml:2:18: host.cpus: duplicate key 'cpus' (first at line 2, column 9); allowed: each key once in a mapping",
        "d.yaml:2:40: host.clock: duplicate key 'clock' (first at line 2, column 27); allowed: each key once in a mapping",
        "d.yaml:3:1: platform: duplicate key 'platform' (first at line 1, column 1); allowed: each key once in a mapping",
        "d.yaml:4:1: platform: duplicate key 'platform' (first at line 1, column 1); allowed: each key once in a mapping",
      ])
    #expect(outcome.root?.entry("platform")?.value.scalar == "native")
  }

  /// The node limit is checked as the document is read: a wide alias bomb stops at the
  /// limit without being expanded.
  @Test func aliasBombStopsAtTheNodeLimit() throws {
    var text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for (name, previous) in zip(
      ["b", "c", "d", "e", "f", "g", "h", "i"], ["a", "b", "c", "d", "e", "f", "g", "h"])
    {
      text +=
        "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
    }
    let start = Date()
    let outcome = YAMLReader.read(text: text, file: "bomb.yaml")
    #expect(Date().timeIntervalSince(start) < 5)
    #expect(outcome.root == nil)
    #expect(outcome.diagnostics.map(\.message) == ["the document expands to more than 100000 nodes"])
  }
}
