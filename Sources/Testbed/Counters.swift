import Foundation
import Scenario

/// The counters of one interface (from `ip -s -j link show`, i.e. the kernel's stats64).
public struct LinkCounters: Sendable, Equatable {
  /// Received packets.
  public var rxPackets: UInt64 = 0
  /// Received bytes.
  public var rxBytes: UInt64 = 0
  /// Packets dropped on receive.
  public var rxDropped: UInt64 = 0
  /// Sent packets.
  public var txPackets: UInt64 = 0
  /// Sent bytes.
  public var txBytes: UInt64 = 0
  /// Packets dropped on send (on a veth: the peer's backlog was full).
  public var txDropped: UInt64 = 0

  /// Field-wise difference `self - earlier` (counters only grow).
  public func minus(_ e: LinkCounters) -> LinkCounters {
    LinkCounters(
      rxPackets: rxPackets &- e.rxPackets, rxBytes: rxBytes &- e.rxBytes, rxDropped: rxDropped &- e.rxDropped,
      txPackets: txPackets &- e.txPackets, txBytes: txBytes &- e.txBytes, txDropped: txDropped &- e.txDropped)
  }
}

/// Per-CPU time and softirq counts of the host.
public struct CPUCounters: Sendable, Equatable {
  /// Per CPU: total jiffies (all /proc/stat fields).
  public var total: [UInt64] = []
  /// Per CPU: busy jiffies (total minus idle, iowait and steal: time stolen by the
  /// hypervisor is not this machine's work).
  public var busy: [UInt64] = []
  /// Per CPU: softirq jiffies.
  public var softirq: [UInt64] = []
  /// Per CPU: user jiffies (with nice).
  public var user: [UInt64] = []
  /// Per CPU: system jiffies (kernel, without irq and softirq).
  public var system: [UInt64] = []
  /// Per CPU: hard irq jiffies.
  public var irq: [UInt64] = []
  /// Per CPU: steal jiffies (time the hypervisor ran something else).
  public var steal: [UInt64] = []
  /// Context switches since boot, all CPUs (/proc/stat `ctxt`).
  public var contextSwitches: UInt64 = 0
  /// Per CPU: NET_RX softirqs raised (/proc/softirqs).
  public var netRx: [UInt64] = []
  /// Per CPU: NET_TX softirqs.
  public var netTx: [UInt64] = []
  /// Per CPU: packets processed, dropped (backlog full), time squeezes (/proc/net/softnet_stat).
  public var softnetProcessed: [UInt64] = []
  /// See `softnetProcessed`.
  public var softnetDropped: [UInt64] = []
  /// See `softnetProcessed`.
  public var softnetSqueezed: [UInt64] = []
}

/// A snapshot of every counter the testbed reads at once: each port's link counters, each
/// namespace's IP MIB (/proc/net/snmp, what `netstat -s` prints) and the host's CPU counters.
public struct CounterSnapshot: Sendable {
  /// Monotonic time of the snapshot, nanoseconds: just after its CPU counters were read.
  public var time: UInt64
  /// "namespace/interface" -> counters.
  public var links: [String: LinkCounters]
  /// namespace -> Ip MIB field -> value.
  public var ip: [String: [String: UInt64]]
  /// Host CPUs.
  public var cpu: CPUCounters
  /// namespace -> Udp MIB field -> value (UdpRcvbufErrors, InDatagrams, ...).
  public var udp: [String: [String: UInt64]] = [:]
  /// Per CPU: its idle states' residency, read on the CPU itself just after /proc/stat (see
  /// `CounterReader.snapshot(namespaces:cpuFirst:)`); nil when the host has no cpuidle
  /// directory for some CPU (no cpuidle driver): the exact busy rows are then absent.
  public var cpuIdle: [CPUIdleReading]? = nil
  /// Each CPU's exact softirq time (`SoftirqTimer`), read just after /proc/stat; nil without
  /// a timer.
  public var softirq: SoftirqReading? = nil
  /// namespace -> monotonic time, nanoseconds, halfway through the read of its interfaces'
  /// counters (`ip -s link`). A snapshot reads its namespaces one after another, tens of
  /// milliseconds apart: a trial whose traffic runs through its snapshots divides each
  /// namespace's counts by that namespace's own interval (`TrafficTrial.measure`).
  public var linkTimes: [String: UInt64] = [:]
  /// namespace -> monotonic time, nanoseconds, halfway through the read of its SNMP counters
  /// (`/proc/net/snmp`: the `ip` and `udp` fields).
  public var snmpTimes: [String: UInt64] = [:]
}

