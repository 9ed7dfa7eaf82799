import Foundation
import Testing

@testable import Testbed

/// Things named like the testbed's (`vrt<hex>-`) that no ledger records: a namespace with a
/// process in it, a cgroup with a process in it, a process whose name carries the prefix, a
/// link in the host's namespace and a work-like folder. `vrsim testbed clean` must leave all
/// of them as they are.
final class Decoys {
  let prefix: String
  let namespace: String
  let link: String
  let folder: String
  var cgroups: [String] = []
  var processes: [(pid: Int32, start: UInt64)] = []
  private var children: [Process] = []
  let runner = SystemCommandRunner()

  /// Makes the decoys under `vrtdec<4 hex>-` (a family prefix no run can have: run prefixes
  /// are pids, below 2^22 = 0x400000, and 0xdec0000 is above).
  init(tag: UInt16) throws {
    prefix = "vrtdec" + String(format: "%04x", tag) + "-"
    namespace = prefix + "ns"
    link = prefix + "a"
    folder = FileManager.default.temporaryDirectory.path + "/" + prefix + "work.decoy"
    try runner.check(["ip", "netns", "add", namespace])
    try runner.check(["ip", "link", "add", link, "type", "veth", "peer", "name", prefix + "b"])
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
    try Data("decoy\n".utf8).write(to: URL(fileURLWithPath: folder + "/keep"))
    for dir in TestbedCleaner.cgroupDirectories(root: "/sys/fs/cgroup") {
      let path = dir + "/" + prefix + "cg"
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
      cgroups.append(path)
    }
    // One process inside the decoy namespace, one in the decoy cgroups named like a run's.
    let inNamespace = try SystemCommandRunner.makeProcess([
      "ip", "netns", "exec", namespace, "sleep", "infinity",
    ])
    let named = try SystemCommandRunner.makeProcess(["bash", "-c", "exec -a \(prefix)trafgen sleep infinity"])
    for p in [inNamespace, named] {
      p.standardOutput = FileHandle.nullDevice
      p.standardError = FileHandle.nullDevice
      try p.run()
      children.append(p)
    }
    usleep(100_000)
    // (A cpuset cgroup takes members only once given CPUs and memory nodes.)
    for c in cgroups where !c.contains("/cpuset/") {
      try CgroupFiles.write(String(named.processIdentifier), to: c + "/cgroup.procs")
    }
    processes = children.map { ($0.processIdentifier, ProcessStart.of($0.processIdentifier) ?? 0) }
  }

  /// What of the decoys is missing or changed (empty: all untouched).
  func missing() -> [String] {
    var out: [String] = []
    if !NamespaceTools.list(runner: runner).contains(namespace) { out.append("netns \(namespace)") }
    if !TestbedCleaner.hostLinks(runner: runner).contains(link) { out.append("link \(link)") }
    if !FileManager.default.fileExists(atPath: folder + "/keep") { out.append("folder \(folder)") }
    for c in cgroups where !FileManager.default.fileExists(atPath: c) { out.append("cgroup \(c)") }
    for (pid, start) in processes where !ProcessStart.isAlive(pid, start: start) {
      out.append("process \(pid)")
    }
    return out
  }

  /// Removes the decoys.
  func remove() {
    for p in children where p.isRunning { kill(p.processIdentifier, SIGKILL) }
    for p in children { p.waitUntilExit() }
    for c in cgroups { _ = CgroupFiles.remove(c) }
    _ = try? runner.run(["ip", "link", "del", link], input: nil)
    _ = NamespaceTools.remove(namespace, runner: runner)
    SafeRemove.directory(folder)
  }
}

/// The SIGKILL study: `vrsim testbed run`, `search` and `bench` killed at seeded random
/// moments; what the killed run left (from its ledger file and its names), what `vrsim
/// testbed clean` left of it, and whether the decoys survived.
enum KillStudy {
  /// One trial's outcome.
  struct Row {
    var index: Int
    var command: String
    var moment: Double
    var exitedBefore: Bool
    var before: [String]
    var after: [String]
    var decoysMissing: [String]
    var cleanStatus: Int32
  }

