import GSLKit

/// Something that receives events: a model component (a vCPU scheduler, a NIC, a traffic
/// source). One `handle` method is the hot path; `event.code` says which of the handler's
/// timers or actions fired and `event.arg` carries a small argument (an index, a slot).
///
/// Handlers are registered once with `Simulation.register(_:)`; the simulation keeps them
/// alive for its lifetime, so a handler should hold its simulation `unowned` (or not at all:
/// the simulation is passed to every call).
public protocol EventHandler: AnyObject {
  /// Handles one event at `event.time`, which equals `sim.now`.
  func handle(_ event: Event, in sim: Simulation)
}

/// The index of a registered handler, used to address events to it.
public struct HandlerID: Hashable, Sendable {
  /// Index in the simulation's handler table.
  public let index: UInt32
  /// Wraps a raw index (`HandlerID(index: 0)` is the engine itself: a safe placeholder
  /// before `register`).
  @inlinable public init(index: UInt32) { self.index = index }
}

/// A discrete-event simulation: a clock, a pending-event set, registered handlers and the
/// run's random streams.
///
/// A simulation is an ordinary instance (never a global); several can run at once, one per
/// thread. Events are executed in (time, scheduling order) order, so a run is a function of
/// its model, its seed and its replication number alone.
///
/// ```swift
/// let sim = Simulation(seed: 42)
/// let h = sim.register(myModel)
/// sim.schedule(after: .ms(1), to: h, code: 0)
/// sim.run(until: SimTime(nanoseconds: 1_000_000_000))
/// ```
///
/// The hot path (`schedule`, the run loop, dispatch) performs no allocation once the event
/// arrays have grown to the run's peak size; `vrsim bench engine` counts allocations to prove it.
public final class Simulation {
  /// The current simulated time.
  public private(set) var now: SimTime = .zero
  @usableFromInline var queue: EventQueue
  /// Handlers by index, held without reference counting on the hot path; `owners` keeps
  /// them alive for the simulation's lifetime.
  @usableFromInline var handlers: UnsafeMutablePointer<UnownedHandler>
  private var handlerCapacity = 16
  private var owners: [HandlerBox] = []
  @usableFromInline var stopRequested = false
  /// Number of events executed so far (cancelled events not counted).
  public private(set) var eventsExecuted: UInt64 = 0
  /// The run's random streams (master seed, replication, one stream per component name).
  public let streams: RandomStreams
  /// Called with every event just before its handler runs, when set. Off by default.
  public var trace: ((Event) -> Void)?
  /// When set, `run` checks it between two slices of events and, once it is cancelled, returns
  /// with `interruption` set to `.cancelled`: at most `checkInterval` events run after the
  /// token is set. Set it from another thread (a signal's handler) to stop a run in flight.
  public var cancellation: CancellationToken?
  /// Events run between two checks of `cancellation` and of the livelock guard (at least 1).
  /// The default, 2^16, is a few milliseconds of wall time at the engine's speed (10^7 to
  /// 10^8 events per second), and small beside the run loop's cost per event to count.
  public var checkInterval: UInt64 = 1 << 16
  /// The livelock guard: a run whose clock stands still over this many consecutive events
  /// stops with `interruption` set to `.stalled`. Counted between checks, so it fires after
  /// at least this many and fewer than this many + 2 × `checkInterval` such events. Default
  /// `defaultSameInstantEventLimit`.
  public var sameInstantEventLimit: UInt64 = Simulation.defaultSameInstantEventLimit
  /// The guard's default limit, 10^8 events at one instant. Legitimate bursts are short: at
  /// most 6 consecutive events at one instant in the built-in default on every platform past
  /// saturation (SameInstantBurstTests), and even every ring and batch of a host emptying at
  /// one instant would be of the order of the packets it holds (10^4 to 10^5), a thousand
  /// times fewer than the limit; 10^8 events take 1 to 10 s of wall time in a release build,
  /// so a livelocked run fails within seconds.
  public static let defaultSameInstantEventLimit: UInt64 = 100_000_000
  /// Why the last `run` ended early (cancelled, or stalled at one instant); nil when nothing
  /// interrupted it. Once set, it stays set and `run` does nothing more.
  public private(set) var interruption: SimulationInterruption?
  private let hooks = EngineHooks()

  /// Creates a simulation whose streams derive from `seed` and `replication`.
  /// - Parameter initialCapacity: expected peak number of pending events (grows as needed).
  public init(seed: UInt64, replication: Int = 0, initialCapacity: Int = 1024) {
    queue = EventQueue(initialCapacity: initialCapacity)
    streams = RandomStreams(seed: seed, replication: replication)
    handlers = .allocate(capacity: handlerCapacity)
    owners.append(HandlerBox(hooks))
    handlers.initialize(to: UnownedHandler(owners[0]))
  }

