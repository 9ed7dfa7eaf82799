import Foundation
import Scenario

/// Removes what killed testbed runs left: every namespace, host-namespace link and cgroup
/// whose name is in the `vrt<hex>-` family (`RunPrefix.isFamily`), and the processes inside
/// them. Takes the run lock first, so a live run is never disturbed; nothing outside the
/// family is touched.
public enum TestbedCleaner {
  /// What was found and removed.
  public struct Report: Sendable {
    /// One line per removed item, e.g. `netns vrt1f3a-gen`.
    public var removed: [String]
    /// Items found but not removable, with the reason.
    public var failed: [String]
    /// Per remote host cleaned (in the order given): what was removed there and what not.
    public var hosts: [(host: String, removed: [String], failed: [String])] = []
  }

  /// Cleans up with `runner`; `cgroupRoot` is where the hierarchies are mounted. `remotes`:
  /// hosts (a scenario's remote roles) cleaned first, over ssh, the same way: family
  /// namespaces (`ip netns list` there) and cgroups, nothing else.
  public static func clean(
    runner: any CommandRunner, remotes: [SSHTarget] = [], cgroupRoot: String = "/sys/fs/cgroup"
  ) throws -> Report {
    let lock = try TestbedLock()
    defer { withExtendedLifetime(lock) {} }
    var hosts: [(host: String, removed: [String], failed: [String])] = []
    for target in remotes {
      let (removed, failed) = cleanRemote(on: target.runner(local: runner), cgroupRoot: cgroupRoot)
      hosts.append((target.host, removed, failed))
    }
    var report = try cleanLocal(runner: runner, cgroupRoot: cgroupRoot)
    report.hosts = hosts
    return report
  }

  /// Removes the family's cgroups and namespaces on a remote host through `on` (ssh).
  static func cleanRemote(on: any CommandRunner, cgroupRoot: String) -> (removed: [String], failed: [String])
  {
    var removed: [String] = []
    var failed: [String] = []
    for dir in ["cpu", "cpuset", "cpuacct", "memory", "unified"].map({ cgroupRoot + "/" + $0 }) + [cgroupRoot]
    {
      guard let r = try? on.run(["ls", "-1", dir], input: nil), r.status == 0 else { continue }
      for e in r.stdout.split(separator: "\n").map(String.init).sorted() where RunPrefix.isFamily(e) {
        let path = dir + "/" + e
        if CgroupFiles.remove(path, runner: on) {
          removed.append("cgroup \(path)")
        } else {
          failed.append("cgroup \(path)")
        }
      }
    }
    if let r = try? on.run(["ip", "netns", "list"], input: nil), r.status == 0 {
      let names = r.stdout.split(separator: "\n").compactMap {
        $0.split(separator: " ").first.map(String.init)
      }
      for ns in names.sorted() where RunPrefix.isFamily(ns) {
        if NamespaceTools.remove(ns, runner: on, remote: true) {
          removed.append("netns \(ns)")
        } else {
          failed.append("netns \(ns)")
        }
      }
    } else {
      failed.append("ip netns list did not run over ssh")
    }
    return (removed, failed)
  }

  /// This machine's part of `clean`, under the lock the caller holds.
  static func cleanLocal(runner: any CommandRunner, cgroupRoot: String) throws -> Report {
    var removed: [String] = []
    var failed: [String] = []
    // cgroups first: their members are killed before the namespaces are deleted.
    for dir in cgroupDirectories(root: cgroupRoot) {
      let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
      for e in entries.sorted() where RunPrefix.isFamily(e) {
        let path = dir + "/" + e
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
          continue
        }
        if CgroupFiles.remove(path) {
          removed.append("cgroup \(path)")
        } else {
          failed.append("cgroup \(path)")
        }
      }
    }
    for ns in NamespaceTools.list(runner: runner).sorted() where RunPrefix.isFamily(ns) {
      if NamespaceTools.remove(ns, runner: runner) {
        removed.append("netns \(ns)")
      } else {
        failed.append("netns \(ns)")
      }
    }
    // Links in the host's namespace (a run never makes any, but an interrupted `ip link add`
    // of another tool version might): only family names.
    for link in hostLinks(runner: runner) where RunPrefix.isFamily(link) {
      let r = try? runner.run(["ip", "link", "del", "dev", link], input: nil)
      if r?.status == 0 { removed.append("link \(link)") } else { failed.append("link \(link)") }
    }
    // Work directories (trafgen configurations) of killed runs.
    let tmp = FileManager.default.temporaryDirectory.path
    for e in ((try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? []).sorted()
    where RunPrefix.isFamily(e) && e.hasSuffix("-work") {
      let path = (tmp as NSString).appendingPathComponent(e)
      if (try? FileManager.default.removeItem(atPath: path)) != nil { removed.append("directory \(path)") }
    }
    return Report(removed: removed, failed: failed)
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
