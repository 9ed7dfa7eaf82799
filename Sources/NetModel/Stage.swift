import HostModel
import SimCore

/// What a stage costs, in CPU cycles of the host clock.
public struct StageCost: Sendable, Codable, Equatable {
  /// Cycles per packet (driver, bridge, FIB lookup, copy setup...).
  public var perPacket: Int64
  /// Cycles per byte of frame (copies).
  public var perByte: Double
  /// Cycles per batch (one NAPI poll, one hypercall, one tasklet run).
  public var perBatch: Int64
  /// Cycles to take a notification (interrupt or event-channel upcall), paid by the first
  /// batch after it.
  public var perNotification: Int64

  /// Creates a cost; all parts default to 0.
  public init(perPacket: Int64 = 0, perByte: Double = 0, perBatch: Int64 = 0, perNotification: Int64 = 0) {
    self.perPacket = perPacket
    self.perByte = perByte
    self.perBatch = perBatch
    self.perNotification = perNotification
  }

  /// Adds two costs part by part (a stage that does two things).
  public static func + (a: StageCost, b: StageCost) -> StageCost {
    StageCost(
      perPacket: a.perPacket + b.perPacket, perByte: a.perByte + b.perByte,
      perBatch: a.perBatch + b.perBatch, perNotification: a.perNotification + b.perNotification)
  }
}

/// Where a stage sends each packet.
public enum Routing {
  /// Every packet to one sink.
  case one(any PacketSink)
  /// Packet headed for router r (`Packet.port`, its flow unless it is a flood copy) to sinks[r].
  case byFlow([any PacketSink])
  /// Into a Linux bridge from its uplink: to the addressed router's vif, flooding when unknown.
  case bridgeFromUplink(LinuxBridge, vifs: [any PacketSink])
  /// Into a Linux bridge from a router's vif: to the uplink, flooding the other vifs when the
  /// next hop is unknown.
  case bridgeFromRouter(LinuxBridge, uplink: any PacketSink, vifs: [any PacketSink])
}

/// A step of a packet path executed by a vCPU: a NAPI poll, a netback tasklet, a guest's
/// netfront + IP forward. It drains one or more input rings in batches and hands every packet
/// to the next sink.
///
/// Notifications follow the Xen/Linux discipline: a stage that is polling (a work item queued
/// or running on its vCPU) needs no notification — pushes into its rings are suppressed, as
/// ring event indices and NAPI's disabled interrupts do. An idle stage is notified (interrupt
/// or event channel): it submits a work item to its vCPU, which wakes a blocked vCPU through
/// the scheduler's wake path (BOOST, tickle). With interrupt moderation (`moderation` > 0, the
/// NIC's ITR), notifications are at least that far apart. After a batch the stage keeps polling
/// while packets wait, and goes idle (re-arms notifications) when its rings are empty.
///
/// Cost of a batch of n packets of sizes s_i: perBatch + Σ(perPacket + perByte·s_i), plus
/// perNotification for the first batch after a notification. The batch is taken when the vCPU
/// starts the work item and its packets move on together when it completes (latency is exact
/// at low load, batch-granular at high load). No allocation per packet or batch.
public final class Stage: WorkClient, EventHandler {
  /// Name used in reports, e.g. `dom0.nic-rx`, `vr2.netfront`.
  public let name: String
  /// The vCPU that executes it. Unowned: the vCPU keeps every client it was given (this
  /// stage) alive, and the host owns the vCPU for the model's lifetime, so a strong reference
  /// here is a cycle that kept each finished run's model (with its latency histograms, about
  /// 0.2 MB) allocated until the process ended.
  public unowned(unsafe) let vcpu: VCPU
  /// Its cost model.
  public let cost: StageCost
  /// Most packets per batch (NAPI weight 64; netback 256).
  public let batchLimit: Int
  /// Minimum time between notifications (interrupt throttling); zero = none.
  public let moderation: SimDuration
  /// Cycles this stage pays for each notification its output causes (an event-channel send
  /// hypercall, an IPI), charged to its next batch.
  public let notifySendCost: Int64
  private var owedCycles: Int64 = 0
  private var downstream: [Stage]? = nil
  /// Cycles per extra copy when this stage floods through a bridge.
  public var floodCopyCost: Int64 = 0
  /// True for a guest's receive stage: flood copies addressed to another guest end here.
  public var discardsFloodCopies = false
  /// Flood copies discarded here, whole run.
  public private(set) var discardedCopies: UInt64 = 0
  /// Notifications this stage's output caused in its consumers, since the last reset.
  public private(set) var notificationsSent: UInt64 = 0
  let inputs: [PacketRing]
  var routing: Routing
  private var batch: UnsafeMutablePointer<Packet>
  private var batchCount = 0
  private var rr = 0
  private var owesNotification = false
  private var moderationTimer: EventID?
  private var lastNotification: Int64 = .min / 2
  private var handler = HandlerID(index: 0)
  private unowned(unsafe) let sim: Simulation

