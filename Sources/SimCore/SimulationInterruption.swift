import Synchronization

/// A token that asks running simulations to stop: `Simulation.run` checks it between two
/// slices of events (`Simulation.checkInterval`) and returns once it is cancelled. One token
/// can serve every simulation of a campaign, on any number of threads.
///
/// Thread-safe: `cancel()` and `isCancelled` may be called from any thread (a signal's
/// handler sets it while the workers read it).
public final class CancellationToken: Sendable {
  private let cancelled = Atomic(false)

  /// A token that is not cancelled.
  public init() {}

  /// Cancels (setting it twice is harmless).
  public func cancel() { cancelled.store(true, ordering: .relaxed) }

  /// True once `cancel()` has been called.
  public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
}

/// Why a simulation's run ended before its limit: cancelled through its token, or stopped by
/// the livelock guard.
public enum SimulationInterruption: Sendable, Equatable {
  /// The `cancellation` token was set.
  case cancelled(SimulationCancelled)
  /// The clock stood still over `sameInstantEventLimit` consecutive events.
  case stalled(SimulationStall)
}

/// A run stopped because its cancellation token was set (SIGINT, SIGTERM): it did not reach
/// its end, so it has no result.
public struct SimulationCancelled: Error, Sendable, Equatable, CustomStringConvertible {
  /// The simulated time it stopped at.
  public var time: SimTime
  /// Events the simulation had executed when it stopped.
  public var eventsExecuted: UInt64

  /// A cancellation at `time` after `eventsExecuted` events.
  public init(time: SimTime, eventsExecuted: UInt64) {
    self.time = time
    self.eventsExecuted = eventsExecuted
  }

  /// One line.
  public var description: String {
    "simulation cancelled at simulated time \(time) after \(eventsExecuted) events"
  }
}

/// A run stopped by the livelock guard: the simulated clock did not advance over
/// `consecutiveEvents` events in a row, so the run would never end.
public struct SimulationStall: Error, Sendable, Equatable, CustomStringConvertible {
  /// Events of one handler type and code among those sampled at the stalled instant.
  public struct EventKind: Sendable, Equatable {
    /// The handler's type, module-qualified (`NetModel.Ring`).
    public var handler: String
    /// The handler's index in the simulation (`HandlerID.index`).
    public var handlerIndex: Int
    /// The event code (which of the handler's timers or actions).
    public var code: UInt32
    /// Events of this kind among those sampled.
    public var count: Int

    /// A kind and its count.
    public init(handler: String, handlerIndex: Int, code: UInt32, count: Int) {
      self.handler = handler
      self.handlerIndex = handlerIndex
      self.code = code
      self.count = count
    }
  }

  /// The instant the clock stood at.
  public var time: SimTime
  /// Consecutive events counted at that instant when the guard fired (at least `limit`).
  public var consecutiveEvents: UInt64
  /// The guard's limit (`Simulation.sameInstantEventLimit`).
  public var limit: UInt64
  /// Events run after the guard fired to see what repeats (`Simulation.stallSampleSize`, or
  /// fewer when the instant ended first).
  public var sampled: Int
  /// The kinds of the sampled events, the most frequent first.
  public var kinds: [EventKind]

  /// A stall report.
  public init(time: SimTime, consecutiveEvents: UInt64, limit: UInt64, sampled: Int, kinds: [EventKind]) {
    self.time = time
    self.consecutiveEvents = consecutiveEvents
    self.limit = limit
    self.sampled = sampled
    self.kinds = kinds
  }

  /// One line: the instant, the count, and what repeats.
  public var description: String {
    let shown = kinds.prefix(3).map {
      "\($0.handler) (handler \($0.handlerIndex)) code \($0.code): \($0.count)"
    }
    let what =
      shown.isEmpty
      ? "" : "; of the next \(sampled) events at that instant: " + shown.joined(separator: ", ")
    return "the simulated clock did not advance at \(time) over \(consecutiveEvents) consecutive events "
      + "(livelock guard, limit \(limit) events at one instant)\(what)"
  }
}
