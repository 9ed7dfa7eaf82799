import Foundation
import Report
import SimCore

/// Progress of a running campaign, reported after every completed run.
public struct CampaignProgress: Sendable, Equatable {
  /// Runs of this shard done, including those stored by earlier sessions.
  public var completed: Int
  /// Runs of this shard planned so far (grows when the stopping rule adds replications).
  public var total: Int
  /// Runs completed by this session.
  public var completedThisSession: Int
  /// Wall seconds since this session started.
  public var elapsedSeconds: Double
  /// Estimated wall seconds left, from this session's pace (nil before the first run ends).
  public var etaSeconds: Double?

  /// Fraction done, in [0, 1].
  public var fraction: Double { total == 0 ? 1 : Double(completed) / Double(total) }
}

/// How a campaign session ended.
public struct CampaignOutcome: Sendable, Equatable {
  /// Whether every planned run is done.
  public enum Status: Sendable, Equatable {
    /// Every run of the shard is in the store.
    case completed
    /// The cancellation flag was set: no run was started after it; runs in progress finished
    /// and were stored, or (those whose simulation threw `SimulationCancelled`) were stopped
    /// and not stored (`stoppedThisSession`).
    case interrupted
  }

  /// How the session ended.
  public var status: Status
  /// Runs completed by this session.
  public var ranThisSession: Int
  /// Runs of the shard already in the store when the session started.
  public var previouslyCompleted: Int
  /// Runs of the shard planned (final when `status == .completed`).
  public var planned: Int
  /// Replications decided per point of the shard (final counts when completed).
  public var replicationsPerPoint: [Int: Int]
  /// Runs in progress when the flag was set that stopped (their simulation threw
  /// `SimulationCancelled`): not in the store, a later session runs them again.
  public var stoppedThisSession = 0
}

/// Runs the missing (point, replication) runs of a campaign on worker threads and commits each
/// result to the store as it completes.
///
/// Threads: `jobs` worker threads call `simulate`; the calling thread is the only one that
/// touches the store and the scheduling state (single writer), and the one that calls
/// `progress`. `run` returns when the shard is complete, the cancellation flag is set (after
/// the runs in progress finish or stop: a run whose `simulate` throws `SimulationCancelled`
/// once the flag is set is not stored, and counts in `stoppedThisSession`), or a run fails (after the runs in progress finish and are
/// stored; the first failure is thrown).
///
/// Results do not depend on `jobs`: seeds come from `CampaignPlan.seed(point:replication:)`
/// and the set of runs from the deterministic `ReplicationScheduler`.
public struct CampaignRunner: Sendable {
  /// The simulation of one run: given the point, the replication number and the run's seed,
  /// return its metrics. Called concurrently from several threads; must not share mutable
  /// state between calls.
  public typealias Simulate = @Sendable (PlanPoint, Int, UInt64) throws -> [MetricRow]

  /// Number of worker threads (at least 1).
  public var jobs: Int
  /// The slice of the campaign this process runs.
  public var shard: Shard
  /// Set it to stop scheduling new runs (SIGINT); `simulate` may watch its `token` to stop a
  /// run in progress (throwing `SimulationCancelled`).
  public var cancellation: CancellationFlag
  /// Called on the calling thread after each completed run (and once at the start).
  public var progress: (@Sendable (CampaignProgress) -> Void)?
  /// Stack size of each worker thread, in bytes.
  public var workerStackSize: Int = 8 << 20

  /// A runner with `jobs` workers (default: the active processor count).
  public init(
    jobs: Int = ProcessInfo.processInfo.activeProcessorCount, shard: Shard = .all,
    cancellation: CancellationFlag = CancellationFlag(),
    progress: (@Sendable (CampaignProgress) -> Void)? = nil
  ) {
    self.jobs = max(1, jobs)
    self.shard = shard
    self.cancellation = cancellation
    self.progress = progress
  }

