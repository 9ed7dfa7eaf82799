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

@Suite("roles over ssh for real: sshd in a testbed namespace (root)", .serialized)
struct LiveRemoteRoleTests {
  static let sshdReason: String? = {
    if let r = Live.reason { return r }
    if ProgramPath.resolve("sshd") == nil || ProgramPath.resolve("ssh") == nil {
      let r = "sshd or ssh missing (openssh-server, openssh-client)"
      print("TestbedTests: live ssh tests SKIPPED: \(r)")
      return r
    }
    return nil
  }()

  /// The time-keeper role run over ssh (sshd in the keeper's namespace, the client in the
  /// host environment's namespace) times a 1 s sleep as the local time-keeper does: each
  /// external time is within 1 ms of the benchmarked process's own clock (the bound of the
  /// local timer test: both stamps are kernel receive times in the same namespace, only their
  /// report travels over ssh), so the remote and local means agree within 2 ms. Hostile
  /// arguments come back unchanged through the real ssh and the remote shell. Afterwards
  /// sshd is gone (by pid), its keys are removed and nothing with the prefix is left.
  @Test(.enabled(if: sshdReason == nil, "needs root, network namespaces and OpenSSH"))
  func timeKeeperOverSSHMatchesLocal() throws {
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
      #expect(
        abs(x.externalSeconds - x.wallSeconds) < 0.001,
        "external \(x.externalSeconds) vs wall \(x.wallSeconds)")
    }
    let mean = { (a: [BenchResult]) in a.map(\.externalSeconds).reduce(0, +) / Double(a.count) }
    let (ml, mr) = (mean(local), mean(viaSSH))
    #expect(abs(ml - mr) < 0.002, "local \(ml) s vs over ssh \(mr) s")
    print("LiveRemoteRoleTests: 1 s sleep, external mean local \(ml) s, time-keeper over ssh \(mr) s")
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
