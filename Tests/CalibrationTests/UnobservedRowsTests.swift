import Calibration
import Foundation
import Report
import Testing

/// A metric the simulation has but did not observe in a run against one it cannot have: a drop
/// place of the path where the model dropped nothing simulated 0 pps and is compared like any
/// row; a drop place the path does not have, or a metric the platform does not produce, is
/// refused naming the row.
@Suite struct UnobservedRowsTests {
  static func rows(_ lines: [String], in dir: URL) throws -> [MeasuredRow] {
    try forwarderScenario.write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
    let path = dir.appendingPathComponent("data.csv").path
    try (header + "\n" + lines.joined(separator: "\n") + "\n").write(
      toFile: path, atomically: true, encoding: .utf8)
    return try MeasuredData.load(paths: [path])
  }

  /// At 100 kp/s native forwards everything (its capacity is 750 kp/s, paper Fig. 9): no queue
  /// drops, so drop:nic.rx and drop:nic.tx simulate 0 pps. At 1000 kp/s the NIC's receive ring
  /// drops the excess (at least 1000 - 850 kp/s, 850 being above native's 750 kp/s by more
  /// than any profile's spread), and its transmit ring still drops nothing: the forwarded rate
  /// is below the 1 Gb/s line rate of 64 B frames (1,488,095 pps).
  @Test func aPlaceThatDroppedNothingSimulatesZero() throws {
    let dir = scratchDirectory("unobserved")
    defer { try? FileManager.default.removeItem(at: dir) }
    let low = "x,drops,s.yaml,\"platform=native;traffic[0].rate=100kpps\","
    let rows = try Self.rows(
      [
        low + "drop:nic.rx,drops,pps,0,,,,value", low + "drop:nic.tx,drops,pps,50,,,,value",
        "x,drops,s.yaml,platform=native,drop:nic.tx,drops,pps,0,,,,value",
        "x,drops,s.yaml,platform=native,drop:nic.rx,drops,pps,250000,,,,value",
      ], in: dir)
    let evaluator = try RowEvaluator(rows: rows, parameters: [], overrides: [], seed: nil, jobs: 2)
    let outcomes = try evaluator.simulate([[]])[0]
    #expect(outcomes[0].mean == 0 && outcomes[1].mean == 0 && outcomes[2].mean == 0, "\(outcomes)")
    #expect(outcomes[3].mean > 150_000, "\(outcomes[3])")
    let report = ValidationReport(rows: rows, simulated: outcomes)
    // measured 0, simulated 0: the absolute error, as every row measured as 0 prints it
    #expect(report.lines[0].status == "+0 pps (measured 0)", "\(report.lines[0].status)")
    #expect(report.lines[0].absoluteError == 0)
    // measured 50, simulated 0: (0 - 50) / 50
    #expect(report.lines[1].relativeError == -1)
    #expect(report.lines[1].status == "-100.0%")
    #expect(!report.table.contains("nan"), "\(report.table)")
    // the drops rows enter the per-metric table with every row counted
    let drops = report.metrics.filter { $0.metric == "drops" }
    #expect(drops.reduce(0) { $0 + $1.rows } == 4, "\(drops)")
    #expect(drops.allSatisfy { !$0.meanAbsoluteError.isNaN })
  }

  /// A place native's path has no queue at, and softirq time (simulated on the netns
  /// platforms only): both refused, each naming its file and line and what the simulation has.
  @Test func aPlaceOrMetricThePathCannotHaveIsRefused() throws {
    let dir = scratchDirectory("cannot")
    defer { try? FileManager.default.removeItem(at: dir) }
    let rows = try Self.rows(
      [
        "x,drops,s.yaml,platform=native,drop:vr0.backlog,drops,pps,0,,,,value",
        "x,cpu,s.yaml,platform=native,pcpu0,softirq,fraction,0.5,,,,value",
        "x,cpu,s.yaml,platform=native,pcpu0,utilisation,fraction,0.5,,,,value",
      ], in: dir)
    let evaluator = try RowEvaluator(rows: rows, parameters: [], overrides: [], seed: nil, jobs: 2)
    do {
      _ = try evaluator.simulate([[]])
      Issue.record("the rows were simulated")
    } catch let e as UnsimulatedRowsError {
      #expect(e.problems.count == 2, "\(e)")
      let path = dir.appendingPathComponent("data.csv").path
      #expect(
        e.problems.first?.hasPrefix(
          "\(path):2: scope: the simulation of s.yaml [platform=native] reports no drops for scope "
            + "'drop:vr0.backlog'; allowed: ") == true, "\(e)")
      #expect(
        e.problems.first?.contains("drop:nic.rx") == true && e.problems.first?.contains("drop:nic.tx") == true
      )
      #expect(
        e.problems.last
          == "\(path):3: scope: the simulation of s.yaml [platform=native] reports no softirq for scope "
          + "'pcpu0'; allowed: no scope (the model does not report it here)", "\(e)")
    }
  }
}