  /// True when no work item of this stage is queued or running (notifications armed).
  public private(set) var idle = true
  /// Notifications taken (interrupts, event-channel upcalls), since the last reset.
  public private(set) var notifications: UInt64 = 0
  /// Pushes that needed no notification because the stage was polling, since the last reset.
  public private(set) var suppressed: UInt64 = 0
  /// Batches run, since the last reset.
  public private(set) var batches: UInt64 = 0
  /// Packets processed, since the last reset.
  public private(set) var packets: UInt64 = 0
  /// Cycles charged, since the last reset.
  public private(set) var cycles: Int64 = 0
  /// Sum over processed packets of the time from entering this stage's input ring to leaving
  /// the stage (queueing, waiting for the vCPU, service), ns, since the last reset.
  public private(set) var residenceSum: Int64 = 0
  /// Longest such time, ns, since the last reset.
  public private(set) var residenceMax: Int64 = 0

  /// Mean time a packet spends in this stage (its ring and its batch), ns; 0 before any.
  public var meanResidence: Double { residenceCount > 0 ? Double(residenceSum) / Double(residenceCount) : 0 }
  /// Packets whose residence was measured (those leaving the stage), since the last reset.
  public private(set) var residenceCount: UInt64 = 0

  /// Creates a stage on `vcpu` draining `inputs` (each ring's consumer becomes this stage).
  public init(
    name: String, sim: Simulation, vcpu: VCPU, inputs: [PacketRing], cost: StageCost,
    batchLimit: Int, routing: Routing, moderation: SimDuration = .zero, notifySendCost: Int64 = 0
  ) {
    precondition(batchLimit >= 1, "batch limit must be >= 1")
    precondition(!inputs.isEmpty, "a stage needs an input ring")
    self.name = name
    self.vcpu = vcpu
    self.inputs = inputs
    self.cost = cost
    self.batchLimit = batchLimit
    self.routing = routing
    self.moderation = moderation
    self.notifySendCost = notifySendCost
    self.sim = sim
    batch = .allocate(capacity: batchLimit)
    handler = sim.register(self)
    for r in inputs { r.consumer = self }
  }

  deinit { batch.deallocate() }

  /// Packets taken by the batch now being processed (0 between batches).
  public var batchInProgress: Int { batchCount }

  /// Packets waiting in the input rings plus those in the current batch.
  public var backlog: Int { inputs.reduce(batchCount) { $0 + $1.count } }

  /// Rate-triggered coalescing (VMware's packet clustering): while the arrival rate, smoothed
  /// over about 16 packets, is above `thresholdPps`, notifications are at least `interval`
  /// apart; below it every packet may notify at once, so light traffic sees no added delay.
  public struct Clustering: Sendable, Equatable {
    /// Arrival rate above which clustering starts, packets per second.
    public var thresholdPps: Double
    /// Minimum gap between notifications while clustering.
    public var interval: SimDuration
    /// Creates a clustering rule.
    public init(thresholdPps: Double, interval: SimDuration) {
      self.thresholdPps = thresholdPps
      self.interval = interval
    }
  }

