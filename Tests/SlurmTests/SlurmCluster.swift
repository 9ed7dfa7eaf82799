import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A single-node Slurm cluster of its own in a temporary directory: munged with a fresh key
/// and its own socket, slurmctld and slurmd on free loopback ports, every state, spool, pid
/// and log file inside the directory. It never reads or touches a Slurm or munge the machine
/// already has (clients find it through `SLURM_CONF`, munge through `AuthInfo=socket=`).
/// `shutdown()` cancels its jobs, stops the three daemons it started (by the pids in their
/// pid files) and removes the directory.
final class SlurmCluster {
  /// The programs the cluster needs (Debian: munge, slurmctld, slurmd, slurm-client).
  static let programs = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel", "sinfo"]

  /// Why no cluster can start here (not root, a program missing), printed once; nil when it can.
  static let unavailableReason: String? = {
    var reason: String?
    if geteuid() != 0 {
      reason = "not root (slurmd runs jobs as their user and munged needs its own key)"
    } else {
      let missing = programs.filter { resolve($0) == nil }
      if !missing.isEmpty {
        reason =
          "\(missing.joined(separator: ", ")) not found (apt-get install slurmctld slurmd slurm-client munge)"
      }
    }
    if let reason { print("SlurmTests: SKIPPED: \(reason)") }
    return reason
  }()

  /// True when a cluster can start.
  static var available: Bool { unavailableReason == nil }

  /// The temporary directory holding everything.
  let root: URL
  /// The slurm.conf.
  let conf: URL
  /// This machine's short host name, the node's name.
  let node: String
  /// The environment for client commands (`SLURM_CONF` set).
  let environment: [String: String]

  private struct Daemon {
    var name: String
    var pidFile: URL
    var pid: pid_t
    var exited = false
  }
  private var daemons: [Daemon] = []
  private var stopped = false

  /// Starts munged, slurmctld and slurmd and waits (at most 30 s) until the node is idle.
  /// On any failure, stops what was started and removes the directory before throwing.
  init(maxArraySize: Int) throws {
    root = URL(fileURLWithPath: "/tmp/vrsim-slurm-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    conf = root.appendingPathComponent("slurm.conf")
    node = Self.shortHostName()
    var env = ProcessInfo.processInfo.environment
    env["SLURM_CONF"] = conf.path
    environment = env
    do {
      try setUp(maxArraySize: maxArraySize)
    } catch {
      shutdown()
      throw error
    }
  }

  deinit { shutdown() }

  private func path(_ name: String) -> String { root.appendingPathComponent(name).path }

  private func setUp(maxArraySize: Int) throws {
    let fm = FileManager.default
    // munged wants every directory on its socket's path searchable by all, and no directory
    // writable by others.
    for dir in ["", "run", "log", "state", "spool"] {
      try fm.createDirectory(atPath: path(dir), withIntermediateDirectories: true)
      try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path(dir))
    }
    var key = [UInt8](repeating: 0, count: 1024)
    for i in key.indices { key[i] = UInt8.random(in: 0...255) }
    _ = fm.createFile(atPath: path("munge.key"), contents: Data(key), attributes: [.posixPermissions: 0o600])

    let socket = path("run/munge.sock")
    try startDaemon(
      "munged",
      [
        "-F", "--socket=\(socket)", "--key-file=\(path("munge.key"))", "--log-file=\(path("log/munged.log"))",
        "--pid-file=\(path("run/munged.pid"))", "--seed-file=\(path("run/munged.seed"))",
      ], pidFile: "run/munged.pid")
    try waitFor("munged's socket \(socket)", seconds: 15) { fm.fileExists(atPath: socket) }

    let ctldPort = try Self.freePort()
    var slurmdPort = try Self.freePort()
    while slurmdPort == ctldPort { slurmdPort = try Self.freePort() }
    let cpus = ProcessInfo.processInfo.activeProcessorCount
    let text = """
      ClusterName=vrsimtest
      SlurmctldHost=\(node)(127.0.0.1)
      SlurmctldPort=\(ctldPort)
      SlurmdPort=\(slurmdPort)
      SlurmUser=root
      SlurmdUser=root
      AuthType=auth/munge
      AuthInfo=socket=\(socket)
      CredType=cred/munge
      StateSaveLocation=\(path("state"))
      SlurmdSpoolDir=\(path("spool"))
      SlurmctldPidFile=\(path("run/slurmctld.pid"))
      SlurmdPidFile=\(path("run/slurmd.pid"))
      SlurmctldLogFile=\(path("log/slurmctld.log"))
      SlurmdLogFile=\(path("log/slurmd.log"))
      ProctrackType=proctrack/linuxproc
      TaskPlugin=task/none
      JobAcctGatherType=jobacct_gather/none
      AccountingStorageType=accounting_storage/none
      JobCompType=jobcomp/none
      SchedulerType=sched/builtin
      SelectType=select/cons_tres
      SelectTypeParameters=CR_CPU
      MpiDefault=none
      SwitchType=switch/none
      ReturnToService=2
      MaxArraySize=\(maxArraySize)
      MinJobAge=600
      KillWait=5
      NodeName=\(node) NodeAddr=127.0.0.1 CPUs=\(cpus) State=UNKNOWN
      PartitionName=test Nodes=\(node) Default=YES MaxTime=INFINITE State=UP

      """
    try text.write(to: conf, atomically: true, encoding: .utf8)
    try startDaemon("slurmctld", ["-D", "-f", conf.path], pidFile: "run/slurmctld.pid")
    try startDaemon("slurmd", ["-D", "-f", conf.path, "-N", node], pidFile: "run/slurmd.pid")
    try waitFor("node \(node) to be idle (sinfo)", seconds: 30) {
      let r = try? self.run(["sinfo", "-h", "-n", self.node, "-o", "%T"])
      return r?.status == 0 && r?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "idle"
    }
  }

