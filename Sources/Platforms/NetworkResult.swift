import Foundation
import HostModel
import NetModel
import SimCore

/// Everything measured in one run after the warm-up: per router and in aggregate.
///
/// Throughput in bits per second is given twice: `frameBps` counts frame bytes only (what
/// iperf-like tools report above Ethernet) and `wireBps` adds the 20 B of preamble and
/// inter-frame gap per frame (what fills the link).
public struct NetworkResult: Codable, Sendable, Equatable {
  /// Measured window, seconds.
  public var seconds: Double
  /// Per router.
  public var routers: [RouterResult]
  /// All routers together.
  public var aggregate: RouterResult
  /// Drops by place (ring name) in the window.
  public var dropsByPlace: [String: UInt64]
  /// CPU seconds used per domain in the window, as a fraction of one pCPU.
  public var cpuShare: [String: Double]
  /// Utilisation per pCPU (0...1).
  public var pcpuUtilisation: [Double]
  /// Context switches per second (all pCPUs).
  public var switchesPerSecond: Double
  /// Notifications (interrupts, event-channel upcalls) per second, all stages.
  public var notificationsPerSecond: Double
  /// Notifications per forwarded packet.
  public var notificationsPerPacket: Double
  /// Notifications per second by stage.
  public var notificationsByStage: [String: Double]
  /// Mean time packets spend in each stage (input ring + wait for the vCPU + service),
  /// microseconds: where the latency accumulates.
  public var stageDelayUs: [String: Double]
  /// Longest time a packet spent in each stage, microseconds.
  public var stageDelayMaxUs: [String: Double]
  /// Notifications per second caused for or by each router's vif (event-channel upcalls of
  /// every ring of the vif in both directions: RX responses, TX requests, TX completions,
  /// queue wake-ups), by router; nil on paths without per-router event channels.
  public var routerNotificationsPerSecond: [Double]? = nil
  /// BOOST wake-ups per second (credit scheduler).
  public var boostWakeupsPerSecond: Double
  /// Jain's fairness index of the routers' forwarding rates.
  public var jainIndex: Double
  /// The CPU jobs of the scenario's `workloads:` (nil without any, so results without jobs
  /// encode as before).
  public var jobs: [JobResult]? = nil
  /// Per pCPU, its time by mode as /proc/stat counts it (netns platforms, whose paths run in
  /// softirq, threads and the senders; nil elsewhere, so other results encode as before).
  public var cpuModes: [CPUModes]? = nil
  /// On the netns platforms, when a pCPU's exit from idle costs time (`profile.idle_exit`):
  /// each pCPU's busy share with those exits, as cpuidle's idle-state residency counts it (the
  /// testbed's `busy_exact`); `pcpuUtilisation` and `cpuModes` leave them out, as /proc/stat
  /// does. nil when no exit costs time: then both counters read `pcpuUtilisation`.
  public var pcpuBusyExact: [Double]? = nil
  /// With UDP sockets, the netns platforms' processes (the senders and the UDP receivers):
  /// each one's own user and system time (nil elsewhere, so other results encode as before).
  public var processes: [ProcessCPU]? = nil
  /// Datagrams per second the sink's UDP receivers read (UdpInDatagrams), with UDP sockets
  /// only (nil otherwise).
  public var udpInDatagramsPerSecond: Double? = nil
  /// Datagrams per second the sink's UDP sockets dropped with a full receive buffer
  /// (UdpRcvbufErrors), with UDP sockets only (nil otherwise).
  public var udpRcvbufErrorsPerSecond: Double? = nil
}

/// One process's own CPU time over the measured window, each a fraction of one CPU, as
/// getrusage counts it (iperf3's `cpu_utilization_percent`): user and system, without the
/// softirq it raised.
public struct ProcessCPU: Codable, Sendable, Equatable {
  /// `gen0`, `iperf3-s0`, ...
  public var name: String
  /// User time share.
  public var user: Double
  /// System time share.
  public var system: Double
}