  deinit { handlers.deallocate() }

  /// Registers a handler and returns the id to address events to it.
  @discardableResult
  public func register(_ handler: any EventHandler) -> HandlerID {
    precondition(owners.count < Int(UInt32.max), "too many handlers")
    if owners.count == handlerCapacity {
      let bigger = UnsafeMutablePointer<UnownedHandler>.allocate(capacity: handlerCapacity * 2)
      bigger.moveInitialize(from: handlers, count: owners.count)
      handlers.deallocate()
      handlers = bigger
      handlerCapacity *= 2
    }
    let box = HandlerBox(handler)
    (handlers + owners.count).initialize(to: UnownedHandler(box))
    owners.append(box)
    return HandlerID(index: UInt32(owners.count - 1))
  }

  /// Number of live pending events.
  @inlinable public var pendingEvents: Int { queue.pending }

  /// Schedules an event for `handler` at the absolute time `time` (not before `now`).
  @inlinable @inline(__always) @discardableResult
  public func schedule(at time: SimTime, to handler: HandlerID, code: UInt32 = 0, arg: UInt64 = 0)
    -> EventID
  {
    precondition(time >= now, "cannot schedule at \(time), before now (\(now))")
    return queue.insert(time: time.nanoseconds, handler: handler.index, code: code, arg: arg)
  }

  /// Schedules an event for `handler` `delay` after now (`delay` >= 0).
  @inlinable @inline(__always) @discardableResult
  public func schedule(
    after delay: SimDuration, to handler: HandlerID, code: UInt32 = 0, arg: UInt64 = 0
  ) -> EventID {
    precondition(delay.nanoseconds >= 0, "negative delay \(delay)")
    let (t, overflow) = now.nanoseconds.addingReportingOverflow(delay.nanoseconds)
    precondition(!overflow, "event time overflows Int64 nanoseconds")
    return queue.insert(time: t, handler: handler.index, code: code, arg: arg)
  }

  /// Cancels a pending event. Returns false if it has already run or been cancelled.
  @discardableResult
  public func cancel(_ id: EventID) -> Bool { queue.cancel(id) }

  /// Asks the run loop to return after the current event. `run` may be called again later.
  public func stop() { stopRequested = true }

  /// Runs events until none is pending, `stop()` is called, the next event lies after `limit`,
  /// or the run is interrupted (`interruption`: the `cancellation` token was set, or the
  /// livelock guard fired). When the limit (not a stop or an interruption) ends the run, the
  /// clock is advanced to `limit`.
  ///
  /// Events run in slices of `checkInterval`; between two slices (never inside one) the run
  /// checks `cancellation` and the livelock guard, so neither costs anything per event
  /// beyond the slice's count, and neither changes which events run or their order: a run
  /// that is not interrupted is the same event for event as one without them. Once
  /// interrupted, a simulation stays so: later calls return at once.
  /// - Returns: the number of events executed by this call.
  @discardableResult
  public func run(until limit: SimTime = .max) -> UInt64 {
    stopRequested = false
    let before = eventsExecuted
    if interruption != nil { return 0 }
    let limitNs = limit.nanoseconds
    let interval = max(1, checkInterval)
    // The instant the clock stood at when a check last saw it move, and the event count then:
    // the events since then all ran at that instant when the clock is still there.
    var instant = now.nanoseconds
    var instantEvents = eventsExecuted
    while true {
      let sliceEnd = eventsExecuted &+ interval
      runSlice(until: limitNs, endingAt: sliceEnd)
      // A slice that ended early ended the run (a stop, no event left, the limit reached).
      if stopRequested || eventsExecuted != sliceEnd { break }
      guard let t = queue.peekTime(), t <= limitNs else { break }
      if let cancellation, cancellation.isCancelled {
        interruption = .cancelled(SimulationCancelled(time: now, eventsExecuted: eventsExecuted))
        break
      }
      if now.nanoseconds != instant {
        instant = now.nanoseconds
        instantEvents = eventsExecuted
      } else if eventsExecuted &- instantEvents >= sameInstantEventLimit {
        interruption = .stalled(stall(events: eventsExecuted &- instantEvents, limitNs: limitNs))
        break
      }
    }
    if interruption == nil, !stopRequested, limit != .max, now < limit { now = limit }
    return eventsExecuted - before
  }

