import Dispatch
import Foundation
import SimCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Asks a running `PosteriorSampler` (or `vrsim validate`'s simulations) to stop: no further
/// simulation starts, the simulations in progress stop within one check interval (their
/// `Simulation.cancellation` is `token`) and are not kept, the candidates of the chunk in
/// progress that were wholly simulated are recorded in the checkpoint, and the sampler throws
/// `PosteriorInterrupted`. Set it from a signal handler's dispatch source (`listen(to:)`);
/// setting it twice is harmless.
///
/// Thread-safe: `stop(signal:)` and `isStopped` may be called from any thread.
public final class PosteriorStop: @unchecked Sendable {
  private let lock = NSLock()
  private var number: Int32?
  private var stopped = false
  private var sources: [any DispatchSourceSignal] = []
  /// The token `stop` cancels: the simulations watch it.
  public let token = CancellationToken()

  /// A flag that is not set.
  public init() {}

  /// Sets the flag (`signal`: the signal that asked, for the exit code; the first one is kept).
  public func stop(signal: Int32? = nil) {
    lock.lock()
    stopped = true
    if number == nil { number = signal }
    lock.unlock()
    token.cancel()
  }

  /// True once `stop` has been called.
  public var isStopped: Bool {
    lock.lock()
    defer { lock.unlock() }
    return stopped
  }

  /// The signal that set the flag, if one did.
  public var receivedSignal: Int32? {
    lock.lock()
    defer { lock.unlock() }
    return number
  }

  /// Sets the flag when one of `signals` arrives (their default action, ending the process,
  /// is replaced until `restore()`).
  public func listen(to signals: [Int32]) {
    for n in signals {
      signal(n, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: n, queue: .global())
      source.setEventHandler { [weak self] in self?.stop(signal: n) }
      source.resume()
      lock.lock()
      sources.append(source)
      lock.unlock()
    }
  }

  /// Gives the signals of `listen(to:)` their default action back.
  public func restore() {
    lock.lock()
    let all = sources
    sources = []
    lock.unlock()
    for s in all {
      s.cancel()
      signal(Int32(s.handle), SIG_DFL)
    }
  }
}

/// A posterior sampling stopped by `PosteriorStop` before it finished. Every candidate
/// simulated so far is in the checkpoint: the same sampling started again with that
/// checkpoint replays them (the sampler asks for the same candidates with the same seeds,
/// finds them and goes on where it stopped) and ends with the same draws as a run never
/// interrupted.
public struct PosteriorInterrupted: Error, CustomStringConvertible, Sendable {
  /// Candidates kept (in the checkpoint, or in memory without one).
  public var kept: Int
  /// The checkpoint file (nil: none, nothing is kept for a resumption).
  public var checkpoint: String?
  /// The signal that stopped it, if one did.
  public var signal: Int32?

  /// Readable summary.
  public var description: String {
    if let checkpoint {
      return "interrupted; \(kept) candidates kept in \(checkpoint); the same command resumes from it"
    }
    return "interrupted; no checkpoint file, \(kept) candidates simulated are lost"
  }
}
