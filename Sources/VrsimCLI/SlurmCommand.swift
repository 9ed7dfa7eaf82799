import ArgumentParser
import Experiment
import Foundation
import ScenarioRun
import Testbed

/// `vrsim slurm`: run a campaign on a Slurm cluster.
struct SlurmCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "slurm",
    abstract: "Run a campaign on a Slurm cluster as a job array of shards.",
    subcommands: [SlurmSubmitCommand.self]
  )
}

/// `vrsim slurm submit`: write the job array script of a campaign's shards and submit it with
/// `sbatch`, splitting it when it has more tasks than the cluster's `MaxArraySize` allows.
struct SlurmSubmitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "submit",
    abstract: "Submit a sweep as a Slurm job array of --tasks shards (sbatch), resumable per task.",
    discussion: """
      Task k of N runs `vrsim sweep FILE --campaign DIR/shard-k --shard k/N --jobs C`. The job \
      script goes to DIR/slurm/array-T.sh (T counts the submissions) and each task's output to \
      DIR/slurm/array-T-JOBID_TASKID.out; prints the job id of every submission and the merge \
      and results commands to run when all tasks have finished. Slices are deterministic, so a \
      failed or cancelled task K is resubmitted alone with the same --tasks and --only K and \
      resumes its shard (N is recorded in DIR/slurm/array.json; another N, scenario or --set is \
      refused). An array with more tasks than the cluster's MaxArraySize allows (array task ids \
      0 ... MaxArraySize-1, read with `scontrol show config`) is split into several submissions, \
      each of at most MaxArraySize-1 tasks, and the split is printed (--max-array-size gives \
      the value instead, e.g. for a dry run away from the cluster). Needs sbatch and scontrol \
      on PATH; FILE, DIR and the vrsim executable must be at the same paths on the compute nodes \
      (a shared file system).
      """
  )

  @Argument(help: "Scenario file (YAML).")
  var file: String

  @Option(
    name: .long, help: "Campaign directory (created when missing): shards in DIR/shard-K, merged into DIR.")
  var campaign: String

  @Option(name: .long, help: "Number of shards, one array task each (1 ... 100000).")
  var tasks: Int

  @Option(name: .customLong("set"), help: "Override a key, e.g. --set routers.count=8 (repeatable).")
  var overrides: [String] = []

  @Option(
    name: .long,
    help: "CPUs per task (Slurm --cpus-per-task), also the task's vrsim sweep --jobs (1 ... 256).")
  var cpusPerTask: Int = 1

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Time limit per task (Slurm --time): minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS or UNLIMITED.",
      valueName: "time"))
  var time: String?

  @Option(name: .long, help: "Slurm partition(s) (--partition), comma-separated.")
  var partition: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Submit only these tasks (1 ... --tasks, comma-separated), e.g. a failed one.", valueName: "k,..."))
  var only: String?

  @Option(name: .long, help: "vrsim executable the tasks run (default: this one).")
  var vrsim: String?

  @Option(
    name: .long,
    help: "The cluster's MaxArraySize (array task ids 0 ... N-1; default: read with scontrol show config).")
  var maxArraySize: Int?

  @Flag(name: .long, help: "Print the job script (stdout) and the sbatch commands (stderr); submit nothing.")
  var dryRun = false

  /// Largest `--tasks`.
  static let maxTasks = 100_000

  func validate() throws {
    if !(1...Self.maxTasks).contains(tasks) {
      throw ValidationError("--tasks \(tasks) is out of range; allowed: 1 ... \(Self.maxTasks)")
    }
    if !(1...256).contains(cpusPerTask) {
      throw ValidationError("--cpus-per-task \(cpusPerTask) is out of range; allowed: 1 ... 256")
    }
    if let time, !SlurmArray.isTimeLimit(time) {
      throw ValidationError(
        "--time '\(time)' is not a Slurm time limit; allowed: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, "
          + "D-HH:MM:SS or UNLIMITED")
    }
    if let partition, !SlurmArray.isPartitionList(partition) {
      throw ValidationError(
        "--partition '\(partition)' is not a partition list; allowed: names of letters, digits, _ . - "
          + "separated by commas")
    }
    if let maxArraySize, !(2...100_000_000).contains(maxArraySize) {
      throw ValidationError("--max-array-size \(maxArraySize) is out of range; allowed: 2 ... 100000000")
    }
    _ = try selectedTasks()
    try CampaignSession.validateDirectory(campaign, option: "--campaign")
    for (option, value) in [("FILE", file), ("--campaign", campaign)] + overrides.map({ ("--set", $0) })
    where ShellWord.hasControlCharacter(value) {
      throw ValidationError(
        "\(option) '\(value.debugDescription)' holds a control character; allowed: printable text")
    }
    if campaign.contains("\\") {
      throw ValidationError(
        "--campaign \(campaign): a backslash turns off Slurm's output file patterns; allowed: a path without \\"
      )
    }
  }

  /// The tasks to submit (1-based, ascending): all, or those of --only.
  func selectedTasks() throws -> [Int] {
    guard let only else { return Array(1...tasks) }
    var out = Set<Int>()
    for part in only.split(separator: ",", omittingEmptySubsequences: false) {
      guard let k = Int(part.trimmingCharacters(in: .whitespaces)), (1...tasks).contains(k) else {
        throw ValidationError(
          "--only '\(only)': '\(part)' is not a task number; allowed: 1 ... \(tasks), comma-separated")
      }
      out.insert(k)
    }
    return out.sorted()
  }

  func run() throws {
    // Bad input is found here, before anything is written or submitted.
    let spec = try ScenarioRunner.load(file: file, overrides: overrides)
    let script = SlurmArrayScript(
      vrsim: try vrsimPath(), scenario: Self.absolute(file), campaign: Self.absolute(campaign), tasks: tasks,
      overrides: overrides, jobsPerTask: cpusPerTask, version: VrsimVersion.string)
    let record = SlurmArrayRecord(tasks: tasks, scenario: script.scenario, overrides: overrides)
    do { try record.check(against: script.campaign + "/slurm/array.json") } catch {
      throw RunError(error.message, exitCode: 2)
    }
    let (maxArraySize, sizeNote) =
      try self.maxArraySize.map { ($0, nil) } ?? clusterMaxArraySize()
    guard maxArraySize >= 2 else {
      throw RunError(
        "the cluster's MaxArraySize is \(maxArraySize): job arrays are disabled (scontrol show config)",
        exitCode: 2)
    }
    let plan = SlurmSubmissionPlan(
      script: script, scenarioName: spec.name, shards: try selectedTasks(), maxArraySize: maxArraySize,
      sizeNote: sizeNote, time: time, partition: partition)
    if dryRun {
      print(script.text, terminator: "")
      for n in plan.notes { CampaignSession.note(n) }
      CampaignSession.note("dry run: would write \(plan.scriptPath) and run:")
      for c in plan.commands { CampaignSession.note("  " + c.map(ShellWord.quote).joined(separator: " ")) }
      return
    }
    try plan.write()
    for n in plan.notes { print(n) }
    do { try plan.submit(run: Self.run, submitted: { print($0) }) } catch let e as SlurmSubmissionError {
      throw RunError(e.message, exitCode: e.isUsage ? 2 : 1)
    }
    for line in plan.followUp { print(line) }
  }

  /// The vrsim executable for the tasks: --vrsim, or this process's own executable.
  private func vrsimPath() throws -> String {
    if let vrsim {
      guard let path = ProgramPath.resolve(vrsim) else {
        throw ValidationError("--vrsim \(vrsim): no such executable")
      }
      return Self.absolute(path)
    }
    if let own = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return own }
    return Self.absolute(Bundle.main.executablePath ?? CommandLine.arguments[0])
  }

  /// `path` made absolute against the working directory, with `.` and `..` resolved.
  static func absolute(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.path
  }

  /// Runs a Slurm client command (nil: it is not on PATH).
  static func run(_ argv: [String]) -> SlurmCommandResult? {
    (try? SystemCommandRunner().run(argv, input: nil)).map { ($0.status, $0.stdout, $0.stderr) }
  }

  /// The cluster's MaxArraySize (`SlurmArray.maxArraySize(run:dryRun:)`).
  func clusterMaxArraySize() throws -> (Int, String?) {
    do { return try SlurmArray.maxArraySize(run: Self.run, dryRun: dryRun) } catch {
      throw RunError(error.message, exitCode: 2)
    }
  }
}
