import Foundation
import Testing

@testable import VrsimCLI

/// Runs the built `vrsim` binary and captures its output and exit code.
struct CLIRun {
  var status: Int32
  var stdout: String
  var stderr: String

  static func binary() -> URL {
    // Tests run from the package's build directory, next to the vrsim executable.
    var dir = Bundle.main.bundleURL
    for _ in 0..<3 {
      let candidate = dir.appendingPathComponent("vrsim")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      dir = dir.deletingLastPathComponent()
    }
    return Bundle.main.bundleURL.appendingPathComponent("vrsim")
  }

  init(_ arguments: [String]) throws {
    let p = Process()
    p.executableURL = CLIRun.binary()
    p.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    status = p.terminationStatus
    stdout = String(decoding: o, as: UTF8.self)
    stderr = String(decoding: e, as: UTF8.self)
  }
}

@Suite("vrsim command line")
struct CLITests {
  @Test func version() throws {
    let r = try CLIRun(["version"])
    #expect(r.status == 0)
    #expect(r.stdout == "vrsim \(VrsimVersion.string)\n")
    #expect(r.stderr == "")
  }

  @Test func negativePendingIsAUsageError() throws {
    let r = try CLIRun(["bench", "engine", "--pending=-5"])
    #expect(r.status == 2)
    #expect(r.stdout == "")
    #expect(r.stderr.contains("--pending -5 is out of range; allowed: 1 ... 16777215 events"))
  }

  /// Every error in a scenario is reported at once, each with file, line, column and key;
  /// invalid input exits with code 2.
  @Test func malformedScenarioIsAnInputError() throws {
    let path = NSTemporaryDirectory() + "vrsim-bad-\(getpid()).yaml"
    try "name: x\nhots: {cpus: 4}\nrouters: {count: 0}\n".write(
      toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let r = try CLIRun(["run", path])
    #expect(r.status == 2)
    #expect(r.stdout == "")
    #expect(
      r.stderr == """
        vrsim: error: \(path):2:1: hots: unknown key 'hots' (did you mean 'host'?); allowed: the scenario keys: \
        name, about, host, platform, profile, scheduler, dom0, routers, traffic, run, sweep, search
        \(path):3:18: routers.count: 0 is out of range; allowed: an integer from 1 to 1024

        """)
  }

  @Test func badOverrideIsAnInputError() throws {
    let r = try CLIRun(["run", "--set", "routers.count=abc"])
    #expect(r.status == 2)
    #expect(
      r.stderr
        == "vrsim: error: --set:1:15: routers.count: 'abc' is not an integer; allowed: an integer from 1 to 1024\n"
    )
  }

  @Test func zeroEventsIsAUsageError() throws {
    let r = try CLIRun(["bench", "engine", "--events", "0"])
    #expect(r.status == 2)
    #expect(r.stderr.contains("--events 0 is too small; allowed: >= 1000 events"))
  }

  @Test func unknownOptionIsAUsageError() throws {
    let r = try CLIRun(["bench", "engine", "--frobnicate"])
    #expect(r.status == 2)
    #expect(r.stderr.hasPrefix("Error: Unknown option '--frobnicate'"))
  }

  @Test func benchEngineSmallRunPrintsJSON() throws {
    let r = try CLIRun([
      "bench", "engine", "--pending", "100", "--events", "20000", "--runs", "1", "--packets", "2000",
      "--json",
    ])
    #expect(r.status == 0)
    let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    let hold = obj?["hold"] as? [[String: Any]]
    #expect(hold?.count == 1)
    #expect((hold?.first?["pending"] as? Int) == 100)
    #expect(((hold?.first?["eventsPerSecondMedian"] as? Double) ?? 0) > 0)
    #expect(obj?["router"] != nil)
  }
}
