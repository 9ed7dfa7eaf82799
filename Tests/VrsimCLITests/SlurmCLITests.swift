import Experiment
import Foundation
import Testing

/// Runs `program` with `arguments`, extra environment variables and, when given, a working
/// directory; returns status and output. Stderr is read concurrently so a full pipe cannot
/// block the child.
func runProgram(
  _ program: URL, _ arguments: [String], environment extra: [String: String] = [:], directory: URL? = nil
) throws -> CLIRun {
  let p = Process()
  p.executableURL = program
  p.arguments = arguments
  p.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
  if let directory { p.currentDirectoryURL = directory }
  let out = Pipe()
  let err = Pipe()
  p.standardOutput = out
  p.standardError = err
  try p.run()
  let errData = LockedData()
  let group = DispatchGroup()
  group.enter()
  DispatchQueue.global().async {
    errData.set(err.fileHandleForReading.readDataToEndOfFile())
    group.leave()
  }
  let o = out.fileHandleForReading.readDataToEndOfFile()
  group.wait()
  p.waitUntilExit()
  return CLIRun(
    status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
    stderr: String(decoding: errData.get(), as: UTF8.self))
}

extension CLIRun {
  init(status: Int32, stdout: String, stderr: String) {
    self.status = status
    self.stdout = stdout
    self.stderr = stderr
  }
}

/// `vrsim slurm submit` without a cluster: the script it writes, and its usage errors. The
/// cluster itself is tested in SlurmTests.
@Suite("vrsim slurm submit (no cluster)")
struct SlurmCLITests {
  /// No Slurm configuration: a client command that runs by mistake fails instead of reaching
  /// a cluster.
  static let noCluster = ["SLURM_CONF": "/nonexistent/slurm.conf"]

