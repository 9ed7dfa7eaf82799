import SimCore

/// A bounded FIFO of packets in front of a stage (a NIC descriptor ring, a Xen vif ring, a
/// qdisc or backlog). A push into a full ring drops the packet and counts the drop under the
/// ring's name, so every lost packet is attributed to a place.
///
/// When the ring has a consumer, a push into it tells the consumer (which decides whether a
/// notification is needed: see `Stage.notify`).
public final class PacketRing: PacketSink {
  /// Where it is, e.g. `nic.rx`, `vr3.vif.rx`, `dom0.backlog`.
  public let name: String
  /// Slots.
  public let capacity: Int
  /// Slots usable now (<= capacity): for a Xen vif RX ring, the receive buffers the guest has
  /// posted (netfront's rx target); a packet arriving when `count >= limit` is dropped.
  public var limit: Int {
    didSet { precondition((1...capacity).contains(limit), "ring limit out of range") }
  }
  /// The stage that drains it (owned by the platform that built both; not retained here,
  /// which keeps reference counting off the per-packet path).
  public unowned(unsafe) var consumer: Stage?
  /// The consumer's event index is past the producer's last item, so the next push notifies it
  /// (Xen's `req_event` / `rsp_event` re-armed by `RING_FINAL_CHECK_FOR_*`). Only stages that
  /// keep notifications per ring read it (`Stage.NotificationScope`).
  public var armed = true
  /// Usable slots already promised to packets on their way into this ring (a Xen vif RX ring:
  /// guest buffers netback claimed for packets still in its rx_queue, `rx_req_cons_peek`).
  /// They are not free for others, and a shrinking buffer target never takes them back.
  public var reserved = 0
  /// Notifications this ring raised in its consumer (per-ring scope only), since the last reset.
  public internal(set) var notifications: UInt64 = 0
  var buffer: UnsafeMutablePointer<Packet>
  var head = 0
  /// Packets in the ring.
  public private(set) var count = 0
  /// Packets dropped because the ring was full (whole run).
  public private(set) var drops: UInt64 = 0
  /// Packets dropped since the last statistics reset.
  public private(set) var windowDrops: UInt64 = 0
  /// Packets accepted (whole run).
  public private(set) var accepted: UInt64 = 0
  /// Drops per flow since the last reset.
  public private(set) var flowDrops: [UInt64]

  /// Creates an empty ring of `capacity` slots (>= 1) for `flows` flows.
  public init(name: String, capacity: Int, flows: Int) {
    precondition(capacity >= 1, "ring \(name) needs at least one slot")
    self.name = name
    self.capacity = capacity
    self.limit = capacity
    buffer = .allocate(capacity: capacity)
    flowDrops = Array(repeating: 0, count: Swift.max(1, flows))
  }

  deinit { buffer.deallocate() }

  /// True when no packet is waiting.
  public var isEmpty: Bool { count == 0 }

  /// Free usable slots.
  public var free: Int { Swift.max(0, limit - count - reserved) }

  @discardableResult
  public func accept(_ packet: Packet, at now: SimTime) -> Bool {
    if count >= limit {
      if packet.flags & Packet.floodCopy != 0 { return false }  // counted by the bridge
      drops &+= 1
      if packet.born >= windowStart {
        windowDrops &+= 1
        flowDrops[Int(packet.flow)] &+= 1
      }
      return false
    }
    var i = head + count
    if i >= capacity { i -= capacity }
    buffer[i] = packet
    buffer[i].enqueued = now.nanoseconds
    count += 1
    accepted &+= 1
    consumer?.notify(at: now, from: self)
    return true
  }

  /// Removes and returns the oldest packet. Precondition: not empty.
  public func pop() -> Packet {
    precondition(count > 0, "pop from empty ring")
    let p = buffer[head]
    head += 1
    if head == capacity { head = 0 }
    count -= 1
    return p
  }

  /// Forgets the windowed drop counters (warm-up deletion); totals are kept.
  /// Packets that reached the host before this instant (ns) are outside the measured window:
  /// their drops count in the totals only.
  public private(set) var windowStart: Int64 = 0

  /// Forgets the windowed drop counters (warm-up deletion) and measures from now on only the
  /// packets that reach the host from `start` on; totals are kept.
  public func resetStatistics(from start: SimTime = .zero) {
    windowStart = start.nanoseconds
    windowDrops = 0
    notifications = 0
    for i in flowDrops.indices { flowDrops[i] = 0 }
  }
}
