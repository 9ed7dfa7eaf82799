import SimCore

/// One frame on its way through a host: a small value type, copied between preallocated
/// rings (never allocated per packet).
public struct Packet: Sendable, Equatable {
  /// The flow it belongs to; flows are numbered per destination router (0 ..< routers).
  public var flow: UInt16
  /// Frame size in bytes on the wire, without preamble and inter-frame gap (64 ... 1518).
  public var size: UInt16
  /// When its last bit reached the host's NIC, in ns.
  public var born: Int64
  /// When it entered the ring it is in now (or last was), in ns: each stage measures how
  /// long packets spent between entering its input ring and leaving it (queueing + service).
  public var enqueued: Int64
  /// Marks (`floodCopy`).
  public var flags: UInt8 = 0
  /// The router (vif) this copy is headed for inside the host: `flow` for every packet except
  /// a bridge's flood copies, which keep their flow but go to another router.
  public var port: UInt16

  /// Set on a copy made by a bridge flooding an unknown destination: the receiving guest
  /// discards it unless it is the addressee.
  public static let floodCopy: UInt8 = 1

  /// Creates a packet that entered the host (and its first ring) at `born`.
  @inlinable public init(flow: UInt16, size: UInt16, born: Int64) {
    self.flow = flow
    self.size = size
    self.born = born
    self.enqueued = born
    self.port = flow
  }
}

/// Something packets can be handed to: a bounded ring in front of a stage, or an egress port.
public protocol PacketSink: AnyObject {
  /// Where it is, e.g. `nic.rx`, `vr3.vif.tx`: the place its drops are counted under.
  var name: String { get }
  /// Offers `packet` at `now`. Returns false when it was dropped (the sink counts the drop).
  @discardableResult
  func accept(_ packet: Packet, at now: SimTime) -> Bool
}

/// Ethernet framing: 8 B preamble + 12 B inter-frame gap around every frame.
public enum Ethernet {
  /// Bytes on the wire per frame beyond the frame itself.
  public static let overheadBytes = 20

  /// Serialization time of a `size`-byte frame at `bitsPerSecond`, in ns (rounded up).
  @inlinable public static func serialization(size: Int, bitsPerSecond: Double) -> Int64 {
    Int64((Double((size + overheadBytes) * 8) * 1e9 / bitsPerSecond).rounded(.up))
  }

  /// The most frames per second a link carries at `size` bytes: 1.488 M at 64 B, 1 Gb/s.
  public static func lineRate(size: Int, bitsPerSecond: Double) -> Double {
    bitsPerSecond / Double((size + overheadBytes) * 8)
  }
}

/// A sink that decides where a packet goes and hands it on to another sink (netback's vif
/// start_xmit in front of its rx_queue or the vif's qdisc). Path descriptions and the search for
/// the stages a batch may notify follow `next`, its usual destination.
public protocol ForwardingSink: PacketSink {
  /// Where packets usually go next.
  var next: any PacketSink { get }
  /// Text for the path description (nil: the sink is not shown).
  var pathLabel: String? { get }
}
