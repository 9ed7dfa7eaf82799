import Calibration
import Foundation
import Report
import Testing

/// The measured-data reader: good files in every CSV dialect the schema allows, and every
/// bad row reported at its file, line and column.
@Suite struct MeasuredDataTests {
  static func write(_ text: String, in dir: URL, name: String = "data.csv") throws -> String {
    try forwarderScenario.write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
    let path = dir.appendingPathComponent(name).path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  static let good = "test,fig,s.yaml,platform=native,aggregate,forwarded_pps,pps,700000,680000,720000,5,value"

  @Test func quotesCRLFAndByteOrderMarkAreRead() throws {
    let dir = scratchDirectory("good")
    defer { try? FileManager.default.removeItem(at: dir) }
    let text =
      "\u{FEFF}" + header + ",note\r\n" + Self.good + ",plain\r\n"
      + "test,fig,s.yaml,\"platform=native;traffic[0].rate=500kpps\",aggregate,loss,fraction,0,0,0.01,,value,"
      + "\"two\r\nlines, with \"\"quotes\"\"\"\r\n"
      + "test,fig,,platform=vmware,host,benchmark_time,s,1,1,1,,rank,\r\n"
    let path = try Self.write(text, in: dir)
    let rows = try MeasuredData.load(paths: [path])
    #expect(rows.count == 3)
    #expect(rows[0].value == 700_000)
    #expect(rows[0].n == 5)
    #expect(rows[0].line == 2)
    #expect(rows[1].set == ["platform=native", "traffic[0].rate=500kpps"])
    #expect(rows[1].line == 3)
    // The quoted note spans two lines, so the next row starts on line 5.
    #expect(rows[2].line == 5)
    #expect(!rows[2].isSimulated)
    // sd from the interval: (720000 - 680000) / (2 x 1.96).
    #expect(abs(rows[0].standardDeviation! - 40_000 / 3.919927969080108) < 1e-6)
  }

  /// Each bad case: the text of its data row, the column (field number) and a word of the message.
  static let badCases: [(row: String, column: Int, field: String, words: String)] = [
    ("test,fig,s.yaml,platform=native,aggregate,fwd_pps,pps,1,0,2,,value", 6, "metric", "unknown metric"),
    ("test,fig,s.yaml,platform=native,aggregate,forwarded_pps,kpps,1,0,2,,value", 7, "unit", "not the unit"),
    ("test,fig,s.yaml,platfrom=native,aggregate,forwarded_pps,pps,1,0,2,,value", 4, "set", "platfrom"),
    (
      "test,fig,s.yaml,profile.driver_rxx=5cycles,aggregate,forwarded_pps,pps,1,0,2,,value", 4, "set",
      "driver_rxx"
    ),
    ("test,fig,s.yaml,platform=native,aggregate,forwarded_pps,pps,nan,0,2,,value", 8, "value", "not finite"),
    (
      "test,fig,s.yaml,platform=native,aggregate,forwarded_pps,pps,1,0,NaN,,value", 10, "ci95_high",
      "not finite"
    ),
    (
      "test,fig,s.yaml,platform=native,aggregate,forwarded_pps,pps,1,3,2,,value", 10, "ci95_high",
      "negative interval width"
    ),
    (
      "test,fig,missing.yaml,platform=native,aggregate,forwarded_pps,pps,1,0,2,,value", 3, "scenario",
      "does not exist"
    ),
    ("test,fig,s.yaml,platform=native,aggregate,forwarded_pps,pps,1,0,2,,guess", 12, "kind", "unknown kind"),
    ("test,fig,s.yaml,platform=native,aggregate,forwarded_pps,pps,1,0,2", 11, "n", "missing column"),
    (
      "test,fig,s.yaml,platform=native,aggregate,forwarded_pps,pps,one,0,2,,value", 8, "value", "not a number"
    ),
    ("test,fig,,,aggregate,timer_difference,s,-inf,,,,value", 8, "value", "not finite"),
    // a rate, a CPU time and a bound of a rate are never negative
    (
      "test,fig,s.yaml,platform=native,aggregate,forwarded_pps,pps,-1,-3,1,,value", 8, "value",
      "-1 is negative; forwarded_pps (pps) cannot be below 0"
    ),
    ("test,fig,,,pcpu0,cpu_softirq_seconds,s,-0.5,,,,value", 8, "value", "cpu_softirq_seconds (s) cannot"),
    ("test,fig,s.yaml,platform=native,aggregate,drops,pps,-5,,,,upper_bound", 8, "value", "is negative"),
  ]

  @Test(arguments: 0..<badCases.count) func aBadRowIsReportedAtItsLineAndColumn(_ k: Int) throws {
    let c = Self.badCases[k]
    let dir = scratchDirectory("bad\(k)")
    defer { try? FileManager.default.removeItem(at: dir) }
    // The bad row is the third line, after one good row.
    let path = try Self.write(header + "\n" + Self.good + "\n" + c.row + "\n", in: dir)
    do {
      _ = try MeasuredData.load(paths: [path])
      Issue.record("case \(k) (\(c.field)) was accepted")
    } catch {
      #expect(error.problems.count == 1, "\(error)")
      let p = error.problems[0]
      #expect(p.file == path)
      #expect(p.line == 3)
      #expect(p.column == c.column, "\(p)")
      #expect(p.field == c.field, "\(p)")
      #expect(p.message.contains(c.words), "\(p)")
      #expect(p.description.hasPrefix("\(path):3:\(c.column): \(c.field): "))
    }
  }

  /// Only the differences may be negative (timer_difference: external minus wall time;
  /// shortfall: 1 - offered/target, below 0 when a generator overshoots), and the interval of
  /// any value may reach below 0 (a t interval around a small mean does).
  @Test func differencesMayBeNegativeAndIntervalsMayReachBelowZero() throws {
    #expect(Metric.all.filter(\.canBeNegative).map(\.name) == ["timer_difference", "shortfall"])
    let dir = scratchDirectory("signed")
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = try Self.write(
      header + "\n" + "test,bench,,,job:x,timer_difference,s,-0.002,-0.003,-0.001,3,value\n"
        + "test,search,,,aggregate,shortfall,fraction,-0.01,,,,value\n"
        + "test,fig,s.yaml,platform=native,aggregate,drops,pps,4,-2,10,5,value\n", in: dir)
    let rows = try MeasuredData.load(paths: [path])
    #expect(rows.map(\.value) == [-0.002, -0.01, 4])
    #expect(rows[2].ci95Low == -2)
  }

  @Test func aMissingColumnIsReportedInTheHeader() throws {
    let dir = scratchDirectory("header")
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = try Self.write(
      "source,experiment,scenario,set,scope,metric,value,ci95_low,ci95_high,n,kind\n" + Self.good + "\n",
      in: dir)
    do {
      _ = try MeasuredData.load(paths: [path])
      Issue.record("accepted a header without 'unit'")
    } catch {
      #expect(error.problems.count == 1)
      #expect(error.problems[0].line == 1)
      #expect(error.problems[0].message.contains("'unit'"))
    }
  }

  @Test func anUnreadableFileAndMalformedQuotingAreErrorsNotCrashes() throws {
    let dir = scratchDirectory("files")
    defer { try? FileManager.default.removeItem(at: dir) }
    do {
      _ = try MeasuredData.load(paths: [dir.appendingPathComponent("none.csv").path])
      Issue.record("accepted a missing file")
    } catch {
      #expect(error.problems[0].field == "(file)")
    }
    let path = try Self.write(header + "\n" + "a,\"b\"c,d\n", in: dir)
    #expect(throws: MeasuredDataError.self) { _ = try MeasuredData.load(paths: [path]) }
    let empty = try Self.write("", in: dir, name: "empty.csv")
    #expect(throws: MeasuredDataError.self) { _ = try MeasuredData.load(paths: [empty]) }
  }

  @Test func theRepositoryPaperDataLoads() throws {
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let rows = try MeasuredData.load(paths: [repo.appendingPathComponent("validation/paper-2012.csv").path])
    #expect(rows.contains { $0.experiment == "fig8b" && $0.kind == .value })
    #expect(rows.contains { !$0.isSimulated && $0.metric.name == "benchmark_time" })
    #expect(rows.filter(\.isSimulated).allSatisfy { $0.source == "paper-2012" })
  }

  /// Every data set committed in validation/ (the paper's and every testbed CSV, job rows of
  /// `workloads:` included) loads without a problem: the testbed writes these files, so a scope
  /// or metric it writes that the reader refuses would make its own data unusable.
  @Test func everyCommittedDataSetLoads() throws {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("validation")
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter {
      $0.hasSuffix(".csv")
    }
    #expect(files.contains { $0.hasPrefix("testbed-superpi-beside-routers-") }, "the job data set is there")
    for file in files.sorted() {
      let read = MeasuredData.read(path: folder.appendingPathComponent(file).path)
      #expect(read.problems.isEmpty, "\(file): \(read.problems.prefix(3))")
    }
  }

  /// One row type reads and writes the schema: every testbed data set committed in validation/
  /// (written by the testbed's writer, header `MeasuredRow.header`), read, written and read
  /// again, gives the same rows (the writer rounds to 6 significant digits, which a second
  /// write keeps), and its header is the writer's.
  @Test func committedTestbedDataWritesBackToTheSameRows() throws {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("validation")
    // Written again inside the repository (its .build), where scenario paths resolve as they do
    // for validation/.
    let dir = folder.deletingLastPathComponent().appendingPathComponent(".build/measured-rewrite-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter {
      $0.hasPrefix("testbed-") && $0.hasSuffix(".csv")
    }
    #expect(files.count >= 5, "the testbed data sets are there")
    for file in files.sorted() {
      let path = folder.appendingPathComponent(file).path
      let text = try String(contentsOfFile: path, encoding: .utf8)
      guard text.hasPrefix(MeasuredRow.header + "\n") else { continue }  // not the writer's columns
      let read = MeasuredData.read(path: path)
      #expect(read.problems.isEmpty, "\(file)")
      let again = dir.appendingPathComponent(file).path
      try Data(MeasuredRow.csv(read.rows).utf8).write(to: URL(fileURLWithPath: again))
      let reread = MeasuredData.read(path: again)
      #expect(reread.problems.isEmpty, "\(file) written again: \(reread.problems.prefix(2))")
      func comparable(_ r: MeasuredRow) -> MeasuredRow {
        var r = r
        (r.file, r.scenarioPath) = ("", nil)
        return r
      }
      #expect(reread.rows.map(comparable) == read.rows.map(comparable), "\(file)")
      // Written a second time, the bytes do not move.
      #expect(MeasuredRow.csv(reread.rows) == MeasuredRow.csv(read.rows), "\(file)")
    }
  }
}

/// `--train` / `--test` filters.
@Suite struct RowFilterTests {
  static func row(_ experiment: String, _ set: [String]) -> MeasuredRow {
    MeasuredRow(
      source: "s", experiment: experiment, scenario: "", scenarioPath: nil, set: set, scope: "aggregate",
      metric: .forwardedPps, value: 1, ci95Low: nil, ci95High: nil, n: nil, kind: .value, stated: "",
      file: "f",
      line: 2)
  }

