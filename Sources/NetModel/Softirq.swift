import HostModel
import SimCore

/// Cycles a CPU spent in the modes /proc/stat counts, for the parts of a path the model
/// attributes by mode: the senders' user and system time, and the NET_RX softirq.
public struct CPUModeCycles: Sendable, Equatable {
  /// User-space cycles (a sender filling its frames).
  public var user: Int64 = 0
  /// System cycles (a sender's send calls up to the device's transmit).
  public var system: Int64 = 0
  /// NET_RX softirq cycles (the run-to-completion chains, in any task's context or in
  /// ksoftirqd).
  public var softirq: Int64 = 0
  /// Creates zero counts.
  public init() {}
}

/// What one hop of an inline chain does, for the path description.
public struct InlineHop: Sendable, Equatable {
  /// The namespace or device it runs in (`veth`, `vrN`, `dom0`, `sink`).
  public var place: String
  /// A few words: `IP forward (FIB)`, `bridge`, `blackhole route`.
  public var does: String
  /// Creates a hop.
  public init(_ place: String, _ does: String) {
    self.place = place
    self.does = does
  }
}

/// A run-to-completion piece of a packet path that runs inline in the NET_RX softirq of the
/// CPU that raised it: from the packet's entry into the CPU's backlog to where it ends (the
/// sink's blackhole route, or a kernel thread's ring), per router.
///
/// Linux (net/core/dev.c, drivers/net/veth.c): a frame a veth transmits without NAPI is put
/// on the current CPU's backlog (`netif_rx` -> `enqueue_to_backlog`) and NET_RX is raised;
/// `process_backlog` takes it in the same softirq run, the next namespace forwards it onto the
/// next veth, which queues it again on the same backlog: the whole chain runs on the sending
/// CPU. Each veth crossing is one backlog entry, so one frame uses `units` of the softirq's
/// packet budget.
public final class SoftirqSegment {
  /// Name for reports (`chain`, `after-thread`).
  public let name: String
  /// Cycles of the whole segment, per router.
  public let cycles: [Int64]
  /// Backlog entries (veth crossings) per frame, per router: its share of the budget.
  public let units: [Int]
  /// Where a frame of router r ends after the segment.
  public let ends: [any PacketSink]
  /// What the hops do, router 0's (generic), for the path description.
  public let hops: [InlineHop]

  /// Cycles paid once per softirq run that takes at least one of this segment's frames (its
  /// crossings' poll set-up, `veth_poll` per crossing), on top of `cycles` per frame.
  public let perRun: Int64

  /// Cycles per frame byte (`Packet.size`) of the whole segment, on top of `cycles` (the sum
  /// of its crossings' per-byte costs); 0 = none.
  public let perByte: Double

  /// Creates a segment; `cycles`, `units` and `ends` have one entry per router; `perRun`
  /// cycles once per run that takes any of its frames; `perByte` cycles per frame byte.
  public init(
    name: String, cycles: [Int64], units: [Int], ends: [any PacketSink], hops: [InlineHop], perRun: Int64 = 0,
    perByte: Double = 0
  ) {
    precondition(cycles.count == units.count && units.count == ends.count, "one entry per router")
    precondition(
      cycles.allSatisfy { $0 >= 0 } && units.allSatisfy { $0 >= 0 } && perRun >= 0 && perByte >= 0,
      "costs must be >= 0")
    self.name = name
    self.cycles = cycles
    self.units = units
    self.ends = ends
    self.hops = hops
    self.perRun = perRun
    self.perByte = perByte
  }
}

/// The end of the path: the sink namespace, whose blackhole route drops every frame after
/// its lookup (the lookup's cost is the segment's last hop), or, with UDP sockets, the
/// socket of the frame's router (`sockets`, the delivery's cost the segment's last hop); a
/// frame that reaches it counts as forwarded (as the testbed counts the sink's veth), with its
/// latency from its send, whether or not its socket's buffer then takes it.
public final class SinkPort: PacketSink {
  /// `sink`.
  public let name = "sink"
  let metrics: FlowMetrics
  /// The UDP sockets, router r's datagrams to `sockets[r % count]`; empty: the blackhole route.
  public var sockets: [UDPSocket] = []

