import Foundation
import Report
import Scenario

#if canImport(Glibc)
  import Glibc
#endif

/// A trial's exact-window readings: the senders' CPU time, the forwarding threads, and the rows
/// of per-CPU, softirq and scheduling counters between two marks.
extension TrafficTrial {
  /// User plus system CPU time of this process's waited-for children (getrusage), seconds:
  /// between two readings around a trial, its senders' (trafgen, the own sender; the
  /// counter reads run outside the window).
  static func childrenCPUSeconds() -> Double {
    var u = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &u)
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
    return s(u.ru_utime) + s(u.ru_stime)
  }

  /// The forwarding threads read in a trial: every CPU's ksoftirqd (where softirq work goes
  /// when it is deferred) and `forwardingThreads`.
  func threadScopes() -> [String: Int32] {
    var out = forwardingThreads
    for t in plan.threadedDevices where plan.setup.roles.target(.dut) == nil {
      let scope = t.router.map { "thread:vr\($0)" } ?? "thread:dom0"
      guard out[scope] == nil else { continue }
      if let dir = t.cgroups.first {
        // The router's NAPI thread is the kernel thread in its cgroup.
        let tasks = (try? String(contentsOfFile: dir + "/tasks", encoding: .utf8)) ?? ""
        if let pid = tasks.split(separator: "\n").compactMap({ Int32($0) }).first(
          where: CgroupFiles.isKernelThread)
        {
          out[scope] = pid
        }
      } else if let t = ThreadSched.kernelThreads(prefix: String(("napi/" + t.port.name).prefix(15))).first {
        out[scope] = t.pid
      }
    }
    if plan.setup.roles.target(.dut) == nil {
      for (pid, comm) in ThreadSched.kernelThreads(prefix: "ksoftirqd/") { out["thread:\(comm)"] = pid }
    }
    return out
  }

  /// The rows of a trial's exact window (`a` to `b`): per CPU the CPU-seconds by mode, NET_RX
  /// and NET_TX softirqs, softnet processed, dropped and squeezed; context switches; the
  /// generator's CPU time; each forwarding thread's scheduling.
  func windowRows(
    from a: NoiseGate.Mark, to b: NoiseGate.Mark, threadsBefore: [String: ThreadSched?],
    threadsAfter: [String: ThreadSched?], generatorCPUSeconds: Double?, sendTime: Double, received: Double
  ) -> [MetricRow] {
    var m: [MetricRow] = []
    let window = Double(b.time &- a.time) * 1e-9
    let hz = ForeignCPU.ticks
    m.append(MetricRow(scope: "host", .cpuWindow, value: window))
    func d(_ x: [UInt64], _ y: [UInt64], _ k: Int) -> Double? {
      k < x.count && k < y.count ? Double(y[k] &- x[k]) : nil
    }
    let ca = a.cpu
    let cb = b.cpu
    for k in 0..<min(ca.total.count, cb.total.count) {
      let scope = "pcpu\(k)"
      for (metric, xa, xb) in [
        (Metric.cpuUserSeconds, ca.user, cb.user), (.cpuSystemSeconds, ca.system, cb.system),
        (.cpuSoftirqSeconds, ca.softirq, cb.softirq), (.cpuStealSeconds, ca.steal, cb.steal),
      ] {
        if let v = d(xa, xb, k) { m.append(MetricRow(scope: scope, metric, value: v / hz)) }
      }
      if let v = d(ca.netTx, cb.netTx, k) {
        m.append(MetricRow(scope: scope, .netTxSoftirqs, value: v / window))
      }
      if let v = d(ca.softnetProcessed, cb.softnetProcessed, k) {
        m.append(MetricRow(scope: scope, .softnetProcessedPps, value: v / window))
      }
      if let v = d(ca.softnetDropped, cb.softnetDropped, k) {
        m.append(MetricRow(scope: scope, .softnetDroppedPps, value: v / window))
      }
      if let v = d(ca.softnetSqueezed, cb.softnetSqueezed, k) {
        m.append(MetricRow(scope: scope, .softnetSqueezed, value: v / window))
      }
    }
    m.append(
      MetricRow(
        scope: "host", .hostSwitches, value: Double(cb.contextSwitches &- ca.contextSwitches) / window))
    if let g = generatorCPUSeconds {
      m.append(MetricRow(scope: "aggregate", .generatorCPUSeconds, value: g))
      m.append(MetricRow(scope: "aggregate", .generatorCPU, value: g / sendTime))
    }
    var routerThreadRun = 0.0
    var routerThreadSwitches = 0.0
    for scope in threadsAfter.keys.sorted() {
      guard case .some(.some(let t1)) = threadsAfter[scope], case .some(.some(let t0)) = threadsBefore[scope]
      else { continue }
      let run = Double(t1.runNs &- t0.runNs) * 1e-9
      m.append(MetricRow(scope: scope, .threadRunTime, value: run))
      m.append(MetricRow(scope: scope, .threadWaitTime, value: Double(t1.waitNs &- t0.waitNs) * 1e-9))
      m.append(MetricRow(scope: scope, .threadTimeslices, value: Double(t1.timeslices &- t0.timeslices)))
      m.append(MetricRow(scope: scope, .threadCPU, value: run / window))
      m.append(MetricRow(scope: scope, .threadSwitches, value: Double(t1.switches &- t0.switches) / window))
      if scope.hasPrefix("thread:vr") {
        routerThreadRun += run
        routerThreadSwitches += Double(t1.switches &- t0.switches) / window
      }
    }
    if routerThreadRun > 0 {
      // Threaded mode: the routers' NAPI threads' CPU per packet the sink received.
      m.append(MetricRow(scope: "aggregate", .threadSwitches, value: routerThreadSwitches))
      if received > 0 {
        m.append(MetricRow(scope: "aggregate", .cpuPerPacket, value: routerThreadRun / received * 1e6))
      }
    }
    return m
  }
}
