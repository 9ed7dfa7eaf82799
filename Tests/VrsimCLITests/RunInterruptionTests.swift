import Experiment
import Foundation
import Platforms
import Report
import Scenario
import ScenarioRun
import SimCore
import Testing

/// A scenario whose first sweep point runs in a moment and whose second would run for hours
/// (an hour simulated at 2 Mpps): a signal that comes once the first is stored finds the
/// second in progress.
private let shortThenEndless = """
  name: endless
  about: a short point, then one that would take hours
  platform: native
  routers: { count: 1 }
  traffic: [ { to: all, rate: 2Mpps, frame: 64B } ]
  run: { duration: 20ms, warmup: 5ms, replications: 1, seed: 7 }
  sweep:
    run.duration: [20ms, 3600s]

  """

@Suite("Signals and stalls stop the runs in progress")
struct RunInterruptionTests {
  /// SIGTERM while a run that would take hours is in progress: the process ends (within 120 s
  /// of the signal, a bound for a hung process only; the engine stops within 2^16 events),
  /// with 143, the finished run kept in the store and printed, the stopped one not stored and
  /// said so; `--out` of `run` likewise.
  @Test(arguments: ["sweep", "run"])
  func sigtermStopsTheRunInProgress(command: String) throws {
    let s = try TinyScenario(shortThenEndless)
    defer { s.cleanUp() }
    let dir = URL(fileURLWithPath: s.path("c"))
    let p = Process()
    p.executableURL = CLIRun.binary()
    p.arguments =
      [
        command, s.file, command == "sweep" ? "--campaign" : "--out", dir.path, "--jobs", "1", "--format",
        "csv",
      ]
    let outPath = s.path("stdout")
    let errPath = s.path("stderr")
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    try p.run()
    var deadline = Date().addingTimeInterval(120)
    while Date() < deadline, p.isRunning {
      if CampaignStore.exists(at: dir), let n = try? CampaignStore.open(at: dir).count(), n >= 1 { break }
      usleep(20_000)
    }
    #expect(p.isRunning, "vrsim ended before the signal")
    kill(p.processIdentifier, SIGTERM)
    deadline = Date().addingTimeInterval(120)
    while Date() < deadline, p.isRunning { usleep(20_000) }
    if p.isRunning {
      kill(p.processIdentifier, SIGKILL)
      Issue.record("vrsim \(command) still ran 120 s after SIGTERM")
    }
    p.waitUntilExit()
    let out = try String(contentsOfFile: outPath, encoding: .utf8)
    let err = try String(contentsOfFile: errPath, encoding: .utf8)
    #expect(p.terminationReason == .exit)
    #expect(p.terminationStatus == 143, "stderr: \(err)")
    let store = try CampaignStore.open(at: dir)
    #expect(try store.count() == 1)
    #expect(try store.records().map(\.point) == [0])
    #expect(
      err.contains(
        "vrsim: interrupted; 1 runs kept in \(dir.path); 1 run in progress stopped, not stored (resuming runs it again)"
      ), "stderr: \(err)")
    // the finished point is printed, the stopped one has no row
    let points = Set(
      out.split(separator: "\n").dropFirst().map { $0.split(separator: ",").first.map(String.init) })
    #expect(points == ["0"], "stdout: \(out)")
  }

  /// A simulation whose token is set before it starts stops at its first check (the built-in
  /// default's 130 kpps over 1 s are over 10^6 events, the first check comes after 2^16), on
  /// every platform (the partial result is built and dropped without a fault) and throws
  /// `SimulationCancelled`; one never set gives the same rows as no token (determinism, on a
  /// 20 ms run).
  @Test(arguments: PlatformKind.allCases)
  func aCancelledSimulationThrowsOnEveryPlatform(platform: PlatformKind) throws {
    let scheduler = ownScheduler(platform)
    func load(_ duration: String) throws -> ScenarioSpec {
      try ScenarioRunner.load(
        file: nil,
        overrides: [
          "platform=\(platform.rawValue)", "scheduler.kind=\(scheduler)", "run.duration=\(duration)",
          "run.warmup=5ms",
        ], warn: { _ in })
    }
    let spec = try load("1s")
    let token = CancellationToken()
    token.cancel()
    #expect(throws: SimulationCancelled.self) {
      _ = try ScenarioRunner.simulate(spec, profile: spec.costs, seed: 3, replication: 0, cancellation: token)
    }
    #expect(throws: SimulationCancelled.self) {
      _ = try SimulatedMetrics.simulate(spec, seed: 3, replication: 0, cancellation: token)
    }
    let short = try load("20ms")
    let plain = try ScenarioRunner.simulate(short, profile: short.costs, seed: 3, replication: 0)
    let watched = try ScenarioRunner.simulate(
      short, profile: short.costs, seed: 3, replication: 0, cancellation: CancellationToken())
    #expect(plain == watched)
  }

  /// A run the livelock guard stopped fails the campaign with exit code 2 and a message naming
  /// the scenario, its platform, the seed, the instant and what repeats, after the runs
  /// finished before it are stored (one worker: replication 0 finishes, replication 1 stalls).
  @Test func aStalledRunFailsWithExitTwoAndKeepsTheFinishedRuns() throws {
    let s = try TinyScenario()
    defer { s.cleanUp() }
    let spec = try ScenarioRunner.load(file: s.file, overrides: [], warn: { _ in })
    let plan = ScenarioRunner.plan(spec, replications: 2, version: "test")
    let dir = URL(fileURLWithPath: s.path("c"))
    let display = CampaignExecution.Display(progress: { _ in }, finish: {}, note: { _ in })
    let stall = SimulationStall(
      time: SimTime(nanoseconds: 12_500_000), consecutiveEvents: 100_000_001, limit: 100_000_000,
      sampled: 1024,
      kinds: [.init(handler: "NetModel.Sender", handlerIndex: 9, code: 2, count: 1024)])
    do {
      _ = try CampaignExecution.execute(
        plan: plan, directory: dir, allowMismatch: false, jobs: 1, shard: .all, display: display
      ) { point, replication, seed, token in
        if point.index == 0 && replication == 0 {
          return try ScenarioRunner.simulate(
            spec, profile: spec.costs, seed: seed, replication: replication, cancellation: token)
        }
        throw ScenarioRunner.stalled(stall, spec: spec, seed: seed, replication: replication)
      }
      Issue.record("no error")
    } catch let e as ScenarioRunError {
      #expect(e.exitCode == 2)
      #expect(e.message.contains("scenario tiny (\(s.file)), platform native, seed "))
      #expect(
        e.message.contains(
          "the run cannot end: the simulated clock did not advance at 12.5ms over 100000001 consecutive events "
            + "(livelock guard, limit 100000000 events at one instant); of the next 1024 events at that instant: "
            + "NetModel.Sender (handler 9) code 2: 1024"), "\(e.message)")
    }
    #expect(try CampaignStore.open(at: dir).count() == 1)
  }
}

