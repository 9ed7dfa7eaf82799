import Experiment
import Foundation
import TestSupport
import Testing

@testable import VrsimCLI

/// A temporary directory holding a tiny native scenario (1 router, 20ms runs, a sweep over three
/// rates, 2 replications), removed by `cleanUp`.
struct TinyScenario {
  let dir: URL
  let file: String

  static let text = TestSupport.tinySweep

  init(_ text: String = TinyScenario.text) throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vrsim-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    file = dir.appendingPathComponent("tiny.yaml").path
    try text.write(toFile: file, atomically: true, encoding: .utf8)
  }

  func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

  func cleanUp() { try? FileManager.default.removeItem(at: dir) }
}

@Suite("vrsim sweep, results, merge, search")
struct CampaignCLITests {
  @Test func sweepThenResultsPrintsTheSameTable() throws {
    let s = try TinyScenario()
    defer { s.cleanUp() }
    let sweep = try CLIRun(["sweep", s.file, "--campaign", s.path("c"), "--jobs", "2"])
    #expect(sweep.status == 0, "\(sweep.stderr)")
    #expect(sweep.stdout.contains("scenario: tiny: one native router, three offered rates"))
    #expect(sweep.stdout.contains("2Mpps"))
    let results = try CLIRun(["results", s.path("c")])
    #expect(results.status == 0)
    #expect(results.stdout == sweep.stdout)
    for format in ["csv", "json"] {
      let a = try CLIRun(["sweep", s.file, "--campaign", s.path("c"), "--format", format])
      let b = try CLIRun(["results", s.path("c"), "--format", format])
      #expect(a.status == 0 && b.status == 0)
      #expect(a.stdout == b.stdout)
    }
    let runs = try CLIRun(["results", s.path("c"), "--runs", "--format", "json"])
    #expect(runs.status == 0)
    let obj = try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [String: Any]
    #expect((obj?["runs"] as? [Any])?.count == 6)
  }

