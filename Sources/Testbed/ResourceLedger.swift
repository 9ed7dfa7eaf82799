import Foundation
import Scenario

#if canImport(Glibc)
  import Glibc
#endif

/// What one run created, so that it can be removed whatever way the run ends: namespaces,
/// cgroup directories, work folders and child processes, recorded *before* each is created
/// (processes: as soon as they have a pid) in memory and, with a `journal`, in the run's
/// ledger file, which `vrsim testbed clean` reads after a SIGKILL.
///
/// Creation and teardown hold the same lock: a signal handler that tears down while the main
/// thread is creating waits for that one step, and once torn down the ledger refuses new
/// entries (the main thread's next step fails instead of leaking).
public final class ResourceLedger: @unchecked Sendable {
  private let lock = NSLock()
  private var namespaces: [(name: String, host: SSHTarget?)] = []
  private var cgroups: [(path: String, host: SSHTarget?)] = []
  private var processes: [Int32: Process] = [:]
  private var workDirectories: [String] = []
  private var closed = false
  /// The exit code of the signal whose handler tore the ledger down, if one did.
  private var closedBySignal: Int32?
  /// Set when a teardown could not remove something (the ledger file is then kept for clean).
  private var leftBehind = false
  private let runner: any CommandRunner
  /// The run's ledger file (nil: memory only, as in tests of the plan).
  public let journal: LedgerJournal?

  /// A ledger that runs its teardown commands with `runner` and writes every entry to
  /// `journal` before acting on it.
  public init(runner: any CommandRunner, journal: LedgerJournal? = nil) {
    self.runner = runner
    self.journal = journal
  }

  /// Records namespace `name` on `host` (nil: this machine) and creates it with `create`,
  /// under the lock.
  public func createNamespace(_ name: String, on host: SSHTarget? = nil, _ create: () throws -> Void) throws {
    lock.lock()
    defer { lock.unlock() }
    guard !closed else { throw TestbedError("interrupted", signalExitCode: closedBySignal) }
    try journal?.record(.namespace(name, host: host))
    namespaces.append((name, host))
    try create()
  }

  /// Records cgroup directory `path` on `host` (nil: this machine) and creates it with
  /// `create`, under the lock.
  public func createCgroup(_ path: String, on host: SSHTarget? = nil, _ create: () throws -> Void) throws {
    lock.lock()
    defer { lock.unlock() }
    guard !closed else { throw TestbedError("interrupted", signalExitCode: closedBySignal) }
    try journal?.record(.cgroup(path, host: host))
    cgroups.append((path, host))
    try create()
  }

