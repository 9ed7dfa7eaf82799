import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Where a benchmark runs: in a router namespace inside its cgroup (the "virtual"
/// environment: weight, cap and cpuset of the scenario's router), or in a namespace of its
/// own without any cgroup limit (the "host" environment: only the ICMP link is namespaced;
/// CPU, memory and disk are the host's, as for native Linux in the paper).
public enum BenchEnvironment: String, Sendable, CaseIterable {
  /// Router namespace vr0 and its cgroup.
  case virtual
  /// The host's resources, unconstrained.
  case host
}

/// The outcome of one timed benchmark run.
public struct BenchResult: Sendable {
  /// External time: the time-keeper's stamps of the end and start echo requests.
  public var externalSeconds: Double
  /// The benchmarked process's clock from sending the start echo to sending the end echo.
  public var wallSeconds: Double
  /// The benchmark's own time (its `own_seconds` line, else its process's run time).
  public var ownSeconds: Double
  /// Exit status of the benchmark.
  public var status: Int32
  /// Time the environment's cgroup was throttled by its cap during the run (CFS bandwidth
  /// control: cpu.stat `throttled_time` in v1, `throttled_usec` in v2); nil without a cgroup.
  public var throttledSeconds: Double?
  /// What the benchmark wrote to its standard output (e.g. iperf3's JSON report).
  public var output: String = ""
  /// How long the start and end echo requests' `sendto` calls took together: the external
  /// stamps are taken inside them, so |external - wall| is at most this (plus the drift of
  /// the kernel's real-time clock against the monotonic one, at most 500 ppm).
  public var sendSeconds: Double? = nil
}

/// The bench topology and the timed runs: a time-keeper namespace linked to router
/// namespace vr0 (10.6.0.0/24) and to a host-environment namespace (10.6.1.0/24), static
/// neighbours, IPv6 off; vr0's cgroup carries the router's weight, cap and cpuset.
public final class BenchRunner: @unchecked Sendable {
  let session: TestbedSession
  let selfPath: String
  /// The plan's steps (for printing).
  public let steps: [PlanStep]
  let cgroupProcs: [String]
  /// The memory cgroup's `cgroup.procs` around every benchmark (both environments), if any.
  let memoryProcs: String?
  var keeper: LineReader?
  var nextID: UInt16 = 1

  /// The time-keeper's address seen from each environment.
  public static func keeperAddress(_ env: BenchEnvironment) -> String {
    env == .virtual ? "10.6.0.1" : "10.6.1.1"
  }

  /// The steps of the bench topology under `prefix`.
  public static func plan(prefix p: RunPrefix, router: TestbedRouter, hostCPUs: Int, cgroups: CgroupLayout)
    -> (
      steps: [PlanStep], procs: [String]
    )
  {
    let tk = p.name("tk")
    let vr = p.name("vr0")
    let host = p.name("host")
    var steps: [PlanStep] = [.namespace(tk), .namespace(vr), .namespace(host)]
    for ns in [tk, vr, host] {
      steps.append(
        .command(
          [
            "ip", "netns", "exec", ns, "sysctl", "-q", "-e", "-w", "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1",
          ], input: nil))
    }
    let macs = (1...4).map { String(format: "02:76:74:01:00:%02x", $0) }
    steps.append(
      .command(
        ["ip", "-n", tk, "-batch", "-"],
        input: TopologyPlan.script([
          "link add \(p.name("t0")) address \(macs[0]) type veth peer name \(p.name("b0")) address \(macs[1]) netns \(vr)",
          "link add \(p.name("t1")) address \(macs[2]) type veth peer name \(p.name("h0")) address \(macs[3]) netns \(host)",
          "addr add 10.6.0.1/24 dev \(p.name("t0"))", "addr add 10.6.1.1/24 dev \(p.name("t1"))",
          "link set dev lo up", "link set dev \(p.name("t0")) up", "link set dev \(p.name("t1")) up",
          "neigh replace 10.6.0.2 lladdr \(macs[1]) dev \(p.name("t0")) nud permanent",
          "neigh replace 10.6.1.2 lladdr \(macs[3]) dev \(p.name("t1")) nud permanent",
        ])))
    steps.append(
      .command(
        ["ip", "-n", vr, "-batch", "-"],
        input: TopologyPlan.script([
          "addr add 10.6.0.2/24 dev \(p.name("b0"))", "link set dev lo up", "link set dev \(p.name("b0")) up",
          "neigh replace 10.6.0.1 lladdr \(macs[0]) dev \(p.name("b0")) nud permanent",
        ])))
    steps.append(
      .command(
        ["ip", "-n", host, "-batch", "-"],
        input: TopologyPlan.script([
          "addr add 10.6.1.2/24 dev \(p.name("h0"))", "link set dev lo up", "link set dev \(p.name("h0")) up",
          "neigh replace 10.6.1.1 lladdr \(macs[2]) dev \(p.name("h0")) nud permanent",
        ])))
    // The router's cgroup, as in the traffic topology.
    let setup = TestbedSetup(
      platform: .direct, routers: [router], flows: [], duration: .s(1), replications: 1, hostCPUs: hostCPUs)
    let routerPlan = TopologyPlan(setup: setup, prefix: p, cgroups: cgroups)
    var procs: [String] = []
    for case .cgroup(let c) in routerPlan.steps {
      steps.append(.cgroup(c))
      procs.append(c.path + "/cgroup.procs")
    }
    return (steps, procs)
  }

  /// A memory cgroup of its own (`<prefix>mem`) limited to `bytes`, memory and page cache
  /// together (v1 `memory.limit_in_bytes`, v2 `memory.max`), for a benchmark whose files the
  /// page cache must not hold.
  public static func memoryCgroup(prefix p: RunPrefix, bytes: Int, cgroups: CgroupLayout) -> CgroupStep {
    switch cgroups {
    case .v1(let root):
      CgroupStep(
        path: "\(root)/memory/\(p.name("mem"))", settings: [("memory.limit_in_bytes", String(bytes))])
    case .v2(let root):
      CgroupStep(path: "\(root)/\(p.name("mem"))", settings: [("memory.max", String(bytes))])
    }
  }

  /// Builds the bench topology in `session` and, unless `startKeeper` is false, starts the
  /// time-keeper locally. `selfPath` is the vrsim executable (run inside the namespaces for
  /// the time-keeper and the timed child). With `memoryLimit` (bytes) every benchmark, in
  /// either environment, runs inside a memory cgroup of that size (recorded in the ledger
  /// before it is made, like every cgroup).
  public init(
    session: TestbedSession, router: TestbedRouter, selfPath: String, startKeeper: Bool = true,
    memoryLimit: Int? = nil
  ) throws {
    self.session = session
    self.selfPath = selfPath
    var (steps, procs) = Self.plan(
      prefix: session.prefix, router: router, hostCPUs: ProcessInfo.processInfo.activeProcessorCount,
      cgroups: session.cgroups)
    if let memoryLimit {
      let m = Self.memoryCgroup(prefix: session.prefix, bytes: memoryLimit, cgroups: session.cgroups)
      steps.append(.cgroup(m))
      memoryProcs = m.path + "/cgroup.procs"
    } else {
      memoryProcs = nil
    }
    self.steps = steps
    cgroupProcs = procs
    try TopologyBuilder.build(steps: steps, runner: session.runner, ledger: session.ledger)
    if startKeeper { try self.startKeeper() }
  }

  /// The time-keeper's namespace.
  public var keeperNamespace: String { session.prefix.name("tk") }

  /// Starts the time-keeper: in its namespace, or through `remote` (the time-keeper role
  /// over ssh: the same program started by the remote host's sshd, its stamps read from the
  /// ssh connection).
  public func startKeeper(via remote: RemoteLauncher? = nil) throws {
    let local = ["ip", "netns", "exec", keeperNamespace, selfPath, "testbed", "_timekeeper"]
    // ssh closes every descriptor it inherits, including the one Foundation's Process watches
    // for the child's exit (which then blocks in waitpid on a live process); `setsid --fork
    // --wait` keeps a parent that holds it and exits with ssh.
    let argv =
      try remote.map {
        ["setsid", "--fork", "--wait"] + (try $0.argv([selfPath, "testbed", "_timekeeper"]))
      } ?? local
    keeper = try session.startTimeKeeper(argv, what: argv.joined(separator: " "))
  }

  /// Starts a helper (e.g. an iperf3 server) in the time-keeper's namespace; it is killed at
  /// teardown if still running.
  public func startInKeeperNamespace(_ argv: [String]) throws {
    let p = try SystemCommandRunner.makeProcess(["ip", "netns", "exec", session.prefix.name("tk")] + argv)
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    p.standardInput = FileHandle.nullDevice
    try session.ledger.start(p)
  }

  /// Runs `argv` (or, when `sleep` is given, an in-process sleep of that many seconds) in
  /// `env`, timed by the time-keeper.
  public func run(_ argv: [String], sleep: Double? = nil, in env: BenchEnvironment) throws -> BenchResult {
    let id = nextID
    nextID &+= 1
    let ns = env == .virtual ? session.prefix.name("vr0") : session.prefix.name("host")
    var child = [
      "ip", "netns", "exec", ns, selfPath, "testbed", "_timed", "--keeper", Self.keeperAddress(env), "--id",
      String(id),
    ]
    if let sleep { child += ["--sleep", String(sleep)] }
    child += ["--"] + argv
    let p = try SystemCommandRunner.makeProcess(child)
    let out = Pipe()
    let go = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.standardError
    p.standardInput = go
    try session.ledger.start(p)
    // `ip netns exec` remounts /sys, so the child cannot see the cgroup files: it is moved
    // into the router's cgroups from here (ip execs the child in place: same pid), then told
    // to start; what it runs inherits the cgroups.
    let throttledBefore = env == .virtual ? throttledSeconds() : nil
    if env == .virtual {
      for path in cgroupProcs { try CgroupFiles.write(String(p.processIdentifier), to: path) }
    }
    if let memoryProcs { try CgroupFiles.write(String(p.processIdentifier), to: memoryProcs) }
    go.fileHandleForWriting.write(Data("go\n".utf8))
    try? go.fileHandleForWriting.close()
    let text = PipeSink(out.fileHandleForReading).text()
    p.waitUntilExit()
    session.ledger.finished(p)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    let output = lines.filter { $0.hasPrefix("out ") }.map { $0.dropFirst(4) }.joined(separator: "\n")
    guard let line = lines.last(where: { $0.hasPrefix("timed ") }) else {
      throw TestbedError(
        "the timed benchmark printed no result (status \(p.terminationStatus)): \(text.suffix(300))")
    }
    let f = line.split(separator: " ")
    guard f.count >= 4, let wall = Double(f[1]), let status = Int32(f[2]), let own = Double(f[3]) else {
      throw TestbedError("unexpected result line: \(line)")
    }
    guard let (t1, t2) = keeper?.echoStamps(id: id) else {
      throw TestbedError("the time-keeper did not see both echo requests of run \(id)")
    }
    var throttled: Double? = nil
    if env == .virtual, let after = throttledSeconds() { throttled = after - (throttledBefore ?? 0) }
    return BenchResult(
      externalSeconds: Double(t2 - t1) * 1e-9, wallSeconds: wall, ownSeconds: own, status: status,
      throttledSeconds: throttled, output: output, sendSeconds: f.count >= 6 ? Double(f[5]) : nil)
  }

  /// Runs `argv` (stdin /dev/null, stdout captured, stderr inherited) with posix_spawn and
  /// waitpid, and returns its exit status (128 + signal when killed) and output. Not
  /// Foundation's Process: its exit notification was seen to miss a benchmark's end now and
  /// then, leaving the timed child waiting forever.
  static func spawnAndWait(_ argv: [String]) throws -> (status: Int32, output: String) {
    guard let name = argv.first, let path = ProgramPath.resolve(name) else {
      throw TestbedError("program '\(argv.first ?? "")' not found on PATH")
    }
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw TestbedError("pipe: \(String(cString: strerror(errno)))") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    posix_spawn_file_actions_addclose(&actions, fds[0])
    posix_spawn_file_actions_addclose(&actions, fds[1])
    var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { for a in cargs { free(a) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, nil, &cargs, environ)
    close(fds[1])
    guard rc == 0 else {
      close(fds[0])
      throw TestbedError("cannot start \(path): \(String(cString: strerror(rc)))")
    }
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
      let n = read(fds[0], &buffer, buffer.count)
      if n > 0 {
        data += buffer[0..<n]
      } else if n == 0 || errno != EINTR {
        break
      }
    }
    close(fds[0])
    var st: Int32 = 0
    while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
    let status = (st & 0x7f) == 0 ? (st >> 8) & 0xff : 128 + (st & 0x7f)
    return (status, String(decoding: data, as: UTF8.self))
  }

  /// The cpu cgroup's throttled time so far, seconds (nil when unreadable).
  func throttledSeconds() -> Double? {
    for procs in cgroupProcs {
      let dir = (procs as NSString).deletingLastPathComponent
      guard let text = try? String(contentsOfFile: dir + "/cpu.stat", encoding: .utf8) else { continue }
      for line in text.split(separator: "\n") {
        let f = line.split(separator: " ")
        guard f.count == 2, let v = Double(f[1]) else { continue }
        if f[0] == "throttled_time" { return v * 1e-9 }
        if f[0] == "throttled_usec" { return v * 1e-6 }
      }
    }
    return nil
  }

  /// The timed child's work (run by `vrsim testbed _timed` inside the environment's
  /// namespace): waits for the parent's go on stdin, sends the start echo, runs the benchmark, sends the end
  /// echo, prints the benchmark's output (each line after `out `), then
  /// `timed <wall s> <status> <own s> <cpu s>`.
  public static func timedChild(keeper: String, id: UInt16, sleep: Double?, argv: [String]) throws -> Never {
    _ = readLine()  // the parent's go, once this process is in its cgroups
    let echo = try ExternalTimer.EchoSender(destination: keeper)
    let (t0, a0) = try echo.sendBracketed(id: id, seq: 1)
    var status: Int32 = 0
    var own = Double.nan
    if let sleep {
      Thread.sleep(forTimeInterval: sleep)
      own = Double(ExternalTimer.monotonicNanoseconds() - t0) * 1e-9
    } else {
      let s0 = ExternalTimer.monotonicNanoseconds()
      let (code, text) = try spawnAndWait(argv)
      let ran = Double(ExternalTimer.monotonicNanoseconds() - s0) * 1e-9
      status = code
      // The benchmark's output goes to the parent, each line marked, before the result line.
      // (Blank lines are left out.)
      let marked = text.split(separator: "\n").map { "out \($0)\n" }.joined()
      FileHandle.standardOutput.write(Data(marked.utf8))
      own =
        text.split(separator: "\n").last { $0.hasPrefix("own_seconds ") }.flatMap {
          Double($0.split(separator: " ")[1])
        }
        ?? ran
    }
    let (t1, a1) = try echo.sendBracketed(id: id, seq: 2)
    let wall = Double(t1 - t0) * 1e-9
    // How long the two sends took: the external stamps lie within them.
    let sends = Double((a0 - t0) + (a1 - t1)) * 1e-9
    // The benchmark's CPU time (user + system of the waited-for child; 0 for the sleep).
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
    let cpu =
      Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
      + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
    FileHandle.standardOutput.write(Data("timed \(wall) \(status) \(own) \(cpu) \(sends)\n".utf8))
    exit(0)
  }
}