/// One CPU's idle-state residency as cpuidle counts it: the sum over its idle states of
/// `/sys/devices/system/cpu/cpuN/cpuidle/stateK/time` (microseconds the CPU spent in state K,
/// added by the kernel when each idle period ends), with the wall-clock time of the read.
/// Read by a process pinned to that CPU, so the CPU is out of idle at the read and every idle
/// period before it is counted in full: the difference of two readings is the window's idle
/// time, exact to the microsecond, with no tick sampling.
public struct CPUIdleReading: Sendable, Equatable {
  /// Wall-clock time of the read on that CPU, nanoseconds (`date +%s%N`).
  public var timeNs: UInt64
  /// Sum of the idle states' residency, microseconds.
  public var residencyUs: UInt64

  /// A reading taken at `timeNs` with `residencyUs` of idle residency in all.
  public init(timeNs: UInt64, residencyUs: UInt64) {
    self.timeNs = timeNs
    self.residencyUs = residencyUs
  }

  /// Busy share of the CPU between `earlier` and `self`: 1 - idle residency / wall time, in
  /// [0, 1] (the two clocks differ by less than the resolution, so a value a few microseconds
  /// outside is put on the bound); nil when no time passed.
  public func busyShare(since earlier: CPUIdleReading) -> Double? {
    guard timeNs > earlier.timeNs else { return nil }
    let window = Double(timeNs - earlier.timeNs)
    let idle = Double(residencyUs &- earlier.residencyUs) * 1000
    return Swift.min(1, Swift.max(0, 1 - idle / window))
  }

  /// The shell script printing CPU `cpu`'s reading: the time, then one line per idle state,
  /// `PATH VALUE`; only the time when the CPU has no cpuidle directory.
  public static func script(cpu: Int) -> String {
    "d=/sys/devices/system/cpu/cpu\(cpu)/cpuidle; date +%s%N; [ -d \"$d\" ] || exit 0; "
      + "for f in \"$d\"/state*/time; do printf '%s %s\\n' \"$f\" \"$(cat \"$f\")\"; done"
  }

  /// Parses `script(cpu:)`'s output: nil when it lists no idle state (no cpuidle directory).
  /// - Throws: `TestbedError` naming the file whose value is not a count of microseconds, or
  ///   the time line when it is not a count of nanoseconds.
  public static func parse(_ text: String, cpu: Int) throws -> CPUIdleReading? {
    let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
      !$0.isEmpty
    }
    guard let first = lines.first, let time = UInt64(first) else {
      throw TestbedError(
        "cpu\(cpu)'s idle residency read: the time (date +%s%N) is not nanoseconds: '\(lines.first ?? "")'")
    }
    guard lines.count > 1 else { return nil }
    var sum: UInt64 = 0
    for line in lines.dropFirst() {
      let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
      let file = parts.first ?? line
      guard parts.count == 2, let us = UInt64(parts[1]) else {
        throw TestbedError(
          "\(file): not an idle residency in microseconds: '\(parts.count == 2 ? parts[1] : "")'")
      }
      sum += us
    }
    return CPUIdleReading(timeNs: time, residencyUs: sum)
  }
}

/// Reads counters through `ip` (inside each namespace) and /proc.
public struct CounterReader: Sendable {
  let runner: any CommandRunner
  let hostOf: @Sendable (String) -> SSHTarget?
  let cpuHost: SSHTarget?
  /// The exact softirq timer read with the CPU counters (this machine's CPUs; nil: no
  /// `softirq` in the snapshots).
  var softirqTimer: SoftirqTimer? = nil

  /// A reader that runs its commands with `runner`, every namespace and the CPU counters on
  /// this machine.
  public init(runner: any CommandRunner) {
    self.init(runner: runner, hostOf: { _ in nil }, cpuHost: nil)
  }

  /// A reader that reads each namespace's counters on its host (`hostOf`: nil for this
  /// machine, else over ssh) and the CPU counters (/proc/stat, /proc/softirqs,
  /// /proc/net/softnet_stat) on `cpuHost`'s.
  public init(
    runner: any CommandRunner, hostOf: @escaping @Sendable (String) -> SSHTarget?, cpuHost: SSHTarget?
  ) {
    self.runner = runner
    self.hostOf = hostOf
    self.cpuHost = cpuHost
  }

