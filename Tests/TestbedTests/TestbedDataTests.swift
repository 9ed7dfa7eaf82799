import Calibration
import Foundation
import Report
import Testing

@testable import Testbed

/// The testbed writes what calibration and validation read: rows in the measured-data schema
/// with scenario paths, Metric names and units; measured-only metrics listed as not simulated.
@Suite("testbed data read back by the calibration reader")
struct TestbedDataTests {
  static let smoke = Live.root.appendingPathComponent("scenarios/testbed/smoke.yaml").path

  /// A fresh temporary folder outside the repository, removed by the caller.
  static func folder() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vrsim-tbdata-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  /// The rows a 10 kp/s trial on the smoke scenario gives (as `TrafficTrial.measure` names
  /// them), summarised over two trials.
  static func rows(scenario: String) -> [MeasuredRow] {
    let trial = { (forwarded: Double) -> [MetricRow] in
      [
        MetricRow(scope: "aggregate", .offeredPps, value: 10_000),
        MetricRow(scope: "aggregate", .forwardedPps, value: forwarded),
        MetricRow(scope: "aggregate", .targetPps, value: 10_000),
        MetricRow(scope: "aggregate", .sentPackets, value: 10_000),
        MetricRow(scope: "vr0", .ipForwardedPps, value: forwarded),
        MetricRow(scope: "dom0", .hopForwardedPps, value: forwarded),
        MetricRow(scope: "pcpu0", .softirq, value: 0.05),
      ]
    }
    return MeasuredRow.summarize(
      [trial(9_800), trial(10_000)], experiment: "run", scenario: scenario, set: "routers.count=1",
      note: "generator=iperf3")
  }

  /// Every metric name is declared once (no name with two units), so a measured row and a
  /// simulated one of the same name always mean the same quantity.
  @Test func metricNamesAreUnique() {
    let names = Metric.all.map(\.name)
    #expect(Set(names).count == names.count)
    for old in ["sent", "received", "ip_forwarded", "throughput_pps", "external_seconds", "cpu0_busy"] {
      #expect(Metric.named(old) == nil, "\(old) is the old ad-hoc name")
    }
  }

  /// The scenario column: relative to the repository for a CSV inside it, else relative to
  /// the CSV's folder (with ..), and either way the file the reader resolves exists.
  @Test func scenarioReferenceResolvesFromTheCSV() throws {
    let inRepo = Live.root.appendingPathComponent("validation/x.csv").path
    #expect(ScenarioReference.path(of: Self.smoke, csv: inRepo) == "scenarios/testbed/smoke.yaml")
    let dir = try Self.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let ref = ScenarioReference.path(of: Self.smoke, csv: dir.appendingPathComponent("d.csv").path)
    #expect(ref.hasPrefix("../"))
    // resolved as the reader does: against the CSV's folder (a directory, so `..` climbs from it)
    let resolved = dir.appendingPathComponent(ref).standardizedFileURL.resolvingSymlinksInPath().path
    #expect(resolved == URL(fileURLWithPath: Self.smoke).resolvingSymlinksInPath().path)
  }

  /// Rows written by the testbed's writer load without problems; the simulator's metrics
  /// (traffic, and softirq per CPU on the netns paths) are simulated and compared, the
  /// measured-only ones listed as not simulated. The smoke
  /// scenario offers 10 kp/s to one netns-bridge router, far below what the model forwards
  /// (Fig. 9 analogue: ~100 kp/s and more), so the model forwards all of it: 10 000 pps,
  /// within 1% (the 200 ms window counts whole CBR packets). Measured mean (9 800 + 10 000) / 2
  /// = 9 900, so the relative error is 100 / 9 900 = +1.01%, within 1 point.
  @Test func writtenRowsAreReadAndEvaluated() throws {
    let dir = try Self.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let csv = dir.appendingPathComponent("tb.csv")
    let rows = Self.rows(scenario: ScenarioReference.path(of: Self.smoke, csv: csv.path))
    try Data(MeasuredRow.csv(rows).utf8).write(to: csv)
    let read = Calibration.MeasuredData.read(path: csv.path)
    #expect(read.problems.isEmpty, "\(read.problems)")
    #expect(read.rows.count == rows.count)
    let simulated = read.rows.filter(\.isSimulated).map(\.metric.name)
    // The netns model counts CPU per CPU and mode, so pcpu0's softirq share is simulated too.
    #expect(simulated == ["offered_pps", "forwarded_pps", "softirq"])
    let evaluator = try RowEvaluator(
      rows: read.rows, parameters: [], overrides: ["run.duration=200ms", "run.warmup=50ms"], seed: 1, jobs: 1)
    let outcomes = try evaluator.simulate([[]])[0]
    var next = 0
    let perRow: [RowOutcome?] = read.rows.map { r in
      guard r.isSimulated else { return nil }
      next += 1
      return outcomes[next - 1]
    }
    let report = ValidationReport(rows: read.rows, simulated: perRow)
    let forwarded = try #require(report.lines.first { $0.row.metric == .forwardedPps })
    #expect(abs(forwarded.simulated!.mean - 10_000) <= 100, "simulated \(forwarded.simulated!.mean)")
    #expect(abs(forwarded.relativeError! - 100.0 / 9_900) < 0.01)
    for line in report.lines where line.row.metric.measuredOnly {
      #expect(line.status == "not simulated", "\(line.row.metric.name)")
    }
  }