  /// The dry-run script, run by /bin/sh as array task 2 of 3 in a directory whose name needs
  /// quoting, runs exactly shard 2/3: the same runs as `vrsim sweep --shard 2/3`.
  @Test func dryRunScriptRunsItsShard() throws {
    let s = try TinyScenario()
    defer { s.cleanUp() }
    let dir = s.path("it's a \"campaign\" $HOME")
    let r = try runProgram(
      CLIRun.binary(),
      [
        "slurm", "submit", s.file, "--campaign", dir, "--tasks", "3", "--set", "run.warmup=4ms", "--dry-run",
        "--max-array-size", "1001",
      ],
      environment: Self.noCluster)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.hasPrefix("#!/bin/sh\n"))
    #expect(
      r.stderr.contains("vrsim:   sbatch --array=1-3 --parsable --job-name=vrsim-tiny --cpus-per-task=1 "))
    #expect(!FileManager.default.fileExists(atPath: dir), "a dry run writes nothing")

    let script = s.path("array.sh")
    try r.stdout.write(toFile: script, atomically: true, encoding: .utf8)
    let task = try runProgram(
      URL(fileURLWithPath: "/bin/sh"), [script, "0"], environment: ["SLURM_ARRAY_TASK_ID": "2"])
    #expect(task.status == 0, "\(task.stderr)")
    #expect(task.stdout.hasPrefix("vrsim: shard 2/3 of \(dir) (array task 2, offset 0)\n"))

    let local = try CLIRun([
      "sweep", s.file, "--campaign", s.path("local"), "--shard", "2/3", "--set", "run.warmup=4ms", "--format",
      "csv",
    ])
    #expect(local.status == 0, "\(local.stderr)")
    let a = try CLIRun(["results", dir + "/shard-2", "--runs", "--format", "csv"])
    let b = try CLIRun(["results", s.path("local"), "--runs", "--format", "csv"])
    #expect(a.status == 0 && b.status == 0, "\(a.stderr)\(b.stderr)")
    #expect(a.stdout == b.stdout)
    // Shard 2 of 3 owns the pairs with (point + replication) mod 3 == 1: (0,1), (1,0) of the
    // 3 points x 2 replications.
    #expect(a.stdout.split(separator: "\n").count > 1)
    #expect(try CampaignStore.open(at: URL(fileURLWithPath: dir + "/shard-2")).count() == 2)
  }

  /// The script refuses to run outside an array task, and outside its shard range.
  @Test func scriptRefusesOutsideAnArrayTask() throws {
    let s = try TinyScenario()
    defer { s.cleanUp() }
    let r = try runProgram(
      CLIRun.binary(),
      [
        "slurm", "submit", s.file, "--campaign", s.path("c"), "--tasks", "3", "--dry-run", "--max-array-size",
        "8",
      ],
      environment: Self.noCluster)
    #expect(r.status == 0, "\(r.stderr)")
    let script = s.path("array.sh")
    try r.stdout.write(toFile: script, atomically: true, encoding: .utf8)
    let none = try runProgram(
      URL(fileURLWithPath: "/usr/bin/env"), ["-u", "SLURM_ARRAY_TASK_ID", "sh", script])
    #expect(none.status == 2)
    #expect(none.stderr.contains("not a Slurm array task"), "\(none.stderr)")
    let outside = try runProgram(
      URL(fileURLWithPath: "/bin/sh"), [script, "2"], environment: ["SLURM_ARRAY_TASK_ID": "2"])
    #expect(outside.status == 2)
    #expect(outside.stderr.hasSuffix("shard 4 is outside 1 ... 3\n"), "\(outside.stderr)")
    #expect(!FileManager.default.fileExists(atPath: s.path("c")))
  }

  /// More tasks than MaxArraySize 1001 (Slurm's default: ids 0 ... 1000) allows go in two
  /// submissions.
  @Test func dryRunSplitsALargeArray() throws {
    let s = try TinyScenario()
    defer { s.cleanUp() }
    let r = try runProgram(
      CLIRun.binary(),
      [
        "slurm", "submit", s.file, "--campaign", s.path("c"), "--tasks", "1500", "--dry-run",
        "--max-array-size",
        "1001",
      ],
      environment: Self.noCluster)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(
      r.stderr.contains(
        "vrsim: MaxArraySize is 1001 (array task ids 0 ... 1000), so the 1500 tasks go in 2 submissions: "
          + "tasks 1-1000, tasks 1001-1500\n"), "\(r.stderr)")
    #expect(r.stderr.contains("sbatch --array=1-1000 "))
    #expect(r.stderr.contains("sbatch --array=1-500 "))
    #expect(r.stderr.contains("/slurm/array-1.sh 1000\n"))
  }

  @Test(arguments: [
    (["--tasks", "0"], "vrsim: error: --tasks 0 is out of range; allowed: 1 ... 100000"),
    (
      ["--tasks", "3", "--only", "4"],
      "vrsim: error: --only '4': '4' is not a task number; allowed: 1 ... 3, comma-separated"
    ),
    (
      ["--tasks", "3", "--time", "1h"],
      "vrsim: error: --time '1h' is not a Slurm time limit; allowed: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS or UNLIMITED"
    ),
    (
      ["--tasks", "3", "--partition", "a b"],
      "vrsim: error: --partition 'a b' is not a partition list; allowed: names of letters, digits, _ . - separated by commas"
    ),
    (
      ["--tasks", "3", "--cpus-per-task", "0"],
      "vrsim: error: --cpus-per-task 0 is out of range; allowed: 1 ... 256"
    ),
    (
      ["--tasks", "3", "--max-array-size", "1"],
      "vrsim: error: --max-array-size 1 is out of range; allowed: 2 ... 100000000"
    ),
    (
      ["--tasks", "3", "--set", "run.duration=\n"],
      "vrsim: error: --set '\"run.duration=\\n\"' holds a control character; allowed: printable text"
    ),
  ])
  func usageErrors(arguments: [String], message: String) throws {
    let s = try TinyScenario()
    defer { s.cleanUp() }
    let r = try runProgram(
      CLIRun.binary(),
      ["slurm", "submit", s.file, "--campaign", s.path("c"), "--dry-run", "--max-array-size", "8"]
        + arguments,
      environment: Self.noCluster)
    #expect(r.status == 2)
    #expect(r.stdout == "")
    #expect(r.stderr == message + "\n", "\(r.stderr)")
  }

  /// A bad scenario key is found before anything is submitted, with the file and key.
  @Test func badOverrideIsFoundBeforeSubmitting() throws {
    let s = try TinyScenario()
    defer { s.cleanUp() }
    let r = try runProgram(
      CLIRun.binary(),
      [
        "slurm", "submit", s.file, "--campaign", s.path("c"), "--tasks", "2", "--set",
        "run.duration=5parsecs",
      ],
      environment: Self.noCluster)
    #expect(r.status == 2)
    #expect(r.stderr.hasPrefix("vrsim: error: "), "\(r.stderr)")
    #expect(r.stderr.contains("run.duration"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: s.path("c")))
  }
}