  /// The commands, cycled over the trials, each with the longest moment drawn for it
  /// (about its whole length on a quiet machine, so the moments cover setup, trials and
  /// teardown).
  static let commands: [(name: String, args: [String], span: Double)] = [
    (
      "run",
      [
        "testbed", "run", LiveTestbedTests.smoke, "--set", "routers.count=2", "--set", "run.duration=2s",
        "--ceiling-packets", "20000",
      ], 5
    ),
    (
      "search",
      [
        "testbed", "search", LiveTestbedTests.smoke, "--set", "run.duration=300ms", "--low", "5000", "--high",
        "20000", "--resolution", "0.5",
      ], 6.5
    ),
    ("bench", ["testbed", "bench", "sleep", "--seconds", "0.5", "--repeats", "2", "--where-run", "both"], 4),
  ]

  /// Waits (up to `seconds`) until no testbed run holds the lock (other runs on a shared
  /// machine); false when it stays taken.
  static func waitForLock(seconds: Double) -> Bool { Live.waitForLock(seconds: seconds) }

  /// What of the run with `prefix` exists now: its names (namespaces, cgroups, host links),
  /// its ledger file, the processes it recorded that still run (and their descendants), the
  /// processes inside its namespaces, its work folder.
  static func remains(_ prefix: String, ledgerDirectory: String = LedgerJournal.defaultDirectory) -> [String]
  {
    let runner = SystemCommandRunner()
    var out = TestbedCleaner.leftovers(prefix: prefix, runner: runner)
    let ledgers = LedgerJournal.files(in: ledgerDirectory).filter {
      ($0 as NSString).lastPathComponent.hasPrefix(prefix)
    }
    out += ledgers.map { "ledger \($0)" }
    var pids = Set<Int32>()
    for l in ledgers {
      let roots = LedgerJournal.entries(of: l).compactMap { e -> Int32? in
        if case .process(let pid, let start) = e, ProcessStart.isAlive(pid, start: start) { return pid }
        return nil
      }
      pids.formUnion(ProcessStart.descendants(of: roots))
    }
    for ns in NamespaceTools.list(runner: runner) where ns.hasPrefix(prefix) {
      let text = (try? runner.run(["ip", "netns", "pids", ns], input: nil))?.stdout ?? ""
      pids.formUnion(text.split(separator: "\n").compactMap { Int32($0) })
    }
    out += pids.sorted().map { "process \($0)" }
    if let w = Live.workDirectory(prefix) { out.append("directory \(w)") }
    return out
  }

  /// `items` as counts by kind, e.g. `2 netns, 1 cgroup` (`nothing` when empty).
  static func summary(_ items: [String]) -> String {
    if items.isEmpty { return "nothing" }
    var counts: [(String, Int)] = []
    for i in items {
      let kind = String(i.split(separator: " ").first ?? "")
      if let k = counts.firstIndex(where: { $0.0 == kind }) {
        counts[k].1 += 1
      } else {
        counts.append((kind, 1))
      }
    }
    return counts.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
  }

  /// Runs `count` trials with moments drawn from `seed` (SplitMix64, uniform in [0, span)).
  static func run(count: Int, seed: UInt64, log: (String) -> Void = { print($0) }) throws -> [Row] {
    var state = seed
    func next() -> Double {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      z ^= z >> 31
      return Double(z >> 11) / Double(1 << 53)
    }
    var rows: [Row] = []
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vrsim-killstudy-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    for i in 0..<count {
      let (name, args, span) = commands[i % commands.count]
      let moment = (next() * span * 1000).rounded() / 1000
      let decoys = try Decoys(tag: UInt16(truncatingIfNeeded: getpid() &+ Int32(i)))
      defer { decoys.remove() }
      var attempt = 0
      while true {
        attempt += 1
        guard waitForLock(seconds: 1800) else {
          throw TestbedError("the testbed lock stayed taken for 30 min")
        }
        let logFile = dir.appendingPathComponent("trial-\(i).log")
        let p = try Live.start(args, log: logFile)
        let prefix = RunPrefix(pid: p.processIdentifier).text
        let end = Date().addingTimeInterval(moment)
        while Date() < end && p.isRunning { usleep(2_000) }
        let exited = !p.isRunning
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        // Another run took the lock between the wait and the start: try again.
        if exited && text.contains("holds /run/vrsim-testbed.lock") && attempt < 20 { continue }
        let before = remains(prefix)
        guard waitForLock(seconds: 1800) else {
          throw TestbedError("the testbed lock stayed taken for 30 min")
        }
        var (status, cleaned) = try Live.run(["testbed", "clean"])
        if status != 0 && cleaned.contains("holds /run/vrsim-testbed.lock"), waitForLock(seconds: 1800) {
          (status, cleaned) = try Live.run(["testbed", "clean"])
        }
        let after = remains(prefix)
        let row = Row(
          index: i + 1, command: name, moment: moment, exitedBefore: exited, before: before, after: after,
          decoysMissing: decoys.missing(), cleanStatus: status)
        log(
          "kill \(i + 1) \(name) at \(moment) s: before \(before), after \(after), decoys missing \(row.decoysMissing), clean \(status): \(cleaned.suffix(400))"
        )
        rows.append(row)
        break
      }
    }
    return rows
  }