  /// Runs what the store's campaign still lacks (for this shard), calling `simulate` once per
  /// missing (point, replication). Blocks until done; see the type's documentation.
  public func run(store: CampaignStore, simulate: @escaping Simulate) throws -> CampaignOutcome {
    let plan = store.plan
    // Only what the scheduler needs of the stored runs: their keys, and the stopping rule's
    // metric when there is one (not every metric of every run).
    let stored: [RunRecord]
    switch plan.replications {
    case .fixed: stored = try store.recordsWithoutMetrics()
    case .stoppingRule(let rule): stored = try store.records(scope: rule.scope, metric: rule.metric)
    }
    var scheduler = try ReplicationScheduler(plan: plan, shard: shard, completed: stored)
    let previously = scheduler.completedPlanned
    let pointsByIndex = plan.points
    let clock = ContinuousClock()
    let start = clock.now
    var ranThisSession = 0
    var stoppedThisSession = 0
    var firstError: (any Error)?

    func report() {
      guard let progress else { return }
      let elapsed = seconds(clock.now - start)
      let total = scheduler.planned
      let completed = scheduler.completedPlanned
      var eta: Double?
      if ranThisSession > 0 {
        eta = elapsed / Double(ranThisSession) * Double(max(0, total - completed))
      }
      progress(
        CampaignProgress(
          completed: completed, total: total, completedThisSession: ranThisSession,
          elapsedSeconds: elapsed, etaSeconds: eta))
    }

    let channel = WorkChannel()
    let workerCount = jobs
    for _ in 0..<workerCount {
      let thread = Thread {
        while let job = channel.takeJob() {
          let point = pointsByIndex[job.key.point]
          let t0 = ContinuousClock.now
          let result = Result { try simulate(point, job.key.replication, job.seed) }
          let wall = seconds(ContinuousClock.now - t0)
          channel.complete(Completion(key: job.key, seed: job.seed, wallSeconds: wall, result: result))
        }
        channel.workerExited()
      }
      thread.stackSize = workerStackSize
      thread.start()
    }
    defer { channel.closeAndJoin(workers: workerCount) }

    report()
    var dispatched = 0
    while true {
      let stopping = firstError != nil || cancellation.isCancelled
      if !stopping {
        while dispatched < workerCount, let key = scheduler.nextJob() {
          channel.submit(Job(key: key, seed: plan.seed(point: key.point, replication: key.replication)))
          dispatched += 1
        }
      }
      if dispatched == 0 { break }
      for c in channel.waitForCompletions(timeout: 0.1) {
        dispatched -= 1
        switch c.result {
        case .success(let metrics):
          let record = RunRecord(
            point: c.key.point, replication: c.key.replication, seed: c.seed, wallSeconds: c.wallSeconds,
            metrics: metrics)
          do {
            try store.insert(record)
            try scheduler.complete(record)
            ranThisSession += 1
            report()
          } catch {
            scheduler.abandon(c.key)
            if firstError == nil { firstError = error }
          }
        case .failure(let error):
          scheduler.abandon(c.key)
          if error is SimulationCancelled, cancellation.isCancelled {
            stoppedThisSession += 1  // stopped by the flag: not a result, not a failure
          } else if firstError == nil {
            firstError = CampaignError.runFailed(
              point: c.key.point, replication: c.key.replication, seed: c.seed,
              message: String(describing: error))
          }
        }
      }
    }
    if let firstError { throw firstError }
    let status: CampaignOutcome.Status = scheduler.isFinished ? .completed : .interrupted
    return CampaignOutcome(
      status: status, ranThisSession: ranThisSession, previouslyCompleted: previously,
      planned: scheduler.planned, replicationsPerPoint: scheduler.target,
      stoppedThisSession: stoppedThisSession)
  }
}

private func seconds(_ d: Duration) -> Double {
  let c = d.components
  return Double(c.seconds) + Double(c.attoseconds) * 1e-18
}

private struct Job: Sendable {
  var key: RunKey
  var seed: UInt64
}

private struct Completion: Sendable {
  var key: RunKey
  var seed: UInt64
  var wallSeconds: Double
  var result: Result<[MetricRow], any Error>
}

/// The hand-off between the coordinating thread and the workers: a job queue and a completion
/// queue under one condition variable.
private final class WorkChannel: @unchecked Sendable {
  // All fields are guarded by `condition`.
  private let condition = NSCondition()
  private var jobs: [Job] = []
  private var completions: [Completion] = []
  private var closed = false
  private var exited = 0

  func submit(_ job: Job) {
    condition.lock()
    jobs.append(job)
    condition.broadcast()
    condition.unlock()
  }

  /// The next job, blocking; nil once closed.
  func takeJob() -> Job? {
    condition.lock()
    defer { condition.unlock() }
    while jobs.isEmpty && !closed { condition.wait() }
    if jobs.isEmpty { return nil }
    return jobs.removeFirst()
  }

  func complete(_ c: Completion) {
    condition.lock()
    completions.append(c)
    condition.broadcast()
    condition.unlock()
  }

  /// Completions so far, waiting up to `timeout` seconds for at least one.
  func waitForCompletions(timeout: Double) -> [Completion] {
    condition.lock()
    defer { condition.unlock() }
    if completions.isEmpty { _ = condition.wait(until: Date(timeIntervalSinceNow: timeout)) }
    let out = completions
    completions.removeAll()
    return out
  }

  func workerExited() {
    condition.lock()
    exited += 1
    condition.broadcast()
    condition.unlock()
  }

  /// Closes the job queue and waits until `workers` workers have exited.
  func closeAndJoin(workers: Int) {
    condition.lock()
    closed = true
    condition.broadcast()
    while exited < workers { condition.wait() }
    condition.unlock()
  }
}
