import ArgumentParser
import Foundation
import Testing

@testable import VrsimCLI

/// Runs the built `vrsim` binary from the repository root, with a fixed terminal width.
struct GoldenRun {
  var status: Int32
  var stdout: String
  var stderr: String

  /// The repository root (three levels above this file).
  static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// Where the expected outputs live: outside the test target's directory, so SwiftPM does
  /// not see them as undeclared resources.
  static let goldenDirectory = root.appendingPathComponent("Tests/VrsimCLIGolden")

  init(_ arguments: [String]) throws {
    let run = try runProgram(
      CLIRun.binary(), arguments, environment: ["COLUMNS": "100"], directory: GoldenRun.root)
    status = run.status
    stdout = run.stdout
    stderr = run.stderr
  }
}

/// Data shared between two threads.
final class LockedData: @unchecked Sendable {
  private let lock = NSLock()
  private var data = Data()
  func set(_ d: Data) {
    lock.lock()
    data = d
    lock.unlock()
  }
  func get() -> Data {
    lock.lock()
    defer { lock.unlock() }
    return data
  }
}

/// Compares `actual` with Tests/VrsimCLIGolden/`name` byte for byte; with `VRSIM_UPDATE_GOLDEN=1` in the
/// environment, (re)writes the golden file instead.
func expectGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws
{
  let url = GoldenRun.goldenDirectory.appendingPathComponent(name)
  if ProcessInfo.processInfo.environment["VRSIM_UPDATE_GOLDEN"] == "1" {
    try actual.write(to: url, atomically: true, encoding: .utf8)
    return
  }
  guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
    Issue.record(
      "missing golden file \(name); create it with VRSIM_UPDATE_GOLDEN=1", sourceLocation: sourceLocation)
    return
  }
  #expect(
    actual == expected, "output differs from Tests/VrsimCLIGolden/\(name)", sourceLocation: sourceLocation)
}

/// Help text with the machine's core count (the default of --jobs) replaced by `N`, so the
/// golden files do not depend on the machine.
func normalizedHelp(_ text: String) -> String {
  text.replacingOccurrences(
    of: "(default: \(ProcessInfo.processInfo.activeProcessorCount))", with: "(default: N)")
}

@Suite("golden outputs of the vrsim command line")
struct GoldenTests {
  static let tiny = "Tests/VrsimCLIGolden/tiny.yaml"

