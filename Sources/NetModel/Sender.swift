import HostModel
import SimCore

/// How a sender hands its frames to the kernel.
public enum SendMode: Sendable, Equatable {
  /// One send call per frame (a raw or UDP socket's sendto), `syscall` cycles each.
  case perPacket
  /// Frames written into a TX_RING and flushed by one send call per burst of up to this many
  /// frames (trafgen's PACKET_TX_RING): the call's cost is shared by the burst.
  case txRing(burst: Int)
  /// One sendto per datagram on a UDP socket (iperf3's client), `syscall` cycles each: as
  /// `perPacket`, with the UDP/IP output path in the per-datagram `system` cycles.
  case udp
}

/// A traffic generator inside the model, as the testbed runs trafgen: a process pinned to a
/// CPU, with its own cost per frame, closed-loop with the path it feeds.
///
/// Each send is a work item on the sender's vCPU: `syscall` cycles per call plus `user` and
/// `system` cycles per frame. When it ends, its frames go on the CPU's backlog (or straight
/// into a kernel thread's ring when the first hop is threaded) and the softirq they raise runs
/// next on the same vCPU, so the next send waits for the chain (the CPU's `local_bh_enable`
/// after `dev_queue_xmit`). Departures follow the flows' laws (`ArrivalSchedule`, the same
/// streams as the ingress port); a send that is late (the CPU was busy) leaves as soon as the
/// sender can: rate shaping stretches, never drops. Several senders on one CPU are several
/// entities under its scheduler (they time-share it as trafgen processes do).
///
/// With a shaper window W (`windowNs` > 0) the sender shapes as trafgen's `--rate` does
/// (netsniff-ng trafgen.c, `shaper_delay`): the frames whose departures fall in [kW, (k+1)W)
/// all leave from kW on, back to back, and the sender sleeps from the last of them to the next
/// window: a busy sender for as long as its window's frames last, with one wake-up per window.
///
/// With a pacing tick T (`tickNs` > 0) the sender paces as a rate-limited iperf3 client does
/// (iperf_api.c, `iperf_check_throttle` on its `--pacing-timer`): it sends while its average
/// rate since the start is below the target, else waits for the next tick of its timer, so a
/// datagram whose departure falls in ((k-1)T, kT] leaves from kT on, back to back with the
/// others of that tick; one wake-up per tick.
///
/// A frame that goes straight into a kernel thread's ring finds the ring full: the send call
/// fails (ENOBUFS: the veth stopped its queue) and the sender calls again after
/// `sched_yield`, as trafgen does, one send call's cost per try (`refusals` counts them), at
/// least 1 ns (a send call of 0 cycles would retry forever at one instant); the frame is not
/// lost. Frames count as sent when the ring takes them.
public final class Sender: WorkClient, EventHandler {
  /// `gen0`, ...
  public let name: String
  /// The sender's thread (pinned).
  public unowned(unsafe) let vcpu: VCPU
  /// The CPU it is pinned to.
  public let cpu: Int
  /// The softirq of its CPU.
  public let softirq: SoftirqCPU
  /// The segment of `softirq` its frames start on.
  public let segment: Int
  /// Its send mode.
  public let mode: SendMode
  /// Cycles per frame in user space, in the send call, and per call.
  public let userCycles: Int64, systemCycles: Int64, syscallCycles: Int64
  /// A send call made again after a refusal: `syscallCycles`, at least 1 ns of the host's clock.
  let retryCycles: Int64
  /// Cycles of each wake-up from its sleep (a timer's expiry: iperf3's select and timer
  /// processing, the CPU's exit from idle), charged as system time on the send that follows.
  public let wakeCycles: Int64
  private var woke = false
  private let schedule: ArrivalSchedule
  private var nextDeparture: (time: Int64, router: Int, size: Int)?
  private var handler = HandlerID(index: 0)
  private unowned(unsafe) let sim: Simulation
  private var stopAt: Int64 = .max
  private var timerArmed = false
  private var working = false
  private var burst: UnsafeMutablePointer<(router: Int, size: Int)>
  private var burstCount = 0
  private let burstLimit: Int
  /// The first frame of `burst` not yet handed over (a refused one waits there).
  private var burstNext = 0
  /// trafgen's shaper window, ns (0 = paced).
  private let windowNs: Int64
  /// iperf3's pacing tick, ns (0 = none).
  private let tickNs: Int64
  /// Per router: the kernel thread's ring its frames go straight into (threaded, no hop
  /// before the thread), else nil.
  private var directRing: [PacketRing?] = []