  @Test func resultsOfANonCampaignIsAnError() throws {
    let s = try TinyScenario()
    defer { s.cleanUp() }
    let r = try CLIRun(["results", s.path("nothing")])
    #expect(r.status == 2)
    #expect(r.stdout == "")
    #expect(
      r.stderr == "vrsim: error: \(s.path("nothing")) is not a campaign directory (no campaign.sqlite)\n")
  }

  @Test func changedScenarioIsRefusedUnlessAllowed() throws {
    let s = try TinyScenario()
    defer { s.cleanUp() }
    let first = try CLIRun(["sweep", s.file, "--campaign", s.path("c"), "--replications", "1"])
    #expect(first.status == 0)
    let changed = try CLIRun([
      "sweep", s.file, "--campaign", s.path("c"), "--replications", "1", "--set", "run.duration=30ms",
    ])
    #expect(changed.status == 2)
    #expect(changed.stdout == "")
    #expect(
      changed.stderr
        == "vrsim: error: campaign \(s.path("c")) was made from a different scenario (scenario changed: "
        + "run.durationNs: 20000000 -> 30000000); use another --campaign directory, or add to it anyway "
        + "with --allow-mismatch\n")
    let allowed = try CLIRun([
      "sweep", s.file, "--campaign", s.path("c"), "--replications", "1", "--set", "run.duration=30ms",
      "--allow-mismatch", "--format", "csv",
    ])
    #expect(allowed.status == 0, "\(allowed.stderr)")
  }

  @Test func killedSweepResumesToTheUninterruptedResult() throws {
    let s = try TinyScenario()
    defer { s.cleanUp() }
    // Longer runs, one worker: the kill lands part way.
    let args = ["--set", "run.duration=60ms", "--replications", "4", "--jobs", "1", "--format", "csv"]
    let dir = URL(fileURLWithPath: s.path("killed"))
    let p = Process()
    p.executableURL = CLIRun.binary()
    p.arguments = ["sweep", s.file, "--campaign", dir.path] + args
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    let deadline = Date().addingTimeInterval(60)
    var done = 0
    while Date() < deadline && p.isRunning {
      if CampaignStore.exists(at: dir), let n = try? CampaignStore.open(at: dir).count(), n >= 1 {
        done = n
        break
      }
      usleep(5_000)
    }
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    #expect(done >= 1)
    let kept = try CampaignStore.open(at: dir).count()
    #expect(kept < 12, "the sweep finished before it was killed; the test did not test resuming")

    let resumed = try CLIRun(["sweep", s.file, "--campaign", dir.path] + args)
    #expect(resumed.status == 0, "\(resumed.stderr)")
    let clean = try CLIRun(["sweep", s.file, "--campaign", s.path("clean")] + args)
    #expect(clean.status == 0)
    #expect(resumed.stdout == clean.stdout)

    let a = try CLIRun(["results", dir.path, "--runs", "--format", "csv"])
    let b = try CLIRun(["results", s.path("clean"), "--runs", "--format", "csv"])
    #expect(a.status == 0 && b.status == 0)
    #expect(a.stdout == b.stdout)
    let records = try CampaignStore.open(at: dir).records()
    #expect(records.count == 12)
    #expect(Set(records.map(\.key)).count == 12)
  }

  @Test func shardsMergedEqualTheUnshardedCampaign() throws {
    let s = try TinyScenario()
    defer { s.cleanUp() }
    for k in 1...2 {
      let r = try CLIRun([
        "sweep", s.file, "--campaign", s.path("shard\(k)"), "--shard", "\(k)/2", "--format", "csv",
      ])
      #expect(r.status == 0, "\(r.stderr)")
    }
    let whole = try CLIRun(["sweep", s.file, "--campaign", s.path("whole"), "--format", "csv"])
    #expect(whole.status == 0)
    let merge = try CLIRun(["merge", s.path("all"), s.path("shard1"), s.path("shard2")])
    #expect(merge.status == 0, "\(merge.stderr)")
    #expect(
      merge.stdout
        == "merged 2 campaigns into \(s.path("all")): 6 runs added, 0 identical duplicates kept once, "
        + "6 runs in total\n")
    for extra in [[], ["--runs"]] {
      let a = try CLIRun(["results", s.path("all"), "--format", "csv"] + extra)
      let b = try CLIRun(["results", s.path("whole"), "--format", "csv"] + extra)
      #expect(a.status == 0 && b.status == 0)
      #expect(a.stdout == b.stdout)
      #expect(!a.stdout.isEmpty)
    }
  }

  @Test func badShardIsAUsageError() throws {
    let s = try TinyScenario()
    defer { s.cleanUp() }
    let r = try CLIRun(["sweep", s.file, "--campaign", s.path("c"), "--shard", "3/2"])
    #expect(r.status == 2)
    #expect(
      r.stderr.hasPrefix(
        "vrsim: error: --shard: invalid shard '3/2': expected k/n with 1 <= k <= n, e.g. 2/4"))
  }

  /// The search finds the saturation rate `vrsim run` measures at overload, within the
  /// resolution it states. A small RX ring and 50ms trials keep the queues from hiding excess
  /// (at most 32 / 50ms = 640pps, below the 2kpps resolution).
  @Test func searchFindsTheNativeSaturationRate() throws {
    let s = try TinyScenario(
      """
      name: search-native
      about: one native router
      platform: native
      host: { nic: { rx_ring: 32 } }
      routers: { count: 1 }
      traffic: [ { to: all, rate: 50kpps, frame: 64B } ]
      run: { duration: 50ms, warmup: 5ms, replications: 1, seed: 7 }

      """)
    defer { s.cleanUp() }
    let overload = try CLIRun(["run", s.file, "--set", "traffic[0].rate=2Mpps", "--format", "csv"])
    #expect(overload.status == 0)
    let line = overload.stdout.split(separator: "\n").first { $0.hasPrefix("0,aggregate,forwarded_pps,") }
    let saturation = try #require(line.flatMap { Double($0.split(separator: ",")[5]) })
    #expect(saturation > 500_000 && saturation < 1_000_000)

    let r = try CLIRun(["search", s.file, "--low", "100kpps", "--high", "1Mpps", "--resolution", "2kpps"])
    #expect(r.status == 0, "\(r.stderr)")
    let result = try #require(
      r.stdout.split(separator: "\n").first { $0.hasPrefix("throughput, native, 1 router: ") })
    // "throughput, native, 1 router: 773242pps, resolution 1758pps (threshold in [...])"
    let fields = result.dropFirst("throughput, native, 1 router: ".count).split(separator: " ")
    let rate = try #require(Double(fields[0].dropLast(4)))
    let resolution = try #require(Double(fields[2].dropLast(3)))
    #expect(resolution <= 2000)
    #expect(abs(rate - saturation) <= 2000, "search \(rate)pps vs saturation \(saturation)pps")
    #expect(r.stdout.contains("trial   requested     offered  forwarded"))
  }

  @Test func searchRejectsRatesWithoutUnits() throws {
    let s = try TinyScenario()
    defer { s.cleanUp() }
    let r = try CLIRun(["search", s.file, "--high", "5000"])
    #expect(r.status == 2)
    #expect(
      r.stderr.hasPrefix(
        "vrsim: error: --high: '5000' is not a valid packet rate: the unit is missing; allowed: a number with a unit (pps, kpps, Mpps)"
      ))
  }
}

