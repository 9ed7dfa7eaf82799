import Synchronization

/// A count that several threads add to: worker threads counting the simulations they finished,
/// for progress lines and for tests that count calls.
public final class SharedCounter: Sendable {
  private let count = Mutex(0)

  /// A counter at 0.
  public init() {}

  /// Adds one and returns the new count.
  @discardableResult
  public func increment() -> Int {
    count.withLock {
      $0 += 1
      return $0
    }
  }

  /// The count.
  public var value: Int { count.withLock { $0 } }
}
