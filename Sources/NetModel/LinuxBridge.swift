import SimCore

/// The Linux bridge of a Xen dom0 (or a bridge namespace): a forwarding database learned from
/// source MAC addresses, with aging, and flooding of frames whose destination is unknown.
///
/// Ports: the uplink (the NIC) and one vif per virtual router. Frames from the wire to router
/// r are addressed to r's vif MAC, learned when r last transmitted; frames from router r go
/// to the next hop beyond the NIC, learned when it answers r's ARP request (modelled as r's
/// first transmission). A frame to an unknown destination is flooded: every other port gets
/// a copy. Copies that reach the wrong guest cost that guest's receive path and are then
/// discarded (counted by the guest's `FloodCopyDiscard`, never as forwarded or lost
/// traffic).
///
/// With `startsLearned` (the default) the table is warm, as after the ARP exchanges that
/// precede any real measurement, and nothing is flooded.
public final class LinuxBridge {
  /// Seconds an entry lives without being refreshed (Linux default 300 s).
  public let aging: SimDuration
  private var routerSeen: [Int64]
  private var nextHopSeen: Int64
  /// Copies made by flooding, whole run.
  public private(set) var floodCopies: UInt64 = 0
  /// Frames flooded (each makes `ports - 1` copies beyond the original), whole run.
  public private(set) var floods: UInt64 = 0
  /// Flood copies dropped at a full ring, whole run.
  public internal(set) var droppedCopies: UInt64 = 0

  /// A bridge with `routers` vif ports; learned from the start when `startsLearned`.
  public init(routers: Int, aging: SimDuration = .s(300), startsLearned: Bool = true) {
    self.aging = aging
    let start: Int64 = startsLearned ? 0 : .min / 2
    routerSeen = Array(repeating: start, count: routers)
    nextHopSeen = start
  }

  @inline(__always) private func known(_ seen: Int64, _ now: Int64) -> Bool {
    seen > Int64.min / 4 && now &- seen <= aging.nanoseconds
  }

  /// Forwards a frame from the wire to its router's vif, flooding all vifs when the router's
  /// MAC is unknown. Returns the number of copies made (charged by the caller).
  @discardableResult
  public func fromUplink(_ p: Packet, to vifs: [any PacketSink], at now: SimTime) -> Int {
    let r = Int(p.flow)
    vifs[r].accept(p, at: now)
    guard !known(routerSeen[r], now.nanoseconds) else { return 0 }
    return flood(p, except: r, to: vifs, at: now)
  }

  /// Forwards a frame from router `p.flow` to the uplink (learning the router's MAC and,
  /// through its ARP exchange, the next hop's), flooding the other vifs when the next hop is
  /// unknown. Returns the number of copies made.
  @discardableResult
  public func fromRouter(_ p: Packet, uplink: any PacketSink, vifs: [any PacketSink], at now: SimTime) -> Int
  {
    let r = Int(p.flow)
    let t = now.nanoseconds
    let nextHopKnown = known(nextHopSeen, t)
    routerSeen[r] = t
    nextHopSeen = t  // the router's ARP exchanges keep the next hop's entry fresh
    uplink.accept(p, at: now)
    if nextHopKnown { return 0 }
    return flood(p, except: r, to: vifs, at: now)
  }

  /// Sends a marked copy of `p` to every vif but `except`; returns the number of copies.
  private func flood(_ p: Packet, except: Int, to vifs: [any PacketSink], at now: SimTime) -> Int {
    floods &+= 1
    var copies = 0
    for j in vifs.indices where j != except {
      var c = p
      c.flags |= Packet.floodCopy
      c.port = UInt16(j)
      if !vifs[j].accept(c, at: now) { droppedCopies &+= 1 }
      copies += 1
    }
    floodCopies &+= UInt64(copies)
    return copies
  }
}
