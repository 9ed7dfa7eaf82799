import Experiment
import Foundation
import Testing

@testable import VrsimCLI

/// Campaign edge cases, each run through the vrsim binary as a user would: the
/// expected outcome (refused with a message, or done and said) is written out here, not
/// derived from the code under test.
@Suite("campaign edge cases")
struct HostileCampaignTests {
  /// `--allow-mismatch` into a campaign of another scenario sets the old runs aside instead
  /// of reporting them under the new scenario's labels: the results equal those of a fresh
  /// campaign of the new scenario.
  @Test func allowMismatchNeverReusesAnotherScenariosRuns() throws {
    let s = try TinyScenario()
    defer { s.cleanUp() }
    let base = ["--replications", "1", "--format", "csv"]
    #expect(try CLIRun(["sweep", s.file, "--campaign", s.path("c")] + base).status == 0)
    let changed = ["--set", "run.duration=30ms"]
    let mixed = try CLIRun(["sweep", s.file, "--campaign", s.path("c"), "--allow-mismatch"] + base + changed)
    #expect(mixed.status == 0, "\(mixed.stderr)")
    #expect(mixed.stderr.contains("3 runs were made from a different experiment; they are set aside"))
    let fresh = try CLIRun(["sweep", s.file, "--campaign", s.path("fresh")] + base + changed)
    #expect(fresh.status == 0)
    #expect(mixed.stdout == fresh.stdout)
    let store = try CampaignStore.open(at: URL(fileURLWithPath: s.path("c")))
    #expect(try store.count() == 3)
  }

