import SimCore

/// A guest's receive filter as its stage's output: a bridge's flood copy addressed to another
/// guest has been received (and paid for by the stage), and ends here; every other packet
/// goes on to `sink`. Linux: `eth_type_trans` marks a frame for another MAC
/// `PACKET_OTHERHOST`, and `ip_rcv` (net/ipv4/ip_input.c) drops it.
///
/// Discarded copies are neither forwarded nor lost traffic: they are counted here.
public final class FloodCopyDiscard: StageOutput {
  /// Where the guest's own packets go.
  public let sink: any PacketSink
  /// Flood copies discarded, whole run.
  public private(set) var discarded: UInt64 = 0

  /// Discards flood copies and sends everything else to `sink`.
  public init(then sink: any PacketSink) { self.sink = sink }

  public func deliver(_ packets: UnsafeBufferPointer<Packet>, at now: SimTime) -> Int64 {
    for p in packets {
      if p.flags & Packet.floodCopy != 0 {
        discarded &+= 1  // a flooded frame for another guest: received, then dropped
        continue
      }
      sink.accept(p, at: now)
    }
    return 0
  }

  public var targets: [any PacketSink] { [sink] }

  public func target(forPort port: Int) -> any PacketSink { sink }
}
