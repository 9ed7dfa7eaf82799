import Foundation

/// A flag the CLI sets (from a SIGINT handler's dispatch source, say) to ask a running
/// campaign to stop: the runner schedules no new run, lets runs in progress finish and records
/// them, and returns `CampaignOutcome.Status.interrupted`. Setting it twice is harmless.
///
/// Thread-safe: `cancel()` and `isCancelled` may be called from any thread.
public final class CancellationFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var cancelled = false

  /// A flag that is not set.
  public init() {}

  /// Sets the flag.
  public func cancel() {
    lock.lock()
    cancelled = true
    lock.unlock()
  }

  /// True once `cancel()` has been called.
  public var isCancelled: Bool {
    lock.lock()
    defer { lock.unlock() }
    return cancelled
  }
}
