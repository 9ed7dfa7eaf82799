import Foundation
import Report

#if canImport(Glibc)
  import Glibc
#endif

/// The CPU time of the processes on the machine that are not the testbed's, read from
/// /proc: every user process (kernel threads are left out: they include the forwarding
/// itself) that is neither this process nor one of its descendants.
public struct ForeignCPU: Sendable, Equatable {
  /// Clock ticks per second of /proc's utime and stime.
  static let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))

  /// pid -> utime + stime (ticks) of every foreign user process.
  public var ticks: [Int32: UInt64]

  /// Reads every /proc/PID/stat: foreign user processes' CPU time. `own` is the root of the
  /// testbed's process tree (this process).
  public static func read(own: Int32 = getpid()) -> ForeignCPU {
    var parent: [Int32: Int32] = [:]
    var cpu: [Int32: UInt64] = [:]
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    for e in entries {
      guard let pid = Int32(e) else { continue }
      guard let text = try? String(contentsOfFile: "/proc/\(e)/stat", encoding: .utf8),
        let s = parseStat(text)
      else { continue }
      if s.kernelThread { continue }
      parent[pid] = s.ppid
      cpu[pid] = s.utime + s.stime
    }
    var foreign: [Int32: UInt64] = [:]
    for (pid, t) in cpu {
      var p = pid
      var ours = false
      for _ in 0..<64 {
        if p == own {
          ours = true
          break
        }
        guard let up = parent[p], up > 1 else { break }
        p = up
      }
      if !ours { foreign[pid] = t }
    }
    return ForeignCPU(ticks: foreign)
  }

  /// The fields of one /proc/PID/stat line the gate uses (nil when it does not parse): the
  /// parent, user and system time in ticks, and whether it is a kernel thread (PF_KTHREAD).
  public static func parseStat(_ text: String) -> (
    ppid: Int32, utime: UInt64, stime: UInt64, kernelThread: Bool
  )? {
    // The command name is in parentheses and may hold spaces: split after the last ')'.
    guard let close = text.lastIndex(of: ")") else { return nil }
    let f = text[text.index(after: close)...].split(separator: " ")
    // f[0] = state (field 3); ppid is field 4, flags 9, utime 14, stime 15.
    guard f.count > 13, let ppid = Int32(f[1]), let flags = UInt64(f[6]), let u = UInt64(f[11]),
      let s = UInt64(f[12])
    else { return nil }
    return (ppid, u, s, flags & 0x0020_0000 != 0)
  }

  /// CPU-seconds the foreign processes used from `earlier` to `self` (a process that
  /// started in between counts from zero).
  public func seconds(since earlier: ForeignCPU) -> Double {
    var sum: UInt64 = 0
    for (pid, t) in ticks { sum += t &- min(t, earlier.ticks[pid] ?? 0) }
    return Double(sum) / Self.ticks
  }
}

/// A noise gate in front of every trial: before it (a short quiet window) and during it,
/// steal time, the 1-minute load average and the CPU time of processes that are not the
/// testbed's are read; over a threshold the trial is repeated (a bounded number of times)
/// and, if it never got quiet, flagged.
public struct NoiseGate: Sendable, Equatable {
  /// Largest CPU time foreign processes may use, CPU-seconds per second (summed over CPUs).
  public var maxForeignCPU: Double
  /// Largest steal share of all CPUs' time (fraction).
  public var maxSteal: Double
  /// Largest 1-minute load average before a trial (the testbed's own previous trials add
  /// up to about one).
  public var maxLoad: Double
  /// Times a noisy trial is repeated before it is kept and flagged.
  public var retries: Int
  /// Length of the quiet window read before each trial, seconds.
  public var preSeconds: Double
  /// Wait before a repeated trial, seconds.
  public var backoffSeconds: Double

  /// Creates a gate.
  public init(
    maxForeignCPU: Double = 0.1, maxSteal: Double = 0.02, maxLoad: Double, retries: Int = 2,
    preSeconds: Double = 0.3, backoffSeconds: Double = 1
  ) {
    self.maxForeignCPU = maxForeignCPU
    self.maxSteal = maxSteal
    self.maxLoad = maxLoad
    self.retries = retries
    self.preSeconds = preSeconds
    self.backoffSeconds = backoffSeconds
  }