  /// A later, smaller `--replications` does not shrink the stored plan: results keep n = 3.
  @Test func smallerReplicationCountDoesNotShrinkThePlan() throws {
    let s = try TinyScenario()
    defer { s.cleanUp() }
    let c = s.path("c")
    #expect(
      try CLIRun(["sweep", s.file, "--campaign", c, "--replications", "3", "--format", "csv"]).status == 0)
    let again = try CLIRun(["sweep", s.file, "--campaign", c, "--replications", "1", "--format", "csv"])
    #expect(again.status == 0)
    #expect(again.stderr.contains("keeping its plan (3 replications per point) instead of 1 replications"))
    let results = try CLIRun(["results", c, "--format", "csv"])
    #expect(results.status == 0)
    // Columns: point, sweep key, scope, metric, unit, n, ...: every row has n = 3.
    let lines = results.stdout.split(separator: "\n").dropFirst()
    #expect(!lines.isEmpty)
    #expect(lines.allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false)[5] == "3" })
    #expect(again.stdout == results.stdout)
  }

  @Test func emptyCampaignPathIsRefused() throws {
    let s = try TinyScenario()
    defer { s.cleanUp() }
    let r = try CLIRun(["sweep", s.file, "--campaign", ""])
    #expect(r.status == 2)
    #expect(
      r.stderr == "vrsim: error: --campaign '': the directory name is empty; allowed: a directory path\n")
    let out = try CLIRun(["run", s.file, "--out", ""])
    #expect(out.status == 2)
    #expect(out.stderr == "vrsim: error: --out '': the directory name is empty; allowed: a directory path\n")
  }

  @Test func regularFileAsCampaignIsRefused() throws {
    let s = try TinyScenario()
    defer { s.cleanUp() }
    let r = try CLIRun(["sweep", s.file, "--campaign", s.file])
    #expect(r.status == 2)
    #expect(
      r.stderr
        == "vrsim: error: --campaign \(s.file): is a file, not a directory; allowed: a campaign directory "
        + "(created when missing)\n")
    #expect(!r.stderr.contains("NSCocoaErrorDomain"))
  }

  /// `results` reads a campaign whose directory cannot be written: nothing is created next to
  /// it (no -wal or -shm side files), and the output is that of a writable copy.
  @Test func resultsReadsACampaignOnReadOnlyMedia() throws {
    let s = try TinyScenario()
    defer { s.cleanUp() }
    let c = s.path("c")
    #expect(
      try CLIRun(["sweep", s.file, "--campaign", c, "--replications", "1", "--format", "csv"]).status == 0)
    let listing = try FileManager.default.contentsOfDirectory(atPath: c).sorted()
    let writable = try CLIRun(["results", c, "--format", "csv"])
    #expect(writable.status == 0)
    #expect(try FileManager.default.contentsOfDirectory(atPath: c).sorted() == listing)
    // Root ignores permissions, so read-only media are a read-only bind mount when the test
    // may mount, else a directory without write permission (which non-root users honour).
    let ro = s.path("ro")
    try FileManager.default.createDirectory(atPath: ro, withIntermediateDirectories: true)
    let mounted = shell("mount --bind \(c) \(ro) && mount -o remount,ro,bind \(ro)") == 0
    defer { if mounted { _ = shell("umount \(ro)") } }
    let dir = mounted ? ro : c
    if !mounted { chmod(c, 0o555) }
    defer { chmod(c, 0o755) }
    let before = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
    let r = try CLIRun(["results", dir, "--format", "csv"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout == writable.stdout)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == before)
  }

  /// SIGTERM stops a sweep as SIGINT does: the runs finished are kept, the same message is
  /// printed, and the exit status is 143 (128 + SIGTERM).
  @Test func sigtermKeepsRunsLikeSigint() throws {
    let s = try TinyScenario()
    defer { s.cleanUp() }
    for (signal, status) in [(SIGTERM, Int32(143)), (SIGINT, Int32(130))] {
      let dir = URL(fileURLWithPath: s.path("c\(signal)"))
      let p = Process()
      p.executableURL = CLIRun.binary()
      p.arguments = [
        "sweep", s.file, "--campaign", dir.path, "--set", "run.duration=80ms", "--replications", "20",
        "--jobs", "1", "--format", "csv",
      ]
      let err = Pipe()
      p.standardOutput = FileHandle.nullDevice
      p.standardError = err
      try p.run()
      let deadline = Date().addingTimeInterval(60)
      while Date() < deadline, p.isRunning {
        if CampaignStore.exists(at: dir), let n = try? CampaignStore.open(at: dir).count(), n >= 1 { break }
        usleep(20_000)
      }
      kill(p.processIdentifier, signal)
      let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      p.waitUntilExit()
      #expect(p.terminationReason == .exit)
      #expect(p.terminationStatus == status, "stderr: \(text)")
      let kept = try CampaignStore.open(at: dir).count()
      #expect(kept >= 1 && kept < 60)
      #expect(text.contains("vrsim: interrupted; \(kept) runs kept in \(dir.path)"))
    }
  }

  /// A second sweep into a campaign in use waits for the first (saying so) and then computes
  /// nothing: every run is in the store exactly once and both print the same results.
  @Test func secondSweepWaitsInsteadOfRepeatingTheWork() throws {
    let s = try TinyScenario()
    defer { s.cleanUp() }
    let dir = URL(fileURLWithPath: s.path("c"))
    let args = [
      "sweep", s.file, "--campaign", dir.path, "--set", "run.duration=40ms", "--replications", "4",
      "--jobs", "1", "--format", "csv",
    ]
    let first = Process()
    first.executableURL = CLIRun.binary()
    first.arguments = args
    let firstOut = Pipe()
    first.standardOutput = firstOut
    first.standardError = FileHandle.nullDevice
    try first.run()
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline, first.isRunning, !CampaignStore.exists(at: dir) { usleep(10_000) }
    let second = try CLIRun(args)
    let firstText = String(decoding: firstOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    first.waitUntilExit()
    #expect(first.terminationStatus == 0)
    #expect(second.status == 0)
    #expect(second.stderr.contains("is in use by another vrsim (pid \(first.processIdentifier)); waiting"))
    #expect(second.stdout == firstText)
    #expect(try CampaignStore.open(at: dir).count() == 12)
  }

  private func shell(_ command: String) -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return -1 }
    p.waitUntilExit()
    return p.terminationStatus
  }
}