/// One pCPU's time by mode over the measured window, each a fraction of the CPU (the
/// testbed's per-CPU rows), and its NET_RX softirq counts.
public struct CPUModes: Codable, Sendable, Equatable {
  /// `pcpu0`, ...
  public var name: String
  /// Busy share (every mode, context switches included).
  public var busy: Double
  /// NET_RX softirq: the chains that run inline, in any task's context or in ksoftirqd.
  public var softirq: Double
  /// System time of the senders' send calls.
  public var system: Double
  /// User time of the senders.
  public var user: Double
  /// Everything else busy: the kernel threads' polls (threaded mode), other domains (jobs),
  /// context switches.
  public var thread: Double
  /// NET_RX softirq runs per second (/proc/softirqs NET_RX).
  public var netRxSoftirqsPerSecond: Double
  /// Runs per second that ended with work left (softnet_stat time_squeeze).
  public var squeezedPerSecond: Double
}

/// One router's (or the aggregate's) traffic figures.
public struct RouterResult: Codable, Sendable, Equatable {
  /// `vr0`, `vr1`, ... or `aggregate`.
  public var name: String
  /// Frames that reached the NIC, per second.
  public var offeredPps: Double
  /// Frames forwarded to the wire, per second.
  public var forwardedPps: Double
  /// Forwarded frame bytes, bits per second.
  public var frameBps: Double
  /// Forwarded bits per second including preamble and inter-frame gap.
  public var wireBps: Double
  /// Frames dropped inside the host, per second.
  public var droppedPps: Double
  /// Fraction of offered frames lost (window counts; frames in flight at the edges make this
  /// approximate to within a ring's worth).
  public var lossFraction: Double
  /// Latency NIC-in to receiver, microseconds.
  public var latencyMeanUs: Double
  /// Median latency, microseconds.
  public var latencyP50Us: Double
  /// 99th percentile latency, microseconds.
  public var latencyP99Us: Double
  /// Largest latency, microseconds.
  public var latencyMaxUs: Double
}

extension RouterHost {
  /// The profile keys `result` reads on platform `kind`: the netns platforms' CPU rows as the
  /// testbed counts them (its window past the send time, the machine's background work).
  static func resultProfileKeys(_ kind: PlatformKind) -> [String] {
    kind.hasOwnGenerator
      ? ["testbed_window_extra", "testbed_window_per_sender", "testbed_trial", "cpu_background"] : []
  }

