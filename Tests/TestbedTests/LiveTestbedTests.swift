import Foundation
import TestSupport
import Testing

@testable import Testbed

/// Whether the real testbed can run here (root, namespaces, veth, trafgen, cgroups); when
/// not, the reason is printed and the live tests are skipped (never passed silently).
enum Live {
  static let reason: String? = {
    let r = Preflight.unavailableReason()
    if let r { print("TestbedTests: live testbed tests SKIPPED: \(r)") }
    return r
  }()
  static var available: Bool { reason == nil }

  /// The vrsim executable built next to the test binary.
  static func binary() throws -> URL {
    guard let url = TestSupport.builtVrsim() else {
      throw TestbedError("vrsim not found next to the test binary (swift build --build-tests)")
    }
    return url
  }

  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// Waits (up to `seconds`) until no testbed run holds the lock: other users of a shared
  /// machine run the testbed too, and a run refuses to start while another holds it.
  @discardableResult
  static func waitForLock(seconds: Double = 600) -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
      if (try? TestbedLock()) != nil { return true }
      usleep(200_000)
    }
    return false
  }

  /// Whether `output` is a testbed command's refusal because another run held the lock.
  static func lockRefusal(_ output: String) -> Bool {
    output.contains("holds \(TestbedLock.defaultPath); wait for it to finish")
  }

  /// Starts vrsim with `arguments` in the repository root, output to files. A testbed
  /// command is started once the lock is free and, when another run took the lock first
  /// (the command exits refusing), started again (up to 20 times); it is returned once it
  /// holds the lock (its pid in the lock file) or has ended for another reason.
  static func start(_ arguments: [String], log: URL) throws -> Process {
    guard arguments.first == "testbed" else { return try startOnce(arguments, log: log) }
    var p: Process! = nil
    for _ in 0..<20 {
      waitForLock()
      p = try startOnce(arguments, log: log)
      while p.isRunning {
        let holder = (try? String(contentsOfFile: TestbedLock.defaultPath, encoding: .utf8))?
          .trimmingCharacters(in: .whitespacesAndNewlines)
        if holder == String(p.processIdentifier) { return p }
        usleep(5_000)
      }
      guard lockRefusal((try? String(contentsOf: log, encoding: .utf8)) ?? "") else { return p }
    }
    return p
  }

  /// Starts vrsim with `arguments` in the repository root, output to `log`.
  static func startOnce(_ arguments: [String], log: URL) throws -> Process {
    let p = Process()
    p.executableURL = try binary()
    p.arguments = arguments
    p.currentDirectoryURL = root
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    let h = try FileHandle(forWritingTo: log)
    p.standardOutput = h
    p.standardError = h
    try p.run()
    return p
  }

  /// Runs vrsim to completion: (status, output). A testbed command refused because another
  /// run took the lock first is run again once the lock is free (up to 20 times).
  static func run(_ arguments: [String]) throws -> (Int32, String) {
    let log = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vrsim-live-\(UUID().uuidString).log")
    defer { try? FileManager.default.removeItem(at: log) }
    var result: (Int32, String) = (0, "")
    for _ in 0..<20 {
      let p = try start(arguments, log: log)
      p.waitUntilExit()
      result = (p.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
      guard result.0 == 2, lockRefusal(result.1) else { break }
    }
    return result
  }

  /// The work folder of the run with `prefix` (made by `mkdtemp` as `/tmp/PREFIXwork.XXXXXX`),
  /// if it exists.
  static func workDirectory(_ prefix: String) -> String? {
    let tmp = FileManager.default.temporaryDirectory.path
    return ((try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? []).first {
      $0.hasPrefix(prefix + "work.")
    }.map { tmp + "/" + $0 }
  }

  /// The most the external timer may differ from the timed process's clock in one round,
  /// a bound load cannot cross: the time-keeper's kernel stamps are taken inside the two
  /// echo sends (their duration `sends` is measured in the same round, however long load
  /// makes them), plus the kernel's real-time clock slewing against the monotonic one (at
  /// most 500 ppm of `wall`), plus 10 us for the CSV's six significant digits.
  static func timerBound(wall: Double, sends: Double) -> Double { sends + 5e-4 * wall + 1e-5 }

  /// The aggregate value of `metric` in a testbed CSV.
  static func aggregate(_ csv: String, _ metric: String) -> Double? {
    for line in csv.split(separator: "\n") {
      let f = line.split(separator: ",", omittingEmptySubsequences: false)
      if f.count == 13 && f[4] == "aggregate" && f[5] == metric { return Double(f[7]) }
    }
    return nil
  }
}

@Suite("the real testbed (root, namespaces)", .serialized)
struct LiveTestbedTests {
  static let smoke = "scenarios/testbed/smoke.yaml"

  /// netns-bridge, 1 router, 1 s at 10 kp/s: received equals sent within 1%, sent is the
  /// 10 000 frames asked for within 1%, and nothing with the run's prefix is left.
  @Test(.enabled(if: Live.available, "needs root, network namespaces, veth and trafgen"))
  func bridgeOneRouterForwardsEverything() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vrsim-live-\(UUID().uuidString).csv")
    defer {
      try? FileManager.default.removeItem(at: out)
      try? FileManager.default.removeItem(at: out.deletingPathExtension().appendingPathExtension("json"))
    }
    let log = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vrsim-live-\(UUID().uuidString).log")
    defer { try? FileManager.default.removeItem(at: log) }
    let p = try Live.start(
      [
        "testbed", "run", Self.smoke, "--set", "platform=netns-bridge", "--set", "routers.count=1", "--set",
        "traffic[0].rate=10kpps", "--set", "run.duration=1s", "--set", "run.replications=1", "--out",
        out.path,
      ], log: log)
    p.waitUntilExit()
    let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    #expect(p.terminationStatus == 0, "\(output)")
    let csv = try String(contentsOf: out, encoding: .utf8)
    let sent = try #require(Live.aggregate(csv, "sent_packets"))
    let received = try #require(Live.aggregate(csv, "received_packets"))
    #expect(abs(sent - 10_000) <= 100, "sent \(sent)")
    #expect(abs(received - sent) <= 0.01 * sent, "received \(received) of \(sent)")
    let prefix = try #require(
      output.split(separator: " ").lazy.compactMap { RunPrefix.familyPrefix(of: String($0)) }.first,
      "no prefix in \(output)")
    #expect(TestbedCleaner.leftovers(prefix: prefix, runner: SystemCommandRunner()) == [])
    let facts = try String(
      contentsOf: out.deletingPathExtension().appendingPathExtension("json"), encoding: .utf8)
    #expect(facts.contains("\"kernel\""))
  }

  /// A run killed with SIGKILL mid-trial leaves namespaces behind; `vrsim testbed clean`
  /// removes all of them (and prints them), and a second run starts and ends cleanly.
  @Test(.enabled(if: Live.available, "needs root, network namespaces, veth and trafgen"))
  func cleanAfterSIGKILL() throws {
    let runner = SystemCommandRunner()
    let log = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vrsim-live-\(UUID().uuidString).log")
    defer { try? FileManager.default.removeItem(at: log) }
    let p = try Live.start(
      ["testbed", "run", Self.smoke, "--set", "run.duration=20s", "--set", "routers.count=2"], log: log)
    let prefix = RunPrefix(pid: p.processIdentifier).text
    // Wait until the trial is under way: the sink namespace exists and trafgen runs in the
    // generator's namespace.
    let deadline = Date().addingTimeInterval(30)
    var started = false
    while Date() < deadline && p.isRunning {
      let pids = (try? runner.run(["ip", "netns", "pids", prefix + "gen"], input: nil))?.stdout ?? ""
      let cfgs =
        Live.workDirectory(prefix).flatMap { try? FileManager.default.contentsOfDirectory(atPath: $0) } ?? []
      if !pids.isEmpty && cfgs.contains(where: { $0.hasPrefix("gen") }) {
        started = true
        break
      }
      usleep(50_000)
    }
    let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    try #require(started, "the run did not reach its first trial: \(output)")
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    let left = TestbedCleaner.leftovers(prefix: prefix, runner: runner)
    #expect(left.contains("netns \(prefix)gen"), "a SIGKILLed run should leave its namespaces: \(left)")
    let (status, cleaned) = try Live.run(["testbed", "clean"])
    #expect(status == 0, "\(cleaned)")
    #expect(cleaned.contains("removed netns \(prefix)gen"), "\(cleaned)")
    #expect(cleaned.contains("removed cgroup"), "\(cleaned)")
    #expect(TestbedCleaner.leftovers(prefix: prefix, runner: runner) == [])
    let (again, out2) = try Live.run(["testbed", "run", Self.smoke, "--set", "run.duration=500ms"])
    #expect(again == 0, "\(out2)")
    #expect(TestbedCleaner.leftovers(prefix: prefix, runner: runner) == [])
    #expect(Live.workDirectory(prefix) == nil, "clean removes the killed run's work folder")
  }

  /// The external ICMP timer against a 1 s in-process sleep: the time-keeper's interval
  /// agrees with the sleeping process's clock within the round's own bound (`Live.timerBound`:
  /// the two sends' measured duration and the clocks' slew; about 0.5 ms quiet), is at least
  /// the 1 s slept, and at most the time this test saw the whole command take (it lies inside
  /// the command's run, whatever the load).
  @Test(.enabled(if: Live.available, "needs root, network namespaces, veth and trafgen"))
  func externalTimerAgreesWithTheClock() throws {
    let t0 = Date()
    let (status, output) = try Live.run([
      "testbed", "bench", "sleep", "--seconds", "1", "--repeats", "1", "--where-run", "virtual",
    ])
    let elapsed = Date().timeIntervalSince(t0)
    #expect(status == 0, "\(output)")
    func value(_ metric: String) -> Double? {
      for line in output.split(separator: "\n") {
        let f = line.split(separator: ",", omittingEmptySubsequences: false)
        if f.count == 13 && f[5] == Substring(metric) { return Double(f[7]) }
      }
      return nil
    }
    let external = try #require(value("benchmark_time"), "\(output)")
    let wall = try #require(value("benchmark_wall_time"), "\(output)")
    let sends = try #require(value("timer_send_time"), "\(output)")
    #expect(
      abs(external - wall) <= Live.timerBound(wall: wall, sends: sends),
      "external \(external) s, wall clock \(wall) s, sends \(sends) s")
    #expect(
      external >= 1.0 - Live.timerBound(wall: wall, sends: sends) && external < elapsed,
      "external \(external) s, command took \(elapsed) s")
  }

  /// The router and direct platforms with 2 routers forward everything at 10 kp/s each, and
  /// every router's counters see its share.
  @Test(
    .enabled(if: Live.available, "needs root, network namespaces, veth and trafgen"),
    arguments: ["netns-router", "netns-direct"])
  func otherPlatformsForwardEverything(platform: String) throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vrsim-live-\(UUID().uuidString).csv")
    defer {
      try? FileManager.default.removeItem(at: out)
      try? FileManager.default.removeItem(at: out.deletingPathExtension().appendingPathExtension("json"))
    }
    let (status, output) = try Live.run([
      "testbed", "run", Self.smoke, "--set", "platform=\(platform)", "--set", "routers.count=2", "--set",
      "run.duration=1s", "--out", out.path,
    ])
    #expect(status == 0, "\(output)")
    let csv = try String(contentsOf: out, encoding: .utf8)
    let sent = try #require(Live.aggregate(csv, "sent_packets"))
    let received = try #require(Live.aggregate(csv, "received_packets"))
    #expect(abs(sent - 20_000) <= 200, "sent \(sent)")
    #expect(abs(received - sent) <= 0.01 * sent, "received \(received) of \(sent)")
    for vr in ["vr0", "vr1"] {
      let line = csv.split(separator: "\n").first { $0.contains(",\(vr),ip_forwarded_pps,") }
      let forwarded = try #require(line.flatMap { Double($0.split(separator: ",")[7]) })
      #expect(abs(forwarded - 10_000) <= 100, "\(vr) forwarded \(forwarded)")
    }
    // Only this run's names: other runs on a shared machine may have theirs.
    let prefix = try #require(
      output.split(separator: " ").lazy.compactMap { RunPrefix.familyPrefix(of: String($0)) }.first,
      "no prefix in \(output)")
    #expect(TestbedCleaner.leftovers(prefix: prefix, runner: SystemCommandRunner()) == [])
  }

  /// SIGTERM in the middle of a trial: exit 143 and nothing left behind.
  @Test(.enabled(if: Live.available, "needs root, network namespaces, veth and trafgen"))
  func sigtermTearsDown() throws {
    let log = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vrsim-live-\(UUID().uuidString).log")
    defer { try? FileManager.default.removeItem(at: log) }
    let p = try Live.start(["testbed", "run", Self.smoke, "--set", "run.duration=20s"], log: log)
    let prefix = RunPrefix(pid: p.processIdentifier).text
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline && p.isRunning {
      let cfgs =
        Live.workDirectory(prefix).flatMap { try? FileManager.default.contentsOfDirectory(atPath: $0) } ?? []
      if cfgs.contains(where: { $0.hasPrefix("gen") }) { break }
      usleep(50_000)
    }
    kill(p.processIdentifier, SIGTERM)
    p.waitUntilExit()
    let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    #expect(p.terminationStatus == 143, "\(output)")
    #expect(output.contains("interrupted"), "\(output)")
    #expect(TestbedCleaner.leftovers(prefix: prefix, runner: SystemCommandRunner()) == [])
  }

  /// A router's cap reaches what runs in its namespace: Super Pi under a 25% cap is throttled
  /// by CFS bandwidth control (cpu.stat), uncapped it is not.
  @Test(.enabled(if: Live.available, "needs root, network namespaces, veth and trafgen"))
  func capThrottlesWhatRunsInTheRouter() throws {
    func throttled(cap: Int) throws -> Double {
      let (status, output) = try Live.run([
        "testbed", "bench", "superpi", "--digits-log2", "18", "--repeats", "1", "--where-run", "virtual",
        "--scenario",
        Self.smoke, "--set", "routers.each.cap=\(cap)",
      ])
      #expect(status == 0, "\(output)")
      for line in output.split(separator: "\n") {
        let f = line.split(separator: ",", omittingEmptySubsequences: false)
        if f.count == 13 && f[5] == "cgroup_throttled_time", let v = Double(f[7]) { return v }
      }
      Issue.record("no cgroup_throttled_seconds row: \(output)")
      return .nan
    }
    #expect(try throttled(cap: 0) == 0)
    #expect(try throttled(cap: 25) > 0.05)
  }
}
