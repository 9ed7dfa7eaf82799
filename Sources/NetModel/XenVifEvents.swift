import SimCore

/// Something that counts, per router, the notifications (event-channel upcalls) its events
/// cause: a per-ring protocol of the Xen split driver.
public protocol RouterEventCounter: AnyObject {
  /// Notifications caused for or by router `router`'s vif since the last reset.
  func notifications(router: Int) -> UInt64
  /// Forgets the counters (warm-up deletion).
  func resetStatistics()
}

/// A stage referenced without retaining it: the path's stages are owned by its host, and a
/// strong reference from an event protocol back to a stage would be a cycle (stage -> hook ->
/// protocol -> stage) that keeps a finished run's model alive.
public struct StageRef {
  /// The stage.
  public unowned(unsafe) let stage: Stage
  /// Refers to `stage`.
  public init(_ stage: Stage) { self.stage = stage }
}

/// The notifications raised by per-ring event indices of some rings, one ring per router
/// (`PacketRing.notifications`): a vif's RX ring (netback to the guest) or TX ring (the guest
/// to netback).
public final class RingEvents: RouterEventCounter {
  /// The rings, by router.
  public let rings: [PacketRing]
  /// Counts the notifications `rings[r]` raises for router r.
  public init(_ rings: [PacketRing]) { self.rings = rings }
  public func notifications(router: Int) -> UInt64 { rings[router].notifications }
  public func resetStatistics() {}  // the rings reset their own counters
}

/// netback's guest-receive admission in the dom0 kernels of the origin paper (2.6.26 and
/// 2.6.32 with the XenLinux or pvops netback): `netif_be_start_xmit` checks the vif's queue
/// *before* any copy. A packet is queued for the copy only when the guest has posted a receive
/// buffer that no queued packet has claimed yet (`netbk_queue_full`: `req_prod -
/// rx_req_cons_peek`); it claims the buffer (`rx_req_cons_peek += 1`) and joins the rx_queue of
/// the vif's netback group, a FIFO shared by every vif of the group (one global queue in
/// XenLinux 2.6.18-based kernels, one per group in 2.6.32), which the copy drains in arrival
/// order. When the claim takes the last free buffer, netback sets the ring's `req_event` one
/// request further and stops the vif's queue: later packets wait in the vif's qdisc, which
/// holds `tx_queue_len` packets (netback sets `netbk_queue_length`, 32) and drops the rest, so
/// a dropped packet costs no grant copy. The guest's next buffer refill crosses `req_event`:
/// netfront notifies dom0 (an event-channel send by the guest, an upcall in dom0) and netback
/// wakes the queue, which hands the qdisc's packets on while buffers last.
///
/// Departure: the wake-up moves the qdisc's packets at the instant of the refill (the qdisc run
/// in dom0 is not a work item of its own; its upcall is charged to the group's copy stage).
/// netback's 500 ms restart timer (for guests that stop refilling) is not modelled.
public final class NetbackVifQueue: RouterEventCounter {
  /// Each vif's qdisc (drop place `vrN.vif.qdisc`), holding packets while the queue is stopped.
  public let qdiscs: [PacketRing]
  /// Each guest's vif RX ring (its limit: the buffers it posted).
  public let guestRings: [PacketRing]
  /// The rx_queue of each router's netback group.
  public let rxQueues: [PacketRing]
  /// Sinks for dom0's bridge or route: router r's packets enter `admit[r]`.
  public private(set) var admit: [VifStartXmit] = []
  /// Sinks for netback's copy: router r's copied packets enter `copied[r]` (its vif RX ring).
  public private(set) var copied: [VifRxCopy] = []
  /// The stage that takes router r's wake-up upcall in dom0 (its group's copy stage).
  public var wakeStages: [StageRef] = []
  /// Cycles of the upcall in dom0 per wake-up.
  public let upcallCycles: Int64
  /// Cycles the guest pays to send the wake-up notification.
  public let sendCycles: Int64
  private var stopped: [Bool]
  private var wakes: [UInt64]

