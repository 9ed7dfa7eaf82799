import Foundation
import Scenario

#if canImport(Glibc)
  import Glibc
#endif

/// One line of a run's ledger file: something the run is about to create (or has started),
/// written before it exists so that `vrsim testbed clean` can remove it after a SIGKILL.
public enum LedgerEntry: Sendable, Equatable {
  /// The run itself: its process id and start time (clock ticks since boot, /proc/PID/stat
  /// field 22), so a live run's ledger is told from a dead one's even after pid reuse.
  case owner(pid: Int32, start: UInt64)
  /// A network namespace on `host` (nil: this machine).
  case namespace(String, host: SSHTarget?)
  /// A cgroup directory on `host` (nil: this machine).
  case cgroup(String, host: SSHTarget?)
  /// A child process of the run on this machine, with its start time (the guard against a
  /// pid reused by another program after the run died).
  case process(pid: Int32, start: UInt64)
  /// A work folder on this machine (made by `mkdtemp`).
  case workDirectory(String)

  /// The entry as one line (tab-separated fields, no newline; a host as compact JSON).
  var line: String {
    func host(_ h: SSHTarget?) -> String {
      guard let h, let data = try? JSONEncoder().encode(h) else { return "-" }
      return String(decoding: data, as: UTF8.self)
    }
    switch self {
    case .owner(let pid, let start): return "owner\t\(pid)\t\(start)"
    case .namespace(let n, let h): return "netns\t\(n)\t\(host(h))"
    case .cgroup(let p, let h): return "cgroup\t\(p)\t\(host(h))"
    case .process(let pid, let start): return "process\t\(pid)\t\(start)"
    case .workDirectory(let p): return "workdir\t\(p)"
    }
  }

  /// Parses a line written by `line`; nil for anything else (a torn last line).
  init?(line: Substring) {
    let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
    func host(_ s: String) -> SSHTarget?? {
      if s == "-" { return .some(nil) }
      guard let t = try? JSONDecoder().decode(SSHTarget.self, from: Data(s.utf8)) else { return nil }
      return .some(t)
    }
    switch (f.first, f.count) {
    case ("owner", 3):
      guard let pid = Int32(f[1]), let start = UInt64(f[2]) else { return nil }
      self = .owner(pid: pid, start: start)
    case ("netns", 3):
      guard !f[1].isEmpty, let h = host(f[2]) else { return nil }
      self = .namespace(f[1], host: h)
    case ("cgroup", 3):
      guard f[1].hasPrefix("/"), let h = host(f[2]) else { return nil }
      self = .cgroup(f[1], host: h)
    case ("process", 3):
      guard let pid = Int32(f[1]), pid > 1, let start = UInt64(f[2]) else { return nil }
      self = .process(pid: pid, start: start)
    case ("workdir", 2):
      guard f[1].hasPrefix("/") else { return nil }
      self = .workDirectory(f[1])
    default: return nil
    }
  }
}

/// A run's ledger on disk: one append-only file per run in a root-only directory
/// (`/run/vrsim-testbed`), each entry written (one `write`) before the thing it names is made.
/// A SIGKILL loses nothing already written (the data is in the kernel), so `clean` finds
/// exactly what the run made; what no ledger records is never touched.
public final class LedgerJournal: @unchecked Sendable {
  /// Where ledger files live: a tmpfs root can write, cleared at boot (as are namespaces and
  /// cgroups, so a ledger never outlives what it records).
  public static let defaultDirectory = "/run/vrsim-testbed"

  /// The ledger file's path.
  public let path: String
  private let fd: Int32
  private let lock = NSLock()
  private var removed = false

