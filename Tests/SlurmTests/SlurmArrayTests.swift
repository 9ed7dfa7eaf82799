import Experiment
import Foundation
import TestSupport
import Testing

/// The vrsim executable built next to the test binary.
func vrsimBinary() throws -> String {
  guard let url = TestSupport.builtVrsim() else {
    throw ClusterError("vrsim not found next to the test binary (swift build --build-tests)")
  }
  return url.path
}

/// The job ids in `vrsim slurm submit`'s output (`submitted job 17: tasks ...`).
func submittedJobs(_ stdout: String) -> [String] {
  stdout.split(separator: "\n").compactMap { line in
    guard line.hasPrefix("submitted job ") else { return nil }
    return line.dropFirst("submitted job ".count).split(separator: ":").first.map(String.init)
  }
}

/// `vrsim slurm submit` on a real single-node Slurm (slurmctld + slurmd + munged started
/// here, MaxArraySize 4): the merged shards equal a local sweep byte for byte, a cancelled
/// task resubmitted alone resumes, and an array larger than MaxArraySize is split.
@Suite("vrsim slurm submit on a real single-node Slurm", .serialized)
struct SlurmArrayTests {
  @Test(
    .enabled(
      if: SlurmCluster.available, "needs root and Debian's slurmctld, slurmd, slurm-client and munge"),
    .timeLimit(.minutes(5)))
  func jobArrayOfShardsMergesToTheLocalSweep() throws {
    let began = Date()
    let cluster = try SlurmCluster(maxArraySize: 4)
    defer { cluster.shutdown() }
    let vrsim = try vrsimBinary()
    let work = cluster.root.appendingPathComponent("work")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    let file = work.appendingPathComponent("tiny.yaml").path
    try TestSupport.tinySweep.write(toFile: file, atomically: true, encoding: .utf8)
    print("SlurmTests: cluster up in \(String(format: "%.1f", Date().timeIntervalSince(began))) s")

    // 1. Five tasks, but MaxArraySize 4 allows array task ids 0 ... 3 only: two submissions,
    //    tasks 1-3 (ids 1-3) and tasks 4-5 (ids 1-2, offset 3).
    let c1 = work.appendingPathComponent("c1").path
    let submit = try cluster.run([vrsim, "slurm", "submit", file, "--campaign", c1, "--tasks", "5"])
    #expect(submit.status == 0, "\(submit.stderr)")
    #expect(
      submit.stdout.hasPrefix(
        "MaxArraySize is 4 (array task ids 0 ... 3), so the 5 tasks go in 2 submissions: tasks 1-3, tasks 4-5\n"
      ),
      "\(submit.stdout)")
    let jobs = submittedJobs(submit.stdout)
    try #require(jobs.count == 2, "\(submit.stdout)\(submit.stderr)")
    #expect(submit.stdout.contains("submitted job \(jobs[0]): tasks 1-3 of 5 (array 1-3, offset 0)\n"))
    #expect(submit.stdout.contains("submitted job \(jobs[1]): tasks 4-5 of 5 (array 1-2, offset 3)\n"))
    #expect(submit.stdout.contains("  merge:   \(vrsim) merge \(c1) \(c1)/shard-*\n"))
    #expect(submit.stdout.contains("  results: \(vrsim) results \(c1)\n"))
    let states = try cluster.waitForTasks(of: jobs, timeout: 90)
    let expected = [
      "\(jobs[0])_1", "\(jobs[0])_2", "\(jobs[0])_3", "\(jobs[1])_1", "\(jobs[1])_2",
    ].map { ($0, "COMPLETED") }
    #expect(states == Dictionary(uniqueKeysWithValues: expected), "\(cluster.logs())")

    // Shard k of 5 owns the (point, replication) pairs with (p + r) mod 5 == k - 1: for 3
    // points x 2 replications, p + r = 0, 1, 1, 2, 2, 3, so shards 1 ... 5 hold 1, 2, 2, 1, 0 runs.
    for (k, runs) in [(1, 1), (2, 2), (3, 2), (4, 1), (5, 0)] {
      let n = try CampaignStore.open(at: URL(fileURLWithPath: "\(c1)/shard-\(k)")).count()
      #expect(n == runs, "shard \(k)")
    }
    let merge = try cluster.run([vrsim, "merge", c1] + (1...5).map { "\(c1)/shard-\($0)" })
    #expect(merge.status == 0, "\(merge.stderr)")
    #expect(merge.stdout.hasSuffix("6 runs in total\n"), "\(merge.stdout)")
    let local = work.appendingPathComponent("local1").path
    let sweep = try cluster.run([vrsim, "sweep", file, "--campaign", local, "--jobs", "2", "--format", "csv"])
    #expect(sweep.status == 0, "\(sweep.stderr)")
    try expectSameResults(cluster, vrsim, c1, local)

