import Experiment
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The resume test: a child process runs a campaign, is SIGKILLed part way, a second
/// process resumes it, and every (point, replication) must then exist exactly once and equal an
/// uninterrupted run's result. The child is the `vrsim-campaign-fixture` executable, built next
/// to the test bundle.
@Suite struct ResumeAfterKillTests {
  static func fixtureURL() throws -> URL {
    let candidates = [
      URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
      URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath(),
    ]
    for c in candidates {
      var dir = c.deletingLastPathComponent()
      // On macOS the test binary sits inside a .xctest bundle: climb out of it.
      while dir.path.contains(".xctest") { dir = dir.deletingLastPathComponent() }
      let url = dir.appendingPathComponent("vrsim-campaign-fixture")
      if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    throw FixtureMissing()
  }

  struct FixtureMissing: Error, CustomStringConvertible {
    var description: String {
      "vrsim-campaign-fixture not found next to the test binary (swift build --build-tests)"
    }
  }

  static func launch(_ dir: URL, points: Int, replications: Int, sleepMs: Int, stderr: URL? = nil) throws
    -> Process
  {
    let p = Process()
    p.executableURL = try fixtureURL()
    p.arguments = [dir.path, String(points), String(replications), String(sleepMs), "2"]
    p.standardOutput = FileHandle.nullDevice
    if let stderr {
      try FileManager.default.createDirectory(
        at: stderr.deletingLastPathComponent(), withIntermediateDirectories: true)
      _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
      p.standardError = try FileHandle(forWritingTo: stderr)
    }
    try p.run()
    return p
  }

  @Test(.timeLimit(.minutes(1))) func aKilledCampaignResumesWithNothingLostAndNothingTwice() throws {
    let points = 4
    let replications = 10
    let total = points * replications

    let reference = temporaryCampaignDirectory("reference")
    defer { removeTemporary(reference) }
    let full = try Self.launch(reference, points: points, replications: replications, sleepMs: 0)
    full.waitUntilExit()
    #expect(full.terminationStatus == 0)
    let expected = try CampaignStore.open(at: reference).records()
    #expect(expected.count == total)

    let dir = temporaryCampaignDirectory("killed")
    defer { removeTemporary(dir) }
    let victimErrors = dir.deletingLastPathComponent().appendingPathComponent(
      dir.lastPathComponent + ".stderr")
    defer { try? FileManager.default.removeItem(at: victimErrors) }
    let victim = try Self.launch(
      dir, points: points, replications: replications, sleepMs: 40, stderr: victimErrors)
    let deadline = Date(timeIntervalSinceNow: 30)
    var seen = 0
    while Date() < deadline {
      if CampaignStore.exists(at: dir), let n = try? CampaignStore.open(at: dir).count() { seen = n }
      if seen >= 6 { break }
      usleep(10_000)
    }
    kill(victim.processIdentifier, SIGKILL)
    victim.waitUntilExit()
    let said = (try? String(contentsOf: victimErrors, encoding: .utf8)) ?? ""
    #expect(
      victim.terminationReason == .uncaughtSignal,
      "the campaign ended before it was killed (status \(victim.terminationStatus)): \(said)")
    let survived = try CampaignStore.open(at: dir).count()
    #expect(survived >= 6 && survived < total, "killed after \(survived) of \(total) runs")

    let resume = try Self.launch(dir, points: points, replications: replications, sleepMs: 0)
    resume.waitUntilExit()
    #expect(resume.terminationStatus == 0)
    let store = try CampaignStore.open(at: dir)
    let records = try store.records()
    #expect(records.count == total)
    #expect(Set(records.map(\.key)).count == total)
    #expect(sameResults(records, expected))
  }
}