  /// Netfront's receive-buffer refill (Linux 2.6.32 xen-netfront): the guest posts `target`
  /// buffers into its vif RX ring (so netback can copy at most that many packets ahead of the
  /// guest); after each poll the target doubles when fewer than a quarter of the posted
  /// buffers are left free, and shrinks by one when more than three quarters are free,
  /// within `minimum ... maximum`.
  public struct RxRefill: Sendable, Equatable {
    /// Lowest target (netfront's default target: 64 in mainline).
    public var minimum: Int
    /// Highest target (the ring size, 256).
    public var maximum: Int
    /// Creates a refill rule.
    public init(minimum: Int, maximum: Int) {
      self.minimum = minimum
      self.maximum = maximum
    }
  }

  /// Receive-buffer refill rule for the first input ring, if any.
  public var rxRefill: RxRefill? {
    didSet { if let r = rxRefill { inputs[0].limit = Swift.min(inputs[0].capacity, r.minimum) } }
  }

  /// Clustering rule, if any (set by the platform; nil = fixed `moderation` only).
  public var clustering: Clustering?
  private var lastArrival: Int64 = .min
  private var meanGapNs: Double = .infinity
  /// Notifications deferred because the stage was clustering, since the last reset.
  public private(set) var clustered: UInt64 = 0

  /// Called by an input ring when a packet arrives: wakes the stage unless it is polling.
  public func notify(at now: SimTime) {
    var gap = moderation.nanoseconds
    if let c = clustering {
      let t = now.nanoseconds
      if lastArrival != .min {
        let d = Double(t - lastArrival)
        meanGapNs = meanGapNs.isFinite ? meanGapNs + (d - meanGapNs) / 16 : d
      }
      lastArrival = t
      if meanGapNs < 1e9 / c.thresholdPps { gap = Swift.max(gap, c.interval.nanoseconds) }
    }
    guard idle else {
      suppressed &+= 1
      return
    }
    if gap > 0 {
      let earliest = lastNotification &+ gap
      if gap > moderation.nanoseconds && now.nanoseconds < earliest { clustered &+= 1 }
      if now.nanoseconds < earliest {
        if moderationTimer == nil {
          moderationTimer = sim.schedule(at: SimTime(nanoseconds: earliest), to: handler)
        }
        return
      }
    }
    fire(at: now.nanoseconds)
  }

  private func fire(at now: Int64) {
    notifications &+= 1
    lastNotification = now
    owesNotification = true
    idle = false
    vcpu.submit(self, tag: 0, arg: 0)
  }

  /// The moderation timer: the delayed interrupt fires now if packets still wait.
  public func handle(_ event: Event, in sim: Simulation) {
    moderationTimer = nil
    if idle && inputs.contains(where: { !$0.isEmpty }) { fire(at: event.time.nanoseconds) }
  }

