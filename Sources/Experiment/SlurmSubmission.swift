import Foundation

/// What a campaign was submitted with (DIR/slurm/array.json): later submissions into the same
/// campaign must give the same shard count, scenario and overrides, or the shards would not
/// be slices of one campaign.
public struct SlurmArrayRecord: Codable, Sendable, Equatable {
  /// The number of shards.
  public var tasks: Int
  /// The scenario file (absolute).
  public var scenario: String
  /// The `--set` overrides.
  public var overrides: [String]

  /// A record of a submission.
  public init(tasks: Int, scenario: String, overrides: [String]) {
    self.tasks = tasks
    self.scenario = scenario
    self.overrides = overrides
  }

  /// The campaign was submitted with other settings, or its record is not one (a user error).
  public struct Mismatch: Error, Sendable, CustomStringConvertible {
    /// What differs and what to do.
    public var message: String
    /// The message.
    public var description: String { message }
  }

  /// Checks that `path` (if it exists) records this submission.
  /// - Throws: `Mismatch` when it records another one or is not a record.
  public func check(against path: String) throws(Mismatch) {
    guard let data = FileManager.default.contents(atPath: path) else { return }
    guard let old = try? JSONDecoder().decode(Self.self, from: data) else {
      throw Mismatch(message: "\(path): not a vrsim Slurm record; remove it or use another --campaign")
    }
    var diffs: [String] = []
    if old.tasks != tasks { diffs.append("--tasks \(old.tasks), now \(tasks)") }
    if old.scenario != scenario { diffs.append("scenario \(old.scenario), now \(scenario)") }
    if old.overrides != overrides {
      diffs.append(
        "--set [\(old.overrides.joined(separator: " "))], now [\(overrides.joined(separator: " "))]")
    }
    if !diffs.isEmpty {
      throw Mismatch(
        message:
          "campaign \(URL(fileURLWithPath: path).deletingLastPathComponent().deletingLastPathComponent().path) "
          + "was submitted with other settings (\(diffs.joined(separator: "; "))); its shards are slices of "
          + "\(old.tasks): resubmit with the same --tasks, scenario and --set, or use another --campaign")
    }
  }

  /// Writes the record as JSON.
  public func write(to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(self).write(to: URL(fileURLWithPath: path))
  }
}

/// One `vrsim slurm submit`: the job script, the record of the submission, and the `sbatch`
/// commands of its submissions (an array larger than the cluster's MaxArraySize is split).
public struct SlurmSubmissionPlan: Sendable {
  /// The job array script.
  public var script: SlurmArrayScript
  /// What the campaign is submitted with (DIR/slurm/array.json).
  public var record: SlurmArrayRecord
  /// DIR/slurm.
  public var slurmDirectory: String
  /// T of DIR/slurm/array-T.sh: 1 + the largest already there.
  public var tag: Int
  /// The submissions (shard ranges and offsets).
  public var submissions: [SlurmArraySubmission]
  /// One `sbatch` command per submission.
  public var commands: [[String]]
  /// What the user should know: an assumed MaxArraySize, a split.
  public var notes: [String]

