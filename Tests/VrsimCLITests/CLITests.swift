import Foundation
import ScenarioRun
import TestSupport
import Testing

@testable import VrsimCLI

/// Runs the built `vrsim` binary and captures its output and exit code.
struct CLIRun {
  var status: Int32
  var stdout: String
  var stderr: String

  /// The built vrsim beside the test bundle (a path that fails to run when there is none).
  static func binary() -> URL {
    TestSupport.builtVrsim() ?? Bundle.main.bundleURL.appendingPathComponent("vrsim")
  }

  /// Runs vrsim with `arguments`, sends it SIGINT after 1.5 s, and returns its exit status and
  /// what it printed on stdout and stderr.
  static func interrupted(_ arguments: [String]) throws -> (Int32, String, String) {
    let r = try CLIRun(arguments, interruptAfterUs: 1_500_000)
    return (r.status, r.stdout, r.stderr)
  }

  /// The release build of vrsim (`swift build -c release`; `make test` builds it first):
  /// allocation-free hot paths are a property of optimized code.
  static func releaseBinary() -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent(".build/release/vrsim")
  }

  /// Runs `binary` with `arguments`; with `interruptAfterUs`, sends it SIGINT that many
  /// microseconds after it started (a Ctrl-C in the middle of a run).
  init(_ arguments: [String], binary: URL = CLIRun.binary(), interruptAfterUs: useconds_t? = nil) throws {
    let p = Process()
    p.executableURL = binary
    p.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    if let interruptAfterUs {
      usleep(interruptAfterUs)
      kill(p.processIdentifier, SIGINT)
    }
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
    let r = try CLIRun(["bench", "engine", "--pending", "-5"])
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
        name, about, host, platform, profile, scheduler, dom0, routers, traffic, run, sweep, search, workloads, testbed
        \(path):3:18: routers.count: 0 is out of range; allowed: an integer from 1 to 1024

        """)
  }

  /// A YAML tag is refused where it stands (a tag would otherwise be read as if absent), and
  /// a CPU listed twice in a pin list, from a file or `--set`, names the key: exit code 2.
  @Test func tagsAndDuplicatePinsAreInputErrors() throws {
    let path = NSTemporaryDirectory() + "vrsim-tag-\(getpid()).yaml"
    try "host: { cpus: !evil 4 }\n".write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let r = try CLIRun(["run", path])
    #expect(r.status == 2)
    #expect(r.stdout == "")
    #expect(
      r.stderr
        == "vrsim: error: \(path):1:15: host.cpus: unknown YAML tag '!evil' (no tags are read); allowed: the value without a tag\n"
    )
    let pins = try CLIRun(["run", "--set", "dom0.pin=[0, 0, 0]"])
    #expect(pins.status == 2)
    #expect(
      pins.stderr
        == "vrsim: error: --set:1:14: dom0.pin[1]: 0 is listed twice (first as item 0); allowed: each value at most once\n"
        + "--set:1:17: dom0.pin[2]: 0 is listed twice (first as item 0); allowed: each value at most once\n",
      "\(pins.stderr)")
  }

  @Test func badOverrideIsAnInputError() throws {
    let r = try CLIRun(["run", "--set", "routers.count=abc"])
    #expect(r.status == 2)
    #expect(
      r.stderr
        == "vrsim: error: --set:1:15: routers.count: 'abc' is not an integer; allowed: an integer from 1 to 1024\n"
    )
  }

  /// Negative numbers reach validation (they are not mistaken for options) and get the
  /// one-line "allowed:" message, exit code 2.
  @Test(arguments: [
    (["bench", "engine", "--runs", "-1"], "--runs -1 is out of range; allowed: 1 ... 100"),
    (["run", "--jobs", "-1"], "--jobs -1 is out of range; allowed: 1 ... 256"),
    (["run", "--replications", "-3"], "--replications -3 is out of range; allowed: 1 ... 10000"),
  ])
  func negativeNumbersAreValidated(arguments: [String], message: String) throws {
    let r = try CLIRun(arguments)
    #expect(r.status == 2)
    #expect(r.stderr.contains(message), "\(r.stderr)")
  }

  /// The allocation counter counts: a fresh array allocates at least once (other test
  /// threads may add more, never fewer).
  @Test func allocationCounterCounts() {
    #expect(ProcessProbes.canCountAllocations)
    let (_, n) = ProcessProbes.countingAllocations {
      let a = [Int](repeating: 7, count: 1_000 + Int.random(in: 0..<2))
      return a.count
    }
    #expect(n >= 1)
  }

  /// No allocation per event, packet or scheduling decision once warm, measured by the
  /// benchmarks themselves in a separate (single-threaded) process of the release build.
  @Test func benchmarksAllocateNothingPerEvent() throws {
    let release = CLIRun.releaseBinary()
    try #require(
      FileManager.default.isExecutableFile(atPath: release.path),
      "build the release binary first: swift build -c release --product vrsim (make test does)")
    let engine = try CLIRun(
      [
        "bench", "engine", "--pending", "100", "--pending", "100000", "--events", "200000", "--runs", "1",
        "--packets", "20000", "--json",
      ], binary: release)
    #expect(engine.status == 0)
    let e = try JSONSerialization.jsonObject(with: Data(engine.stdout.utf8)) as? [String: Any]
    for h in (e?["hold"] as? [[String: Any]]) ?? [] {
      #expect((h["allocations_per_event"] as? Double) == 0, "\(h)")
    }
    #expect(((e?["router"] as? [String: Any])?["allocations_per_packet"] as? Double) == 0)
    let net = try CLIRun(
      ["bench", "net", "--xen-seconds", "200ms", "--native-seconds", "50ms", "--runs", "1", "--json"],
      binary: release)
    #expect(net.status == 0)
    let n = try JSONSerialization.jsonObject(with: Data(net.stdout.utf8)) as? [[String: Any]]
    #expect(n?.count == 2)
    for f in n ?? [] { #expect((f["allocations_per_packet"] as? Double) == 0, "\(f)") }
    let host = try CLIRun(["bench", "host", "--duration", "2min", "--json"], binary: release)
    #expect(host.status == 0)
    let h = try JSONSerialization.jsonObject(with: Data(host.stdout.utf8)) as? [String: Any]
    #expect((h?["allocations_per_decision"] as? Double) == 0, "\(host.stdout)")
  }

  @Test func zeroEventsIsAUsageError() throws {
    let r = try CLIRun(["bench", "engine", "--events", "0"])
    #expect(r.status == 2)
    #expect(r.stderr.contains("--events 0 is too small; allowed: >= 1000 events"))
  }

  @Test func unknownOptionIsAUsageError() throws {
    let r = try CLIRun(["bench", "engine", "--frobnicate"])
    #expect(r.status == 2)
    #expect(r.stderr == "vrsim: error: Unknown option '--frobnicate'\n")
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
    #expect(((hold?.first?["events_per_second_median"] as? Double) ?? 0) > 0)
    #expect(obj?["router"] != nil)
  }
}

@Suite("input refusals")
struct InputRefusalTests {
  @Test func hostDemoNoneNeedsAPCPUPerDomain() throws {
    let r = try CLIRun(["host-demo", "--weights", "256,512", "--scheduler", "none", "--cpus", "1"])
    #expect(r.status == 2)
    #expect(
      r.stderr
        == "vrsim: error: --scheduler none gives every vCPU its own pCPU, but 2 domains need 2 pCPUs and "
        + "--cpus is 1; allowed: --cpus 2 or more, or a sharing scheduler\n")
  }
}