  /// Frames sent, per router, since the last reset.
  public private(set) var sent: [UInt64]
  /// Frames sent, whole run.
  public private(set) var sentTotal: UInt64 = 0
  /// Send calls, since the last reset.
  public private(set) var calls: UInt64 = 0
  /// Send calls refused by a full ring and made again (trafgen's ENOBUFS retries), since the
  /// last reset.
  public private(set) var refusals: UInt64 = 0
  /// User and system cycles that ran since the last reset (of a send in progress, the part
  /// that ran), as of the host's last statistics update (`WindowedModeCycles`).
  public var modes: CPUModeCycles { processModes.value(on: vcpu) }
  private var processModes = WindowedModeCycles()
  /// Sum over frames sent of how late their send began after their departure time, ns, since
  /// the last reset (the wait of a closed-loop sender behind its CPU).
  public private(set) var latenessSum: Int64 = 0
  /// Frames whose lateness was measured, since the last reset.
  public private(set) var latenessCount: UInt64 = 0

  /// Mean lateness of a send after its departure time, ns; 0 before any.
  public var meanLateness: Double { latenessCount > 0 ? Double(latenessSum) / Double(latenessCount) : 0 }

  /// Creates a sender of `flows` whose router is in `routers`, on `vcpu` (pinned to `cpu`),
  /// feeding `softirq`'s segment `segment`, shaping in windows of `windowNs` (0 = paced) or
  /// pacing on ticks of `tickNs` (0 = none; not both), paying `wakeCycles` per wake-up from a
  /// sleep.
  /// - Throws: `GSLError` when a frame-size mix cannot be drawn from.
  public init(
    name: String, sim: Simulation, vcpu: VCPU, cpu: Int, softirq: SoftirqCPU, segment: Int, flows: [FlowSpec],
    routers: Set<Int>, routerCount: Int, mode: SendMode, userCycles: Int64, systemCycles: Int64,
    syscallCycles: Int64, windowNs: Int64 = 0, tickNs: Int64 = 0, wakeCycles: Int64 = 0
  ) throws {
    precondition(wakeCycles >= 0, "a wake-up costs >= 0 cycles")
    self.wakeCycles = wakeCycles
    precondition(windowNs >= 0 && tickNs >= 0, "a shaper window and a pacing tick are >= 0 ns")
    precondition(windowNs == 0 || tickNs == 0, "a sender shapes in windows or paces on ticks, not both")
    self.windowNs = windowNs
    self.tickNs = tickNs
    self.name = name
    self.vcpu = vcpu
    self.cpu = cpu
    self.softirq = softirq
    self.segment = segment
    self.mode = mode
    self.userCycles = userCycles
    self.systemCycles = systemCycles
    self.syscallCycles = syscallCycles
    retryCycles = Swift.max(syscallCycles, Int64(vcpu.clockGHz.rounded(.up)))
    self.sim = sim
    schedule = try ArrivalSchedule(flows: flows, streams: sim.streams, routers: routers)
    switch mode {
    case .perPacket, .udp: burstLimit = 1
    case .txRing(let b):
      precondition(b >= 1, "a TX_RING burst holds at least one frame")
      burstLimit = b
    }
    burst = .allocate(capacity: burstLimit)
    sent = Array(repeating: 0, count: Swift.max(1, routerCount))
    let s = softirq.segments[segment]
    directRing = (0..<Swift.max(1, routerCount)).map { r in
      r < s.units.count && s.units[r] == 0 ? s.ends[r] as? PacketRing : nil
    }
    handler = sim.register(self)
    nextDeparture = schedule.next()
  }