  /// What the gate read over one window.
  public struct Reading: Sendable, Equatable {
    /// Length of the window, seconds.
    public var seconds: Double
    /// Foreign processes' CPU time per second of the window (pCPU).
    public var foreignCPU: Double
    /// Steal share of all CPUs' time in the window.
    public var steal: Double
    /// 1-minute load average at the window's end.
    public var load: Double

    /// Creates a reading.
    public init(seconds: Double, foreignCPU: Double, steal: Double, load: Double) {
      self.seconds = seconds
      self.foreignCPU = foreignCPU
      self.steal = steal
      self.load = load
    }

    /// As the sidecar records it.
    public var json: [String: Any] {
      ["seconds": seconds, "foreign_cpu": foreignCPU, "steal": steal, "load1": load]
    }
  }

  /// The reasons `r` is over the gate's thresholds (empty: quiet); `checkLoad`: also the
  /// load average (before a trial only: during one the trial's own sender counts in it).
  public func violations(_ r: Reading, checkLoad: Bool) -> [String] {
    var out: [String] = []
    if r.foreignCPU > maxForeignCPU {
      out.append(String(format: "foreign CPU %.3f > %.3f pCPU", r.foreignCPU, maxForeignCPU))
    }
    if r.steal > maxSteal { out.append(String(format: "steal %.4f > %.4f", r.steal, maxSteal)) }
    if checkLoad && r.load > maxLoad { out.append(String(format: "load %.2f > %.2f", r.load, maxLoad)) }
    return out
  }

  /// A mark on the machine's state: foreign CPU, /proc/stat and the time.
  public struct Mark: Sendable {
    let foreign: ForeignCPU
    let cpu: CPUCounters
    let time: UInt64
  }

  /// Reads a mark now.
  public static func mark() -> Mark {
    Mark(foreign: .read(), cpu: CounterReader.readCPU(), time: DispatchTime.now().uptimeNanoseconds)
  }

  /// The reading between two marks.
  public static func reading(from a: Mark, to b: Mark) -> Reading {
    let seconds = Double(b.time &- a.time) * 1e-9
    var steal: UInt64 = 0
    var total: UInt64 = 0
    for k in 0..<min(a.cpu.total.count, b.cpu.total.count) {
      total += b.cpu.total[k] &- a.cpu.total[k]
      if k < a.cpu.steal.count && k < b.cpu.steal.count { steal += b.cpu.steal[k] &- a.cpu.steal[k] }
    }
    return Reading(
      seconds: seconds, foreignCPU: b.foreign.seconds(since: a.foreign) / max(seconds, 1e-3),
      steal: total > 0 ? Double(steal) / Double(total) : 0, load: loadAverage())
  }

  /// The 1-minute load average (/proc/loadavg).
  public static func loadAverage() -> Double {
    let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
    return text.split(separator: " ").first.flatMap { Double($0) } ?? 0
  }

  /// Reads the quiet window before a trial.
  public func preWindow() -> Reading {
    let a = Self.mark()
    usleep(useconds_t(max(0.05, preSeconds) * 1e6))
    return Self.reading(from: a, to: Self.mark())
  }
}

/// What the gate saw of one trial: each attempt's readings (before, during) and whether the
/// kept attempt was quiet.
public struct GateRecord: Sendable {
  /// One attempt.
  public struct Attempt: Sendable {
    /// The quiet window before it.
    public var before: NoiseGate.Reading
    /// The trial's own window.
    public var during: NoiseGate.Reading?
    /// Why it was noisy (empty: quiet).
    public var violations: [String]
  }
  /// Every attempt, the kept one last.
  public var attempts: [Attempt] = []
  /// Whether the kept attempt was quiet.
  public var quiet: Bool { attempts.last?.violations.isEmpty ?? true }

  /// As the sidecar records it.
  public var json: [String: Any] {
    [
      "quiet": quiet,
      "attempts": attempts.map { a -> [String: Any] in
        var d: [String: Any] = ["before": a.before.json, "violations": a.violations]
        if let during = a.during { d["during"] = during.json }
        return d
      },
    ]
  }
}