  /// The old ad-hoc rows are rejected with file, line, column and the reason: a scenario name
  /// instead of a path, an undeclared metric, a Metric name with another unit.
  @Test func oldRowsAreRejectedClearly() throws {
    let dir = try Self.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let csv = dir.appendingPathComponent("old.csv")
    let text =
      MeasuredRow.header + "\n"
      + "testbed,run,testbed-smoke,routers.count=1,aggregate,forwarded_pps,pps,1,,,1,value,\n"
      + "testbed,run,,,aggregate,sent,packets,1,,,1,value,\n"
      + "testbed,run,,,vr0,dropped_pps,packets,1,,,1,value,\n"
      + "testbed,run,,,aggregate,forwarded_pps,pps,1,,,1,trial,\n"
    try Data(text.utf8).write(to: csv)
    let problems = Calibration.MeasuredData.read(path: csv.path).problems.map(\.description)
    let p = csv.path
    #expect(
      problems.contains { $0.hasPrefix("\(p):2:3: scenario: scenario file 'testbed-smoke' does not exist") })
    #expect(problems.contains { $0.hasPrefix("\(p):3:6: metric: unknown metric 'sent'") })
    #expect(
      problems.contains { $0 == "\(p):4:7: unit: 'packets' is not the unit of dropped_pps; it is 'pps'" })
    #expect(problems.contains { $0.hasPrefix("\(p):5:12: kind: unknown kind 'trial'") })
  }
}

/// In the serialized live suite: testbed runs must not overlap (one lock, one prefix family).
extension LiveTestbedTests {
  /// A real testbed run (netns-bridge, 1 router, 10 kp/s for 1 s) written with --out is read
  /// by the calibration reader without a problem and evaluated: the simulator forwards the
  /// 10 000 pps offered (far below the model's ~100 kp/s and more on this path), within 1%;
  /// the testbed received what it sent within 1% (the smoke check), so the relative
  /// error of the aggregate forwarded rate is within 2%; every measured-only row is listed as
  /// not simulated and every other row has a simulated figure (no NaN: each names a metric
  /// and scope the simulator reports).
  @Test(.enabled(if: Live.available, "needs root, network namespaces, veth and trafgen"))
  func liveRunIsReadAndEvaluated() throws {
    let dir = try TestbedDataTests.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let csv = dir.appendingPathComponent("live.csv")
    let (status, output) = try Live.run([
      "testbed", "run", "scenarios/testbed/smoke.yaml", "--set", "routers.count=1", "--set",
      "traffic[0].rate=10kpps", "--set", "run.duration=1s", "--set", "run.replications=1", "--out", csv.path,
    ])
    #expect(status == 0, "\(output)")
    let read = Calibration.MeasuredData.read(path: csv.path)
    #expect(read.problems.isEmpty, "\(read.problems)")
    let evaluator = try RowEvaluator(
      rows: read.rows, parameters: [], overrides: ["run.duration=200ms", "run.warmup=50ms"], seed: 1, jobs: 1)
    let outcomes = try evaluator.simulate([[]])[0]
    #expect(outcomes.count == read.rows.filter(\.isSimulated).count)
    for (row, o) in zip(read.rows.filter(\.isSimulated), outcomes) {
      #expect(!o.mean.isNaN, "\(row.scope) \(row.metric.name) has no simulated figure")
    }
    var next = 0
    let perRow: [RowOutcome?] = read.rows.map { r in
      guard r.isSimulated else { return nil }
      next += 1
      return outcomes[next - 1]
    }
    let report = ValidationReport(rows: read.rows, simulated: perRow)
    let forwarded = try #require(
      report.lines.first { $0.row.scope == "aggregate" && $0.row.metric == .forwardedPps })
    #expect(abs(forwarded.simulated!.mean - 10_000) <= 100, "simulated \(forwarded.simulated!.mean)")
    #expect(abs(forwarded.relativeError!) < 0.02, "relative error \(forwarded.relativeError!)")
    #expect(
      report.lines.filter { $0.status == "not simulated" }.count
        == read.rows.filter(\.metric.measuredOnly).count)
    #expect(read.rows.contains { $0.metric == .targetPps && $0.scope == "aggregate" })
    #expect(read.rows.contains { $0.metric == .utilisation && $0.scope == "pcpu0" })
  }
}
