import Experiment
import Foundation
import Report
import SimCore
import Testing

/// Thrown by a simulation that plays a crash.
struct SimulatedCrash: Error {}

@Suite struct CampaignRunnerTests {
  @Test func oneAndTwoWorkersGiveByteIdenticalCSV() throws {
    let plan = makePlan(points: 4, replications: .fixed(5))
    let (dir1, one) = try runComplete(plan, jobs: 1)
    let (dir2, two) = try runComplete(plan, jobs: 2)
    defer {
      removeTemporary(dir1)
      removeTemporary(dir2)
    }
    #expect(one.count == 20)
    let csv1 = CampaignResults.recordsCSV(plan: plan, records: one)
    let csv2 = CampaignResults.recordsCSV(plan: plan, records: two)
    #expect(csv1 == csv2)
    let sum1 = SummaryReport.csv(CampaignResults.summarize(plan: plan, records: one))
    let sum2 = SummaryReport.csv(CampaignResults.summarize(plan: plan, records: two))
    #expect(sum1 == sum2)
    #expect(
      try SummaryReport.json(CampaignResults.summarize(plan: plan, records: two))
        == SummaryReport.json(CampaignResults.summarize(plan: plan, records: one)))
    #expect(sum1.hasPrefix("point,routers.count,scope,metric,unit,n,mean,"))
  }

  @Test func aCrashedCampaignResumesWithEveryRunExactlyOnce() throws {
    let plan = makePlan(points: 3, replications: .fixed(4))
    let (refDir, reference) = try runComplete(plan, jobs: 1)
    defer { removeTemporary(refDir) }

    let dir = temporaryCampaignDirectory()
    defer { removeTemporary(dir) }
    let calls = SharedCounter()
    let crashing: CampaignRunner.Simulate = { point, rep, seed in
      if calls.increment() > 5 { throw SimulatedCrash() }
      return try fakeSimulation(point, rep, seed)
    }
    let store = try CampaignStore.open(at: dir, plan: plan)
    #expect(throws: CampaignError.self) { try CampaignRunner(jobs: 2).run(store: store, simulate: crashing) }
    let partial = try store.count()
    #expect(partial >= 5 && partial < 12)

    let ran = SharedCounter()
    let resumed = try CampaignRunner(jobs: 2).run(store: try CampaignStore.open(at: dir, plan: plan)) {
      point, rep, seed in
      _ = ran.increment()
      return try fakeSimulation(point, rep, seed)
    }
    #expect(resumed.status == .completed)
    #expect(resumed.previouslyCompleted == partial)
    #expect(resumed.ranThisSession == 12 - partial)
    #expect(ran.value == 12 - partial)
    #expect(sameResults(try store.records(), reference))
  }

  @Test func cancellationStopsSchedulingAndLeavesAConsistentStore() throws {
    let plan = makePlan(points: 2, replications: .fixed(10))
    let dir = temporaryCampaignDirectory()
    defer { removeTemporary(dir) }
    let store = try CampaignStore.open(at: dir, plan: plan)
    let flag = CancellationFlag()
    let calls = SharedCounter()
    let outcome = try CampaignRunner(jobs: 2, cancellation: flag).run(store: store) { point, rep, seed in
      if calls.increment() == 3 { flag.cancel() }
      return try fakeSimulation(point, rep, seed)
    }
    #expect(outcome.status == .interrupted)
    #expect(outcome.ranThisSession == calls.value)
    #expect(try store.count() == calls.value)
    #expect(calls.value < 20)
    let finished = try CampaignRunner(jobs: 2).run(store: store, simulate: fakeSimulation)
    #expect(finished.status == .completed)
    #expect(try store.count() == 20)
  }

  @Test func progressIsReportedWithAGrowingCount() throws {
    let plan = makePlan(points: 2, replications: .fixed(3))
    let dir = temporaryCampaignDirectory()
    defer { removeTemporary(dir) }
    let seen = Recorder<CampaignProgress>()
    let runner = CampaignRunner(jobs: 2, progress: { seen.append($0) })
    _ = try runner.run(store: try CampaignStore.open(at: dir, plan: plan), simulate: fakeSimulation)
    let reports = seen.values
    #expect(reports.first?.completed == 0)
    #expect(reports.last?.completed == 6)
    #expect(reports.last?.total == 6)
    #expect(reports.last?.etaSeconds == 0)
    #expect(reports.map(\.completed) == Array(0...6))
  }

  @Test(arguments: [
    ReplicationPolicy.fixed(3),
    .stoppingRule(StoppingRule(metric: "forwarded_pps", relativeHalfWidth: 0.004, maxReplications: 12)),
  ])
  func shardsMergeIntoTheUnshardedCampaign(policy: ReplicationPolicy) throws {
    let plan = makePlan(points: 5, replications: policy)
    let (fullDir, full) = try runComplete(plan, jobs: 2)
    defer { removeTemporary(fullDir) }
    var shardDirs: [URL] = []
    defer { shardDirs.forEach(removeTemporary) }
    var shardCounts: [Int] = []
    for k in 1...3 {
      let (dir, records) = try runComplete(plan, jobs: 2, shard: try Shard(parsing: "\(k)/3"))
      shardDirs.append(dir)
      shardCounts.append(records.count)
    }
    #expect(shardCounts.allSatisfy { $0 > 0 })
    #expect(shardCounts.reduce(0, +) == full.count)
    let mergedDir = temporaryCampaignDirectory("merged")
    defer { removeTemporary(mergedDir) }
    let summary = try CampaignStore.merge(sources: shardDirs, into: mergedDir)
    #expect(summary.added == full.count && summary.identicalDuplicates == 0)
    let merged = try CampaignStore.open(at: mergedDir).records()
    #expect(sameResults(merged, full))
    #expect(
      SummaryReport.csv(CampaignResults.summarize(plan: plan, records: merged))
        == SummaryReport.csv(CampaignResults.summarize(plan: plan, records: full)))
    // Merging again adds nothing: every record is an identical duplicate.
    let again = try CampaignStore.merge(sources: shardDirs + [fullDir], into: mergedDir)
    #expect(again.added == 0 && again.total == full.count)
  }

  @Test func mergeRefusesConflictsAndMismatches() throws {
    let plan = makePlan(points: 2, replications: .fixed(2))
    let (a, _) = try runComplete(plan, jobs: 1)
    defer { removeTemporary(a) }
    let b = temporaryCampaignDirectory()
    defer { removeTemporary(b) }
    let store = try CampaignStore.open(at: b, plan: plan)
    try store.insert(RunRecord(point: 1, replication: 1, seed: 9, wallSeconds: 0, metrics: []))
    let out = temporaryCampaignDirectory()
    defer { removeTemporary(out) }
    #expect(throws: CampaignError.conflictingResults(point: 1, replication: 1, sources: [a.path, b.path])) {
      try CampaignStore.merge(sources: [a, b], into: out)
    }
    #expect(!CampaignStore.exists(at: out))

    let (c, _) = try runComplete(makePlan(points: 2, replications: .fixed(2), scenario: "other\n"), jobs: 1)
    defer { removeTemporary(c) }
    #expect(throws: CampaignError.self) { try CampaignStore.merge(sources: [a, c], into: out) }
  }

  @Test func stoppingRuleDecisionsDoNotDependOnWorkers() throws {
    let rule = StoppingRule(
      metric: "forwarded_pps", relativeHalfWidth: 0.003, minReplications: 3, maxReplications: 40)
    let plan = makePlan(points: 4, replications: .stoppingRule(rule))
    let (d1, one) = try runComplete(plan, jobs: 1)
    let (d2, two) = try runComplete(plan, jobs: 2)
    defer {
      removeTemporary(d1)
      removeTemporary(d2)
    }
    #expect(sameResults(one, two))
    let counts = CampaignResults.replicationCounts(plan: plan, records: one)
    // Point p has noise (p + 1)·10 around 1000, so noisier points need more replications.
    #expect(counts[0]! < counts[3]!)
    for summary in CampaignResults.summarize(plan: plan, records: one)
    where summary.scope == "aggregate" && summary.metric == "forwarded_pps" {
      #expect(summary.count == counts[summary.point])
      #expect(summary.halfWidth / summary.mean <= 0.003 || summary.count == 40)
    }
  }

  @Test func aStoppingRuleCampaignResumesToTheSameDecisions() throws {
    let rule = StoppingRule(
      metric: "forwarded_pps", relativeHalfWidth: 0.003, minReplications: 3, maxReplications: 30)
    let plan = makePlan(points: 3, replications: .stoppingRule(rule))
    let (refDir, reference) = try runComplete(plan, jobs: 2)
    defer { removeTemporary(refDir) }
    let dir = temporaryCampaignDirectory()
    defer { removeTemporary(dir) }
    let calls = SharedCounter()
    let store = try CampaignStore.open(at: dir, plan: plan)
    #expect(throws: CampaignError.self) {
      try CampaignRunner(jobs: 2).run(store: store) { point, rep, seed in
        if calls.increment() > 11 { throw SimulatedCrash() }
        return try fakeSimulation(point, rep, seed)
      }
    }
    let seen = Recorder<CampaignProgress>()
    let outcome = try CampaignRunner(jobs: 1, progress: { seen.append($0) }).run(
      store: store, simulate: fakeSimulation)
    #expect(outcome.status == .completed)
    #expect(sameResults(try store.records(), reference))
    #expect(outcome.replicationsPerPoint == CampaignResults.replicationCounts(plan: plan, records: reference))
    #expect(seen.values.last?.completed == reference.count && seen.values.last?.total == reference.count)
  }

  @Test func stoppingRuleSteps() {
    let rule = StoppingRule(metric: "m", relativeHalfWidth: 0.01, minReplications: 3, maxReplications: 10)
    #expect(rule.nextTarget(after: [], level: 0.95) == 3)
    #expect(rule.nextTarget(after: [1, 1, 1], level: 0.95) == nil)  // no variance
    #expect(rule.nextTarget(after: [100, 100.1, 99.9], level: 0.95) == nil)
    #expect(rule.nextTarget(after: [100, 110, 90], level: 0.95) == 6)  // capped at 2k
    #expect(rule.nextTarget(after: [0, 1, -1], level: 0.95) == 6)  // mean 0: infinite relative width
    #expect(rule.nextTarget(after: Array(repeating: 0, count: 9) + [5], level: 0.95) == nil)  // max
  }

  /// A signal in the middle of a run stops that run too: with one worker, runs 1 to 3 finish
  /// (stored), run 4's simulation sets the flag at its 10,000th event (a signal arriving
  /// mid-run) and would run 10^9 more; it stops within one check interval (bound: 1,000
  /// events after the flag, the engine's `checkInterval` here), is not stored and is counted
  /// as stopped; a resumed session runs it and the rest.
  @Test func aSignalStopsTheRunInProgressAndKeepsTheFinishedOnes() throws {
    let plan = makePlan(points: 1, replications: .fixed(6))
    let dir = temporaryCampaignDirectory()
    defer { removeTemporary(dir) }
    let store = try CampaignStore.open(at: dir, plan: plan)
    let flag = CancellationFlag()
    let calls = SharedCounter()
    let after = SharedCounter()
    let outcome = try CampaignRunner(jobs: 1, cancellation: flag).run(store: store) { point, rep, seed in
      guard calls.increment() == 4 else { return try fakeSimulation(point, rep, seed) }
      let sim = Simulation(seed: seed)
      sim.checkInterval = 1_000
      sim.cancellation = flag.token
      let ticker = SelfRescheduling { n in
        if n == 10_000 { flag.cancel() }
        if n > 10_000 { after.increment() }
      }
      let h = sim.register(ticker)
      sim.schedule(at: .zero, to: h)
      sim.run(until: SimTime(nanoseconds: 1_000_000_000))  // 10^9 events at 1 ns
      try sim.checkInterruption()
      return try fakeSimulation(point, rep, seed)
    }
    #expect(outcome.status == .interrupted)
    #expect(calls.value == 4)
    #expect(outcome.ranThisSession == 3)
    #expect(outcome.stoppedThisSession == 1)
    #expect(after.value <= 1_000)
    #expect(try store.count() == 3)
    let resumed = try CampaignRunner(jobs: 1).run(store: store, simulate: fakeSimulation)
    #expect(resumed.status == .completed)
    #expect(resumed.ranThisSession == 3)
    #expect(try store.count() == 6)
  }

  /// A run that throws `SimulationCancelled` while the flag is not set is a failure like any
  /// other (only the flag makes a stop an interruption).
  @Test func aCancelledSimulationWithoutTheFlagIsAFailure() throws {
    let plan = makePlan(points: 1, replications: .fixed(2))
    let dir = temporaryCampaignDirectory()
    defer { removeTemporary(dir) }
    let store = try CampaignStore.open(at: dir, plan: plan)
    #expect(throws: CampaignError.self) {
      _ = try CampaignRunner(jobs: 1).run(store: store) { _, _, _ in
        throw SimulationCancelled(time: .zero, eventsExecuted: 0)
      }
    }
  }
}

/// Reschedules itself 1 ns later after each event, telling `onEvent` the event's number.
private final class SelfRescheduling: EventHandler {
  private var count = 0
  private let onEvent: (Int) -> Void
  init(_ onEvent: @escaping (Int) -> Void) { self.onEvent = onEvent }
  func handle(_ event: Event, in sim: Simulation) {
    count += 1
    onEvent(count)
    sim.schedule(after: .ns(1), to: HandlerID(index: event.handler), code: event.code)
  }
}

/// A thread-safe list.
final class Recorder<T: Sendable>: @unchecked Sendable {
  private let lock = NSLock()
  private var items: [T] = []
  func append(_ item: T) {
    lock.lock()
    items.append(item)
    lock.unlock()
  }
  var values: [T] {
    lock.lock()
    defer { lock.unlock() }
    return items
  }
}
