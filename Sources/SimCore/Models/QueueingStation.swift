import GSLKit

/// A FIFO queueing station with c identical servers and room for K customers in total
/// (waiting + in service): M/M/c, M/D/c, M/M/1/K, M/D/1/K and their CBR-arrival variants.
///
/// It is the engine's reference model: the queueing tests compare it with closed-form
/// results, and `vrsim bench engine` uses it as the "router micro-model" (one server,
/// Poisson arrivals, deterministic service, K = 256). It knows nothing of routers.
///
/// Events: code 0 = arrival, code 1 = departure (arg = the customer's arrival time in ns).
/// Waiting customers are kept in a ring of arrival times; nothing is allocated per customer.
public final class QueueingStation: EventHandler {
  /// How inter-arrival or service times are drawn.
  public enum Law: Sendable, Equatable {
    /// Exponential with the given mean.
    case exponential(mean: SimDuration)
    /// Always the given value.
    case deterministic(SimDuration)
  }

  /// Inter-arrival time law.
  public let arrivals: Law
  /// Service time law.
  public let service: Law
  /// Number of servers (c >= 1).
  public let servers: Int
  /// Capacity in customers, waiting and in service (nil = unbounded).
  public let capacity: Int?

  /// Customers that arrived (counted after warm-up).
  public private(set) var arrived: UInt64 = 0
  /// Customers turned away because the station was full.
  public private(set) var blocked: UInt64 = 0
  /// Customers that completed service.
  public private(set) var departed: UInt64 = 0
  /// Time spent waiting before service, in ns, per customer entering service.
  public private(set) var waiting = Welford()
  /// Time in the system (wait + service), in ns, per departing customer.
  public private(set) var sojourn = Welford()
  /// Number in system over time.
  public private(set) var inSystem = TimeWeighted()
  /// Busy servers over time.
  public private(set) var busy = TimeWeighted()

  private var ring: UnsafeMutablePointer<Int64>
  private var ringCapacity: Int
  private var head = 0
  private var queued = 0
  private var busyServers = 0
  private var id = HandlerID(index: 0)
  private let arrivalRandom: GSLRandom
  private let serviceRandom: GSLRandom

  /// Builds a station in `sim`; draws come from the streams `"<name>/arrivals"` and
  /// `"<name>/service"`. Call `start(in:)` to schedule the first arrival.
  public init(
    in sim: Simulation, name: String = "station", arrivals: Law, service: Law, servers: Int = 1,
    capacity: Int? = nil
  ) {
    precondition(servers >= 1, "a station needs at least one server")
    precondition(capacity.map { $0 >= servers } ?? true, "capacity must be >= servers")
    self.arrivals = arrivals
    self.service = service
    self.servers = servers
    self.capacity = capacity
    ringCapacity = Swift.max(16, (capacity ?? 1024) + 1)
    ring = .allocate(capacity: ringCapacity)
    arrivalRandom = sim.streams.stream("\(name)/arrivals")
    serviceRandom = sim.streams.stream("\(name)/service")
    id = sim.register(self)
  }

  deinit { ring.deallocate() }

  /// Schedules the first arrival.
  public func start(in sim: Simulation) {
    sim.schedule(after: draw(arrivals, arrivalRandom), to: id, code: 0)
  }

  /// Resets every statistic at `sim.now`, keeping customers in place (warm-up deletion).
  public func resetStatistics(at now: SimTime) {
    arrived = 0
    blocked = 0
    departed = 0
    waiting.reset()
    sojourn.reset()
    inSystem.reset(at: now)
    busy.reset(at: now)
  }

  @inline(__always) private func draw(_ law: Law, _ r: GSLRandom) -> SimDuration {
    switch law {
    case .deterministic(let d): return d
    case .exponential(let mean):
      return SimDuration(nanoseconds: Int64(r.exponential(mean: Double(mean.nanoseconds)).rounded()))
    }
  }

  public func handle(_ event: Event, in sim: Simulation) {
    let now = sim.now
    if event.code == 0 {
      sim.schedule(after: draw(arrivals, arrivalRandom), to: id, code: 0)
      arrived &+= 1
      let n = busyServers + queued
      if let capacity, n >= capacity {
        blocked &+= 1
        return
      }
      inSystem.set(Double(n + 1), at: now)
      if busyServers < servers {
        busyServers += 1
        busy.set(Double(busyServers), at: now)
        waiting.add(0)
        sim.schedule(
          after: draw(service, serviceRandom), to: id, code: 1,
          arg: UInt64(bitPattern: now.nanoseconds))
      } else {
        if queued == ringCapacity { growRing() }
        ring[(head + queued) % ringCapacity] = now.nanoseconds
        queued += 1
      }
    } else {
      departed &+= 1
      sojourn.add(Double(now.nanoseconds - Int64(bitPattern: event.arg)))
      inSystem.set(Double(busyServers + queued - 1), at: now)
      if queued > 0 {
        let arrivedAt = ring[head]
        head = head + 1 == ringCapacity ? 0 : head + 1
        queued -= 1
        waiting.add(Double(now.nanoseconds - arrivedAt))
        sim.schedule(
          after: draw(service, serviceRandom), to: id, code: 1, arg: UInt64(bitPattern: arrivedAt))
      } else {
        busyServers -= 1
        busy.set(Double(busyServers), at: now)
      }
    }
  }

  private func growRing() {
    let newCap = ringCapacity * 2
    let newRing = UnsafeMutablePointer<Int64>.allocate(capacity: newCap)
    for i in 0..<queued { newRing[i] = ring[(head + i) % ringCapacity] }
    ring.deallocate()
    ring = newRing
    ringCapacity = newCap
    head = 0
  }
}