  /// This reader, reading `timer` with the CPU counters of each snapshot.
  public func reading(softirq timer: SoftirqTimer?) -> CounterReader {
    var r = self
    r.softirqTimer = timer
    return r
  }

  /// The reader of `plan`: namespaces on their roles' hosts, the CPU counters on the dut's.
  public init(runner: any CommandRunner, plan: TopologyPlan) {
    let p = plan
    self.init(runner: runner, hostOf: { p.host(ofNamespace: $0) }, cpuHost: plan.setup.roles.target(.dut))
  }

  /// Reads everything for `namespaces`. The CPU counters (/proc/stat, /proc/softirqs, softnet,
  /// the idle residency) are read together, after the namespaces' `ip` reads (as the trafgen
  /// trials' window and the profiles' `testbed_window_extra` fitted on it assume), or with
  /// `cpuFirst` before them: those reads take tens to hundreds of milliseconds on a busy
  /// machine, and an iperf3 trial's window is meant to end where its after-snapshot starts
  /// (read last, its CPU counters fell after the senders had stopped: an idle tail in every
  /// CPU row). The snapshot's `time` is taken just after the CPU counters are read, in either
  /// order, so that a window between two snapshots is the window of their CPU rows.
  ///
  /// A namespace in `anchors` (namespace -> the pid of a local process inside it) is read from
  /// that process's `/proc/PID/net/dev` and `/proc/PID/net/snmp` by this process, with no
  /// command: microseconds per namespace instead of two `ip` calls of tens of milliseconds, so
  /// that the namespaces of one snapshot are read at nearly one instant.
  public func snapshot(
    namespaces: [String], cpuFirst: Bool = false, anchors: [String: Int32] = [:]
  ) throws -> CounterSnapshot {
    let on = cpuHost.map { $0.runner(local: runner) } ?? runner
    func readCPU() throws -> (CPUCounters, [CPUIdleReading]?, SoftirqReading?, UInt64) {
      let cpu: CPUCounters
      if cpuHost != nil {
        cpu = Self.parseCPU(
          stat: try on.check(["cat", "/proc/stat"]), softirqs: try on.check(["cat", "/proc/softirqs"]),
          softnet: try on.check(["cat", "/proc/net/softnet_stat"]))
      } else {
        cpu = Self.readCPU()
      }
      let softirq = try softirqTimer?.read()
      let idle = try Self.readCPUIdle(on: on, cpus: cpu.total.count)
      return (cpu, idle, softirq, DispatchTime.now().uptimeNanoseconds)
    }
    let first = cpuFirst ? try readCPU() : nil
    var links: [String: LinkCounters] = [:]
    var ip: [String: [String: UInt64]] = [:]
    var udp: [String: [String: UInt64]] = [:]
    var linkTimes: [String: UInt64] = [:]
    var snmpTimes: [String: UInt64] = [:]
    // the midpoint of a read: its counters were read somewhere inside it
    func timed<T>(_ read: () throws -> T) rethrows -> (T, UInt64) {
      let start = DispatchTime.now().uptimeNanoseconds
      let value = try read()
      let end = DispatchTime.now().uptimeNanoseconds
      return (value, start + (end &- start) / 2)
    }
    for ns in namespaces {
      if let pid = anchors[ns], hostOf(ns) == nil {
        let devPath = "/proc/\(pid)/net/dev"
        let snmpPath = "/proc/\(pid)/net/snmp"
        let (dev, linkTime) = try timed { try Self.readFile(devPath) }
        linkTimes[ns] = linkTime
        for (name, c) in try Self.parseProcNetDev(dev, path: devPath) { links["\(ns)/\(name)"] = c }
        let (snmp, snmpTime) = try timed { try Self.readFile(snmpPath) }
        snmpTimes[ns] = snmpTime
        ip[ns] = Self.parseSNMP(snmp, table: "Ip")
        udp[ns] = Self.parseSNMP(snmp, table: "Udp")
        continue
      }
      let on = Testbed.runner(on: hostOf(ns), local: runner)
      let (out, linkTime) = try timed { try on.check(["ip", "-n", ns, "-s", "-j", "link", "show"]) }
      linkTimes[ns] = linkTime
      for (name, c) in try Self.parseLinks(out) { links["\(ns)/\(name)"] = c }
      let (snmp, snmpTime) = try timed { try on.check(["ip", "netns", "exec", ns, "cat", "/proc/net/snmp"]) }
      snmpTimes[ns] = snmpTime
      ip[ns] = Self.parseSNMP(snmp, table: "Ip")
      udp[ns] = Self.parseSNMP(snmp, table: "Udp")
    }
    let (cpu, idle, softirq, time) = try first ?? readCPU()
    return CounterSnapshot(
      time: time, links: links, ip: ip, cpu: cpu, udp: udp, cpuIdle: idle, softirq: softirq,
      linkTimes: linkTimes, snmpTimes: snmpTimes)
  }