  /// Admission for `guestRings.count` vifs; `rxQueues[r]` is router r's group queue.
  public init(
    qdiscs: [PacketRing], guestRings: [PacketRing], rxQueues: [PacketRing], upcallCycles: Int64,
    sendCycles: Int64
  ) {
    precondition(
      qdiscs.count == guestRings.count && rxQueues.count == guestRings.count, "one of each per vif")
    self.qdiscs = qdiscs
    self.guestRings = guestRings
    self.rxQueues = rxQueues
    self.upcallCycles = upcallCycles
    self.sendCycles = sendCycles
    stopped = Array(repeating: false, count: guestRings.count)
    wakes = Array(repeating: 0, count: guestRings.count)
    admit = (0..<guestRings.count).map { VifStartXmit(self, router: $0) }
    copied = (0..<guestRings.count).map { VifRxCopy(self, router: $0) }
  }

  /// True while router r's vif queue is stopped (its packets wait in the qdisc).
  public func isStopped(_ r: Int) -> Bool { stopped[r] }

  @inline(__always) func start(_ p: Packet, router r: Int, at now: SimTime) -> Bool {
    if stopped[r] { return qdiscs[r].accept(p, at: now) }
    claim(p, router: r, at: now)
    return true
  }

  @inline(__always) private func claim(_ p: Packet, router r: Int, at now: SimTime) {
    guestRings[r].reserved += 1
    rxQueues[r].accept(p, at: now)  // holds at most the claimed buffers: never full
    if guestRings[r].free < 1 { stopped[r] = true }  // netbk_queue_full: set req_event, stop
  }

  @inline(__always) func copy(_ p: Packet, router r: Int, at now: SimTime) -> Bool {
    guestRings[r].reserved -= 1
    return guestRings[r].accept(p, at: now)
  }

  /// Router r's guest posted receive buffers (the end of its poll, after the refill): if its
  /// queue is stopped and a buffer is free, the refill crossed `req_event` and netback wakes
  /// the queue. Returns the cycles the guest owes for the notification.
  public func buffersPosted(router r: Int, at now: SimTime) -> Int64 {
    guard stopped[r], guestRings[r].free >= 1 else { return 0 }
    wakes[r] &+= 1
    wakeStages[r].stage.upcall(cycles: upcallCycles)
    stopped[r] = false
    while !stopped[r] && !qdiscs[r].isEmpty { claim(qdiscs[r].pop(), router: r, at: now) }
    return sendCycles
  }

  public func notifications(router: Int) -> UInt64 { wakes[router] }

  public func resetStatistics() { for i in wakes.indices { wakes[i] = 0 } }
}

/// netback's `netif_be_start_xmit` for one vif: into the group's rx_queue, or the qdisc while
/// the queue is stopped (see `NetbackVifQueue`).
public final class VifStartXmit: ForwardingSink {
  unowned let queue: NetbackVifQueue
  let router: Int
  init(_ queue: NetbackVifQueue, router: Int) {
    self.queue = queue
    self.router = router
  }
  /// The qdisc's name: where this sink's drops are counted.
  public var name: String { queue.qdiscs[router].name }
  public var next: any PacketSink { queue.rxQueues[router] }
  public var pathLabel: String? { "\(queue.qdiscs[router].name) (only while the queue is stopped)" }
  @discardableResult
  public func accept(_ packet: Packet, at now: SimTime) -> Bool {
    queue.start(packet, router: router, at: now)
  }
}

/// netback's copy into one guest's posted buffer: releases the claim and fills the ring.
public final class VifRxCopy: ForwardingSink {
  unowned let queue: NetbackVifQueue
  let router: Int
  init(_ queue: NetbackVifQueue, router: Int) {
    self.queue = queue
    self.router = router
  }
  public var name: String { queue.guestRings[router].name }
  public var next: any PacketSink { queue.guestRings[router] }
  public var pathLabel: String? { nil }
  @discardableResult
  public func accept(_ packet: Packet, at now: SimTime) -> Bool {
    queue.copy(packet, router: router, at: now)
  }
}