  /// Creates a new ledger file for the run with `prefix` in `directory` (made 0700 if
  /// missing; refused unless a directory, not a symlink, owned by this user and writable by
  /// no one else) and writes the owner line.
  public init(prefix: RunPrefix, directory: String = LedgerJournal.defaultDirectory) throws {
    try Self.secureDirectory(directory, create: true)
    var template = Array((directory + "/" + prefix.text + "XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else {
      throw TestbedError(
        "cannot create a ledger file in \(directory): \(String(cString: strerror(errno)))", usage: true)
    }
    // Children (trafgen, ssh, the jobs) must not inherit it.
    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    self.fd = fd
    path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    let me = getpid()
    try record(.owner(pid: me, start: ProcessStart.of(me) ?? 0))
  }

  /// Appends `entry` (one `write` of the whole line).
  public func record(_ entry: LedgerEntry) throws {
    lock.lock()
    defer { lock.unlock() }
    guard !removed else { throw TestbedError("the ledger \(path) is closed") }
    let bytes = Array((entry.line + "\n").utf8)
    let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    guard n == bytes.count else {
      throw TestbedError("cannot write the ledger \(path): \(String(cString: strerror(errno)))")
    }
  }

  /// Deletes the ledger file: everything it records is gone.
  public func remove() {
    lock.lock()
    defer { lock.unlock() }
    guard !removed else { return }
    removed = true
    unlink(path)
    close(fd)
  }

  deinit {
    if !removed { close(fd) }
  }

  /// Checks (and with `create`, makes) a ledger directory: a real directory (not a symlink),
  /// owned by this user, with no write permission for group or others.
  public static func secureDirectory(_ dir: String, create: Bool) throws {
    var st = stat()
    if lstat(dir, &st) != 0 {
      guard create, errno == ENOENT else {
        throw TestbedError("ledger directory \(dir): \(String(cString: strerror(errno)))", usage: true)
      }
      guard mkdir(dir, 0o700) == 0 || errno == EEXIST else {
        throw TestbedError(
          "cannot create the ledger directory \(dir): \(String(cString: strerror(errno)))", usage: true)
      }
      guard lstat(dir, &st) == 0 else {
        throw TestbedError("ledger directory \(dir): \(String(cString: strerror(errno)))", usage: true)
      }
    }
    guard (st.st_mode & S_IFMT) == S_IFDIR else {
      throw TestbedError(
        "ledger directory \(dir) is not a directory (or is a symlink); remove it", usage: true)
    }
    guard st.st_uid == geteuid(), st.st_mode & 0o022 == 0 else {
      throw TestbedError(
        "ledger directory \(dir) is not owned by this user or is writable by others; refusing to use it",
        usage: true)
    }
  }

  /// The ledger files in `directory` (regular files owned by this user; others are
  /// ignored), sorted by name.
  public static func files(in directory: String = LedgerJournal.defaultDirectory) -> [String] {
    guard (try? secureDirectory(directory, create: false)) != nil else { return [] }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return names.sorted().compactMap { name in
      let p = directory + "/" + name
      var st = stat()
      guard RunPrefix.isFamily(name), lstat(p, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG,
        st.st_uid == geteuid()
      else { return nil }
      return p
    }
  }

  /// The entries of the ledger file at `path` (lines that do not parse are skipped: only a
  /// torn last line can be one).
  public static func entries(of path: String) -> [LedgerEntry] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").compactMap { LedgerEntry(line: $0) }
  }
}

/// Process start times, from /proc.
public enum ProcessStart {
  /// Field 22 of /proc/PID/stat (clock ticks after boot), or nil when there is no such
  /// process.
  public static func of(_ pid: Int32) -> UInt64? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = text.lastIndex(of: ")")
    else { return nil }
    // After "pid (comm)": state is field 3, so start time (22) is the 20th field after ')'.
    let rest = text[text.index(after: close)...].split(separator: " ")
    guard rest.count > 19 else { return nil }
    return UInt64(rest[19])
  }

  /// The parent process id (field 4), or nil when there is no such process.
  static func parent(of pid: Int32) -> Int32? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = text.lastIndex(of: ")")
    else { return nil }
    let rest = text[text.index(after: close)...].split(separator: " ")
    return rest.count > 1 ? Int32(rest[1]) : nil
  }

  /// Whether `pid` runs and started at `start` (the same process, not a reuse of its pid).
  public static func isAlive(_ pid: Int32, start: UInt64) -> Bool { of(pid) == start }

  /// `roots` and every process descending from them now, parents before children.
  static func descendants(of roots: [Int32]) -> [Int32] {
    let all = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
    var children: [Int32: [Int32]] = [:]
    for p in all { if let pp = parent(of: p) { children[pp, default: []].append(p) } }
    var out: [Int32] = []
    var seen = Set<Int32>()
    var queue = roots
    while let p = queue.first {
      queue.removeFirst()
      guard seen.insert(p).inserted else { continue }
      out.append(p)
      queue += children[p] ?? []
    }
    return out
  }
}

/// Removing a folder the run made, with the checks that keep `rm -r` as root from following
/// a link or deleting someone else's files.
public enum SafeRemove {
  /// Removes directory `path` and its contents when it is a real directory (not a symlink)
  /// owned by this user; entries inside are unlinked without following symlinks, and
  /// subdirectories pass the same checks. Returns true when it is gone (or never existed).
  @discardableResult
  public static func directory(_ path: String) -> Bool {
    var st = stat()
    if lstat(path, &st) != 0 { return errno == ENOENT }
    guard (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == geteuid() else { return false }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    var ok = true
    for n in names {
      let p = path + "/" + n
      var s = stat()
      guard lstat(p, &s) == 0 else { continue }
      if (s.st_mode & S_IFMT) == S_IFDIR {
        ok = directory(p) && ok
      } else if unlink(p) != 0 {
        ok = false
      }
    }
    return ok && rmdir(path) == 0
  }
}