  /// The rows as a Markdown table.
  static func table(_ rows: [Row]) -> String {
    var t =
      "| # | command | moment (s after start) | left before clean | left after clean | decoys untouched |\n"
      + "|---|---|---|---|---|---|\n"
    for r in rows {
      let moment = String(format: "%.3f", r.moment) + (r.exitedBefore ? " (had exited)" : "")
      t +=
        "| \(r.index) | \(r.command) | \(moment) | \(summary(r.before)) | \(summary(r.after)) | "
        + (r.decoysMissing.isEmpty ? "yes" : "NO: " + r.decoysMissing.joined(separator: ", ")) + " |\n"
    }
    return t
  }
}

extension LiveTestbedTests {
  /// Decoys named like the testbed's but in no ledger survive `vrsim testbed clean`, which
  /// lists them as left alone.
  @Test(.enabled(if: Live.available, "needs root, network namespaces, veth and trafgen"))
  func cleanLeavesUnrecordedDecoys() throws {
    // (The lock first: other users of the machine may hold it for minutes.)
    #expect(KillStudy.waitForLock(seconds: 1800), "the testbed lock stayed taken")
    let decoys = try Decoys(tag: UInt16(truncatingIfNeeded: getpid()))
    defer { decoys.remove() }
    #expect(decoys.missing() == [], "the decoys were not all made")
    let (status, out) = try Live.run(["testbed", "clean"])
    #expect(status == 0, "\(out)")
    #expect(decoys.missing() == [], "clean touched decoys: \(out)")
    #expect(out.contains("left alone (no ledger records it): netns \(decoys.namespace)"), "\(out)")
    #expect(!out.contains("removed netns \(decoys.namespace)"), "\(out)")
  }

  /// The short form of the SIGKILL study: `run`, `search` and `bench` each killed once at a
  /// seeded moment; after clean nothing of the run is left and every decoy is untouched.
  /// `VRSIM_KILL_STUDY_TRIALS=20 VRSIM_KILL_STUDY_OUT=FILE` runs the long form and writes its
  /// table (validation/testbed-sigkill-study.md).
  @Test(.enabled(if: Live.available, "needs root, network namespaces, veth and trafgen"))
  func sigkillAtSeededMomentsLeavesNothingAfterClean() throws {
    let env = ProcessInfo.processInfo.environment
    let count = env["VRSIM_KILL_STUDY_TRIALS"].flatMap { Int($0) } ?? 3
    let rows = try KillStudy.run(count: count, seed: 21)
    for r in rows {
      #expect(r.after.isEmpty, "kill \(r.index) (\(r.command) at \(r.moment) s) left \(r.after)")
      #expect(r.decoysMissing.isEmpty, "kill \(r.index): clean touched decoys \(r.decoysMissing)")
      #expect(r.cleanStatus == 0, "kill \(r.index): clean exited \(r.cleanStatus)")
    }
    let table = KillStudy.table(rows)
    print(table)
    if let out = env["VRSIM_KILL_STUDY_OUT"] {
      try table.write(toFile: out, atomically: true, encoding: .utf8)
    }
  }
}
