import Foundation
import Scenario

/// Removes what killed testbed runs left, as their ledger files record it (`LedgerJournal`):
/// the processes each run recorded (only while the pid still belongs to the process that
/// started then, by its start time) and their descendants, the cgroups (with what runs in
/// them) and namespaces (with what runs in them, their links going with them) each run
/// recorded, locally or on the remote host recorded with them, and its work folders (a real
/// directory owned by this user, nothing followed through a symlink). A ledger file goes once
/// everything it records is gone. Takes the run lock first, so a live run is never disturbed;
/// nothing a ledger does not record is touched, even when named like the testbed's.
public enum TestbedCleaner {
  /// What was found and removed.
  public struct Report: Sendable {
    /// One line per removed item, e.g. `netns vrt1f3a-gen`.
    public var removed: [String]
    /// Items found but not removable, with the reason.
    public var failed: [String]
    /// Per remote host cleaned: what was removed there and what not.
    public var hosts: [(host: String, removed: [String], failed: [String])] = []
    /// Names in the testbed's family (`vrt<hex>-`) that exist here but that no ledger
    /// records: left alone (another tool's, or a run of a version without ledger files).
    public var untouched: [String] = []
  }

  /// Cleans up with `runner`, from the ledger files in `ledgerDirectory`. `remotes`: ssh
  /// targets (a scenario's remote roles) used instead of the recorded ones for entries on
  /// the same host and port (e.g. when a key file moved).
  public static func clean(
    runner: any CommandRunner, remotes: [SSHTarget] = [], cgroupRoot: String = "/sys/fs/cgroup",
    ledgerDirectory: String = LedgerJournal.defaultDirectory
  ) throws -> Report {
    let lock = try TestbedLock()
    defer { withExtendedLifetime(lock) {} }
    var report = Report(removed: [], failed: [])
    var hostIndex: [String: Int] = [:]
    func remote(_ host: SSHTarget, removed: String? = nil, failed: String? = nil) {
      let key = host.host
      if hostIndex[key] == nil {
        hostIndex[key] = report.hosts.count
        report.hosts.append((key, [], []))
      }
      if let removed { report.hosts[hostIndex[key]!].removed.append(removed) }
      if let failed { report.hosts[hostIndex[key]!].failed.append(failed) }
    }
    for file in LedgerJournal.files(in: ledgerDirectory) {
      let entries = LedgerJournal.entries(of: file)
      if case .owner(let pid, let start)? = entries.first, ProcessStart.isAlive(pid, start: start) {
        report.failed.append("ledger \(file): its run (pid \(pid)) is still running")
        continue
      }
      var failures = 0
      // Processes first: the recorded ones still alive as themselves, and their descendants.
      let roots = entries.compactMap { e -> Int32? in
        if case .process(let pid, let start) = e, ProcessStart.isAlive(pid, start: start) { return pid }
        return nil
      }
      let tree = ProcessStart.descendants(of: roots)
      for pid in tree where pid != getpid() {
        let name =
          (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
          .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
        if kill(pid, SIGKILL) == 0 { report.removed.append("process \(pid) (\(name))") }
      }
      if !tree.isEmpty { usleep(50_000) }
      var seen = Set<String>()
      for e in entries.reversed() {
        guard case .cgroup(let path, let host) = e, seen.insert("c \(path) \(host?.host ?? "")").inserted
        else {
          continue
        }
        if let host {
          let target = remotes.first { $0.host == host.host && $0.port == host.port } ?? host
          let on = target.runner(local: runner)
          if CgroupFiles.remove(path, runner: on) {
            remote(host, removed: "cgroup \(path)")
          } else if (try? on.run(["test", "-e", path], input: nil))?.status != 1 {
            remote(host, failed: "cgroup \(path)")
            failures += 1
          }
        } else if FileManager.default.fileExists(atPath: path) {
          if CgroupFiles.remove(path) {
            report.removed.append("cgroup \(path)")
          } else {
            report.failed.append("cgroup \(path)")
            failures += 1
          }
        }
      }
      let here = Set(NamespaceTools.list(runner: runner))
      for e in entries.reversed() {
        guard case .namespace(let ns, let host) = e, seen.insert("n \(ns) \(host?.host ?? "")").inserted
        else {
          continue
        }
        if let host {
          let target = remotes.first { $0.host == host.host && $0.port == host.port } ?? host
          let on = target.runner(local: runner)
          guard let list = try? on.run(["ip", "netns", "list"], input: nil), list.status == 0 else {
            remote(host, failed: "netns \(ns) (ip netns list did not run over ssh)")
            failures += 1
            continue
          }
          guard NamespaceTools.names(list.stdout).contains(ns) else { continue }
          if NamespaceTools.remove(ns, runner: on, remote: true) {
            remote(host, removed: "netns \(ns)")
          } else {
            remote(host, failed: "netns \(ns)")
            failures += 1
          }
        } else if here.contains(ns) {
          if NamespaceTools.remove(ns, runner: runner) {
            report.removed.append("netns \(ns)")
          } else {
            report.failed.append("netns \(ns)")
            failures += 1
          }
        }
      }
      for e in entries {
        guard case .workDirectory(let dir) = e else { continue }
        var st = stat()
        guard lstat(dir, &st) == 0 else { continue }
        if SafeRemove.directory(dir) {
          report.removed.append("directory \(dir)")
        } else {
          report.failed.append("directory \(dir) (not a directory owned by this user, or not removable)")
          failures += 1
        }
      }
      if failures == 0 { unlink(file) }
    }
    report.untouched = leftovers(runner: runner, cgroupRoot: cgroupRoot)
    return report
  }

  /// What is left of the family right now (namespaces, host links, cgroups), optionally only
  /// of one prefix: what tests check after a run.
  public static func leftovers(
    prefix: String? = nil, runner: any CommandRunner, cgroupRoot: String = "/sys/fs/cgroup"
  )
    -> [String]
  {
    func mine(_ name: String) -> Bool {
      if let prefix { return name.hasPrefix(prefix) }
      return RunPrefix.isFamily(name)
    }
    var out: [String] = []
    for dir in cgroupDirectories(root: cgroupRoot) {
      for e in ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() where mine(e) {
        out.append("cgroup \(dir)/\(e)")
      }
    }
    out += NamespaceTools.list(runner: runner).filter(mine).map { "netns \($0)" }
    out += hostLinks(runner: runner).filter(mine).map { "link \($0)" }
    return out
  }

  /// The directories cgroups may be made in: each mounted v1 controller and the v2 root.
  static func cgroupDirectories(root: String) -> [String] {
    var dirs: [String] = []
    for c in ["cpu", "cpuset", "cpuacct", "memory", "unified"]
    where FileManager.default.fileExists(atPath: root + "/" + c) {
      dirs.append(root + "/" + c)
    }
    if FileManager.default.fileExists(atPath: root + "/cgroup.controllers") { dirs.append(root) }
    return dirs
  }

  /// Link names in the host's network namespace.
  static func hostLinks(runner: any CommandRunner) -> [String] {
    guard let r = try? runner.run(["ip", "-o", "link", "show"], input: nil), r.status == 0 else { return [] }
    return r.stdout.split(separator: "\n").compactMap { line in
      let parts = line.split(separator: ":", maxSplits: 2)
      guard parts.count >= 2 else { return nil }
      let name = parts[1].trimmingCharacters(in: .whitespaces)
      return String(name.split(separator: "@").first ?? Substring(name))
    }
  }
}
