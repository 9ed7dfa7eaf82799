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

/// Where a stage keeps its notification state: one flag for the whole stage, or one event
/// index per input ring.
public enum NotificationScope: Sendable, Equatable {
  /// One flag per stage (NAPI's disabled interrupt, a softirq or tasklet already scheduled):
  /// while the stage polls, no push into any of its rings notifies it.
  case stage
  /// One event index per ring, re-armed when a poll ends with that ring empty (netfront's
  /// `RING_FINAL_CHECK_FOR_RESPONSES` at the end of `xennet_poll`).
  case ringAtPollEnd
  /// One event index per ring, re-armed as soon as the consumer finds the ring empty while it
  /// gathers a batch (netback's `RING_FINAL_CHECK_FOR_REQUESTS` in `netif_schedule_work`, per
  /// vif): a guest pushing into a re-armed ring notifies dom0 even while netback is running.
  case ringAtGather
}

/// Work a stage's owner does after each of its batches, beside the output: an event-index
/// protocol of a ring (Xen TX completions, netback's queue wake-up). Returns cycles the stage
/// owes for it (event-channel sends), charged to its next batch.
public protocol BatchHook: AnyObject {
  /// Called at the end of each batch of `stage`, after its output and refill.
  func batchFinished(by stage: Stage, at now: SimTime) -> Int64
}

/// A step of a packet path executed by a vCPU: a NAPI poll, a netback tasklet, a guest's
/// netfront + IP forward. Its one job: drain its input rings onto its vCPU in batches, at a
/// cost, and hand each finished batch to its `output` (which routes, bridges or filters).
///
/// Notifications follow the Xen/Linux discipline: a stage that is polling (a work item queued
/// or running on its vCPU) needs no notification — pushes into its rings are suppressed, as
/// ring event indices and NAPI's disabled interrupts do. An idle stage is notified (interrupt
/// or event channel): it submits a work item to its vCPU, which wakes a blocked vCPU through
/// the scheduler's wake path (BOOST, tickle). With interrupt moderation (`moderation` > 0, the
/// NIC's ITR), notifications are at least that far apart; a `PacketClustering` policy may
/// widen that gap while the rate is high. After a batch the stage keeps polling while packets
/// wait, and goes idle (re-arms notifications) when its rings are empty.
///
/// With a per-ring `scope` (Xen event channels: one per vif, with its own event index), each
/// input ring is armed on its own: a push into an armed ring notifies the stage (and costs it
/// `perNotification`) even while the stage is polling its other rings; `upcall(cycles:)` takes an
/// event that brings no packet. A `hook` runs after each batch (Xen's TX-completion and
/// queue-wake event indices).
///
/// Cost of a batch of n packets of sizes s_i: perBatch + Σ(perPacket + perByte·s_i), plus
/// perNotification for the first batch after a notification, plus what the previous batch's
/// hand-over left owing (flood copies, `notifySendCost` per consumer notified). The batch is
/// taken when the vCPU starts the work item and its packets move on together when it
/// completes (latency is exact at low load, batch-granular at high load). No allocation per
/// packet or batch.
public final class Stage: WorkClient, EventHandler {
  /// Work items a stage gives its vCPU (the `WorkClient` tag).
  public enum WorkCode: UInt32, Sendable {
    /// Drain one batch from the input rings.
    case poll = 0
    /// Take an upcall that brings no packet (a TX-completion event): `arg` cycles.
    case upcall = 1
  }

