import Foundation
import Scenario
import Testing

@testable import Testbed

/// Words no shell may turn into anything but themselves.
let hostileWords = [
  "", " ", "a b", "'", "''", "'\\''", "\"", "\\", "\\'", "$HOME", "${IFS}", "$(touch PWNED)", "`touch PWNED`",
  "; touch PWNED", "&& touch PWNED", "| touch PWNED", "> PWNED", "*", "~", "~root", "-n", "--", "-e", "a\nb",
  "\ttab", "#comment", "!!", "x=y", "{a,b}", "[ab]", "é ü 中", "'; touch PWNED; '", "\"; touch PWNED; \"",
]

@Suite("roles over ssh: quoting and argument vectors")
struct RemoteCommandTests {
  /// The words a real POSIX shell (`/bin/sh -c`, as sshd runs the remote command) splits the
  /// joined line into, read back NUL-separated by printf, in a scratch directory where any
  /// injected `touch PWNED` would leave a file.
  static func splitByShell(_ line: String) throws -> (words: [String], pwned: Bool) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vrsim-quote-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", line]
    p.currentDirectoryURL = dir
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    var words = String(decoding: data, as: UTF8.self).split(separator: "\0", omittingEmptySubsequences: false)
      .map(String.init)
    if words.last == "" { words.removeLast() }
    let pwned = FileManager.default.fileExists(atPath: dir.appendingPathComponent("PWNED").path)
    return (words, pwned)
  }

  @Test("a POSIX shell splits the joined line back into exactly the hostile words, running nothing")
  func joinRoundTripsThroughARealShell() throws {
    let line = try RemoteCommand.join(["printf", "%s\\0"] + hostileWords)
    let (words, pwned) = try Self.splitByShell(line)
    #expect(words == hostileWords)
    #expect(!pwned, "a word was run as a command")
    // One word at a time as well (each alone is its own first argument).
    for w in hostileWords {
      #expect(try Self.splitByShell(RemoteCommand.join(["printf", "%s\\0", w])).words == [w])
    }
  }

  @Test("a NUL byte is refused; quoting is single quotes with '\\'' inside")
  func quoteForm() throws {
    #expect(try RemoteCommand.quote("it's") == "'it'\\''s'")
    #expect(try RemoteCommand.quote("") == "''")
    #expect(throws: TestbedError.self) { try RemoteCommand.quote("a\u{0}b") }
  }

  @Test("ssh's own argument vector: every part one word, -- before the host, remote line last")
  func sshArgv() throws {
    let l = RemoteLauncher(
      target: SSHTarget(
        user: "lab", host: "10.0.0.5", port: 2222, identity: "/k/id a",
        options: [SSHOption("StrictHostKeyChecking", "yes")]),
      clientNamespace: "vrt1-host")
    #expect(
      try l.argv(["/opt/vrsim", "testbed", "_timekeeper", "$(x)"]) == [
        "ip", "netns", "exec", "vrt1-host", "ssh", "-o", "BatchMode=yes", "-l", "lab", "-p", "2222", "-i",
        "/k/id a",
        "-o", "StrictHostKeyChecking=yes", "--", "10.0.0.5", "'/opt/vrsim' 'testbed' '_timekeeper' '$(x)'",
      ])
    var bad = l
    bad.target.host = "-oProxyCommand=touch PWNED"
    #expect(throws: TestbedError.self) { try bad.argv(["true"]) }
  }
}

/// Whether the live ssh tests can run (root, namespaces, OpenSSH), the reason printed when not.
enum LiveSSH {
  static let reason: String? = {
    if let r = Live.reason { return r }
    if ProgramPath.resolve("sshd") == nil || ProgramPath.resolve("ssh") == nil {
      let r = "sshd or ssh missing (openssh-server, openssh-client)"
      print("TestbedTests: live ssh tests SKIPPED: \(r)")
      return r
    }
    return nil
  }()
}