  /// Makes a private work folder in `parent` with `mkdtemp` (mode 0700, a fresh unpredictable
  /// name starting with `stem`) and records it at once, before anything is written in it.
  public func createWorkDirectory(in parent: String, stem: String) throws -> String {
    lock.lock()
    defer { lock.unlock() }
    guard !closed else { throw TestbedError("interrupted", signalExitCode: closedBySignal) }
    var template = Array((parent + "/" + stem + "XXXXXX").utf8CString)
    guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
      throw TestbedError("cannot create a work folder in \(parent): \(String(cString: strerror(errno)))")
    }
    let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    workDirectories.append(path)
    do { try journal?.record(.workDirectory(path)) } catch {
      rmdir(path)
      throw error
    }
    return path
  }

  /// Runs `body` under the lock unless torn down (a command that must not race teardown).
  public func whileOpen<T>(_ body: () throws -> T) throws -> T {
    lock.lock()
    defer { lock.unlock() }
    guard !closed else { throw TestbedError("interrupted", signalExitCode: closedBySignal) }
    return try body()
  }

  /// Starts `process` and records it (killed at teardown if still running) with its start
  /// time, so that clean never kills another program that got its pid later.
  public func start(_ process: Process) throws {
    lock.lock()
    defer { lock.unlock() }
    guard !closed else { throw TestbedError("interrupted", signalExitCode: closedBySignal) }
    try process.run()
    let pid = process.processIdentifier
    processes[pid] = process
    if let start = ProcessStart.of(pid) { try journal?.record(.process(pid: pid, start: start)) }
  }

  /// Forgets a process that has exited.
  public func finished(_ process: Process) {
    lock.lock()
    processes[process.processIdentifier] = nil
    lock.unlock()
  }

  /// Namespaces created so far.
  public var createdNamespaces: [String] {
    lock.lock()
    defer { lock.unlock() }
    return namespaces.map(\.name)
  }

  /// Removes everything recorded, newest first: kills child processes, then whatever still
  /// runs in the run's cgroups and namespaces (all of it started by this run), removes the
  /// cgroups, deletes the namespaces (their links go with them); with `final`, also the work
  /// folders, and later creations are refused. Idempotent; returns what was removed. After a
  /// final teardown that left nothing, the ledger file is deleted (else `clean` finds it).
  @discardableResult
  public func teardown(final: Bool = true, signalExitCode: Int32? = nil) -> [String] {
    lock.lock()
    defer { lock.unlock() }
    if final { closed = true }
    if let signalExitCode { closedBySignal = signalExitCode }
    var removed: [String] = []
    for (pid, p) in processes where p.isRunning { kill(pid, SIGKILL) }
    for (_, p) in processes { p.waitUntilExit() }
    processes = [:]
    for (path, host) in cgroups.reversed() {
      if let host {
        let on = host.runner(local: runner)
        if CgroupFiles.remove(path, runner: on) {
          removed.append("cgroup \(path) on \(host.host)")
        } else if (try? on.run(["test", "-e", path], input: nil))?.status != 1 {
          leftBehind = true
        }
      } else if CgroupFiles.remove(path) {
        removed.append("cgroup \(path)")
      } else if FileManager.default.fileExists(atPath: path) {
        leftBehind = true
      }
    }
    cgroups = []
    for (ns, host) in namespaces.reversed() {
      if let host {
        let on = host.runner(local: runner)
        if NamespaceTools.remove(ns, runner: on, remote: true) {
          removed.append("netns \(ns) on \(host.host)")
        } else if (try? on.run(["ip", "netns", "list"], input: nil)).map({
          $0.status != 0 || NamespaceTools.names($0.stdout).contains(ns)
        }) ?? true {
          leftBehind = true
        }
      } else if NamespaceTools.remove(ns, runner: runner) {
        removed.append("netns \(ns)")
      } else if NamespaceTools.list(runner: runner).contains(ns) {
        leftBehind = true
      }
    }
    namespaces = []
    if final {
      for dir in workDirectories.reversed() {
        if SafeRemove.directory(dir) {
          removed.append("directory \(dir)")
        } else {
          leftBehind = true
        }
      }
      workDirectories = []
      if !leftBehind { journal?.remove() }
    }
    return removed
  }
}

/// cgroup directories: create, write settings, kill members, remove.
enum CgroupFiles {
  /// Creates `step.path` and writes its settings.
  static func create(_ step: CgroupStep) throws {
    do {
      try FileManager.default.createDirectory(atPath: step.path, withIntermediateDirectories: false)
    } catch {
      throw TestbedError("cannot create cgroup \(step.path): \(error.localizedDescription)")
    }
    for s in step.settings {
      let file = step.path + "/" + s.file
      guard FileManager.default.fileExists(atPath: file) else {
        throw TestbedError("cgroup control file \(file) does not exist on this kernel")
      }
      do { try write(s.value, to: file) } catch {
        throw TestbedError("cannot write '\(s.value)' to \(file): \(error)")
      }
    }
  }

  /// Writes `value` to a control file (one write, as the kernel expects).
  static func write(_ value: String, to file: String) throws {
    guard let h = FileHandle(forWritingAtPath: file) else {
      throw TestbedError("cannot open \(file)")
    }
    defer { try? h.close() }
    try h.write(contentsOf: Data(value.utf8))
  }