  func result(window: SimDuration) -> NetworkResult {
    let s = window.seconds
    let n = spec.routers.count
    var routers: [RouterResult] = []
    var all = LatencyHistogram(highest: .s(10))
    var totals = (off: 0.0, fwd: 0.0, bytes: 0.0, drop: 0.0)
    let senders = path.senders
    for i in 0..<n {
      // the netns platforms' offered load is what their senders sent (the testbed's offered_pps)
      let off =
        senders.isEmpty ? Double(ingress.offered[i]) : Double(senders.reduce(UInt64(0)) { $0 + $1.sent[i] })
      let fwd = Double(metrics.packets[i])
      let bytes = Double(metrics.bytes[i])
      let drop =
        Double(rings.reduce(UInt64(0)) { $0 + $1.flowDrops[i] }) + Double(metrics.egressDrops[i])
      let h = metrics.latency[i]
      all.merge(h)
      routers.append(Self.row("vr\(i)", off, fwd, bytes, drop, h, s))
      totals.off += off
      totals.fwd += fwd
      totals.bytes += bytes
      totals.drop += drop
    }
    let report = host.report()
    var drops: [String: UInt64] = [:]
    for r in rings where r.windowDrops > 0 { drops[r.name] = r.windowDrops }
    for e in egress where e.windowDrops > 0 { drops[e.name] = e.windowDrops }
    let unsent = ingress.unsent.reduce(0, +)
    if unsent > 0 { drops[Self.generatorDropPlace] = unsent }
    let notes = stages.reduce(UInt64(0)) { $0 + $1.notifications }
    var byStage: [String: Double] = [:]
    var delay: [String: Double] = [:]
    var delayMax: [String: Double] = [:]
    for st in stages {
      byStage[st.name] = Double(st.notifications) / s
      delay[st.name] = st.meanResidence / 1000
      delayMax[st.name] = Double(st.residenceMax) / 1000
    }
    var share: [String: Double] = [:]
    for d in report.domains { share[d.name] = d.cpuSeconds / s }
    var result = NetworkResult(
      seconds: s, routers: routers,
      aggregate: Self.row("aggregate", totals.off, totals.fwd, totals.bytes, totals.drop, all, s),
      dropsByPlace: drops, cpuShare: share, pcpuUtilisation: report.pcpus.map(\.utilisation),
      switchesPerSecond: report.switchesPerSecond, notificationsPerSecond: Double(notes) / s,
      notificationsPerPacket: totals.fwd > 0 ? Double(notes) / totals.fwd : 0,
      notificationsByStage: byStage, stageDelayUs: delay, stageDelayMaxUs: delayMax,
      routerNotificationsPerSecond: notifications(router: 0) == nil
        ? nil : (0..<n).map { Double(notifications(router: $0) ?? 0) / s },
      boostWakeupsPerSecond: Double(report.domains.reduce(0) { $0 + $1.boostWakeups }) / s,
      jainIndex: jainFairnessIndex(routers.map(\.forwardedPps)))
    if !jobs.isEmpty { result.jobs = jobs.results(now: sim.now) }
    if !path.softirqs.isEmpty {
      let perCPU = spec.host.clockGHz * 1e9 * s
      var modes: [CPUModes] = []
      for (k, busy) in report.pcpus.map(\.utilisation).enumerated() {
        let c = path.softirqs[k]
        var user: Int64 = 0
        var system: Int64 = 0
        for g in senders where g.cpu == k {
          user += g.modes.user
          system += g.modes.system
        }
        for r in path.sink?.sockets ?? [] where r.cpu == k {
          user += r.modes.user
          system += r.modes.system
        }
        let soft = min(busy, Double(c.cycles) / perCPU)
        let sys = min(busy - soft, Double(system) / perCPU)
        let usr = min(busy - soft - sys, Double(user) / perCPU)
        modes.append(
          CPUModes(
            name: "pcpu\(k)", busy: busy, softirq: soft, system: sys, user: usr,
            thread: max(0, busy - soft - sys - usr), netRxSoftirqsPerSecond: Double(c.runs) / s,
            squeezedPerSecond: Double(c.squeezed) / s))
      }
      // each pCPU's exits from idle (`idle_exit`): busy for cpuidle's residency (busy_exact), idle
      // for /proc/stat (its idle time runs from the idle loop's entry to its exit), in no task's time
      var busy = BusyCounters(stat: result.pcpuUtilisation, exact: nil)
      let exits = (0..<modes.count).map { Swift.min(host.idleExitSeconds(pcpu: $0) / s, modes[$0].busy) }
      if exits.contains(where: { $0 > 0 }) {
        busy.exact = busy.stat
        for k in modes.indices {
          busy.stat[k] -= exits[k]
          modes[k].busy -= exits[k]
          modes[k].thread = Swift.max(0, modes[k].thread - exits[k])
        }
      }
      result.cpuModes = modes
      // with UDP sockets (trafgen results encode as before): each iperf3 process's own time
      let sockets = path.sink?.sockets ?? []
      if !sockets.isEmpty {
        func share(_ c: Int64) -> Double { Double(c) / perCPU }
        result.processes =
          senders.map {
            ProcessCPU(name: $0.name, user: share($0.modes.user), system: share($0.modes.system))
          }
          + sockets.map {
            ProcessCPU(name: $0.vcpu.domain.name, user: share($0.modes.user), system: share($0.modes.system))
          }
        let errors = sockets.reduce(UInt64(0)) { $0 + $1.rcvbufErrors }
        result.udpInDatagramsPerSecond = Double(sockets.reduce(UInt64(0)) { $0 + $1.inDatagrams }) / s
        result.udpRcvbufErrorsPerSecond = Double(errors) / s
        if errors > 0 { result.dropsByPlace[Self.receiveBufferDropPlace] = errors }
      }
      // the testbed's window past the send time: its fixed part and each trafgen process's
      // start-up and exit (`testbed_window_per_sender`)
      let extra =
        Double(spec.profile.testbedWindowExtraNs) * 1e-9 + Double(path.trafgenSenders)
        * Double(spec.profile.testbedWindowPerSenderNs) * 1e-9
      // a trial's send time: the measured window, or with `extra` the testbed's trial below
      var send = s
      if extra > 0 {
        // The CPU rows over the testbed's window: its trial sends target x trial frames, for
        // that long at the rate the sender reached, and its counters ran `extra` longer, idle.
        let target = spec.flows.reduce(0.0) { $0 + $1.packetsPerSecond }
        let sent = totals.off / s
        let trial = Double(spec.profile.testbedTrialNs) * 1e-9
        send = sent > 0 ? trial * Swift.max(1, target / sent) : trial
        let f = send / (send + extra)
        busy.apply { _, b in b * f }
        result.cpuModes = modes.map {
          var m = $0
          m.busy *= f
          m.softirq *= f
          m.system *= f
          m.user *= f
          m.thread *= f
          return m
        }
      }
      let starts = path.senderStartCycles
      if starts.contains(where: { $0 > 0 }) {
        // each trafgen process's CPU outside its send loop (generator_start), once per trial, in
        // system time on its CPU: the CPU rows count it over their window (the send time, plus
        // `extra` with it), the sender's own row over the send time, as getrusage over the whole
        // process divided by the testbed's window
        let hz = spec.host.clockGHz * 1e9
        var modes = result.cpuModes ?? []
        var added = [Double](repeating: 0, count: busy.stat.count)
        for k in modes.indices {
          let cycles = zip(senders, starts).reduce(Int64(0)) { $0 + ($1.0.cpu == k ? $1.1 : 0) }
          added[k] = Swift.min(Double(cycles) / (hz * (send + extra)), Swift.max(0, 1 - modes[k].busy))
          modes[k].busy += added[k]
          modes[k].system += added[k]
        }
        busy.apply { k, b in b + added[k] }
        result.cpuModes = modes
        for (g, cycles) in zip(senders, starts) where cycles > 0 {
          // one thread: at most one CPU, however long its start-up is against the send time
          let own = result.cpuShare[g.name, default: 0]
          result.cpuShare[g.name] = own + Swift.min(Double(cycles) / (hz * send), Swift.max(0, 1 - own))
        }
      }
      let background = Double(spec.profile.cpuBackground) / 100_000_000
      if background > 0 {
        // the machine's background work, in each CPU's idle time over the window (it runs in
        // the send time and in the counters' idle tail alike): busy B reads B + b x (1 - B)
        busy.apply { _, b in b + background * (1 - b) }
        result.cpuModes = result.cpuModes?.map {
          var m = $0
          let added = background * (1 - m.busy)
          m.busy += added
          m.thread += added
          return m
        }
      }
      result.pcpuUtilisation = busy.stat
      result.pcpuBusyExact = busy.exact
      // the host's CPU as the testbed counts it: busy pCPUs, whatever runs on them
      result.cpuShare[spec.dom0.name] = result.pcpuUtilisation.reduce(0, +)
    }
    return result
  }