  /// A sink that reports into `metrics`.
  public init(metrics: FlowMetrics) { self.metrics = metrics }

  @discardableResult
  public func accept(_ packet: Packet, at now: SimTime) -> Bool {
    metrics.forwarded(packet, receivedAt: now.nanoseconds)
    if !sockets.isEmpty { sockets[Int(packet.port) % sockets.count].accept(packet, at: now) }
    return true
  }
}

/// One CPU's NET_RX softirq: its backlog (`netdev_max_backlog` frames, drops counted under
/// `cpuK.backlog`), its budget per run (`netdev_budget` backlog entries, taken in polls of
/// `dev_weight`, and a time limit), and its ksoftirqd thread, to which a run that ends with
/// work left defers the rest (a scheduled entity pinned to the CPU, competing under the CPU's
/// scheduler).
///
/// A run is raised by whatever put a frame on the backlog (a sender's send, a kernel thread's
/// poll): it runs on the raiser's vCPU as its next work item, before the raiser continues
/// (`local_bh_enable` runs pending softirqs), so a sender's next send waits for the chain it
/// raised. One run costs `entryCycles` plus each frame's segment cycles and its bytes x the
/// segment's `perByte` (and each segment's `perRun` once); it takes frames in
/// order while the budget lasts (at least one). No allocation per packet or run.
public final class SoftirqCPU: WorkClient {
  /// The CPU.
  public let cpu: Int
  /// The per-CPU backlog.
  public let backlog: PacketRing
  /// The chains whose frames this backlog holds (a frame's segment is in its flags).
  public private(set) var segments: [SoftirqSegment] = []
  /// Backlog entries a run may take: `netdev_budget` rounded up to whole polls of `dev_weight`
  /// (net_rx_action checks the budget after each poll).
  public let budgetUnits: Int
  /// Cycles after which a run stops (`netdev_budget_usecs` at the clock).
  public let timeLimitCycles: Int64
  /// Cycles per run (do_softirq, net_rx_action, the poll set-up).
  public let entryCycles: Int64
  /// ksoftirqd/cpu.
  public unowned(unsafe) let ksoftirqd: VCPU
  /// One run's frames, per vCPU that runs them: a run preempted mid-way (the host model
  /// preempts work items; Linux never preempts a softirq) keeps its frames while another
  /// context's run takes the next ones, each charged to the context that runs it.
  final class Run {
    let batch: UnsafeMutablePointer<Packet>
    var count = 0
    var squeezed = false
    init(capacity: Int) { batch = .allocate(capacity: capacity) }
    deinit { batch.deallocate() }
  }
  private var runOf: [Run?] = []
  private let capacity: Int
  /// The vCPUs with a run queued or running (each raiser runs the pending softirq at its own
  /// next `local_bh_enable`, whoever comes first; a run that finds the backlog empty is none).
  private var queuedOn: [Int] = []

  /// NET_RX softirq runs, since the last reset (/proc/softirqs NET_RX).
  public private(set) var runs: UInt64 = 0
  /// Runs that ended with work left (softnet_stat time_squeeze), since the last reset.
  public private(set) var squeezed: UInt64 = 0
  /// Runs deferred to ksoftirqd, since the last reset.
  public private(set) var deferred: UInt64 = 0
  /// Frames processed, since the last reset.
  public private(set) var packets: UInt64 = 0
  /// Softirq cycles, since the last reset.
  public private(set) var cycles: Int64 = 0
  /// Wake-ups of a reader on another CPU charged (`chargeRemoteWakes`), since the last reset.
  public private(set) var remoteWakes: UInt64 = 0
  /// Cycles a run adds when it will wake a reader sleeping on another CPU (0 = off).
  public private(set) var remoteWakeCycles: Int64 = 0
  /// Per segment, per router: the socket its frames reach when the segment ends at the sink.
  private var wakeSockets: [[UDPSocket?]] = []

