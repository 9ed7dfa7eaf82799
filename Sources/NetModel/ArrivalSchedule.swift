import GSLKit
import SimCore

/// The departures of a set of flows in time order, drawn exactly as the simulator's ingress
/// port draws them: one `FlowGenerator` per flow on the stream `streamName(flows:index:)`,
/// the earliest next departure first. The testbed's own sender (`vrsim testbed _send`) uses it
/// to put Poisson, on-off and trace traffic on a real link with the laws the model uses.
public final class ArrivalSchedule {
  private let generators: [FlowGenerator]

  /// The random stream of `flows[index]`: `traffic/vr<router>`, or `traffic/vr<router>.<index>`
  /// when several flows go to the same router (so adding a flow to one router never changes
  /// another router's draws).
  public static func streamName(flows: [FlowSpec], index: Int) -> String {
    let router = flows[index].router
    return flows.lazy.filter { $0.router == router }.count > 1
      ? "traffic/vr\(router).\(index)" : "traffic/vr\(router)"
  }

  /// The schedule of the flows in `flows` whose router is in `routers` (all when nil), drawn
  /// from `streams`, starting at time 0.
  /// - Throws: `GSLError` when a frame-size mix cannot be drawn from (no positive weight).
  public init(flows: [FlowSpec], streams: RandomStreams, routers: Set<Int>? = nil) throws {
    var gens: [FlowGenerator] = []
    for (i, f) in flows.enumerated() where routers?.contains(f.router) ?? true {
      gens.append(
        try FlowGenerator(spec: f, random: streams.stream(Self.streamName(flows: flows, index: i)), start: 0))
    }
    generators = gens
  }

  /// The next departure: its time in ns from the start, the router its flow goes to and the
  /// frame size in bytes; nil when the schedule holds no flow.
  public func next() -> (time: Int64, router: Int, size: Int)? {
    var best: FlowGenerator? = nil
    for g in generators where g.next < (best?.next ?? Int64.max) { best = g }
    guard let g = best else { return nil }
    let departure = (time: g.next, router: g.spec.router, size: g.nextSize)
    g.advance()
    return departure
  }
}