/// Live ssh tests run in the serialized live suite (they take the testbed lock).
extension LiveTestbedTests {
  /// The time-keeper role run over ssh (sshd in the keeper's namespace, the client in the
  /// host environment's namespace) times a 1 s sleep as the local time-keeper does: each
  /// external time is within its round's bound of the benchmarked process's own clock
  /// (`Live.timerBound`, the bound of the local timer test: both stamps are kernel receive
  /// times in the same namespace, only their report travels over ssh). Hostile
  /// arguments come back unchanged through the real ssh and the remote shell. Afterwards
  /// sshd is gone (by pid), its keys are removed and nothing with the prefix is left.
  @Test(.enabled(if: LiveSSH.reason == nil, "needs root, network namespaces and OpenSSH"))
  func timeKeeperOverSSHMatchesLocal() throws {
    Live.waitForLock()
    let session = try TestbedSession(tools: ["ip", "sysctl"], log: { print($0) })
    defer { session.close() }
    let router = TestbedRouter(vcpus: 1, weight: 256, cap: 0, generatedRoutes: 0, routePrefixes: nil)
    let selfPath = try Live.binary().path
    func sleeps(_ bench: BenchRunner) throws -> [BenchResult] {
      try (0..<3).map { _ in try bench.run([], sleep: 1.0, in: .virtual) }
    }
    let local: [BenchResult]
    do {
      let bench = try BenchRunner(session: session, router: router, selfPath: selfPath)
      local = try sleeps(bench)
      session.ledger.teardown(final: false)
    }
    let bench = try BenchRunner(session: session, router: router, selfPath: selfPath, startKeeper: false)
    let server = try NamespaceSSHServer(
      session: session, namespace: bench.keeperNamespace, address: BenchRunner.keeperAddress(.host),
      port: 2222,
      clientNamespace: session.prefix.name("host"))
    defer { server.stop() }
    // Hostile words through the real ssh and the remote account's shell.
    let remote = SSHCommandRunner(server.launcher)
    let r = try remote.run(["printf", "%s\\0"] + hostileWords, input: nil)
    #expect(r.status == 0, "ssh failed: \(r.stderr)")
    var words = r.stdout.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
    if words.last == "" { words.removeLast() }
    #expect(words == hostileWords)
    // The remote command really runs inside the server's namespace.
    let ns = try remote.run(["ip", "-o", "-4", "addr", "show"], input: nil).stdout
    #expect(
      ns.contains(BenchRunner.keeperAddress(.host) + "/24"), "remote side is not the keeper namespace: \(ns)")
    try bench.startKeeper(via: server.launcher)
    let viaSSH = try sleeps(bench)
    for x in local + viaSSH {
      let sends = try #require(x.sendSeconds, "the timed child reports its sends")
      #expect(
        abs(x.externalSeconds - x.wallSeconds) <= Live.timerBound(wall: x.wallSeconds, sends: sends),
        "external \(x.externalSeconds) vs wall \(x.wallSeconds), sends \(sends)")
    }
    // Each round's timer error (external - the process's clock) is within that round's own
    // bound above, local or over ssh alike; and no sleep is timed shorter than the 1 s slept,
    // less that bound (load only lengthens a sleep). The rounds of the two keepers run at
    // different moments, so their lengths are not compared with each other: a sleep's
    // overshoot depends on the load of its moment (0.2 ... 3 ms seen on this 2-core machine).
    for x in local + viaSSH {
      #expect(
        x.externalSeconds >= 1.0 - Live.timerBound(wall: x.wallSeconds, sends: x.sendSeconds ?? 0),
        "a 1 s sleep timed \(x.externalSeconds) s")
    }
    let mean = { (a: [Double]) in a.reduce(0, +) / Double(a.count) }
    let (ml, mr) = (mean(local.map(\.externalSeconds)), mean(viaSSH.map(\.externalSeconds)))
    let (el, er) = (
      mean(local.map { $0.externalSeconds - $0.wallSeconds }),
      mean(viaSSH.map { $0.externalSeconds - $0.wallSeconds })
    )
    print("LiveSSH: 1 s sleep, external mean local \(ml) s (timer error \(el) s), over ssh \(mr) s (\(er) s)")
    let pid = server.pid
    let dir = session.workDirectory + "/ssh"
    server.stop()
    // Gone, or a zombie waiting for its new parent (the daemon is reparented) to reap it.
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    let state = stat.split(separator: ")").last?.split(separator: " ").first ?? "gone"
    #expect(state == "gone" || state == "Z", "sshd \(pid) still runs (state \(state))")
    #expect(!FileManager.default.fileExists(atPath: dir), "keys left in \(dir)")
    session.close()
    #expect(TestbedCleaner.leftovers(prefix: session.prefix.text, runner: SystemCommandRunner()) == [])
  }
}

extension LiveTestbedTests {
  /// `vrsim testbed _sshd` (a session with sshd in its time-keeper namespace) is killed with
  /// SIGKILL; `vrsim testbed clean` then leaves no sshd of that run (it ran in the run's
  /// namespace), no keys (the run's work directory) and nothing with the prefix.
  @Test(.enabled(if: LiveSSH.reason == nil, "needs root, network namespaces and OpenSSH"))
  func sigkilledSSHDIsCleaned() throws {
    let log = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vrsim-sshd-\(UUID().uuidString).log")
    defer { try? FileManager.default.removeItem(at: log) }
    let privsepExisted = FileManager.default.fileExists(atPath: NamespaceSSHServer.privsepDirectory)
    let p = try Live.start(["testbed", "_sshd"], log: log)
    var line: Substring? = nil
    for _ in 0..<300 {
      let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
      line = text.split(separator: "\n").first { $0.hasPrefix("ready ") }
      if line != nil || !p.isRunning { break }
      usleep(50_000)
    }
    let f = try #require(line, "vrsim testbed _sshd did not start").split(separator: " ")
    let (pid, prefix) = (try #require(Int32(f[1])), String(f[2]))
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    let work = (Live.workDirectory(prefix) ?? "/nonexistent") + "/ssh"
    #expect(FileManager.default.fileExists(atPath: work), "the killed run's keys should still be there")
    let (status, out) = try Live.run(["testbed", "clean"])
    #expect(status == 0, "clean failed: \(out)")
    let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map {
      String(decoding: $0, as: UTF8.self)
    }
    #expect(cmdline?.contains(prefix) != true, "sshd \(pid) of the killed run still runs")
    #expect(!FileManager.default.fileExists(atPath: work), "keys left in \(work)")
    #expect(TestbedCleaner.leftovers(prefix: prefix, runner: SystemCommandRunner()) == [])
    // The privilege separation directory is the one thing a SIGKILL leaves (empty, as the
    // package's tmpfiles.d would make it); removed here only when the killed run made it.
    if !privsepExisted { rmdir(NamespaceSSHServer.privsepDirectory) }
  }
}
