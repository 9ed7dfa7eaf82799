import GSLKit
import SimCore

/// The generator side of the host's input port: the flows' generators, the wire into the
/// host at line rate (20 B preamble + gap per frame), and the NIC's receive side, which puts
/// each frame into a ring chosen by its destination (one RX ring, or the VF of its router:
/// the SR-IOV layer-2 sorter).
///
/// Frames leave the generator in time order and are serialized one after another; a
/// generator cannot send faster than the wire, so excess frames wait at the generator and,
/// past `maxBacklog`, are not sent (`unsent`, not part of the offered load). One event per
/// frame: its arrival at the NIC.
public final class IngressPort: EventHandler {
  /// Events the port schedules for itself (the `Event.code`).
  public enum EventCode: UInt32, Sendable {
    /// The pending frame's last bit reaches the NIC.
    case frameArrival = 0
  }

  /// Link rate in bits per second.
  public let bitsPerSecond: Double
  /// Propagation delay of the wire.
  public let propagation: SimDuration
  /// Longest a frame may wait at the generator for the wire before it is not sent.
  public let maxBacklog: SimDuration
  let generators: [FlowGenerator]
  let rxRings: [PacketRing]
  let ringOfFlow: [Int]
  let ringOfSource: [Int]
  private var pendingRing = 0
  private var wireFree: Int64 = 0
  private var handler = HandlerID(index: 0)
  private var pending: Packet? = nil
  private var stopAt: Int64 = .max

  /// Frames that reached the NIC, per flow, since the last reset.
  public private(set) var offered: [UInt64]
  /// Bytes that reached the NIC, per flow, since the last reset.
  public private(set) var offeredBytes: [UInt64]
  /// Frames that reached the NIC, whole run.
  public private(set) var offeredTotal: UInt64 = 0
  /// Frames the generator could not put on the wire (line rate exceeded), since the last reset.
  public private(set) var unsent: [UInt64]

  /// Creates the port. `ringOfFlow[f]` is the index in `rxRings` for flow f's frames;
  /// `ringOfSource[i]`, when given, overrides it for the frames of `flows[i]` (receive-side
  /// scaling: several flows of one router on different queues).
  /// Streams: `traffic/vr<router>` per flow (common random numbers across what-if points).
  public init(
    sim: Simulation, flows: [FlowSpec], bitsPerSecond: Double, propagation: SimDuration = .ns(500),
    rxRings: [PacketRing], ringOfFlow: [Int], ringOfSource: [Int]? = nil, maxBacklog: SimDuration = .ms(1)
  ) throws {
    self.bitsPerSecond = bitsPerSecond
    self.propagation = propagation
    self.maxBacklog = maxBacklog
    self.rxRings = rxRings
    self.ringOfFlow = ringOfFlow
    self.ringOfSource = ringOfSource ?? flows.map { ringOfFlow[$0.router] }
    var gens: [FlowGenerator] = []
    for (i, f) in flows.enumerated() {
      let name = ArrivalSchedule.streamName(flows: flows, index: i)
      gens.append(try FlowGenerator(spec: f, random: sim.streams.stream(name), start: 0))
    }
    generators = gens
    // one counter per router of the host (`ringOfFlow` has one entry per router), so a router
    // no flow goes to still has its (zero) count
    let n = Swift.max(ringOfFlow.count, (flows.map(\.router).max() ?? 0) + 1)
    offered = Array(repeating: 0, count: n)
    offeredBytes = Array(repeating: 0, count: n)
    unsent = Array(repeating: 0, count: n)
    handler = sim.register(self)
  }

  /// Schedules the first frame; frames stop being generated after `until`.
  public func start(in sim: Simulation, until: SimTime) {
    stopAt = until.nanoseconds
    scheduleNext(in: sim)
  }

  /// Lets the generators run on until `until` (after an earlier `start` ended).
  public func extend(until: SimTime, in sim: Simulation) {
    let wasIdle = pending == nil
    stopAt = until.nanoseconds
    if wasIdle { scheduleNext(in: sim) }
  }

  private func scheduleNext(in sim: Simulation) {
    while true {
      var best = -1
      var bestT = Int64.max
      for (i, g) in generators.enumerated() where g.next < bestT {
        best = i
        bestT = g.next
      }
      guard best >= 0, bestT <= stopAt else { return }
      let g = generators[best]
      let size = g.nextSize
      let flow = g.spec.router
      g.advance()
      let startTx = Swift.max(bestT, wireFree)
      if startTx - bestT > maxBacklog.nanoseconds {
        unsent[flow] &+= 1
        continue
      }
      let done = startTx + Ethernet.serialization(size: size, bitsPerSecond: bitsPerSecond)
      wireFree = done
      let arrival = done + propagation.nanoseconds
      pending = Packet(flow: UInt16(flow), size: UInt16(size), born: arrival)
      pendingRing = ringOfSource[best]
      sim.schedule(at: SimTime(nanoseconds: arrival), to: handler, code: EventCode.frameArrival.rawValue)
      return
    }
  }

  public func handle(_ event: Event, in sim: Simulation) {
    assert(event.code == EventCode.frameArrival.rawValue, "ingress: unknown event code \(event.code)")
    guard let p = pending else { return }
    pending = nil
    let f = Int(p.flow)
    offered[f] &+= 1
    offeredBytes[f] &+= UInt64(p.size)
    offeredTotal &+= 1
    rxRings[pendingRing].accept(p, at: event.time)
    scheduleNext(in: sim)
  }