  /// The plan of submitting `shards` (1-based) of `script`'s campaign, named after the
  /// scenario `scenarioName`, under `maxArraySize` (`sizeNote` says where that came from).
  public init(
    script: SlurmArrayScript, scenarioName: String, shards: [Int], maxArraySize: Int, sizeNote: String?,
    time: String?, partition: String?
  ) {
    self.script = script
    record = SlurmArrayRecord(tasks: script.tasks, scenario: script.scenario, overrides: script.overrides)
    slurmDirectory = script.campaign + "/slurm"
    tag = Self.nextTag(in: slurmDirectory)
    submissions = SlurmArray.submissions(shards: shards, maxArraySize: maxArraySize)
    let outputPattern =
      slurmDirectory.replacingOccurrences(of: "%", with: "%%") + "/array-\(tag)-%A_%a.out"
    let name =
      "vrsim-"
      + String(scenarioName.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" }.prefix(40))
    var common = [
      "--parsable", "--job-name=\(name)", "--cpus-per-task=\(script.jobsPerTask)",
      "--output=\(outputPattern)",
      "--open-mode=append",
    ]
    if let time { common.append("--time=\(time)") }
    if let partition { common.append("--partition=\(partition)") }
    let scriptPath = slurmDirectory + "/array-\(tag).sh"
    commands = submissions.map {
      ["sbatch", "--array=\($0.arraySpec)"] + common + [scriptPath, "\($0.offset)"]
    }
    notes = sizeNote.map { [$0] } ?? []
    if submissions.count > 1 {
      notes.append(
        "MaxArraySize is \(maxArraySize) (array task ids 0 ... \(maxArraySize - 1)), so the "
          + "\(submissions.reduce(0) { $0 + $1.shards.count }) tasks go in \(submissions.count) submissions: "
          + submissions.map { "tasks \($0.shardRanges)" }.joined(separator: ", "))
    }
  }

  /// DIR/slurm/array-T.sh.
  public var scriptPath: String { slurmDirectory + "/array-\(tag).sh" }

  /// Writes the record and the executable job script.
  /// - Throws: what writing them throws.
  public func write() throws {
    try FileManager.default.createDirectory(atPath: slurmDirectory, withIntermediateDirectories: true)
    try record.write(to: slurmDirectory + "/array.json")
    try script.text.write(toFile: scriptPath, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: scriptPath)
  }

  /// The lines to print once submitted: where the output goes, how to merge and read the
  /// results, how to resubmit a failed task.
  public var followUp: [String] {
    let q = ShellWord.quote
    let dir = script.campaign
    let resubmit =
      [script.vrsim, "slurm", "submit", script.scenario, "--campaign", dir, "--tasks", "\(script.tasks)"]
      + script.overrides.flatMap { ["--set", $0] }
    return [
      "script: \(scriptPath); task output: \(slurmDirectory)/array-\(tag)-JOBID_TASKID.out",
      "when every task has finished (squeue lists none of these jobs):",
      "  merge:   \(q(script.vrsim)) merge \(q(dir)) \(q(dir))/shard-*",
      "  results: \(q(script.vrsim)) results \(q(dir))",
      "a failed or cancelled task K resumes when resubmitted alone:",
      "  " + resubmit.map(q).joined(separator: " ") + " --only K",
    ]
  }

  /// 1 + the largest T of the DIR/slurm/array-T.sh scripts already in `directory`.
  static func nextTag(in directory: String) -> Int {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    let tags = names.compactMap { name -> Int? in
      guard name.hasPrefix("array-"), name.hasSuffix(".sh") else { return nil }
      return Int(name.dropFirst("array-".count).dropLast(".sh".count))
    }
    return (tags.max() ?? 0) + 1
  }
}

/// What a Slurm client command returned: its exit status and output.
public typealias SlurmCommandResult = (status: Int32, stdout: String, stderr: String)

/// A Slurm client command failed: `isUsage` when it is missing or the cluster unusable (a user
/// error, exit code 2), else a failed submission.
public struct SlurmSubmissionError: Error, Sendable, CustomStringConvertible {
  /// What went wrong.
  public var message: String
  /// True for a missing command or an unusable cluster.
  public var isUsage: Bool
  /// The message.
  public var description: String { message }
}

extension SlurmSubmissionPlan {
  /// Submits every command with `run` (nil result: the command is missing), telling
  /// `submitted` one line per job.
  /// - Throws: `SlurmSubmissionError` when sbatch is missing or a submission fails (the
  ///   message says when earlier ones were made).
  public func submit(
    run: ([String]) -> SlurmCommandResult?, submitted: (String) -> Void
  ) throws {
    for (submission, command) in zip(submissions, commands) {
      guard let result = run(command) else {
        throw SlurmSubmissionError(
          message: "sbatch not found on PATH: vrsim slurm submit needs Slurm's client commands", isUsage: true
        )
      }
      let id = result.stdout.split(separator: "\n").first.map { String($0.split(separator: ";")[0]) } ?? ""
      guard result.status == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
        let err = result.stderr.split(separator: "\n").prefix(3).joined(separator: "; ")
        throw SlurmSubmissionError(
          message: "sbatch failed (status \(result.status)) for tasks \(submission.shardRanges): \(err)"
            + (submission == submissions[0] ? "" : " (the earlier submissions above were made)"),
          isUsage: false)
      }
      submitted(
        "submitted job \(id): tasks \(submission.shardRanges) of \(script.tasks) (array \(submission.arraySpec), "
          + "offset \(submission.offset))")
    }
  }
}

extension SlurmArray {
  /// The cluster's MaxArraySize from `scontrol show config` (run by `run`; nil: missing), with
  /// a note when a dry run without a reachable cluster assumes Slurm's default.
  /// - Throws: `SlurmSubmissionError` (usage) when it cannot be read and this is no dry run.
  public static func maxArraySize(run: ([String]) -> SlurmCommandResult?, dryRun: Bool)
    throws(SlurmSubmissionError) -> (Int, String?)
  {
    let result = run(["scontrol", "show", "config"])
    if let result, result.status == 0, let size = maxArraySize(inConfig: result.stdout) { return (size, nil) }
    let why =
      result.map {
        "scontrol show config failed (status \($0.status)): "
          + ($0.stderr.split(separator: "\n").last.map(String.init) ?? "")
      } ?? "scontrol not found on PATH"
    if dryRun {
      return (defaultMaxArraySize, "\(why); assuming Slurm's default MaxArraySize \(defaultMaxArraySize)")
    }
    throw SlurmSubmissionError(message: "cannot read the cluster's MaxArraySize: \(why)", isUsage: true)
  }
}