  @Test(arguments: ["csv", "json", "table"])
  func runTiny(format: String) throws {
    let r = try GoldenRun(["run", Self.tiny, "--format", format, "--jobs", "2"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr == "")
    try expectGolden(r.stdout, "run-tiny.\(format == "table" ? "txt" : format)")
  }

  @Test func jobsDoNotChangeTheResults() throws {
    let one = try GoldenRun(["run", Self.tiny, "--format", "csv", "--jobs", "1"])
    let two = try GoldenRun(["run", Self.tiny, "--format", "csv", "--jobs", "2"])
    #expect(one.status == 0 && two.status == 0)
    #expect(!one.stdout.isEmpty)
    #expect(one.stdout == two.stdout)
  }

  /// Every command and subcommand of `vrsim`.
  static let commands: [[String]] = [
    ["run"], ["sweep"], ["results"], ["merge"], ["search"], ["bench"], ["bench", "engine"],
    ["bench", "net"], ["bench", "host"], ["host-demo"], ["version"], ["reproduce"], ["calibrate"],
    ["validate"], ["testbed"], ["testbed", "run"], ["testbed", "search"], ["testbed", "bench"],
    ["testbed", "reproduce"],
    ["testbed", "clean"], ["testbed", "plan"], ["testbed", "_timekeeper"], ["testbed", "_timed"],
    ["testbed", "_cpuloop"], ["testbed", "_sshd"], ["testbed", "_send"], ["slurm"], ["slurm", "submit"],
    ["export"], ["plot"],
  ]

  @Test(arguments: commands)
  func help(command: [String]) throws {
    let r = try GoldenRun(command + ["--help"])
    #expect(r.status == 0)
    try expectGolden(normalizedHelp(r.stdout), "help-\(command.joined(separator: "-")).txt")
  }

  /// Every scenario file under scenarios/ (paper, what-if, ...) loads, its profile resolves
  /// and every sweep point builds a platform: `vrsim reproduce paper --check` says `ok` for
  /// each file this test finds itself.
  @Test func everyScenarioFileLoads() throws {
    let dir = GoldenRun.root.appendingPathComponent("scenarios")
    var expected: [String] = []
    let walker = FileManager.default.enumerator(atPath: dir.path)
    while let rel = walker?.nextObject() as? String {
      if rel.hasSuffix(".yaml") && !rel.hasPrefix("profiles/") { expected.append(rel) }
    }
    #expect(expected.count >= 6)
    let r = try GoldenRun(["reproduce", "paper", "--check"])
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    for rel in expected {
      #expect(r.stdout.contains("ok \(rel):"), "\(rel) did not load:\n\(r.stdout)")
    }
    #expect(!r.stdout.contains("FAILED"))
  }

  /// The help goldens list every subcommand of the command tree.
  @Test func helpGoldensCoverEverySubcommand() {
    func paths(_ command: any ParsableCommand.Type, _ prefix: [String]) -> [[String]] {
      command.configuration.subcommands.flatMap { sub -> [[String]] in
        let path = prefix + [sub._commandName]
        return [path] + paths(sub, path)
      }
    }
    let all = paths(VrsimCommand.self, [])
    #expect(Set(all) == Set(Self.commands))
  }

  @Test(arguments: [
    (
      ["--low", "500kpps", "--high", "100kpps"],
      "vrsim: error: the search range is empty: low 500000pps is not below high 100000pps; allowed: --low below --high (or search.low below search.high)"
    ),
    (
      ["--low", "100kpps", "--high", "100kpps"],
      "vrsim: error: the search range is empty: low 100000pps is not below high 100000pps; allowed: --low below --high (or search.low below search.high)"
    ),
    (
      ["--max-loss", "0.5"],
      "vrsim: error: --max-loss: '0.5' is not a valid percentage: the unit is missing; allowed: a number with a unit (%)"
    ),
    (
      ["--max-loss", "101%"],
      "vrsim: error: --max-loss '101%' is out of range; allowed: 0% to 100%"
    ),
  ])
  func searchUsageErrors(arguments: [String], message: String) throws {
    let r = try GoldenRun(["search", Self.tiny] + arguments)
    #expect(r.status == 2)
    #expect(r.stderr == message + "\n", "\(r.stderr)")
    #expect(r.stdout == "")
  }

  /// A range empty only with the scenario's defaults (--low above the 64B line rate, the default
  /// --high) is found in run() and is a usage error too.
  @Test func searchRangeFromTheScenarioIsAUsageError() throws {
    let r = try GoldenRun(["search", Self.tiny, "--low", "2Mpps"])
    #expect(r.status == 2)
    #expect(
      r.stderr
        == "vrsim: error: the search range is empty: low 2000000pps is not below high 1488095pps; allowed: --low below --high (or search.low below search.high)\n"
    )
  }

  /// --max-loss takes 0% to 100%, like the scenario key search.max_loss.
  @Test func searchAcceptsLossLimitsFromZeroToAll() throws {
    #expect(try SearchCommand.parseLoss("0%") == 0)
    #expect(try SearchCommand.parseLoss("0.1%") == 0.001)
    #expect(try SearchCommand.parseLoss("100%") == 1)
  }

  /// With routers.count swept, the table header names the swept values, not the base count.
  @Test func sweptRouterCountIsNamedInTheHeader() throws {
    let r = try GoldenRun([
      "run", Self.tiny, "--set", "sweep={routers.count: [1, 2]}", "--set", "run.replications=2", "--jobs",
      "2",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let lines = r.stdout.split(separator: "\n").map(String.init)
    try #require(lines.count > 3)
    #expect(
      lines[1]
        == "platform native, seed 42, 20ms after 5ms warm-up; mean ± 95% CI half-width over replications")
    #expect(lines[2] == "routers.count swept: 1, 2")
  }

  @Test func reproduceNamesAMissingScenariosDirectory() throws {
    let r = try GoldenRun(["reproduce", "paper", "--scenarios", "/nonexistent/vrsim-scenarios"])
    #expect(r.status == 2)
    #expect(r.stderr == "vrsim: error: --scenarios /nonexistent/vrsim-scenarios: no such directory\n")
  }

  @Test func reproduceRejectsAnUnknownTarget() throws {
    let r = try GoldenRun(["reproduce", "thesis"])
    #expect(r.status == 2)
    #expect(r.stderr.contains("unknown target 'thesis'; allowed: paper"))
  }
}
