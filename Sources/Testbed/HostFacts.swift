import Foundation

/// The facts about the machine a data set was measured on, written as the CSV's sidecar JSON:
/// CPU model, cores, kernel, tool versions, the sysctls that matter, the veth offloads.
public enum HostFacts {
  /// Collects the facts (commands run with `runner`; a missing tool is recorded as such).
  /// `offloadsOf` is a (namespace, interface) whose offload settings are recorded, if any.
  public static func collect(runner: any CommandRunner, offloadsOf: (String, String)? = nil) -> [String: Any]
  {
    var facts: [String: Any] = [:]
    let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    facts["cpu_model"] =
      cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
      .map {
        $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
      } ?? "unknown"
    facts["cores"] = ProcessInfo.processInfo.activeProcessorCount
    facts["memory_bytes"] = ProcessInfo.processInfo.physicalMemory
    facts["kernel"] = first(runner, ["uname", "-r"])
    facts["hostname"] = ProcessInfo.processInfo.hostName
    facts["tools"] = [
      "trafgen": first(runner, ["trafgen", "-v"]),
      "ip": first(runner, ["ip", "-V"]),
      "iperf3": first(runner, ["iperf3", "-v"]),
      "taskset": first(runner, ["taskset", "-V"]),
    ]
    var sysctls: [String: String] = [:]
    for key in [
      "net.core.netdev_max_backlog", "net.core.netdev_budget", "net.core.netdev_budget_usecs",
      "net.core.rmem_default",
      "net.core.wmem_default", "net.core.dev_weight", "kernel.pid_max",
    ] {
      let path = "/proc/sys/" + key.replacingOccurrences(of: ".", with: "/")
      sysctls[key] =
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        ?? "absent"
    }
    sysctls["net.bridge.bridge-nf-call-iptables (host)"] =
      FileManager.default.fileExists(atPath: "/proc/sys/net/bridge") ? "present" : "absent (no br_netfilter)"
    facts["sysctls"] = sysctls
    facts["cgroups"] = CgroupLayout.detect()?.label ?? "none"
    if let (ns, dev) = offloadsOf {
      if ProgramPath.resolve("ethtool") != nil,
        let r = try? runner.run(["ip", "netns", "exec", ns, "ethtool", "-k", dev], input: nil),
        r.status == 0
      {
        var off: [String: String] = [:]
        for line in r.stdout.split(separator: "\n").dropFirst() {
          let parts = line.split(separator: ":", maxSplits: 1)
          if parts.count == 2 {
            off[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces)
          }
        }
        facts["offloads_veth"] = off
      } else {
        facts["offloads_veth"] = "ethtool not installed"
      }
    }
    return facts
  }

  /// The facts of a remote role's host, read with `runner` (ssh): CPU model, CPUs, kernel,
  /// the versions of ip and trafgen.
  public static func remote(runner: any CommandRunner) -> [String: Any] {
    func out(_ argv: [String]) -> String {
      guard let r = try? runner.run(argv, input: nil), r.status != 127, r.status != 255 else {
        return "not available"
      }
      return (r.stdout + r.stderr).split(separator: "\n").first.map {
        $0.trimmingCharacters(in: .whitespaces)
      } ?? ""
    }
    let cpuinfo = (try? runner.run(["cat", "/proc/cpuinfo"], input: nil))?.stdout ?? ""
    return [
      "cpu_model": cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
        .map {
          $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        }
        ?? "unknown",
      "cores": Int(out(["nproc"])) ?? 0,
      "kernel": out(["uname", "-r"]),
      "tools": ["trafgen": out(["trafgen", "-v"]), "ip": out(["ip", "-V"])],
    ]
  }

  static func first(_ runner: any CommandRunner, _ argv: [String]) -> String {
    guard ProgramPath.resolve(argv[0]) != nil, let r = try? runner.run(argv, input: nil) else {
      return "not installed"
    }
    let text = (r.stdout + r.stderr).split(separator: "\n").first.map(String.init) ?? ""
    return text.trimmingCharacters(in: .whitespaces)
  }

  /// `facts` as pretty JSON with sorted keys.
  public static func json(_ facts: [String: Any]) -> String {
    guard
      let data = try? JSONSerialization.data(withJSONObject: facts, options: [.prettyPrinted, .sortedKeys])
    else {
      return "{}"
    }
    return String(decoding: data, as: UTF8.self) + "\n"
  }
}