@Suite("a sweep over a profile key")
struct SweptProfileKeyTests {
  /// Each point runs with its own `profile.` value: netns-direct saturates at the clock over the
  /// whole softirq chain (README, capacity table), so raising ip_forward by 3,000 cycles must
  /// lower the second point's rate to 3.06e9 / (6,135 + 3,000) by hand. Before the fix every
  /// point ran with the base scenario's costs. Tolerance 1%, as the capacity tests' netns rows.
  @Test func eachPointSimulatesItsOwnProfileValue() throws {
    let s = try TinyScenario(
      """
      name: swept-cost
      platform: netns-direct
      host: { cpus: 2 }
      routers: { count: 1, each: { pin: [1] } }
      traffic: [ { to: all, rate: 2Mpps, frame: 64B, arrival: cbr } ]
      run: { duration: 300ms, warmup: 50ms, replications: 1, seed: 1 }
      sweep: { profile.ip_forward: [1400cycles, 4400cycles] }
      """)
    defer { s.cleanUp() }
    let r = try CLIRun(["run", s.file, "--format", "csv"])
    #expect(r.status == 0, "\(r.stderr)")
    // The CSV's columns by name (a swept key adds its own column after `point`).
    let lines = r.stdout.split(separator: "\n").map {
      $0.split(separator: ",", omittingEmptySubsequences: false)
    }
    let header = try #require(lines.first, "\(r.stdout)")
    let column = { (name: String) in header.firstIndex { $0 == name } }
    let (pc, sc, mc, vc) = (column("point"), column("scope"), column("metric"), column("mean"))
    let rates = lines.dropFirst().compactMap { f -> (Int, Double)? in
      guard let pc, let sc, let mc, let vc, f.count == header.count, f[sc] == "aggregate",
        f[mc] == "forwarded_pps", let p = Int(f[pc]), let v = Double(f[vc])
      else { return nil }
      return (p, v)
    }
    let byPoint = Dictionary(rates, uniquingKeysWith: { a, _ in a })
    let hand = [0: 3.06e9 / 6_135, 1: 3.06e9 / (6_135 + 3_000)]
    #expect(byPoint.count == 2, "\(r.stdout)")
    for (point, expected) in hand {
      let got = try #require(byPoint[point], "\(r.stdout)")
      #expect(abs(got / expected - 1) < 0.01, "point \(point): \(got) pps against \(expected) by hand")
    }
  }
}