  /// Creates CPU `cpu`'s softirq with a backlog of `backlog` frames for `routers` flows.
  public init(
    cpu: Int, backlog: Int, routers: Int, budget: Int, devWeight: Int, timeLimitCycles: Int64,
    entryCycles: Int64,
    ksoftirqd: VCPU
  ) {
    precondition(
      budget >= 1 && devWeight >= 1 && timeLimitCycles >= 1 && entryCycles >= 0, "bad softirq bounds")
    self.cpu = cpu
    self.backlog = PacketRing(name: "cpu\(cpu).backlog", capacity: backlog, flows: routers)
    budgetUnits = (budget + devWeight - 1) / devWeight * devWeight
    self.timeLimitCycles = timeLimitCycles
    self.entryCycles = entryCycles
    self.ksoftirqd = ksoftirqd
    capacity = backlog
  }

  /// The run state of `vcpu` (made on its first run).
  @inline(__always) private func run(of vcpu: VCPU) -> Run {
    let id = vcpu.id
    if id < runOf.count, let r = runOf[id] { return r }
    if id >= runOf.count { runOf += Array(repeating: nil, count: id + 1 - runOf.count) }
    let r = Run(capacity: capacity)
    runOf[id] = r
    return r
  }

  /// Registers a chain; returns its index for `enqueue`.
  public func add(_ segment: SoftirqSegment) -> Int {
    precondition(segments.count < 127, "too many softirq segments")
    segments.append(segment)
    return segments.count - 1
  }

  /// Makes each run that will queue the first datagram on the empty buffer of a reader pinned
  /// to another CPU pay `cycles` more (the cross-CPU wake-up, in this softirq), once per
  /// wake-up: a frame of a segment that ends at `sink` reaches `sink.sockets[router % count]`.
  /// Call after every segment is added and the sink has its sockets.
  public func chargeRemoteWakes(cycles: Int64, sink: SinkPort) {
    precondition(cycles >= 0, "a wake-up's cycles are >= 0")
    remoteWakeCycles = cycles
    wakeSockets = segments.map { s in
      s.ends.indices.map { r in
        s.ends[r] === sink && !sink.sockets.isEmpty ? sink.sockets[r % sink.sockets.count] : nil
      }
    }
  }

  /// Frames in the backlog or in the run now in progress.
  public var inside: Int { runOf.reduce(backlog.count) { $0 + ($1?.count ?? 0) } }

  /// Puts `packet` on the backlog for segment `segment` and raises NET_RX from `raiser` (the
  /// vCPU running the code that transmitted it): a run is queued on `raiser` unless one is
  /// already queued or running. Returns false when the backlog was full (dropped, counted).
  @discardableResult
  public func enqueue(_ packet: Packet, segment: Int, at now: SimTime, raisedBy raiser: VCPU) -> Bool {
    var p = packet
    p.flags = (p.flags & Packet.floodCopy) | UInt8(segment << 1)
    guard backlog.accept(p, at: now) else { return false }
    raise(on: raiser)
    return true
  }

  /// Queues a run on `vcpu` unless it has one queued or running.
  @inline(__always) private func raise(on vcpu: VCPU) {
    for id in queuedOn where id == vcpu.id { return }
    queuedOn.append(vcpu.id)
    vcpu.submit(self, tag: 0, arg: 0)
  }

