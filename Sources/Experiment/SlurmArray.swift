import Foundation

/// Words for a POSIX shell: the only way a value from the user reaches a script that
/// `vrsim slurm submit` writes.
public enum ShellWord {
  /// `text` as one shell word: unchanged when it holds only characters no shell treats
  /// specially (letters, digits and `_ . / : = , + @ % -`), else in single quotes, with each
  /// `'` written as `'\''`. Single quotes stop every expansion, so the word reaches the program
  /// byte for byte whatever it holds.
  public static func quote(_ text: String) -> String {
    if !text.isEmpty && text.unicodeScalars.allSatisfy({ safe.contains($0) }) { return text }
    return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }

  /// Characters that never need quoting.
  private static let safe = Set(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=,+@%-".unicodeScalars)

  /// True when `text` holds a control character (newline, tab, NUL, ...): such a value cannot
  /// go on one line of a script's comment or of a printed command, so callers refuse it.
  public static func hasControlCharacter(_ text: String) -> Bool {
    text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
  }
}

/// One `sbatch` submission of a job array of campaign shards.
///
/// Shard `k` (1-based, `1 ... tasks`) is array task `k - offset`; the script receives `offset`
/// as its first argument. Array task indices stay below Slurm's `MaxArraySize`, so a campaign
/// with more shards than one array may hold is split into several submissions, each with its
/// own offset.
public struct SlurmArraySubmission: Sendable, Equatable {
  /// Added to `SLURM_ARRAY_TASK_ID` to give the shard number.
  public var offset: Int
  /// The shards this submission runs, ascending.
  public var shards: [Int]

  /// Creates a submission of `shards` with array task ids `shards - offset`.
  public init(offset: Int, shards: [Int]) {
    self.offset = offset
    self.shards = shards
  }

  /// The array task ids, ascending.
  public var indices: [Int] { shards.map { $0 - offset } }

  /// The value of `sbatch --array`: runs of consecutive ids as ranges, e.g. `1-3,5`.
  public var arraySpec: String { SlurmArray.ranges(indices) }

  /// The shards as ranges, e.g. `1-3,5`.
  public var shardRanges: String { SlurmArray.ranges(shards) }
}

/// Planning a Slurm job array of a campaign's shards: which shards go in which submission,
/// and what Slurm's configuration allows.
public enum SlurmArray {
  /// Slurm's default `MaxArraySize` (array task ids 0 ... 1000), used when the cluster cannot
  /// be asked.
  public static let defaultMaxArraySize = 1001

  /// Splits `shards` (1-based, any order, no duplicates) into submissions whose array task
  /// ids fit `maxArraySize` (Slurm's `MaxArraySize`: ids `0 ... maxArraySize - 1`).
  ///
  /// The first submission has offset 0 when its shards fit, so task id = shard number (what
  /// `squeue` shows is the shard); each later one starts its shards at task id 1. Each
  /// submission holds at most `maxArraySize - 1` shards.
  /// - Precondition: `maxArraySize >= 2`.
  public static func submissions(shards: [Int], maxArraySize: Int) -> [SlurmArraySubmission] {
    precondition(maxArraySize >= 2, "MaxArraySize \(maxArraySize)")
    let sorted = shards.sorted()
    var out: [SlurmArraySubmission] = []
    var i = 0
    while i < sorted.count {
      let offset = sorted[i] <= maxArraySize - 1 && out.isEmpty ? 0 : sorted[i] - 1
      var group: [Int] = []
      while i < sorted.count && sorted[i] - offset <= maxArraySize - 1 {
        group.append(sorted[i])
        i += 1
      }
      out.append(SlurmArraySubmission(offset: offset, shards: group))
    }
    return out
  }

  /// The `MaxArraySize` in the output of `scontrol show config` (a line
  /// `MaxArraySize            = 1001`), or nil when there is none.
  public static func maxArraySize(inConfig text: String) -> Int? {
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: "=", maxSplits: 1)
      guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "MaxArraySize" else {
        continue
      }
      return Int(parts[1].trimmingCharacters(in: .whitespaces))
    }
    return nil
  }

  /// Runs of consecutive numbers (ascending input) as `a-b`, single numbers alone, joined by
  /// commas: `[1, 2, 3, 5]` is `1-3,5`.
  public static func ranges(_ numbers: [Int]) -> String {
    var parts: [String] = []
    var i = 0
    while i < numbers.count {
      var j = i
      while j + 1 < numbers.count && numbers[j + 1] == numbers[j] + 1 { j += 1 }
      parts.append(i == j ? "\(numbers[i])" : "\(numbers[i])-\(numbers[j])")
      i = j + 1
    }
    return parts.joined(separator: ",")
  }

  /// True when `text` is a Slurm time limit: `minutes`, `minutes:seconds`,
  /// `hours:minutes:seconds`, `days-hours`, `days-hours:minutes`, `days-hours:minutes:seconds`
  /// (every field digits), or `UNLIMITED`.
  public static func isTimeLimit(_ text: String) -> Bool {
    if text == "UNLIMITED" { return true }
    let dash = text.split(separator: "-", omittingEmptySubsequences: false)
    guard dash.count <= 2 else { return false }
    let clock = dash.last!.split(separator: ":", omittingEmptySubsequences: false)
    let fields = (dash.count == 2 ? [dash[0]] : []) + clock
    guard fields.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
    else { return false }
    return clock.count <= 3
  }

  /// True when `text` is a list of Slurm partition names (letters, digits, `_ . -`,
  /// separated by commas).
  public static func isPartitionList(_ text: String) -> Bool {
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
    return text.split(separator: ",", omittingEmptySubsequences: false).allSatisfy {
      !$0.isEmpty && $0.allSatisfy { allowed.contains($0) }
    }
  }
}

