import Foundation
import SettingText
import Testing

@testable import Scenario

#if canImport(Glibc)
  import Glibc
#endif

/// This thread's CPU time, seconds (CLOCK_THREAD_CPUTIME_ID): what a complexity test
/// measures, since other processes on a loaded machine do not add to it as they add to the
/// wall time.
func threadCPUSeconds() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// The least thread CPU time of `rounds` runs of `body` (the run least disturbed by
/// whatever else shares the CPU's caches).
func leastCPUSeconds(rounds: Int = 3, _ body: () throws -> Void) rethrows -> Double {
  var best = Double.infinity
  for _ in 0..<rounds {
    let t0 = threadCPUSeconds()
    try body()
    best = min(best, threadCPUSeconds() - t0)
  }
  return best
}

/// The YAML reader works in one pass: duplicate keys, however many, cost one hash lookup each.
@Suite("linear-time scenario reading")
struct LinearReadingTests {
  /// 1 MiB of repeated `about: x` lines (about 116,000 duplicates) is read in time linear in
  /// its size: its CPU time is at most 24 times that of an eighth of it (linear: 8;
  /// re-parsing the file once per duplicate, as the reader once did, taking 139 s: 64). Both
  /// are measured in this test, as the least thread CPU time of three reads each, so a
  /// loaded machine slows both alike and the ratio stays.
  @Test func manyDuplicateKeysAreFoundInOnePass() throws {
    var text = "name: dup\n"
    while text.utf8.count + 9 <= YAMLReader.maxBytes { text += "about: x\n" }
    let lines = text.split(separator: "\n").count
    let eighth = "name: dup\n" + String(repeating: "about: x\n", count: (lines - 1) / 8)
    let small = leastCPUSeconds {
      _ = YAMLReader.read(text: eighth, file: "dup.yaml", expecting: "a mapping")
    }
    let whole = leastCPUSeconds { _ = YAMLReader.read(text: text, file: "dup.yaml", expecting: "a mapping") }
    #expect(whole < 24 * small, "whole \(whole) s of CPU, an eighth \(small) s")
    let outcome = YAMLReader.read(text: text, file: "dup.yaml", expecting: "a mapping")
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
    let outcome = YAMLReader.read(text: text, file: "d.yaml", expecting: "a mapping")
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
    // Expanded, the bomb is 10^9 nodes; stopped at the limit it is read in milliseconds of
    // CPU (5 s of this thread's CPU time, which other load does not add to, is far above).
    let t0 = threadCPUSeconds()
    let outcome = YAMLReader.read(text: text, file: "bomb.yaml", expecting: "a mapping")
    #expect(threadCPUSeconds() - t0 < 5)
    #expect(outcome.root == nil)
    #expect(outcome.diagnostics.map(\.message) == ["the document expands to more than 100000 nodes"])
  }
}
