import Foundation
import SimCore

/// A flag the CLI sets (from a SIGINT handler's dispatch source, say) to ask a running
/// campaign to stop: the runner schedules no new run and returns
/// `CampaignOutcome.Status.interrupted`. Runs in progress whose simulation was given `token`
/// (`Simulation.cancellation`) stop within one check interval and are not recorded; others
/// finish and are recorded. Setting it twice is harmless.
///
/// Thread-safe: `cancel()` and `isCancelled` may be called from any thread.
public final class CancellationFlag: Sendable {
  /// The token the flag sets: give it to the simulations of the runs, so that a run in
  /// progress stops too.
  public let token = CancellationToken()

  /// A flag that is not set.
  public init() {}

  /// Sets the flag.
  public func cancel() { token.cancel() }

  /// True once `cancel()` has been called.
  public var isCancelled: Bool { token.isCancelled }
}
