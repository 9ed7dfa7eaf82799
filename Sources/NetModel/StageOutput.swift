import SimCore

/// Where a stage hands the packets of a finished batch: one sink, one sink per router, a
/// bridge, a guest's receive filter.
///
/// The stage calls `deliver` once per batch (one dynamic call per batch); the output then
/// hands each packet to its sink in batch order. Outputs are final classes built once with
/// the path, so nothing is allocated per packet or per batch.
public protocol StageOutput: AnyObject {
  /// Hands `packets` on, in order, at `now`. Returns cycles the sending stage owes for the
  /// hand-over (a bridge's flood copies), charged to its next batch; 0 for plain outputs.
  func deliver(_ packets: UnsafeBufferPointer<Packet>, at now: SimTime) -> Int64
  /// Every sink this output may hand a packet to (to find the stages a batch may notify).
  var targets: [any PacketSink] { get }
  /// The sink a packet headed for router `port` goes to (cold: path descriptions).
  func target(forPort port: Int) -> any PacketSink
}

/// Every packet to one sink (a NIC TX ring, a guest's vif TX ring).
public final class ToSink: StageOutput {
  /// The sink.
  public let sink: any PacketSink

  /// Sends every packet to `sink`.
  public init(_ sink: any PacketSink) { self.sink = sink }

  public func deliver(_ packets: UnsafeBufferPointer<Packet>, at now: SimTime) -> Int64 {
    for p in packets { sink.accept(p, at: now) }
    return 0
  }

  public var targets: [any PacketSink] { [sink] }

  public func target(forPort port: Int) -> any PacketSink { sink }
}

/// A packet headed for router r (`Packet.port`: its flow, unless it is a flood copy) to
/// `sinks[r]`: the per-router queues behind a demultiplexing hop (dom0 routing, the host
/// kernel's route to a container, netback's per-vif queues).
public final class ByPort: StageOutput {
  /// One sink per router.
  public let sinks: [any PacketSink]

  /// Sends router r's packets to `sinks[r]`.
  public init(_ sinks: [any PacketSink]) {
    precondition(!sinks.isEmpty, "a by-port output needs a sink")
    self.sinks = sinks
  }

  public func deliver(_ packets: UnsafeBufferPointer<Packet>, at now: SimTime) -> Int64 {
    for p in packets { sinks[Int(p.port)].accept(p, at: now) }
    return 0
  }

  public var targets: [any PacketSink] { sinks }

  public func target(forPort port: Int) -> any PacketSink { sinks[port] }
}