  /// Forgets the windowed counters (warm-up deletion).
  public func resetStatistics() {
    for i in offered.indices {
      offered[i] = 0
      offeredBytes[i] = 0
      unsent[i] = 0
    }
  }
}

/// One physical output link: frames from one or more transmit rings (the NIC's TX ring, or
/// the VFs' TX rings of an SR-IOV port) are serialized on it in the order they are handed over.
public final class Wire {
  /// Link rate in bits per second.
  public let bitsPerSecond: Double
  /// Propagation delay to the receiver.
  public let propagation: SimDuration
  /// Where forwarded frames are measured.
  public let metrics: FlowMetrics
  var lastDeparture: Int64 = 0

  /// Creates a link that reports into `metrics`.
  public init(bitsPerSecond: Double, propagation: SimDuration = .ns(500), metrics: FlowMetrics) {
    self.bitsPerSecond = bitsPerSecond
    self.propagation = propagation
    self.metrics = metrics
  }
}

/// A NIC transmit ring drained by a `Wire`, and the receiver at the far end, which measures
/// what was forwarded (per flow: packets, bytes, latency from NIC arrival to the last bit at
/// the receiver).
///
/// Transmission times are deterministic, so the ring is computed rather than simulated: each
/// accepted frame gets its departure time at once and no event is needed. A frame handed to
/// the ring counts as forwarded; a full ring drops it under the ring's name.
public final class EgressPort: PacketSink {
  /// Where it is, e.g. `nic.tx` or `vf3.tx`.
  public let name: String
  /// TX descriptors.
  public let capacity: Int
  /// The link it feeds.
  public let wire: Wire
  private var departures: UnsafeMutablePointer<Int64>
  private var head = 0
  private var count = 0

  /// Packets dropped because the TX ring was full (whole run).
  public private(set) var drops: UInt64 = 0
  /// Drops since the last reset.
  public private(set) var windowDrops: UInt64 = 0

  /// Creates a ring of `capacity` descriptors on `wire`.
  public init(name: String, capacity: Int, wire: Wire) {
    precondition(capacity >= 1, "TX ring \(name) needs at least one slot")
    self.name = name
    self.capacity = capacity
    self.wire = wire
    departures = .allocate(capacity: capacity)
  }

  deinit { departures.deallocate() }

  @discardableResult
  public func accept(_ packet: Packet, at now: SimTime) -> Bool {
    let t = now.nanoseconds
    while count > 0 && departures[head] <= t {
      head = head + 1 == capacity ? 0 : head + 1
      count -= 1
    }
    if count == capacity {
      drops &+= 1
      if packet.born >= wire.metrics.windowStart {
        windowDrops &+= 1
        wire.metrics.dropAtEgress(flow: Int(packet.flow))
      }
      return false
    }
    let dep =
      Swift.max(t, wire.lastDeparture)
      + Ethernet.serialization(size: Int(packet.size), bitsPerSecond: wire.bitsPerSecond)
    wire.lastDeparture = dep
    var i = head + count
    if i >= capacity { i -= capacity }
    departures[i] = dep
    count += 1
    wire.metrics.forwarded(packet, receivedAt: dep + wire.propagation.nanoseconds)
    return true
  }

  /// Forgets the windowed counters.
  public func resetStatistics() { windowDrops = 0 }
}

/// What the receiver measures, per flow.
public final class FlowMetrics {
  /// Packets forwarded per flow (accepted by an egress port), since the last reset.
  public private(set) var packets: [UInt64]
  /// Bytes forwarded per flow, since the last reset.
  public private(set) var bytes: [UInt64]
  /// Packets forwarded, whole run.
  public private(set) var total: UInt64 = 0
  /// Latency per flow, NIC arrival to receiver.
  public private(set) var latency: [LatencyHistogram]
  /// Egress drops per flow since the last reset.
  public private(set) var egressDrops: [UInt64]

  /// Creates empty metrics for `flows` flows.
  public init(flows: Int) {
    packets = Array(repeating: 0, count: flows)
    bytes = Array(repeating: 0, count: flows)
    latency = Array(repeating: LatencyHistogram(highest: .s(10)), count: flows)
    egressDrops = Array(repeating: 0, count: flows)
  }

  @inline(__always) func forwarded(_ p: Packet, receivedAt: Int64) {
    total &+= 1
    guard p.born >= windowStart else { return }  // arrived during the warm-up
    let f = Int(p.flow)
    packets[f] &+= 1
    bytes[f] &+= UInt64(p.size)
    latency[f].record(.ns(receivedAt - p.born))
  }

  func dropAtEgress(flow: Int) { egressDrops[flow] &+= 1 }

  /// Packets that reached the host before this instant (ns) are not measured: a window counts
  /// the packets that arrived in it, so forwarded + dropped never exceeds offered.
  public private(set) var windowStart: Int64 = 0

  /// Forgets everything but the whole-run total (warm-up deletion); from now on only packets
  /// arriving from `start` on are measured.
  public func resetStatistics(from start: SimTime = .zero) {
    windowStart = start.nanoseconds
    for i in packets.indices {
      packets[i] = 0
      bytes[i] = 0
      egressDrops[i] = 0
      latency[i].reset()
    }
  }
}
