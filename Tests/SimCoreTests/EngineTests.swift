import Testing

@testable import SimCore

/// Records every event it receives; optionally reschedules.
final class Recorder: EventHandler {
  var log: [(Int64, UInt32, UInt64)] = []
  var onEvent: ((Event, Simulation) -> Void)?
  func handle(_ event: Event, in sim: Simulation) {
    log.append((event.time.nanoseconds, event.code, event.arg))
    onEvent?(event, sim)
  }
}

@Suite("Event engine")
struct EngineTests {
  @Test func equalTimesRunInSchedulingOrder() {
    let sim = Simulation(seed: 1)
    let r = Recorder()
    let h = sim.register(r)
    for i in 0..<100 { sim.schedule(at: SimTime(nanoseconds: 5), to: h, code: UInt32(i)) }
    sim.schedule(at: SimTime(nanoseconds: 1), to: h, code: 999)
    sim.run()
    #expect(r.log.map(\.1) == [999] + (0..<100).map(UInt32.init))
  }

  /// 200,000 random insertions come out sorted by (time, sequence), against a reference sort.
  @Test func heapOrderMatchesReferenceSort() {
    let sim = Simulation(seed: 2, initialCapacity: 16)
    let r = Recorder()
    let h = sim.register(r)
    var x: UInt64 = 99
    var expected: [(Int64, Int)] = []
    for i in 0..<200_000 {
      x = x &* 6_364_136_223_846_793_005 &+ 1
      let t = Int64((x >> 33) % 50_000)
      sim.schedule(at: SimTime(nanoseconds: t), to: h, arg: UInt64(i))
      expected.append((t, i))
    }
    expected.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
    sim.run()
    #expect(r.log.count == expected.count)
    #expect(r.log.map { Int($0.2) } == expected.map(\.1))
  }

  @Test func cancelSkipsTheEventOnce() {
    let sim = Simulation(seed: 3)
    let r = Recorder()
    let h = sim.register(r)
    let a = sim.schedule(after: .ns(10), to: h, code: 1)
    sim.schedule(after: .ns(20), to: h, code: 2)
    #expect(sim.pendingEvents == 2)
    #expect(sim.cancel(a))
    #expect(!sim.cancel(a))
    #expect(sim.pendingEvents == 1)
    sim.run()
    #expect(r.log.map(\.1) == [2])
    #expect(!sim.cancel(a))  // slot reused or freed: the old id stays dead
  }

  @Test func cancelledIdDoesNotKillTheSlotsNextOccupant() {
    let sim = Simulation(seed: 3)
    let r = Recorder()
    let h = sim.register(r)
    let a = sim.schedule(after: .ns(10), to: h, code: 1)
    sim.run()
    let b = sim.schedule(after: .ns(10), to: h, code: 2)  // reuses a's slot
    #expect(a != b)
    #expect(!sim.cancel(a))
    sim.run()
    #expect(r.log.map(\.1) == [1, 2])
  }

  @Test func runUntilAdvancesTheClockAndLeavesLaterEvents() {
    let sim = Simulation(seed: 4)
    let r = Recorder()
    let h = sim.register(r)
    sim.schedule(at: SimTime(nanoseconds: 100), to: h)
    sim.schedule(at: SimTime(nanoseconds: 300), to: h)
    #expect(sim.run(until: SimTime(nanoseconds: 200)) == 1)
    #expect(sim.now == SimTime(nanoseconds: 200))
    #expect(sim.pendingEvents == 1)
    // An event exactly at the limit runs.
    #expect(sim.run(until: SimTime(nanoseconds: 300)) == 1)
  }

  @Test func stopReturnsAfterTheCurrentEvent() {
    let sim = Simulation(seed: 5)
    let r = Recorder()
    let h = sim.register(r)
    r.onEvent = { e, s in
      if e.code == 3 { s.stop() }
    }
    for i in 0..<10 { sim.schedule(after: .ns(Int64(i)), to: h, code: UInt32(i)) }
    sim.run()
    #expect(r.log.count == 4)
    #expect(sim.now == SimTime(nanoseconds: 3))
    sim.run()
    #expect(r.log.count == 10)
  }

  @Test func warmupHookRunsBeforeModelEventsAtThatInstant() {
    let sim = Simulation(seed: 6)
    let r = Recorder()
    let h = sim.register(r)
    var hookRanAfter = -1
    sim.onWarmupEnd(at: SimTime(nanoseconds: 50)) { _ in hookRanAfter = r.log.count }
    for i in 0..<10 { sim.schedule(at: SimTime(nanoseconds: Int64(i * 10)), to: h) }
    sim.run()
    // Events at 0, 10, 20, 30, 40 ran before; the one at 50 was scheduled after the hook.
    #expect(hookRanAfter == 5)
  }

  @Test func sequenceRenumberingKeepsOrder() {
    let sim = Simulation(seed: 7)
    let r = Recorder()
    let h = sim.register(r)
    for i in 0..<1000 { sim.schedule(at: SimTime(nanoseconds: Int64(i % 7)), to: h, arg: UInt64(i)) }
    sim.queue.nextSequence = EventQueue.maxSequence + 1  // force a renumbering on the next insert
    sim.schedule(at: SimTime(nanoseconds: 3), to: h, arg: 1000)
    var expected = (0..<1000).map { (Int64($0 % 7), $0) }
    expected.append((3, 1000))
    expected.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
    sim.run()
    #expect(r.log.map { Int($0.2) } == expected.map(\.1))
  }

  /// The same seed gives a byte-identical event trace; another seed does not.
  @Test func sameSeedSameTrace() {
    func trace(seed: UInt64) -> String {
      let sim = Simulation(seed: seed)
      let st = QueueingStation(
        in: sim, arrivals: .exponential(mean: .us(10)), service: .exponential(mean: .us(8)),
        capacity: 20)
      var out = ""
      sim.trace = { e in out += "\(e.time.nanoseconds),\(e.handler),\(e.code),\(e.arg)\n" }
      st.start(in: sim)
      sim.run(until: SimTime(nanoseconds: 20_000_000))
      return out
    }
    let a = trace(seed: 42)
    #expect(a.count > 10_000)
    #expect(a == trace(seed: 42))
    #expect(a != trace(seed: 43))
  }

  /// A component's draws do not depend on which other streams exist.
  @Test func namedStreamsAreIndependentOfEachOthersExistence() {
    let s1 = RandomStreams(seed: 9)
    let alone = (0..<100).map { _ in s1.stream("traffic/vr1").uniform() }
    let s2 = RandomStreams(seed: 9)
    let other = s2.stream("traffic/vr0")
    _ = (0..<50).map { _ in other.uniform() }
    let withOther = (0..<100).map { _ in s2.stream("traffic/vr1").uniform() }
    #expect(alone == withOther)
    let s3 = RandomStreams(seed: 9, replication: 1)
    #expect((0..<100).map { _ in s3.stream("traffic/vr1").uniform() } != alone)
    #expect(
      RandomStreams.derive(seed: 9, replication: 0, name: "a")
        != RandomStreams.derive(seed: 9, replication: 0, name: "b"))
  }
}