  deinit { burst.deallocate() }

  /// Starts sending; departures after `until` are not sent.
  public func start(until: SimTime, now: SimTime, in sim: Simulation) {
    stopAt = until.nanoseconds
    proceed(now: now.nanoseconds, sim: sim)
  }

  /// Lets the sender go on until `until` (after an earlier end).
  public func extend(until: SimTime, now: SimTime, in sim: Simulation) {
    stopAt = until.nanoseconds
    if !working && !timerArmed { proceed(now: now.nanoseconds, sim: sim) }
  }

  /// When a frame departing at `time` may leave: then, its shaper window's start, or the
  /// first pacing tick at or after it.
  @inline(__always) private func due(_ time: Int64) -> Int64 {
    if tickNs > 0 {
      let r = time % tickNs
      return r == 0 ? time : time - r + tickNs
    }
    return windowNs > 0 ? time - time % windowNs : time
  }

  /// Sends at once if the next departure is due, else sleeps until it is.
  private func proceed(now: Int64, sim: Simulation) {
    guard let d = nextDeparture, d.time <= stopAt else { return }
    let at = due(d.time)
    if at <= now {
      working = true
      vcpu.submit(self, tag: 0, arg: 0)
    } else if !timerArmed {
      timerArmed = true
      sim.schedule(at: SimTime(nanoseconds: at), to: handler, code: 0)
    }
  }

  public func handle(_ event: Event, in sim: Simulation) {
    timerArmed = false
    woke = true
    if !working { proceed(now: event.time.nanoseconds, sim: sim) }
  }

  public func beginWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) -> Int64 {
    if tag == 1 { return 0 }  // the marker after a send: its softirq has run
    if tag == 2 {  // the send call again after a refusal (sched_yield, then sendto)
      calls &+= 1
      processModes.begin(user: 0, system: retryCycles)
      return retryCycles
    }
    // The frames due now, up to a burst (at least the one that woke the sender).
    burstCount = 0
    burstNext = 0
    while burstCount < burstLimit, let d = nextDeparture, d.time <= stopAt,
      burstCount == 0 || due(d.time) <= now.nanoseconds
    {
      burst[burstCount] = (d.router, d.size)
      burstCount += 1
      latenessSum &+= now.nanoseconds &- due(d.time)
      latenessCount &+= 1
      nextDeparture = schedule.next()
    }
    let n = Int64(burstCount)
    let wake = woke ? wakeCycles : 0
    woke = false
    calls &+= 1
    processModes.begin(user: n &* userCycles, system: wake &+ syscallCycles &+ n &* systemCycles)
    return wake + syscallCycles + n * (userCycles + systemCycles)
  }

  public func finishWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) {
    if tag == 1 {
      working = false
      proceed(now: now.nanoseconds, sim: sim)
      return
    }
    processModes.finish()
    let s = softirq.segments[segment]
    while burstNext < burstCount {
      let (r, size) = burst[burstNext]
      let p = Packet(flow: UInt16(r), size: UInt16(size), born: now.nanoseconds)
      if s.units[r] == 0 {
        // straight into a kernel thread's ring; a full one refuses: try again
        if let ring = directRing[r], ring.count >= ring.limit {
          refusals &+= 1
          vcpu.submit(self, tag: 2, arg: 0)
          return
        }
        s.ends[r].accept(p, at: now)
      } else {
        softirq.enqueue(p, segment: segment, at: now, raisedBy: vcpu)
      }
      sent[r] &+= 1
      sentTotal &+= 1
      burstNext += 1
    }
    burstCount = 0
    burstNext = 0
    // A marker item after the softirq this send raised (queued on this vCPU first): the
    // next send is decided once the chain has run.
    vcpu.submit(self, tag: 1, arg: 0)
  }

  /// Forgets the windowed counters (warm-up deletion).
  public func resetStatistics() {
    for i in sent.indices { sent[i] = 0 }
    calls = 0
    refusals = 0
    processModes.reset(on: vcpu)
    latenessSum = 0
    latenessCount = 0
  }
}
