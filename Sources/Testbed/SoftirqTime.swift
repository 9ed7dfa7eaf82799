import CSoftirqTime
import Foundation

/// One reading of `SoftirqTimer`: each CPU's time in softirq since the timer was opened, per
/// vector, with the monotonic time of the read.
public struct SoftirqReading: Sendable, Equatable {
  /// The kernel's softirq vectors, in its numbering (`NET_RX` is 3).
  public static let vectors = [
    "HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU",
  ]

  /// CLOCK_MONOTONIC at the read, nanoseconds.
  public var timeNs: UInt64
  /// Per CPU, per vector (`vectors`' order): nanoseconds in softirq, cumulative.
  public var nanoseconds: [[UInt64]]

  /// A reading taken at `timeNs` with `nanoseconds[cpu][vector]`.
  public init(timeNs: UInt64, nanoseconds: [[UInt64]]) {
    self.timeNs = timeNs
    self.nanoseconds = nanoseconds
  }

  /// Per CPU: the share of the window from `earlier` to `self` it spent in softirq (all
  /// vectors, or only `vector` when given), in [0, 1]: a softirq counts when it exits, so one
  /// that straddles a read falls in the window it ends in (at most one per CPU per read, a few
  /// microseconds, against a window of seconds); a value past 1 by that is put on the bound.
  /// nil when no time passed or the readings do not have the same CPUs.
  public func shares(since earlier: SoftirqReading, vector: Int? = nil) -> [Double]? {
    guard timeNs > earlier.timeNs, nanoseconds.count == earlier.nanoseconds.count else { return nil }
    let window = Double(timeNs - earlier.timeNs)
    var out: [Double] = []
    for (now, then) in zip(nanoseconds, earlier.nanoseconds) {
      guard now.count == then.count else { return nil }
      var ns: UInt64 = 0
      for k in now.indices where vector == nil || vector == k { ns += now[k] &- then[k] }
      out.append(Swift.min(1, Double(ns) / window))
    }
    return out
  }
}

/// Each CPU's exact time in softirq on this machine: two BPF programs on the irq:softirq_entry
/// and irq:softirq_exit raw tracepoints time every softirq (bpf_ktime_get_ns) and add its
/// duration to a per-CPU accumulator of its vector (the C target `CSoftirqTime`). Nothing is
/// recorded per event and nothing outlives the timer: the programs, maps and tracepoint links
/// are held by this object's descriptors, closed when it is freed or the process ends (even by
/// SIGKILL), so it leaves no system state to record or clean. Cost, measured under a saturated
/// iperf3 sender: about 1.3% of its rate (an ftrace instance with the same two events: 10%).
public final class SoftirqTimer: Sendable {
  private let handle: vrsim_softirq_timer
  private let cpus: Int

  /// Loads and attaches the programs.
  /// - Throws: `TestbedError` naming the step that failed and why (no BPF: not Linux, not
  ///   root, no raw tracepoints).
  public init() throws {
    var h = vrsim_softirq_timer()
    var step: UnsafePointer<CChar>? = nil
    let r = vrsim_softirq_open(&h, &step)
    guard r == 0 else {
      throw TestbedError(
        "the exact softirq timer (BPF): \(step.map { String(cString: $0) } ?? "open") failed: \(String(cString: strerror(-r)))"
      )
    }
    let n = vrsim_softirq_cpus()
    guard n > 0 else {
      vrsim_softirq_close(&h)
      throw TestbedError(
        "the exact softirq timer (BPF): /sys/devices/system/cpu/possible: \(String(cString: strerror(-n)))")
    }
    handle = h
    cpus = Int(n)
  }

  deinit {
    var h = handle
    vrsim_softirq_close(&h)
  }

  /// Reads every CPU's accumulators.
  /// - Throws: `TestbedError` when the kernel refuses the read.
  public func read() throws -> SoftirqReading {
    let width = Int(VRSIM_SOFTIRQ_VECTORS)
    var out = [UInt64](repeating: 0, count: cpus * width)
    var now: UInt64 = 0
    var h = handle
    let r = out.withUnsafeMutableBufferPointer { vrsim_softirq_read(&h, $0.baseAddress, Int32(cpus), &now) }
    guard r == 0 else {
      throw TestbedError(
        "the exact softirq timer (BPF): reading its map failed: \(String(cString: strerror(-r)))")
    }
    return SoftirqReading(
      timeNs: now, nanoseconds: (0..<cpus).map { Array(out[($0 * width)..<(($0 + 1) * width)]) })
  }

  /// A timer when this machine allows one; nil otherwise, after saying once per process why
  /// the `softirq_exact` rows are absent.
  public static func ifAvailable() -> SoftirqTimer? {
    do {
      return try SoftirqTimer()
    } catch {
      absent.lock()
      defer { absent.unlock() }
      if !absentSaid {
        absentSaid = true
        TestbedCommon.note("no softirq_exact rows: \(error)")
      }
      return nil
    }
  }

  private static let absent = NSLock()
  nonisolated(unsafe) private static var absentSaid = false
}