  /// Reads each of `cpus` CPUs' idle residency with `on`, by a process pinned to that CPU
  /// (`taskset`), so that the CPU is not idle while it is read; nil when some CPU has no
  /// cpuidle directory.
  public static func readCPUIdle(on: any CommandRunner, cpus: Int) throws -> [CPUIdleReading]? {
    var out: [CPUIdleReading] = []
    for k in 0..<cpus {
      let text = try on.check(["taskset", "-c", String(k), "sh", "-c", CPUIdleReading.script(cpu: k)])
      guard let r = try CPUIdleReading.parse(text, cpu: k) else { return nil }
      out.append(r)
    }
    return out.isEmpty ? nil : out
  }

  /// A file's text, or an error naming it.
  static func readFile(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw TestbedError("cannot read \(path)")
    }
    return String(decoding: data, as: UTF8.self)
  }

  /// Parses `/proc/net/dev` (read as `/proc/PID/net/dev`, `path` names it in errors):
  /// interface name -> counters. After the two header lines each line is `name:` and 16
  /// numbers: receive bytes, packets, errs, drop, fifo, frame, compressed, multicast, then
  /// transmit bytes, packets, errs, drop, fifo, colls, carrier, compressed. Receive `drop` is
  /// the device's rx_dropped plus rx_missed_errors (0 on veth), transmit `drop` its tx_dropped:
  /// the counters `ip -s link` shows.
  public static func parseProcNetDev(_ text: String, path: String) throws -> [String: LinkCounters] {
    var out: [String: LinkCounters] = [:]
    for (n, line) in text.split(separator: "\n").enumerated() where n >= 2 {
      guard let colon = line.firstIndex(of: ":") else {
        throw TestbedError("\(path) line \(n + 1): no 'interface:' in \"\(line)\"")
      }
      let name = line[..<colon].trimmingCharacters(in: .whitespaces)
      let fields = line[line.index(after: colon)...].split(separator: " ").compactMap { UInt64($0) }
      guard !name.isEmpty, fields.count == 16 else {
        throw TestbedError("\(path) line \(n + 1): expected an interface and 16 counters in \"\(line)\"")
      }
      out[name] = LinkCounters(
        rxPackets: fields[1], rxBytes: fields[0], rxDropped: fields[3], txPackets: fields[9],
        txBytes: fields[8], txDropped: fields[11])
    }
    return out
  }

  /// Parses `ip -s -j link show` output: interface name -> counters.
  public static func parseLinks(_ json: String) throws -> [String: LinkCounters] {
    guard let arr = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] else {
      throw TestbedError("unexpected output of ip -s -j link show")
    }
    var out: [String: LinkCounters] = [:]
    for entry in arr {
      guard let name = entry["ifname"] as? String, let stats = entry["stats64"] as? [String: Any] else {
        continue
      }
      let rx = stats["rx"] as? [String: Any] ?? [:]
      let tx = stats["tx"] as? [String: Any] ?? [:]
      func v(_ d: [String: Any], _ k: String) -> UInt64 { (d[k] as? NSNumber)?.uint64Value ?? 0 }
      out[name] = LinkCounters(
        rxPackets: v(rx, "packets"), rxBytes: v(rx, "bytes"), rxDropped: v(rx, "dropped"),
        txPackets: v(tx, "packets"), txBytes: v(tx, "bytes"), txDropped: v(tx, "dropped"))
    }
    return out
  }

  /// Parses one table (e.g. `Ip`) of /proc/net/snmp: a header line and a value line.
  public static func parseSNMP(_ text: String, table: String) -> [String: UInt64] {
    let lines = text.split(separator: "\n").filter { $0.hasPrefix(table + ":") }
    guard lines.count >= 2 else { return [:] }
    let keys = lines[0].split(separator: " ").dropFirst()
    let values = lines[1].split(separator: " ").dropFirst()
    var out: [String: UInt64] = [:]
    for (k, v) in zip(keys, values) { out[String(k)] = UInt64(v) ?? 0 }
    return out
  }

  /// Reads /proc/stat, /proc/softirqs and /proc/net/softnet_stat.
  public static func readCPU() -> CPUCounters {
    func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
    return parseCPU(
      stat: read("/proc/stat"), softirqs: read("/proc/softirqs"), softnet: read("/proc/net/softnet_stat"))
  }

  /// Parses the texts of /proc/stat, /proc/softirqs and /proc/net/softnet_stat.
  public static func parseCPU(stat: String, softirqs soft: String, softnet: String) -> CPUCounters {
    var c = CPUCounters()
    for line in stat.split(separator: "\n") where line.hasPrefix("ctxt ") {
      c.contextSwitches = UInt64(line.split(separator: " ").last ?? "") ?? 0
    }
    for line in stat.split(separator: "\n") where line.hasPrefix("cpu") && !line.hasPrefix("cpu ") {
      let f = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
      guard f.count >= 7 else { continue }
      let total = f.prefix(8).reduce(0, +)  // user nice system idle iowait irq softirq steal
      let steal = f.count > 7 ? f[7] : 0
      c.total.append(total)
      c.busy.append(total - f[3] - f[4] - steal)
      c.softirq.append(f[6])
      c.user.append(f[0] + f[1])
      c.system.append(f[2])
      c.irq.append(f[5])
      c.steal.append(steal)
    }
    for line in soft.split(separator: "\n") {
      let f = line.split(separator: " ")
      if f.first == "NET_RX:" { c.netRx = f.dropFirst().compactMap { UInt64($0) } }
      if f.first == "NET_TX:" { c.netTx = f.dropFirst().compactMap { UInt64($0) } }
    }
    for line in softnet.split(separator: "\n") {
      let f = line.split(separator: " ").compactMap { UInt64($0, radix: 16) }
      guard f.count >= 3 else { continue }
      c.softnetProcessed.append(f[0])
      c.softnetDropped.append(f[1])
      c.softnetSqueezed.append(f[2])
    }
    return c
  }
}

