/// Decides which (point, replication) runs a campaign still needs, in a fixed order, from the
/// results seen so far. Pure state, no threads: the runner feeds it completions and asks it
/// for the next job.
///
/// Determinism: a point's replication target moves only when every owned replication below
/// the current target is done, and the new target depends only on those values
/// (`StoppingRule.nextTarget`). So the set of runs made, and every decision, is the same for
/// any worker count and any completion order, and a resumed campaign replays the same
/// decisions from the stored results.
///
/// Jobs are handed out by replication, then point (`RunKey` order), so all points progress
/// together and the stopping rule gets its rounds early.
struct ReplicationScheduler {
  private let plan: CampaignPlan
  private let shard: Shard
  /// Points this shard has anything to do with.
  let points: [Int]
  /// Current replication target per point.
  private(set) var target: [Int: Int] = [:]
  /// Points whose replication count is final.
  private(set) var decided = Set<Int>()
  /// Completed runs (stored before or during this session).
  private(set) var done = Set<RunKey>()
  /// Target-metric values of completed runs (stopping rule only).
  private var stopValues: [RunKey: Double] = [:]
  /// Runs to hand out, sorted descending so the next one is `last`.
  private var pending: [RunKey] = []
  /// Runs handed out and not yet completed.
  private(set) var inFlight = Set<RunKey>()

  /// A scheduler for `shard` of `plan`, given the runs already stored (of any shard).
  init(plan: CampaignPlan, shard: Shard, completed: [RunRecord]) throws {
    self.plan = plan
    self.shard = shard
    switch plan.replications {
    case .fixed(let n):
      points = plan.points.map(\.index).filter { p in
        (0..<n).contains { shard.owns(point: p, replication: $0, policy: plan.replications) }
      }
    case .stoppingRule:
      points = plan.points.map(\.index).filter {
        shard.owns(point: $0, replication: 0, policy: plan.replications)
      }
    }
    let owned = Set(points)
    for r in completed where owned.contains(r.point) {
      done.insert(r.key)
      if case .stoppingRule(let rule) = plan.replications {
        guard let v = r.value(scope: rule.scope, metric: rule.metric) else {
          throw CampaignError.missingStoppingMetric(
            point: r.point, replication: r.replication, scope: rule.scope, metric: rule.metric)
        }
        stopValues[r.key] = v
      }
    }
    for p in points {
      target[p] = 0
      try advance(p)
    }
    for p in points {
      let t = target[p] ?? 0
      completedPlanned += (0..<t).count(where: {
        owns(p, $0) && done.contains(RunKey(point: p, replication: $0))
      })
    }
  }

  /// Runs completed or planned so far (grows as the stopping rule adds replications).
  private(set) var planned = 0

  /// Planned runs already completed.
  private(set) var completedPlanned = 0

  /// True when every point is decided and no run is pending or in flight.
  var isFinished: Bool { pending.isEmpty && inFlight.isEmpty && decided.count == points.count }

  /// The next run to start, or nil when none can start until a run in flight completes.
  mutating func nextJob() -> RunKey? {
    guard let key = pending.popLast() else { return nil }
    inFlight.insert(key)
    return key
  }

  /// Records that `record` completed; may raise its point's target.
  mutating func complete(_ record: RunRecord) throws {
    let key = record.key
    inFlight.remove(key)
    if done.insert(key).inserted && key.replication < (target[key.point] ?? 0) { completedPlanned += 1 }
    if case .stoppingRule(let rule) = plan.replications {
      guard let v = record.value(scope: rule.scope, metric: rule.metric) else {
        throw CampaignError.missingStoppingMetric(
          point: key.point, replication: key.replication, scope: rule.scope, metric: rule.metric)
      }
      stopValues[key] = v
    }
    try advance(key.point)
  }

  /// Drops a run handed out that will not complete (failed or abandoned).
  mutating func abandon(_ key: RunKey) {
    inFlight.remove(key)
  }

  private func owns(_ point: Int, _ replication: Int) -> Bool {
    shard.owns(point: point, replication: replication, policy: plan.replications)
  }

  /// Moves `point` forward: while all owned replications below the target are done, decide
  /// (fixed: done; stopping rule: `nextTarget`), then queue the missing replications.
  private mutating func advance(_ point: Int) throws {
    while !decided.contains(point) {
      let current = target[point] ?? 0
      let missing = (0..<current).contains { r in
        owns(point, r) && !done.contains(RunKey(point: point, replication: r))
      }
      if missing { return }
      let next: Int?
      switch plan.replications {
      case .fixed(let n):
        next = current < n ? n : nil
      case .stoppingRule(let rule):
        let values = (0..<current).map { stopValues[RunKey(point: point, replication: $0)] ?? .nan }
        next = rule.nextTarget(after: values, level: plan.confidenceLevel)
      }
      guard let next else {
        decided.insert(point)
        return
      }
      target[point] = next
      for r in current..<next where owns(point, r) {
        planned += 1
        let key = RunKey(point: point, replication: r)
        if !done.contains(key) { enqueue(key) }
      }
    }
  }

  private mutating func enqueue(_ key: RunKey) {
    // Binary search in a descending array: insert before the first element smaller than key.
    var lo = 0
    var hi = pending.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if key < pending[mid] { lo = mid + 1 } else { hi = mid }
    }
    pending.insert(key, at: lo)
  }
}