  /// Starts a daemon in the foreground with `posix_spawn`, not `Process`: daemons close every
  /// inherited descriptor, which `Process` takes for the child's exit (it then blocks in
  /// waitpid and never reports another process). The child gets stdin from /dev/null,
  /// stdout and stderr to log/NAME.stdio, no other descriptor of this process (pipes of
  /// other tests' commands must not leak into a daemon) and default signal handling.
  private func startDaemon(_ name: String, _ arguments: [String], pidFile: String) throws {
    guard let program = Self.resolve(name) else { throw ClusterError("\(name) not found") }
    guard let closeFrom = Self.addCloseFrom else {
      throw ClusterError("posix_spawn_file_actions_addclosefrom_np is missing (glibc 2.34 or later)")
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(
      &actions, 1, path("log/\(name).stdio"), O_WRONLY | O_CREAT | O_APPEND, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    _ = closeFrom(&actions, 3)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t()
    sigemptyset(&none)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    let argv = ([program] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      for p in argv { free(p) }
      for p in envp { free(p) }
    }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, program, &actions, &attributes, argv, envp)
    guard rc == 0 else { throw ClusterError("posix_spawn \(name): \(String(cString: strerror(rc)))") }
    daemons.append(Daemon(name: name, pidFile: root.appendingPathComponent(pidFile), pid: pid))
    // A daemon that exits at once (bad config, port taken) fails the start with its log.
    usleep(200_000)
    if hasExited(daemons.count - 1) { throw ClusterError("\(name) exited at start:\n\(logs())") }
  }

  /// glibc's `posix_spawn_file_actions_addclosefrom_np` (not in Swift's Glibc module).
  private static let addCloseFrom:
    (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
      guard
        let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
      else { return nil }
      return unsafeBitCast(
        symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

  /// True when daemon `i` has exited (it is reaped here).
  private func hasExited(_ i: Int) -> Bool {
    if daemons[i].exited { return true }
    var status: Int32 = 0
    if waitpid(daemons[i].pid, &status, WNOHANG) == daemons[i].pid { daemons[i].exited = true }
    return daemons[i].exited
  }

  /// Waits until `ready` holds, polling every 100 ms, at most `seconds`.
  private func waitFor(_ what: String, seconds: Double, _ ready: () -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if ready() { return }
      for (i, d) in daemons.enumerated() where hasExited(i) {
        throw ClusterError("\(d.name) exited while waiting for \(what):\n\(logs())")
      }
      usleep(100_000)
    }
    throw ClusterError("timed out after \(Int(seconds)) s waiting for \(what):\n\(logs())")
  }

  /// The tails of the daemons' logs, for failure messages.
  func logs() -> String {
    let names = [
      "munged.log", "munged.stdio", "slurmctld.log", "slurmctld.stdio", "slurmd.log", "slurmd.stdio",
    ]
    return names.compactMap { name -> String? in
      guard let text = try? String(contentsOfFile: path("log/\(name)"), encoding: .utf8), !text.isEmpty else {
        return nil
      }
      return "--- \(name):\n" + text.split(separator: "\n").suffix(15).joined(separator: "\n")
    }.joined(separator: "\n")
  }

  /// Runs a client command (or any program) with the cluster's environment.
  func run(_ argv: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    guard let program = Self.resolve(argv[0]) else { throw ClusterError("\(argv[0]) not found") }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: program)
    p.arguments = Array(argv.dropFirst())
    p.environment = environment
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    final class Box: @unchecked Sendable { var data = Data() }
    let errBox = Box()
    let group = DispatchGroup()
    group.enter()
    let errHandle = err.fileHandleForReading
    DispatchQueue.global().async {
      errBox.data = errHandle.readDataToEndOfFile()
      group.leave()
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return (
      p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: errBox.data, as: UTF8.self)
    )
  }

  /// The state of every array task of `jobs` (`"17_2": "COMPLETED"`), polled every 250 ms until
  /// every task has ended (not PENDING, RUNNING, CONFIGURING, COMPLETING, SUSPENDED), at most
  /// `timeout` seconds.
  func waitForTasks(of jobs: [String], timeout: Double) throws -> [String: String] {
    let active: Set<String> = ["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED"]
    let deadline = Date().addingTimeInterval(timeout)
    var last: [String: String] = [:]
    while Date() < deadline {
      let states = try taskStates(of: jobs)
      last = states
      if !states.isEmpty && states.values.allSatisfy({ !active.contains($0) }) { return states }
      usleep(250_000)
    }
    throw ClusterError("jobs \(jobs) not finished after \(Int(timeout)) s: \(last)\n\(logs())")
  }

  /// The current state of each array task of `jobs`, one entry per task.
  func taskStates(of jobs: [String]) throws -> [String: String] {
    let r = try run(["squeue", "-h", "-r", "-t", "all", "-j", jobs.joined(separator: ","), "-o", "%i %T"])
    guard r.status == 0 else { throw ClusterError("squeue failed: \(r.stderr)") }
    var states: [String: String] = [:]
    for line in r.stdout.split(separator: "\n") {
      let f = line.split(separator: " ")
      if f.count == 2 { states[String(f[0])] = String(f[1]) }
    }
    return states
  }

  /// Cancels the cluster's jobs, stops its daemons (slurmd, slurmctld, munged: SIGTERM to the
  /// pid in each pid file, which must be the process started here, SIGKILL after 5 s) and
  /// removes the directory. Safe to call more than once.
  func shutdown() {
    if stopped { return }
    stopped = true
    if let i = daemons.firstIndex(where: { $0.name == "slurmctld" }), !hasExited(i) {
      if let r = try? run(["squeue", "-h", "-o", "%A"]), r.status == 0 {
        let ids = Set(r.stdout.split(separator: "\n").map(String.init))
        if !ids.isEmpty {
          _ = try? run(["scancel"] + ids.sorted())
          let deadline = Date().addingTimeInterval(15)
          while Date() < deadline, let q = try? run(["squeue", "-h", "-o", "%A"]), q.status == 0,
            !q.stdout.isEmpty
          {
            usleep(200_000)
          }
        }
      }
    }
    for i in daemons.indices.reversed() {
      let d = daemons[i]
      // The pid file names the daemon; only a pid this harness started is signalled.
      if let text = try? String(contentsOf: d.pidFile, encoding: .utf8),
        let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid != d.pid
      {
        print("SlurmTests: \(d.pidFile.path) names pid \(pid), not the \(d.name) started here (\(d.pid))")
      }
      if !hasExited(i) { kill(d.pid, SIGTERM) }
      let deadline = Date().addingTimeInterval(5)
      while !hasExited(i) && Date() < deadline { usleep(50_000) }
      if !hasExited(i) {
        print("SlurmTests: \(d.name) (pid \(d.pid)) ignored SIGTERM for 5 s; SIGKILL")
        kill(d.pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(d.pid, &status, 0)
        daemons[i].exited = true
      }
    }
    try? FileManager.default.removeItem(at: root)
  }

  /// `hostname -s`: the host name up to its first dot.
  static func shortHostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    gethostname(&buffer, buffer.count)
    let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return String(name.split(separator: ".").first ?? "localhost")
  }

  /// A TCP port free on the loopback interface now (bound to port 0 and released).
  static func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ClusterError("socket() failed") }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
    }
    guard bound == 0 else { throw ClusterError("bind() failed") }
    let named = withUnsafeMutablePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    guard named == 0 else { throw ClusterError("getsockname() failed") }
    return Int(UInt16(bigEndian: addr.sin_port))
  }

  /// A program on PATH or in the sbin directories.
  static func resolve(_ name: String) -> String? {
    if name.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
    for dir in path + ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin", "/bin"] {
      let candidate = dir + "/" + name
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }
}

/// A cluster that would not start or behave.
struct ClusterError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