  public func beginWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) -> Int64 {
    var n = 0
    var bytes = 0
    if inputs.count == 1 {
      let r = inputs[0]
      while n < batchLimit && !r.isEmpty {
        let p = r.pop()
        batch[n] = p
        bytes += Int(p.size)
        n += 1
      }
    } else {
      // Round robin, one packet per ring per turn (netback's schedule list).
      var emptyInARow = 0
      while n < batchLimit && emptyInARow < inputs.count {
        let r = inputs[rr]
        rr = rr + 1 == inputs.count ? 0 : rr + 1
        if r.isEmpty {
          emptyInARow += 1
          continue
        }
        emptyInARow = 0
        let p = r.pop()
        batch[n] = p
        bytes += Int(p.size)
        n += 1
      }
    }
    batchCount = n
    var c = cost.perBatch + Int64(n) * cost.perPacket + Int64((cost.perByte * Double(bytes)).rounded())
    if owesNotification {
      c += cost.perNotification
      owesNotification = false
    }
    c += owedCycles
    owedCycles = 0
    batches &+= 1
    packets &+= UInt64(n)
    cycles &+= c
    return c
  }

  public func finishWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) {
    let t = now.nanoseconds
    let consumers = downstreamStages()
    var before: UInt64 = 0
    for s in consumers { before &+= s.notifications }
    for i in 0..<batchCount {
      let d = t &- batch[i].enqueued
      residenceSum &+= d
      residenceCount &+= 1
      if d > residenceMax { residenceMax = d }
    }
    switch routing {
    case .one(let sink):
      for i in 0..<batchCount {
        let p = batch[i]
        if p.flags & Packet.floodCopy != 0 && discardsFloodCopies {
          discardedCopies &+= 1  // a flooded frame for another guest: received, then dropped
          continue
        }
        sink.accept(p, at: now)
      }
    case .byFlow(let sinks):
      for i in 0..<batchCount {
        let p = batch[i]
        if p.flags & Packet.floodCopy != 0 && discardsFloodCopies {
          discardedCopies &+= 1
          continue
        }
        sinks[Int(p.port)].accept(p, at: now)
      }
    case .bridgeFromUplink(let bridge, let vifs):
      var copies = 0
      for i in 0..<batchCount { copies += bridge.fromUplink(batch[i], to: vifs, at: now) }
      owedCycles &+= Int64(copies) &* floodCopyCost
    case .bridgeFromRouter(let bridge, let uplink, let vifs):
      var copies = 0
      for i in 0..<batchCount { copies += bridge.fromRouter(batch[i], uplink: uplink, vifs: vifs, at: now) }
      owedCycles &+= Int64(copies) &* floodCopyCost
    }
    batchCount = 0
    if !consumers.isEmpty {
      var after: UInt64 = 0
      for s in consumers { after &+= s.notifications }
      let sent = after &- before
      notificationsSent &+= sent
      owedCycles &+= Int64(sent) &* notifySendCost
    }
    if let r = rxRefill {
      let ring = inputs[0]
      let freeBuffers = ring.limit - ring.count
      if freeBuffers * 4 < ring.limit {
        ring.limit = Swift.min(r.maximum, ring.limit * 2)
      } else if freeBuffers * 4 > ring.limit * 3 && ring.limit > r.minimum {
        ring.limit -= 1
      }
    }
    if inputs.contains(where: { !$0.isEmpty }) {
      vcpu.submit(self, tag: 0, arg: 0)  // keep polling (NAPI: budget used, still work)
    } else {
      idle = true  // re-arm notifications
    }
  }

  /// The stages fed by this stage's output rings (resolved on first use: the consumers are
  /// built after their producers).
  private func downstreamStages() -> [Stage] {
    if let d = downstream { return d }
    var sinks: [any PacketSink] = []
    switch routing {
    case .one(let s): sinks = [s]
    case .byFlow(let s): sinks = s
    case .bridgeFromUplink(_, let vifs): sinks = vifs
    case .bridgeFromRouter(_, let uplink, let vifs): sinks = [uplink] + vifs
    }
    var seen = Set<ObjectIdentifier>()
    var d: [Stage] = []
    if notifySendCost > 0 {
      for case let ring as PacketRing in sinks {
        if let c = ring.consumer, seen.insert(ObjectIdentifier(c)).inserted { d.append(c) }
      }
    }
    downstream = d
    return d
  }

  /// Forgets the counters (warm-up deletion).
  public func resetStatistics() {
    notifications = 0
    suppressed = 0
    clustered = 0
    batches = 0
    packets = 0
    cycles = 0
    residenceSum = 0
    residenceCount = 0
    residenceMax = 0
    notificationsSent = 0
  }
}