/// The livelock guard's limit against the model's real bursts: the longest run of consecutive
/// events at one instant in 50 ms of the built-in default on every platform, offered 2 Mpps
/// (past saturation on all of them, so rings fill and drain in bursts), measured with the
/// engine's trace. The guard's default, 10^8, must be at least 1000 times any of them. Measured
/// on 2026-12-06: 2 (native, xen-sriov, netns-*), 4 (xen-bridge, xen-router), 5 (openvz) and
/// 6 (vmware) events, of 32,000 to 192,000 per run.
@Suite("The livelock guard's limit against real bursts")
struct SameInstantBurstTests {
  @Test(arguments: PlatformKind.allCases)
  func theLongestBurstIsFarBelowTheLimit(platform: PlatformKind) throws {
    let scheduler = ownScheduler(platform)
    let spec = try ScenarioRunner.load(
      file: nil,
      overrides: [
        "platform=\(platform.rawValue)", "scheduler.kind=\(scheduler)", "run.duration=50ms", "run.warmup=5ms",
        "traffic[0].rate=2Mpps",
      ], warn: { _ in })
    let host = try RouterHost(spec: try spec.platformSpec(profile: spec.costs), seed: 1, replication: 0)
    var last = Int64.min
    var run = 0
    var longest = 0
    var events = 0
    host.sim.trace = { e in
      events += 1
      if e.time.nanoseconds == last { run += 1 } else { (last, run) = (e.time.nanoseconds, 1) }
      longest = max(longest, run)
    }
    _ = host.run(duration: spec.run.duration, warmup: spec.run.warmup)
    #expect(host.sim.interruption == nil)
    #expect(events > 10_000)
    #expect(UInt64(longest) * 1000 <= Simulation.defaultSameInstantEventLimit, "longest burst \(longest)")
  }
}

/// The scheduler a platform runs under in the built-in default scenario's tests: Xen's credit,
/// Linux's cfs for OpenVZ and the netns platforms, VMware's own, none for native.
private func ownScheduler(_ platform: PlatformKind) -> String {
  switch platform {
  case .xenBridge, .xenRouter, .xenSriov: "credit"
  case .openvz, .netnsBridge, .netnsRouter, .netnsDirect: "cfs"
  case .vmware: "vmware"
  case .native: "none"
  }
}