/// Xen's TX completion events (xen/include/public/io/ring.h event indices, Linux
/// drivers/net/xen-netfront.c `xennet_tx_buf_gc`): netback answers each transmit request with
/// a response once it has handled the packet, and notifies the guest only when the response
/// index crosses the guest's `rsp_event`. netfront sets `rsp_event = rsp_prod + (req_prod -
/// rsp_prod) / 2 + 1` whenever it reaps (after each transmit and in the completion interrupt):
/// it asks for an event when about half of its outstanding requests have completed. Each event
/// costs netback (dom0) an event-channel send and the guest an upcall.
///
/// Departure: one event channel carries both directions of a vif in these kernels, and an
/// event already pending adds no upcall; the model charges each notification its own upcall.
public final class TxCompletionEvents: RouterEventCounter {
  /// Each router's vif TX ring (requests: its accepted packets; responses: those netback took).
  public let rings: [PacketRing]
  /// The stage of each guest that takes the completion upcall (its netfront).
  public var guests: [StageRef] = []
  /// Cycles of the upcall in the guest.
  public let upcallCycles: Int64
  /// Cycles netback pays to send it.
  public let sendCycles: Int64
  private var rspProd: [UInt64]
  private var rspEvent: [UInt64]
  private var reqSeen: [UInt64]
  private var events: [UInt64]

  /// Events for the TX rings `rings` (one per router); `rsp_event` starts at 1 (ring init).
  public init(rings: [PacketRing], upcallCycles: Int64, sendCycles: Int64) {
    self.rings = rings
    self.upcallCycles = upcallCycles
    self.sendCycles = sendCycles
    rspProd = Array(repeating: 0, count: rings.count)
    rspEvent = Array(repeating: 1, count: rings.count)
    reqSeen = Array(repeating: 0, count: rings.count)
    events = Array(repeating: 0, count: rings.count)
  }

  /// The response index at which router r's guest asks for its next completion event.
  public func responseEvent(router r: Int) -> UInt64 { rspEvent[r] }

  @inline(__always) private func reap(_ r: Int) {
    let req = rings[r].accepted
    rspEvent[r] = rspProd[r] + (req - rspProd[r]) / 2 + 1
  }

  /// Router r's guest finished a batch: if it transmitted, it reaped and re-set `rsp_event`.
  public func guestTransmitted(router r: Int) {
    let req = rings[r].accepted
    guard req != reqSeen[r] else { return }
    reqSeen[r] = req
    reap(r)
  }

  /// netback finished a batch over the rings of `routers`: responses for every packet it took;
  /// notifies each guest whose `rsp_event` they crossed. Returns the cycles netback owes.
  public func responded(routers: [Int]) -> Int64 {
    var owed: Int64 = 0
    for r in routers {
      let new = rings[r].accepted - UInt64(rings[r].count)
      let old = rspProd[r]
      guard new > old else { continue }
      rspProd[r] = new
      if rspEvent[r] > old && rspEvent[r] <= new {
        events[r] &+= 1
        guests[r].stage.upcall(cycles: upcallCycles)
        owed &+= sendCycles
        reap(r)  // xennet_interrupt -> xennet_tx_buf_gc
      }
    }
    return owed
  }

  public func notifications(router: Int) -> UInt64 { events[router] }

  public func resetStatistics() { for i in events.indices { events[i] = 0 } }
}

/// After each netfront batch of router `router`: the transmit-side reap (`TxCompletionEvents`)
/// and the receive-buffer refill's wake-up of a stopped vif queue (`NetbackVifQueue`).
public final class NetfrontEvents: BatchHook {
  let router: Int
  let tx: TxCompletionEvents
  let rx: NetbackVifQueue
  /// Hooks for router `router`'s netfront.
  public init(router: Int, tx: TxCompletionEvents, rx: NetbackVifQueue) {
    self.router = router
    self.tx = tx
    self.rx = rx
  }
  public func batchFinished(by stage: Stage, at now: SimTime) -> Int64 {
    tx.guestTransmitted(router: router)
    return rx.buffersPosted(router: router, at: now)
  }
}

/// After each batch of a netback transmit group: TX responses for the routers it serves.
public final class NetbackTxEvents: BatchHook {
  let routers: [Int]
  let tx: TxCompletionEvents
  /// Hooks for the group serving `routers`.
  public init(routers: [Int], tx: TxCompletionEvents) {
    self.routers = routers
    self.tx = tx
  }
  public func batchFinished(by stage: Stage, at now: SimTime) -> Int64 { tx.responded(routers: routers) }
}