    // Another --tasks into the same campaign is refused: its shards are slices of 5.
    let other = try cluster.run([
      vrsim, "slurm", "submit", file, "--campaign", c1, "--tasks", "4", "--only", "1",
    ])
    #expect(other.status == 2)
    #expect(
      other.stderr.hasPrefix(
        "vrsim: error: campaign \(c1) was submitted with other settings (--tasks 5, now 4); its shards are "
          + "slices of 5"), "\(other.stderr)")

    // 2. A cancelled task resubmitted alone resumes. 12 runs of 100 ms (about half a second
    //    each in a debug build) in 2 shards of 6; task 2 is cancelled after its first run is
    //    stored, keeps what it finished (SIGTERM), and `--only 2` runs the rest.
    let c2 = work.appendingPathComponent("c2").path
    let sets = ["--set", "run.duration=100ms", "--set", "run.replications=4"]
    let first = try cluster.run([vrsim, "slurm", "submit", file, "--campaign", c2, "--tasks", "2"] + sets)
    #expect(first.status == 0, "\(first.stderr)")
    let job = try #require(submittedJobs(first.stdout).first, "\(first.stdout)")
    let shard2 = URL(fileURLWithPath: "\(c2)/shard-2")
    let deadline = Date().addingTimeInterval(60)
    var seen = 0
    while Date() < deadline {
      if CampaignStore.exists(at: shard2), let n = try? CampaignStore.open(at: shard2).count(), n >= 1 {
        seen = n
        break
      }
      usleep(20_000)
    }
    let statesNow = (try? cluster.taskStates(of: [job])) ?? [:]
    #expect(seen >= 1, "task 2 stored nothing within 60 s: \(statesNow)")
    let cancel = try cluster.run(["scancel", "\(job)_2"])
    #expect(cancel.status == 0, "\(cancel.stderr)")
    let afterCancel = try cluster.waitForTasks(of: [job], timeout: 60)
    #expect(afterCancel == ["\(job)_1": "COMPLETED", "\(job)_2": "CANCELLED"], "\(afterCancel)")
    let kept = try CampaignStore.open(at: shard2).records()
    #expect(kept.count < 6, "task 2 finished before it was cancelled; the test did not test resuming")
    let log = try String(
      contentsOfFile: "\(c2)/slurm/array-1-\(job)_2.out", encoding: .utf8)
    #expect(log.contains("vrsim: interrupted; \(kept.count) runs kept in \(c2)/shard-2"), "\(log)")

    let again = try cluster.run(
      [vrsim, "slurm", "submit", file, "--campaign", c2, "--tasks", "2", "--only", "2"] + sets)
    #expect(again.status == 0, "\(again.stderr)")
    let rejob = try #require(submittedJobs(again.stdout).first, "\(again.stdout)")
    #expect(again.stdout.contains("submitted job \(rejob): tasks 2 of 2 (array 2, offset 0)\n"))
    #expect(try cluster.waitForTasks(of: [rejob], timeout: 90) == ["\(rejob)_2": "COMPLETED"])
    let resumed = try CampaignStore.open(at: shard2).records()
    #expect(resumed.count == 6)
    // The runs kept at the cancel are still there, unchanged: the task resumed, it did not restart.
    for r in kept {
      #expect(resumed.contains { $0.key == r.key && $0.isSameResult(as: r) }, "\(r.key)")
    }
    let merge2 = try cluster.run([vrsim, "merge", c2, "\(c2)/shard-1", "\(c2)/shard-2"])
    #expect(merge2.status == 0, "\(merge2.stderr)")
    #expect(merge2.stdout.hasSuffix("12 runs in total\n"), "\(merge2.stdout)")
    let local2 = work.appendingPathComponent("local2").path
    let sweep2 = try cluster.run(
      [vrsim, "sweep", file, "--campaign", local2, "--jobs", "2", "--format", "csv"] + sets)
    #expect(sweep2.status == 0, "\(sweep2.stderr)")
    try expectSameResults(cluster, vrsim, c2, local2)
    print("SlurmTests: whole test \(String(format: "%.1f", Date().timeIntervalSince(began))) s")
  }

  /// The aggregated results and every run (tidy CSV) of two campaigns are byte-identical.
  func expectSameResults(
    _ cluster: SlurmCluster, _ vrsim: String, _ a: String, _ b: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    for extra in [["--format", "csv"], ["--runs", "--format", "csv"], ["--format", "table"]] {
      let x = try cluster.run([vrsim, "results", a] + extra)
      let y = try cluster.run([vrsim, "results", b] + extra)
      #expect(x.status == 0 && y.status == 0, "\(x.stderr)\(y.stderr)", sourceLocation: sourceLocation)
      #expect(!x.stdout.isEmpty, sourceLocation: sourceLocation)
      #expect(x.stdout == y.stdout, "results \(extra) differ: \(a) vs \(b)", sourceLocation: sourceLocation)
    }
  }
}