  static func row(
    _ name: String, _ off: Double, _ fwd: Double, _ bytes: Double, _ drop: Double, _ h: LatencyHistogram,
    _ s: Double
  ) -> RouterResult {
    RouterResult(
      name: name, offeredPps: off / s, forwardedPps: fwd / s, frameBps: bytes * 8 / s,
      wireBps: (bytes + fwd * Double(Ethernet.overheadBytes)) * 8 / s, droppedPps: drop / s,
      lossFraction: off > 0 ? drop / off : 0, latencyMeanUs: h.mean / 1000,
      latencyP50Us: h.percentile(50) / 1000,
      latencyP99Us: h.percentile(99) / 1000, latencyMaxUs: h.max / 1000)
  }
}

/// Each pCPU's busy fraction as the testbed's two counters read it: /proc/stat's (`stat`, the
/// result's `pcpuUtilisation`, without the exits from idle) and cpuidle's (`exact`, the
/// result's `pcpuBusyExact`; nil when no exit from idle costs time). The transforms of the
/// testbed's window (its scaling, `generator_start`, `cpu_background`) act on both alike, so
/// each is written once, in `apply`.
struct BusyCounters {
  /// /proc/stat's busy fraction per pCPU.
  var stat: [Double]
  /// cpuidle's busy fraction per pCPU, nil when it equals `stat`.
  var exact: [Double]?

  /// Replaces every pCPU's busy fraction `b` of both counters by `transform(k, b)`.
  mutating func apply(_ transform: (Int, Double) -> Double) {
    stat = stat.indices.map { transform($0, stat[$0]) }
    exact = exact.map { e in e.indices.map { transform($0, e[$0]) } }
  }
}