  @Test func experimentListsSetMembershipAndBooleans() throws {
    let a = Self.row("fig9", ["platform=native"])
    let b = Self.row("fig8a", ["routers.count=4"])
    let c = Self.row("fig8b", ["routers.count=4"])
    let f = try RowFilter("experiment in [fig9, fig8a]")
    #expect(f.matches(a) && f.matches(b) && !f.matches(c))
    let g = try RowFilter("set has routers.count=4")
    #expect(!g.matches(a) && g.matches(b) && g.matches(c))
    let h = try RowFilter("experiment in [fig9, fig8a] and not set has routers.count=4")
    #expect(h.matches(a) && !h.matches(b) && !h.matches(c))
    let i = try RowFilter("experiment = fig8b or set has platform")
    #expect(i.matches(a) && !i.matches(b) && i.matches(c))
    #expect(try RowFilter("experiment != fig9").matches(b))
  }

  /// `--set` keys with an index hold brackets: `set has traffic[0].rate=1Mpps` matches them,
  /// also in double quotes and beside a list, whose brackets still close it.
  @Test func setKeysWithIndicesCanBeFiltered() throws {
    let a = Self.row("fig9", ["platform=netns-bridge", "traffic[0].rate=1000000pps"])
    let b = Self.row("fig9", ["platform=netns-bridge", "traffic[0].rate=10000pps"])
    let f = try RowFilter("experiment in [fig9] and set has traffic[0].rate=1000000pps")
    #expect(f.matches(a) && !f.matches(b))
    let q = try RowFilter(#"set has "traffic[0].rate=10000pps""#)
    #expect(!q.matches(a) && q.matches(b))
    #expect(try RowFilter("experiment in [fig8a, fig9]").matches(a))
    #expect(throws: CalibrationError.self) { _ = try RowFilter(#"set has "traffic[0].rate"#) }
  }

  @Test func aBadFilterIsAnError() {
    for text in [
      "experiment in fig9", "color = red", "set is x", "experiment in [a, b", "experiment = a junk",
    ] {
      #expect(throws: CalibrationError.self, "\(text)") { _ = try RowFilter(text) }
    }
  }
}