/// The job script of a campaign split into `tasks` shards, one per Slurm array task: task k
/// runs `vrsim sweep FILE --campaign DIR/shard-k --shard k/tasks`. Slices are deterministic
/// (`Shard`), so a failed or cancelled task resubmitted alone (same `tasks`) resumes its own
/// shard; `vrsim merge DIR DIR/shard-*` joins them.
///
/// Every value (paths, `--set` overrides) enters the script as one single-quoted shell word
/// (`ShellWord.quote`); values with control characters are refused before (see
/// `ShellWord.hasControlCharacter`). The Slurm options go on `sbatch`'s argument vector, not
/// in `#SBATCH` lines, so no value is ever parsed by sbatch's directive reader.
public struct SlurmArrayScript: Sendable, Equatable {
  /// Absolute path of the `vrsim` executable the tasks run.
  public var vrsim: String
  /// Absolute path of the scenario file.
  public var scenario: String
  /// Absolute path of the campaign directory.
  public var campaign: String
  /// Number of shards (the `n` of `--shard k/n`).
  public var tasks: Int
  /// `--set` overrides, in order.
  public var overrides: [String]
  /// Parallel workers per task (`vrsim sweep --jobs`), the CPUs Slurm gives each task.
  public var jobsPerTask: Int
  /// The vrsim version that wrote the script (in its header).
  public var version: String

  /// Creates a script description; paths must be absolute.
  public init(
    vrsim: String, scenario: String, campaign: String, tasks: Int, overrides: [String], jobsPerTask: Int,
    version: String
  ) {
    self.vrsim = vrsim
    self.scenario = scenario
    self.campaign = campaign
    self.tasks = tasks
    self.overrides = overrides
    self.jobsPerTask = jobsPerTask
    self.version = version
  }

  /// The campaign directory of shard `k` (1-based): `DIR/shard-k`.
  public func shardDirectory(_ k: Int) -> String { campaign + "/shard-\(k)" }

  /// The text of the job script (POSIX sh).
  public var text: String {
    let q = ShellWord.quote
    let sets = overrides.map { " \\\n  --set " + q($0) }.joined()
    return """
      #!/bin/sh
      # A Slurm job array of one vrsim campaign, written by `vrsim slurm submit` (vrsim \(version)).
      # Array task t runs shard k = OFFSET + t of \(tasks), OFFSET being the script's first
      # argument; shard k goes to CAMPAIGN/shard-k. Do not edit: resubmit task k alone with
      # `vrsim slurm submit ... --tasks \(tasks) --only k`, it resumes where it stopped.
      set -eu
      vrsim=\(q(vrsim))
      scenario=\(q(scenario))
      campaign=\(q(campaign))
      tasks=\(tasks)
      offset=${1:-0}
      task=${SLURM_ARRAY_TASK_ID:-}
      case "$task" in
        '' | *[!0-9]*)
          echo "$0: not a Slurm array task (SLURM_ARRAY_TASK_ID='$task'); submit with vrsim slurm submit" >&2
          exit 2 ;;
      esac
      case "$offset" in
        '' | *[!0-9]*) echo "$0: bad offset '$offset'" >&2; exit 2 ;;
      esac
      k=$((offset + task))
      if [ "$k" -lt 1 ] || [ "$k" -gt "$tasks" ]; then
        echo "$0: shard $k is outside 1 ... $tasks" >&2
        exit 2
      fi
      echo "vrsim: shard $k/$tasks of $campaign (array task $task, offset $offset)"
      exec "$vrsim" sweep "$scenario" --campaign "$campaign/shard-$k" --shard "$k/$tasks" \\
        --jobs \(jobsPerTask) --format csv\(sets)

      """
  }
}