  /// The hot loop: runs events until `eventsExecuted` reaches `sliceEnd`, `stop()` is called,
  /// none is pending or the next lies after `limitNs`. Kept out of `run` (never inlined) so
  /// that its code is the plain pop-and-dispatch loop whatever `run` does around it.
  @inline(never)
  private func runSlice(until limitNs: Int64, endingAt sliceEnd: UInt64) {
    if let trace {
      while !stopRequested, eventsExecuted != sliceEnd, let t = queue.peekTime(), t <= limitNs {
        let event = queue.popEarliest()
        now = event.time
        eventsExecuted &+= 1
        trace(event)
        handlers[Int(event.handler)].handle(event, in: self)
      }
    } else {
      while !stopRequested, eventsExecuted != sliceEnd, let t = queue.peekTime(), t <= limitNs {
        let event = queue.popEarliest()
        now = event.time
        eventsExecuted &+= 1
        handlers[Int(event.handler)].handle(event, in: self)
      }
    }
  }

  /// Throws what interrupted the run (`SimulationCancelled` or `SimulationStall`), if anything
  /// did; a caller that ran the simulation calls it before reading any result.
  public func checkInterruption() throws {
    switch interruption {
    case nil: return
    case .cancelled(let c)?: throw c
    case .stalled(let s)?: throw s
    }
  }

  /// The livelock guard's report: runs up to `stallSampleSize` further events at the stalled
  /// instant (the run is failing; their effects are never read) and counts them by handler
  /// type and event code, so that the message names what repeats.
  @inline(never)
  private func stall(events: UInt64, limitNs: Int64) -> SimulationStall {
    var counts: [EventKindKey: Int] = [:]
    var sampled = 0
    let at = now.nanoseconds
    while sampled < Self.stallSampleSize, !stopRequested, let t = queue.peekTime(), t == at, t <= limitNs {
      let event = queue.popEarliest()
      eventsExecuted &+= 1
      counts[EventKindKey(handler: event.handler, code: event.code), default: 0] += 1
      sampled += 1
      handlers[Int(event.handler)].handle(event, in: self)
    }
    let kinds = counts.map { key, n in
      SimulationStall.EventKind(
        handler: String(reflecting: type(of: owners[Int(key.handler)].target)),
        handlerIndex: Int(key.handler),
        code: key.code, count: n)
    }.sorted { ($0.count, $1.handlerIndex, $1.code) > ($1.count, $0.handlerIndex, $0.code) }
    return SimulationStall(
      time: now, consecutiveEvents: events, limit: sameInstantEventLimit, sampled: sampled, kinds: kinds)
  }

  /// Events the livelock guard runs and counts, after it fired, to name what repeats.
  public static let stallSampleSize = 1024

  /// Runs `body` at simulated time `time` (once), before any model event scheduled later
  /// for that same instant. Used for warm-up deletion: statistics reset themselves at the end
  /// of the warm-up period so the initial transient does not bias the results.
  public func at(_ time: SimTime, _ body: @escaping (Simulation) -> Void) {
    hooks.actions.append(body)
    schedule(at: time, to: HandlerID(index: 0), code: 0, arg: UInt64(hooks.actions.count - 1))
  }

  /// Registers `body` to run when the warm-up period ends at `time`; all warm-up hooks run in
  /// registration order at that instant. Typical use: reset every statistics accumulator.
  public func onWarmupEnd(at time: SimTime, _ body: @escaping (Simulation) -> Void) {
    at(time, body)
  }
}

/// A handler reference that the run loop can call without retain/release traffic: the table
/// holds unretained pointers to boxes owned by the simulation, and a `let` existential read
/// from a box that is guaranteed alive needs no retain.
@usableFromInline struct UnownedHandler {
  @usableFromInline let box: Unmanaged<HandlerBox>
  @usableFromInline init(_ box: HandlerBox) { self.box = .passUnretained(box) }

  @inlinable @inline(__always)
  func handle(_ event: Event, in sim: Simulation) {
    box._withUnsafeGuaranteedRef { $0.target.handle(event, in: sim) }
  }
}

/// Owns one registered handler for the simulation's lifetime.
@usableFromInline final class HandlerBox {
  @usableFromInline let target: any EventHandler
  init(_ target: any EventHandler) { self.target = target }
}

/// The engine's own handler (index 0): runs one-off actions such as warm-up resets.
final class EngineHooks: EventHandler {
  var actions: [(Simulation) -> Void] = []
  func handle(_ event: Event, in sim: Simulation) {
    actions[Int(event.arg)](sim)
  }
}

/// A handler and an event code, the key the livelock guard counts events by.
private struct EventKindKey: Hashable {
  var handler: UInt32
  var code: UInt32
}