  /// Makes `step` on a remote host with `runner` (ssh): `mkdir`, then each value written by
  /// `tee FILE` from stdin (a control file that does not exist cannot be created in cgroupfs,
  /// so tee fails there as the local write does).
  static func create(_ step: CgroupStep, runner: any CommandRunner) throws {
    for (argv, input) in TopologyPlan.remoteCgroupCommands(step) { try runner.check(argv, input: input) }
  }

  /// Removes the remote cgroup at `path` with `runner` (ssh): kills its members (`kill -9`
  /// with the pids of its cgroup.procs), then `rmdir`. True when it existed and is gone.
  static func remove(_ path: String, runner: any CommandRunner) -> Bool {
    guard (try? runner.run(["test", "-d", path], input: nil))?.status == 0 else { return false }
    for _ in 0..<20 {
      let procs = (try? runner.run(["cat", path + "/cgroup.procs"], input: nil))?.stdout ?? ""
      let pids = procs.split(separator: "\n").compactMap { Int32($0) }
      if pids.isEmpty { break }
      _ = try? runner.run(["kill", "-9"] + pids.map(String.init), input: nil)
      usleep(50_000)
    }
    for _ in 0..<20 {
      if (try? runner.run(["rmdir", path], input: nil))?.status == 0 { return true }
      usleep(50_000)
    }
    return false
  }

  /// Whether `pid` is a kernel thread (PF_KTHREAD in /proc/PID/stat).
  static func isKernelThread(_ pid: Int32) -> Bool {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    return ForeignCPU.parseStat(text)?.kernelThread ?? false
  }

  /// Kills every process in the cgroup at `path` (they were started by the run that owns
  /// it), then removes the directory. True when it existed and is gone.
  static func remove(_ path: String) -> Bool {
    guard FileManager.default.fileExists(atPath: path) else { return false }
    for _ in 0..<50 {
      let procs = (try? String(contentsOfFile: path + "/cgroup.procs", encoding: .utf8)) ?? ""
      let pids = procs.split(separator: "\n").compactMap { Int32($0) }
      if pids.isEmpty { break }
      for pid in pids {
        // A kernel thread (threaded mode's NAPI thread) takes no signal: it goes back to
        // the hierarchy's root, which it came from.
        if isKernelThread(pid) {
          try? write(String(pid), to: (path as NSString).deletingLastPathComponent + "/tasks")
        } else {
          kill(pid, SIGKILL)
        }
      }
      usleep(20_000)
    }
    for _ in 0..<50 {
      if rmdir(path) == 0 { return true }
      usleep(20_000)
    }
    return !FileManager.default.fileExists(atPath: path)
  }
}

/// Network namespace helpers.
enum NamespaceTools {
  /// Names in `ip netns list`.
  static func list(runner: any CommandRunner) -> [String] {
    guard let out = try? runner.run(["ip", "netns", "list"], input: nil), out.status == 0 else { return [] }
    return names(out.stdout)
  }

  /// The names in the output of `ip netns list` (each line: a name, maybe ` (id: N)`).
  static func names(_ text: String) -> [String] {
    text.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
  }

  /// Kills the processes inside namespace `ns` (started by the run that owns it), then
  /// deletes it. True when it was deleted.
  /// With `remote`, `runner` reaches another host: its processes are killed there
  /// (`kill -9 PID ...` through the runner).
  static func remove(_ ns: String, runner: any CommandRunner, remote: Bool = false) -> Bool {
    for _ in 0..<20 {
      let pids =
        ((try? runner.run(["ip", "netns", "pids", ns], input: nil))?.stdout ?? "")
        .split(separator: "\n").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
      if pids.isEmpty { break }
      if remote {
        _ = try? runner.run(["kill", "-9"] + pids.map(String.init), input: nil)
      } else {
        for pid in pids where pid != getpid() { kill(pid, SIGKILL) }
      }
      usleep(20_000)
    }
    guard let r = try? runner.run(["ip", "netns", "del", ns], input: nil) else { return false }
    return r.status == 0
  }
}
