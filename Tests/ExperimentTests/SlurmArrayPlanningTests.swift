import Experiment
import Foundation
import Testing

@Suite("Slurm job arrays: splitting, shell words, Slurm's formats")
struct SlurmArrayPlanningTests {
  /// MaxArraySize M allows array task ids 0 ... M-1, so one submission holds shards 1 ... M-1
  /// at offset 0 and each later one M-1 shards at ids 1 ... M-1. Expected values worked by hand.
  @Test func arraysLargerThanMaxArraySizeAreSplit() {
    let fits = SlurmArray.submissions(shards: Array(1...3), maxArraySize: 4)
    #expect(fits == [SlurmArraySubmission(offset: 0, shards: [1, 2, 3])])
    #expect(fits[0].arraySpec == "1-3")

    // 5 shards, ids at most 3: shards 1-3 at offset 0 (ids 1-3), shards 4-5 at offset 3 (ids 1-2).
    let five = SlurmArray.submissions(shards: Array(1...5), maxArraySize: 4)
    #expect(
      five == [
        SlurmArraySubmission(offset: 0, shards: [1, 2, 3]), SlurmArraySubmission(offset: 3, shards: [4, 5]),
      ])
    #expect(five.map(\.arraySpec) == ["1-3", "1-2"])

    // 2500 shards with Slurm's default 1001: 1000 + 1000 + 500.
    let big = SlurmArray.submissions(shards: Array(1...2500), maxArraySize: 1001)
    #expect(big.map(\.shards.count) == [1000, 1000, 500])
    #expect(big.map(\.offset) == [0, 1000, 2000])
    #expect(big.allSatisfy { $0.indices.allSatisfy { (1...1000).contains($0) } })
    #expect(big.flatMap(\.shards) == Array(1...2500))
  }

  /// --only K keeps the shard number as the task id when it fits, else moves it to id 1.
  @Test func onlySomeTasks() {
    #expect(
      SlurmArray.submissions(shards: [2], maxArraySize: 4) == [SlurmArraySubmission(offset: 0, shards: [2])])
    #expect(
      SlurmArray.submissions(shards: [7], maxArraySize: 4) == [SlurmArraySubmission(offset: 6, shards: [7])])
    let mixed = SlurmArray.submissions(shards: [9, 1, 3, 8], maxArraySize: 4)
    #expect(
      mixed == [
        SlurmArraySubmission(offset: 0, shards: [1, 3]), SlurmArraySubmission(offset: 7, shards: [8, 9]),
      ])
    #expect(mixed.map(\.arraySpec) == ["1,3", "1-2"])
  }

  @Test func ranges() {
    #expect(SlurmArray.ranges([1, 2, 3, 5, 7, 8]) == "1-3,5,7-8")
    #expect(SlurmArray.ranges([4]) == "4")
    #expect(SlurmArray.ranges([]) == "")
  }

  @Test func maxArraySizeFromScontrol() {
    let text = """
      Configuration data as of 2026-12-01T23:39:40
      MailProg                = /bin/mail
      MaxArraySize            = 4
      MaxDBDMsgs              = 20008

      """
    #expect(SlurmArray.maxArraySize(inConfig: text) == 4)
    #expect(SlurmArray.maxArraySize(inConfig: "MaxJobCount = 10000\n") == nil)
  }

  /// The word a shell reads back is the text given: checked by running /bin/sh on it.
  @Test(arguments: ["plain/path-1.yaml", "it's", "a b", "$HOME `id` \"q\" \\ * ? ; & | > <", "", "''", "ü"])
  func shellWordsRoundTrip(text: String) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", "printf '%s' " + ShellWord.quote(text)]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
    #expect(String(decoding: data, as: UTF8.self) == text)
  }

  @Test func quotingOnlyWhenNeeded() {
    #expect(ShellWord.quote("/tmp/a-b_c.d") == "/tmp/a-b_c.d")
    #expect(ShellWord.quote("it's") == "'it'\\''s'")
    #expect(ShellWord.hasControlCharacter("a\nb"))
    #expect(!ShellWord.hasControlCharacter("a b"))
  }

  /// Slurm's --time forms (sbatch(1)): minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS.
  @Test func timeLimits() {
    for ok in ["30", "30:00", "4:00:00", "1-12", "1-12:30", "1-12:30:00", "UNLIMITED"] {
      #expect(SlurmArray.isTimeLimit(ok), "\(ok)")
    }
    for bad in ["", "1h", "1:2:3:4", "1-", "-1", "1-2-3", "4:00:00; rm", "١٢"] {
      #expect(!SlurmArray.isTimeLimit(bad), "\(bad)")
    }
    #expect(SlurmArray.isPartitionList("debug,gpu-a100"))
    #expect(!SlurmArray.isPartitionList("debug gpu"))
    #expect(!SlurmArray.isPartitionList("a,,b"))
  }
}
