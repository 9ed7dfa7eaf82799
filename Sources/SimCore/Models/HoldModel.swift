import GSLKit

/// The classic hold model for measuring event-list speed (Vaucher and Duval, CACM 1975):
/// `pending` events are kept in the list; each event, when it runs, schedules one new event
/// at now + Exp(mean). The list size therefore stays constant.
public final class HoldModel: EventHandler {
  private let random: GSLRandom
  private let mean: Double
  private var id = HandlerID(index: 0)

  /// Creates the model in `sim` with exponential increments of mean `mean`.
  public init(in sim: Simulation, mean: SimDuration = .us(1)) {
    random = sim.streams.stream("hold")
    self.mean = Double(mean.nanoseconds)
    id = sim.register(self)
  }

  /// Schedules the initial `pending` events.
  public func prime(_ sim: Simulation, pending: Int) {
    for _ in 0..<pending {
      sim.schedule(after: .ns(Int64(random.exponential(mean: mean))), to: id)
    }
  }

  @inline(__always)
  public func handle(_ event: Event, in sim: Simulation) {
    sim.schedule(after: SimDuration(nanoseconds: Int64(random.exponential(mean: mean))), to: id)
  }
}