/// The scheduling of one thread (a NAPI kernel thread, ksoftirqd): /proc/PID/schedstat
/// (time on a CPU, time waiting on a run queue, timeslices) and /proc/PID/status (voluntary
/// and involuntary context switches).
public struct ThreadSched: Sendable, Equatable {
  /// Time run on a CPU, nanoseconds.
  public var runNs: UInt64
  /// Time waited on a run queue, nanoseconds.
  public var waitNs: UInt64
  /// Timeslices run.
  public var timeslices: UInt64
  /// Voluntary plus involuntary context switches.
  public var switches: UInt64

  /// Reads thread `pid` (nil when it is gone or unreadable).
  public static func read(_ pid: Int32) -> ThreadSched? {
    guard let sched = try? String(contentsOfFile: "/proc/\(pid)/schedstat", encoding: .utf8),
      let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    else { return nil }
    return parse(schedstat: sched, status: status)
  }

  /// Parses the texts of /proc/PID/schedstat and /proc/PID/status.
  public static func parse(schedstat: String, status: String) -> ThreadSched? {
    let f = schedstat.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { UInt64($0) }
    guard f.count >= 3 else { return nil }
    var switches: UInt64 = 0
    for line in status.split(separator: "\n")
    where line.hasPrefix("voluntary_ctxt_switches:") || line.hasPrefix("nonvoluntary_ctxt_switches:") {
      switches += UInt64(line.split(separator: "\t").last?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0
    }
    return ThreadSched(runNs: f[0], waitNs: f[1], timeslices: f[2], switches: switches)
  }

  /// Kernel threads whose name starts with `prefix` (pid, name), by /proc/PID/comm.
  public static func kernelThreads(prefix: String) -> [(pid: Int32, comm: String)] {
    var out: [(Int32, String)] = []
    for e in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
      guard let pid = Int32(e),
        let comm = try? String(contentsOfFile: "/proc/\(e)/comm", encoding: .utf8)
      else { continue }
      let name = comm.trimmingCharacters(in: .whitespacesAndNewlines)
      if name.hasPrefix(prefix) { out.append((pid, name)) }
    }
    return out.sorted { $0.0 < $1.0 }
  }
}
