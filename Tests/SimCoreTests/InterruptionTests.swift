import Testing

@testable import SimCore

/// Reschedules itself `step` after each event, forever (until the run ends), and counts.
private final class Ticker: EventHandler {
  var step: SimDuration
  var count: UInt64 = 0
  var onEvent: ((UInt64, Simulation) -> Void)?
  init(step: SimDuration) { self.step = step }
  func handle(_ event: Event, in sim: Simulation) {
    count += 1
    onEvent?(count, sim)
    sim.schedule(after: step, to: HandlerID(index: UInt32(event.handler)), code: event.code)
  }
}

/// At one instant, schedules `burst` events for itself at that same instant (one a time, each
/// event the next's cause, so the clock stands still over all of them); then the clock moves on.
private final class Burst: EventHandler {
  let burst: Int
  var done = 0
  init(burst: Int) { self.burst = burst }
  func handle(_ event: Event, in sim: Simulation) {
    done += 1
    let h = HandlerID(index: UInt32(event.handler))
    if done < burst {
      sim.schedule(after: .zero, to: h)
    } else if event.code == 0 {
      sim.schedule(after: .ns(1), to: h, code: 1)
    }
  }
}

@Suite("Run interruption: cancellation and the livelock guard")
struct InterruptionTests {
  /// A token set by the 5,000th event (as a signal's handler would, at any moment) stops the
  /// run within one check interval: at most `checkInterval` events run after it. Bound: the
  /// engine checks between slices of `checkInterval` events, so the events after the set are
  /// those left in the slice in progress.
  @Test func cancellationStopsWithinOneCheckInterval() throws {
    let sim = Simulation(seed: 1)
    sim.checkInterval = 1000
    let token = CancellationToken()
    sim.cancellation = token
    let t = Ticker(step: .ns(10))
    let h = sim.register(t)
    var setAt: UInt64 = 0
    t.onEvent = { n, s in
      if n == 5_000 {
        token.cancel()
        setAt = s.eventsExecuted
      }
    }
    sim.schedule(at: .zero, to: h)
    sim.run(until: SimTime(nanoseconds: 1_000_000_000_000))  // 10^11 events without the token
    guard case .cancelled(let c)? = sim.interruption else {
      Issue.record("not cancelled: \(String(describing: sim.interruption))")
      return
    }
    #expect(sim.eventsExecuted - setAt <= 1000)
    #expect(sim.eventsExecuted > setAt - 1)
    #expect(c.eventsExecuted == sim.eventsExecuted)
    #expect(c.time == sim.now)
    #expect(sim.now < SimTime(nanoseconds: 1_000_000_000_000))  // the clock is not advanced to the limit
    #expect(throws: SimulationCancelled.self) { try sim.checkInterruption() }
    // It stays interrupted: a second run executes nothing.
    #expect(sim.run(until: SimTime(nanoseconds: 2_000_000_000_000)) == 0)
  }

  /// A token set before the run stops it after the first slice; one never set changes
  /// nothing: the same events in the same order as a run without a token (determinism).
  @Test func tokenNotSetChangesNothing() {
    func trace(token: CancellationToken?, interval: UInt64) -> [Int64] {
      let sim = Simulation(seed: 7)
      sim.cancellation = token
      sim.checkInterval = interval
      let r = Recorder()
      let h = sim.register(r)
      var x: UInt64 = 5
      r.onEvent = { e, s in
        x = x &* 6_364_136_223_846_793_005 &+ 1
        if e.arg < 20_000 { s.schedule(after: .ns(Int64((x >> 40) % 3)), to: h, arg: e.arg + 1) }
      }
      for i in 0..<8 { sim.schedule(at: SimTime(nanoseconds: Int64(i)), to: h, code: UInt32(i)) }
      sim.run(until: SimTime(nanoseconds: 10_000_000))
      #expect(sim.interruption == nil)
      #expect(sim.now == SimTime(nanoseconds: 10_000_000))
      return r.log.map { $0.0 * 100 + Int64($0.1) }
    }
    let plain = trace(token: nil, interval: 1 << 16)
    #expect(plain.count == 8 * 20_001)
    #expect(trace(token: CancellationToken(), interval: 7) == plain)
    #expect(trace(token: CancellationToken(), interval: 1) == plain)
  }

  /// A handler that reschedules itself at +0 forever: the guard stops it, names the
  /// handler's type and code, and reports the instant. Bound: it fires after at least the
  /// limit and fewer than limit + 2 × checkInterval events at that instant (it counts between
  /// checks), and then samples `stallSampleSize` more.
  @Test func guardStopsAHandlerReschedulingAtZero() throws {
    let sim = Simulation(seed: 1)
    sim.checkInterval = 1_000
    sim.sameInstantEventLimit = 100_000
    let t = Ticker(step: .zero)
    let h = sim.register(t)
    sim.schedule(at: SimTime(nanoseconds: 1_234), to: h, code: 7)
    sim.run(until: SimTime(nanoseconds: 1_000_000))
    guard case .stalled(let s)? = sim.interruption else {
      Issue.record("not stalled: \(String(describing: sim.interruption))")
      return
    }
    #expect(s.time == SimTime(nanoseconds: 1_234))
    #expect(s.consecutiveEvents >= 100_000 && s.consecutiveEvents < 102_000)
    #expect(s.sampled == Simulation.stallSampleSize)
    #expect(
      s.kinds == [
        .init(
          handler: String(reflecting: Ticker.self), handlerIndex: 1, code: 7,
          count: Simulation.stallSampleSize)
      ])
    // the events before the check that first saw the instant are not counted: at most one slice
    #expect(t.count >= s.consecutiveEvents + UInt64(s.sampled))
    #expect(t.count <= s.consecutiveEvents + UInt64(s.sampled) + 1_000)
    #expect(sim.now == SimTime(nanoseconds: 1_234))
    #expect(s.description.contains("Ticker"))
    #expect(s.description.contains("code 7"))
    #expect(throws: SimulationStall.self) { try sim.checkInterruption() }
  }

  /// A legitimate burst does not trip the guard: 99,000 events at one instant (below the
  /// limit of 100,000), then the clock moves; counted consecutive events never exceed the
  /// real ones, so nothing below the limit fires.
  @Test func burstBelowTheLimitRuns() {
    let sim = Simulation(seed: 1)
    sim.checkInterval = 1_000
    sim.sameInstantEventLimit = 100_000
    let b = Burst(burst: 99_000)
    let h = sim.register(b)
    sim.schedule(at: SimTime(nanoseconds: 50), to: h)
    let ran = sim.run(until: SimTime(nanoseconds: 1_000))
    #expect(sim.interruption == nil)
    #expect(ran == 99_001)
    #expect(sim.now == SimTime(nanoseconds: 1_000))
  }

  /// With the default settings (limit 10^8, checks every 2^16 events) a burst of 2,000,000
  /// events at one instant (20 times the bound of 10^5 a model's burst stays under, see
  /// `defaultSameInstantEventLimit`; the measured ones are 2 to 6 events) runs to its end.
  @Test func defaultGuardLetsABigBurstRun() {
    let sim = Simulation(seed: 1)
    let b = Burst(burst: 2_000_000)
    let h = sim.register(b)
    sim.schedule(at: SimTime(nanoseconds: 50), to: h)
    let ran = sim.run(until: SimTime(nanoseconds: 1_000))
    #expect(sim.interruption == nil)
    #expect(ran == 2_000_001)
  }
}
