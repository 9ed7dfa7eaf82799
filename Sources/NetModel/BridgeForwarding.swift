import SimCore

/// The input of a Linux bridge from its uplink (the NIC), as a stage's output: each frame goes
/// to its router's vif, and is flooded to every other vif while the router's MAC is unknown
/// (`LinuxBridge.fromUplink`). Each flood copy costs `copyCycles`, owed by the stage that
/// bridged the batch (Linux net/bridge/br_forward.c: `br_flood` clones the skb for every
/// other port; br_input.c: `br_handle_frame_finish` looks the destination up first).
public final class BridgeFromUplink: StageOutput {
  /// The bridge's forwarding database.
  public let bridge: LinuxBridge
  /// The routers' vif queues, by router.
  public let vifs: [any PacketSink]
  /// Cycles per flood copy (skb clone and queueing to a vif).
  public let copyCycles: Int64

  /// Bridges frames from the uplink into `vifs` through `bridge`.
  public init(_ bridge: LinuxBridge, vifs: [any PacketSink], copyCycles: Int64) {
    self.bridge = bridge
    self.vifs = vifs
    self.copyCycles = copyCycles
  }

  public func deliver(_ packets: UnsafeBufferPointer<Packet>, at now: SimTime) -> Int64 {
    var copies = 0
    for p in packets { copies += bridge.fromUplink(p, to: vifs, at: now) }
    return Int64(copies) &* copyCycles
  }

  public var targets: [any PacketSink] { vifs }

  public func target(forPort port: Int) -> any PacketSink { vifs[port] }
}

/// The input of a Linux bridge from the routers' vifs, as a stage's output: each frame goes
/// to the uplink (learning the router's MAC), and is flooded to the other vifs while the next
/// hop is unknown (`LinuxBridge.fromRouter`). Each flood copy costs `copyCycles`, owed by the
/// stage that bridged the batch (Linux net/bridge/br_input.c: `br_handle_frame_finish` learns
/// the source with `br_fdb_update`; br_forward.c: `br_flood`).
public final class BridgeFromRouters: StageOutput {
  /// The bridge's forwarding database.
  public let bridge: LinuxBridge
  /// The NIC's transmit side.
  public let uplink: any PacketSink
  /// The routers' vif queues, by router (flood copies go there).
  public let vifs: [any PacketSink]
  /// Cycles per flood copy.
  public let copyCycles: Int64

  /// Bridges frames from the routers to `uplink` through `bridge`.
  public init(_ bridge: LinuxBridge, uplink: any PacketSink, vifs: [any PacketSink], copyCycles: Int64) {
    self.bridge = bridge
    self.uplink = uplink
    self.vifs = vifs
    self.copyCycles = copyCycles
  }

  public func deliver(_ packets: UnsafeBufferPointer<Packet>, at now: SimTime) -> Int64 {
    var copies = 0
    for p in packets { copies += bridge.fromRouter(p, uplink: uplink, vifs: vifs, at: now) }
    return Int64(copies) &* copyCycles
  }

  public var targets: [any PacketSink] { [uplink] + vifs }

  public func target(forPort port: Int) -> any PacketSink { uplink }
}
