import Calibration
import Foundation
import Report
import Testing

@testable import Testbed

/// The live reproduce test belongs to the serialized live suite: live runs take the testbed
/// lock, so they must never run in parallel.
extension LiveTestbedTests {
  /// `vrsim testbed reproduce paper --quick --experiments fig8b` runs
  /// scenarios/testbed/fig8b-routers.yaml, whose sweep is routers.count: [1, 2, 3, 4]: 4 points,
  /// so the data set holds exactly 4 aggregate forwarded_pps rows and 4 setup_time rows (one
  /// per point), one per routers.count value, every row tagged fig8b; the calibration reader
  /// reads it without a problem (scenario paths, set keys, metric names and units all valid),
  /// the sidecar names the experiment with its time, and nothing with the run's prefix is left.
  @Test(.enabled(if: Live.available, "needs root, network namespaces, veth and trafgen"))
  func reproducePaperQuickWritesOneReadableDataSet() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vrsim-live-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("paper.csv")
    let (status, log) = try Live.run(
      ["testbed", "reproduce", "paper", "--quick", "--experiments", "fig8b", "--out", out.path])
    #expect(status == 0, "vrsim testbed reproduce failed: \(log.suffix(600))")
    let read = Calibration.MeasuredData.read(path: out.path)
    #expect(read.problems.isEmpty, "\(read.problems.prefix(5))")
    #expect(Set(read.rows.map(\.experiment)) == ["fig8b"])
    let forwarded = read.rows.filter { $0.scope == "aggregate" && $0.metric == .forwardedPps }
    #expect(forwarded.count == 4)
    let counts = forwarded.compactMap { $0.set.first { $0.hasPrefix("routers.count=") } }
    #expect(counts.sorted() == (1...4).map { "routers.count=\($0)" })
    let setup = read.rows.filter { $0.metric.name == "setup_time" }
    #expect(setup.count == 4)
    #expect(setup.allSatisfy { $0.value > 0 })
    let sidecar = try Data(contentsOf: dir.appendingPathComponent("paper.json"))
    let facts = try #require(try JSONSerialization.jsonObject(with: sidecar) as? [String: Any])
    let experiments = try #require(facts["experiments"] as? [[String: Any]])
    #expect(experiments.map { $0["experiment"] as? String } == ["fig8b"])
    #expect(log.contains("fig8b: "), "no per-experiment time in \(log.suffix(300))")
    let prefix = try #require(
      log.split(separator: " ").lazy.compactMap { RunPrefix.familyPrefix(of: String($0)) }.first,
      "no prefix in \(log)")
    #expect(TestbedCleaner.leftovers(prefix: prefix, runner: SystemCommandRunner()) == [])
  }
}