  public func beginWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) -> Int64 {
    let run = run(of: vcpu)
    run.squeezed = false
    run.count = 0
    if backlog.isEmpty { return 0 }  // another context ran the pending softirq first
    let batch = run.batch
    var c = entryCycles
    var units = 0
    var n = 0
    var polled: UInt128 = 0  // the segments whose per-run cost this run has paid (< 127 of them)
    while !backlog.isEmpty {
      if n > 0 && (units >= budgetUnits || c >= timeLimitCycles) {
        run.squeezed = true
        break
      }
      let p = backlog.pop()
      let k = Int(p.flags >> 1)
      let s = segments[k]
      let r = Int(p.port)
      c += s.cycles[r]
      if s.perByte > 0 { c += Int64((s.perByte * Double(p.size)).rounded()) }
      if s.perRun > 0 && polled & (1 << k) == 0 {
        polled |= 1 << k
        c += s.perRun
      }
      units += Swift.max(1, s.units[r])
      if remoteWakeCycles > 0, k < wakeSockets.count, let socket = wakeSockets[k][r], !socket.isReading,
        !socket.wakeCharged, socket.cpu != cpu
      {
        socket.wakeCharged = true
        remoteWakes &+= 1
        c += remoteWakeCycles
      }
      batch[n] = p
      n += 1
    }
    run.count = n
    runs &+= 1
    packets &+= UInt64(n)
    cycles &+= c
    return c
  }

  public func finishWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) {
    if let k = queuedOn.firstIndex(of: vcpu.id) { queuedOn.remove(at: k) }
    let run = run(of: vcpu)
    guard run.count > 0 else { return }
    for i in 0..<run.count {
      var p = run.batch[i]
      let s = segments[Int(p.flags >> 1)]
      p.flags &= Packet.floodCopy
      s.ends[Int(p.port)].accept(p, at: now)
    }
    run.count = 0
    if backlog.isEmpty { return }
    if run.squeezed {
      // Work left: a squeezed run re-raises, and the rest goes to ksoftirqd (__do_softirq's
      // restart limit ends in wakeup_softirqd).
      squeezed &+= 1
      deferred &+= 1
      raise(on: ksoftirqd)
    } else if queuedOn.isEmpty {
      raise(on: vcpu)  // frames queued while this run was preempted: it goes on
    }
  }

  /// Forgets the counters (warm-up deletion).
  public func resetStatistics(from start: SimTime) {
    backlog.resetStatistics(from: start)
    runs = 0
    squeezed = 0
    deferred = 0
    packets = 0
    cycles = 0
    remoteWakes = 0
  }
}

/// A kernel thread's output into the softirq of the CPU it runs on: a threaded NAPI poll
/// (veth with threaded NAPI) forwards each frame onto the next veth, which queues it on the
/// thread's CPU's backlog; the softirq runs when the poll re-enables bottom halves, on the
/// thread itself, before its next poll.
public final class RaiseSoftirq: StageOutput {
  /// The softirq of each CPU (index = CPU).
  let cpus: [SoftirqCPU]
  /// The segment index in each CPU's list.
  let segment: [Int]
  /// The thread that raises.
  unowned(unsafe) let thread: VCPU

  /// Frames of `thread`'s poll go on with `segments[cpu]` (the same chain registered with
  /// every CPU's softirq, at index `segmentIndex[cpu]`).
  public init(thread: VCPU, cpus: [SoftirqCPU], segmentIndex: [Int]) {
    precondition(cpus.count == segmentIndex.count && !cpus.isEmpty, "one segment per CPU")
    self.cpus = cpus
    segment = segmentIndex
    self.thread = thread
  }

  public func deliver(_ packets: UnsafeBufferPointer<Packet>, at now: SimTime) -> Int64 {
    var c = thread.currentPCPU
    if c < 0 { c = thread.firstAllowedPCPU }
    let softirq = cpus[c]
    for p in packets { softirq.enqueue(p, segment: segment[c], at: now, raisedBy: thread) }
    return 0
  }

  public var targets: [any PacketSink] { cpus.map(\.backlog) }

  public func target(forPort port: Int) -> any PacketSink { cpus[thread.firstAllowedPCPU].backlog }
}