  /// Events a stage schedules for itself (the `Event.code`).
  public enum TimerCode: UInt32, Sendable {
    /// The moderation (interrupt throttling) timer: a deferred notification is due.
    case moderation = 0
  }

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
  /// Where finished batches go.
  public let output: any StageOutput
  /// Receive-buffer refill of the first input ring (netfront), if any.
  public let refill: RxBufferRefill?
  /// Rate-triggered notification coalescing (VMware), if any.
  public let clustering: PacketClustering?
  /// Where its notification state lives (per stage unless the path says per ring).
  public let scope: NotificationScope
  /// Work after each batch beside the output (set by the path once the stages exist).
  public var hook: (any BatchHook)?
  private var owedCycles: Int64 = 0
  private var downstream: [Stage]? = nil
  /// Notifications this stage's output caused in its consumers, since the last reset.
  public private(set) var notificationsSent: UInt64 = 0
  /// The rings it drains, in round-robin order.
  public let inputs: [PacketRing]
  private var batch: UnsafeMutablePointer<Packet>
  private var batchCount = 0
  private var rr = 0
  private var owedNotifications: Int64 = 0
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

  /// Creates a stage on `vcpu` draining `inputs` (each ring's consumer becomes this stage)
  /// into `output`. `refill`, if given, must manage `inputs[0]`.
  public init(
    name: String, sim: Simulation, vcpu: VCPU, inputs: [PacketRing], cost: StageCost,
    batchLimit: Int, output: any StageOutput, moderation: SimDuration = .zero, notifySendCost: Int64 = 0,
    refill: RxBufferRefill? = nil, clustering: PacketClustering? = nil, scope: NotificationScope = .stage
  ) {
    precondition(batchLimit >= 1, "batch limit must be >= 1")
    precondition(
      scope == .stage || (moderation == .zero && clustering == nil),
      "per-ring notifications have no moderation or clustering")
    precondition(!inputs.isEmpty, "a stage needs an input ring")
    precondition(refill.map { $0.ring === inputs[0] } ?? true, "refill must manage the first input ring")
    self.name = name
    self.vcpu = vcpu
    self.inputs = inputs
    self.cost = cost
    self.batchLimit = batchLimit
    self.output = output
    self.moderation = moderation
    self.notifySendCost = notifySendCost
    self.refill = refill
    self.clustering = clustering
    self.scope = scope
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

  /// Called by input ring `ring` when a packet arrives. With per-ring notifications, the push
  /// notifies when the ring is armed (whether or not the stage is polling: each ring has its
  /// own event channel and index) and disarms it; the stage is scheduled if idle.
  @inline(__always) public func notify(at now: SimTime, from ring: PacketRing) {
    guard scope != .stage else { return notify(at: now) }
    guard ring.armed else {
      suppressed &+= 1
      return
    }
    ring.armed = false
    ring.notifications &+= 1
    notifications &+= 1
    owedNotifications &+= 1
    lastNotification = now.nanoseconds
    if idle {
      idle = false
      submitPoll()
    }
  }

  /// An upcall that brings no packet into this stage's rings (a Xen TX-completion event, a
  /// queue wake-up): `cycles` on this stage's vCPU, at once if the stage is idle (a work item of
  /// its own), else with its next batch. Counted with the stage's notifications.
  public func upcall(cycles: Int64) {
    notifications &+= 1
    if idle {
      vcpu.submit(self, tag: WorkCode.upcall.rawValue, arg: UInt64(cycles))
    } else {
      owedCycles &+= cycles
    }
  }

  /// Called by an input ring when a packet arrives: wakes the stage unless it is polling.
  public func notify(at now: SimTime) {
    var gap = moderation.nanoseconds
    if let c = clustering { gap = c.gap(arrivalAt: now.nanoseconds, base: gap) }
    guard idle else {
      suppressed &+= 1
      return
    }
    if gap > 0 {
      let earliest = lastNotification &+ gap
      if gap > moderation.nanoseconds && now.nanoseconds < earliest { clustering?.deferred &+= 1 }
      if now.nanoseconds < earliest {
        if moderationTimer == nil {
          moderationTimer = sim.schedule(
            at: SimTime(nanoseconds: earliest), to: handler, code: TimerCode.moderation.rawValue)
        }
        return
      }
    }
    fire(at: now.nanoseconds)
  }

  @inline(__always) private func submitPoll() {
    vcpu.submit(self, tag: WorkCode.poll.rawValue, arg: 0)
  }

  private func fire(at now: Int64) {
    notifications &+= 1
    lastNotification = now
    owedNotifications = 1
    idle = false
    submitPoll()
  }

  /// The moderation timer: the delayed interrupt fires now if packets still wait.
  public func handle(_ event: Event, in sim: Simulation) {
    assert(event.code == TimerCode.moderation.rawValue, "stage \(name): unknown event code \(event.code)")
    moderationTimer = nil
    if idle && inputs.contains(where: { !$0.isEmpty }) { fire(at: event.time.nanoseconds) }
  }

  public func beginWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) -> Int64 {
    if tag == WorkCode.upcall.rawValue {
      cycles &+= Int64(arg)
      return Int64(arg)
    }
    assert(tag == WorkCode.poll.rawValue, "stage \(name): unknown work code \(tag)")
    let armOnGather = scope == .ringAtGather
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
      if armOnGather && r.isEmpty { r.armed = true }
    } else {
      // Round robin, one packet per ring per turn (netback's schedule list).
      var emptyInARow = 0
      while n < batchLimit && emptyInARow < inputs.count {
        let r = inputs[rr]
        rr = rr + 1 == inputs.count ? 0 : rr + 1
        if r.isEmpty {
          if armOnGather { r.armed = true }
          emptyInARow += 1
          continue
        }
        emptyInARow = 0
        let p = r.pop()
        batch[n] = p
        bytes += Int(p.size)
        n += 1
        if armOnGather && r.isEmpty { r.armed = true }
      }
    }
    batchCount = n
    var c = cost.perBatch + Int64(n) * cost.perPacket + Int64((cost.perByte * Double(bytes)).rounded())
    if owedNotifications > 0 {
      c += cost.perNotification &* owedNotifications
      owedNotifications = 0
    }
    c += owedCycles
    owedCycles = 0
    batches &+= 1
    packets &+= UInt64(n)
    cycles &+= c
    return c
  }

  public func finishWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) {
    if tag == WorkCode.upcall.rawValue { return }
    assert(tag == WorkCode.poll.rawValue, "stage \(name): unknown work code \(tag)")
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
    owedCycles &+= output.deliver(UnsafeBufferPointer(start: batch, count: batchCount), at: now)
    batchCount = 0
    if !consumers.isEmpty {
      var after: UInt64 = 0
      for s in consumers { after &+= s.notifications }
      let sent = after &- before
      notificationsSent &+= sent
      owedCycles &+= Int64(sent) &* notifySendCost
    }
    refill?.afterPoll()
    if let h = hook { owedCycles &+= h.batchFinished(by: self, at: now) }
    if scope != .stage {
      for r in inputs where r.isEmpty { r.armed = true }  // final check: re-arm each empty ring
    }
    if inputs.contains(where: { !$0.isEmpty }) {
      submitPoll()  // keep polling (NAPI: budget used, still work)
    } else {
      idle = true  // re-arm notifications
    }
  }

  /// The stages fed by this stage's output rings (resolved on first use: the consumers are
  /// built after their producers). Empty when notifying costs this stage nothing.
  private func downstreamStages() -> [Stage] {
    if let d = downstream { return d }
    var seen = Set<ObjectIdentifier>()
    var d: [Stage] = []
    if notifySendCost > 0 {
      for t in output.targets {
        var sink = t
        while let f = sink as? any ForwardingSink { sink = f.next }
        if let ring = sink as? PacketRing, let c = ring.consumer, seen.insert(ObjectIdentifier(c)).inserted {
          d.append(c)
        }
      }
    }
    downstream = d
    return d
  }

  /// Forgets the counters (warm-up deletion).
  public func resetStatistics() {
    notifications = 0
    suppressed = 0
    clustering?.resetStatistics()
    batches = 0
    packets = 0
    cycles = 0
    residenceSum = 0
    residenceCount = 0
    residenceMax = 0
    notificationsSent = 0
  }
}
