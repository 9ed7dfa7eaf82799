import Experiment
import Foundation
import Report
import SimCore
import Synchronization

/// A campaign session stopped by SIGINT or SIGTERM before it could start (while it waited for
/// another process's lock); the process should end with `exitCode` (130 or 143), saying nothing
/// more.
public struct CampaignInterrupted: Error, Sendable {
  /// 128 + the signal's number.
  public var exitCode: Int32
  /// An interruption ending the process with `exitCode`.
  public init(exitCode: Int32) { self.exitCode = exitCode }
}

/// Running a campaign in a folder: take its lock, open or resume its store, run what is
/// missing in parallel, stop cleanly on SIGINT or SIGTERM keeping every finished run (the runs
/// in progress stop too, within one check interval of their simulation, and are not stored).
public enum CampaignExecution {
  /// The result of a session.
  public struct Outcome {
    /// The campaign's store; its plan is the effective one (never fewer replications than stored).
    public var store: CampaignStore
    /// Set when SIGINT or SIGTERM stopped the session; the exit code to end with (130 or 143).
    public var interruptedExitCode: Int32?
    /// Whether a signal stopped the session.
    public var interrupted: Bool { interruptedExitCode != nil }
    /// The summaries of every point, read from the store one point at a time.
    /// - Throws: `ScenarioRunError` when the store cannot be read.
    public func summaries() throws -> [MetricSummary] {
      do { return try CampaignResults.summarize(plan: store.plan, store: store) } catch {
        throw ScenarioRunError("\(error)")
      }
    }
  }

  /// How a session shows itself: progress updates, the end of progress, and one-line notes.
  public struct Display: Sendable {
    /// Called as runs finish.
    public var progress: @Sendable (CampaignProgress) -> Void
    /// Called once when the runner stops, before any closing note.
    public var finish: @Sendable () -> Void
    /// A line for the user (a waiting lock, a campaign note).
    public var note: @Sendable (String) -> Void
    /// Creates a display.
    public init(
      progress: @escaping @Sendable (CampaignProgress) -> Void, finish: @escaping @Sendable () -> Void,
      note: @escaping @Sendable (String) -> Void
    ) {
      self.progress = progress
      self.finish = finish
      self.note = note
    }
  }

  /// The simulation of one run, as `CampaignRunner.Simulate` with the session's cancellation
  /// token: a simulation that watches it (`Simulation.cancellation`) stops when a signal comes,
  /// throwing `SimulationCancelled`.
  public typealias Simulate = @Sendable (PlanPoint, Int, UInt64, CancellationToken) throws -> [MetricRow]

  /// The exit code a failed run asks for: the largest `ScenarioRunError.exitCode` its
  /// simulations threw (2 for a run the livelock guard stopped), nil when none did.
  private final class FailureCode: Sendable {
    private let code = Mutex<Int32?>(nil)
    func record(_ c: Int32) { code.withLock { $0 = max($0 ?? c, c) } }
    var value: Int32? { code.withLock { $0 } }
  }

  /// Which signal stopped a session: SIGINT and SIGTERM both stop scheduling, keep the finished
  /// runs and print the same message; the exit code is 128 + the signal (130 or 143).
  private final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var number: Int32?
    func record(_ n: Int32) {
      lock.lock()
      if number == nil { number = n }
      lock.unlock()
    }
    var value: Int32? {
      lock.lock()
      defer { lock.unlock() }
      return number
    }
  }

  /// Opens (or resumes) the campaign in `directory` and runs what is missing. Holds the
  /// campaign's lock while running: a second session into the same directory waits (saying so
  /// through `display.note`) and then runs only what the first left undone.
  /// - Throws: `ScenarioRunError` (exit code 2 when the folder does not fit the plan),
  ///   `CampaignInterrupted` when a signal came while waiting for the lock. A failed run's
  ///   error has the exit code its simulation asked for (2 for a run that cannot end), else 1.
  public static func execute(
    plan: CampaignPlan, directory: URL, allowMismatch: Bool, jobs: Int, shard: Shard, display: Display,
    simulate: @escaping Simulate
  ) throws -> Outcome {
    let flag = CancellationFlag()
    let stop = StopSignal()
    var sources: [any DispatchSourceSignal] = []
    for number in [SIGINT, SIGTERM] {
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler {
        stop.record(number)
        flag.cancel()
      }
      source.resume()
      sources.append(source)
    }
    defer {
      for source in sources { source.cancel() }
      signal(SIGINT, SIG_DFL)
      signal(SIGTERM, SIG_DFL)
    }
    let lock: CampaignLock?
    do {
      lock = try CampaignLock.acquire(directory: directory, cancellation: flag) { pid in
        let who = pid.map { "another vrsim (pid \($0))" } ?? "another vrsim"
        display.note(
          "campaign \(directory.path) is in use by \(who); waiting for it to finish, "
            + "then running only the runs still missing")
      }
    } catch { throw ScenarioRunError("\(error)", exitCode: 2) }
    guard let lock else { throw CampaignInterrupted(exitCode: 128 + (stop.value ?? SIGINT)) }
    defer { withExtendedLifetime(lock) {} }
    let store: CampaignStore
    do { store = try CampaignStore.open(at: directory, plan: plan, allowMismatch: allowMismatch) } catch {
      throw ScenarioRunError("\(error)", exitCode: 2)  // the directory given does not fit this scenario
    }
    for text in store.notes { display.note("campaign \(directory.path): \(text)") }
    let runner = CampaignRunner(
      jobs: jobs, shard: shard, cancellation: flag, progress: display.progress)
    let failure = FailureCode()
    let token = flag.token
    let outcome: CampaignOutcome
    do {
      outcome = try runner.run(store: store) { point, replication, seed in
        do { return try simulate(point, replication, seed, token) } catch let e as ScenarioRunError {
          failure.record(e.exitCode)
          throw e
        }
      }
    } catch {
      display.finish()
      throw ScenarioRunError("\(error)", exitCode: failure.value ?? 1)
    }
    display.finish()
    var code: Int32?
    if outcome.status == .interrupted {
      let stopped = outcome.stoppedThisSession
      display.note(
        "interrupted; \(outcome.previouslyCompleted + outcome.ranThisSession) runs kept in \(directory.path)"
          + (stopped == 0
            ? ""
            : "; \(stopped) \(stopped == 1 ? "run" : "runs") in progress stopped, not stored (resuming runs "
              + "\(stopped == 1 ? "it" : "them") again)"))
      code = 128 + (stop.value ?? SIGINT)
    }
    return Outcome(store: store, interruptedExitCode: code)
  }
}
