import SimCore

/// VMware's packet clustering, a notification policy of a guest's receive stage: while the
/// arrival rate, smoothed over about 16 packets, is above `thresholdPps`, notifications (the
/// virtual interrupts VMkernel raises for a vmxnet device) are at least `interval` apart;
/// below it every packet may notify at once, so light traffic sees no added delay.
///
/// Models the rate-triggered coalescing VMkernel applies per VM (the origin paper's
/// "packet clustering"); the idea is that of Linux e1000's adaptive interrupt throttling
/// (drivers/net/e1000/e1000_main.c: `e1000_update_itr`), driven by the packet rate only.
/// - Complexity: O(1) per arrival, no allocation.
public final class PacketClustering {
  /// Arrival rate above which clustering starts, packets per second.
  public let thresholdPps: Double
  /// Minimum gap between notifications while clustering.
  public let interval: SimDuration
  private var lastArrival: Int64 = .min
  private var meanGapNs: Double = .infinity
  /// Notifications deferred because the stage was clustering, since the last reset.
  public internal(set) var deferred: UInt64 = 0

  /// Creates a clustering rule.
  public init(thresholdPps: Double, interval: SimDuration) {
    precondition(thresholdPps > 0, "clustering threshold must be positive")
    self.thresholdPps = thresholdPps
    self.interval = interval
  }

  /// Records an arrival at `now` (ns) and returns the minimum gap between notifications that
  /// applies to it: `base` (the stage's fixed moderation), or `interval` if larger while the
  /// smoothed rate is above the threshold.
  @inline(__always) public func gap(arrivalAt now: Int64, base: Int64) -> Int64 {
    if lastArrival != .min {
      let d = Double(now - lastArrival)
      meanGapNs = meanGapNs.isFinite ? meanGapNs + (d - meanGapNs) / 16 : d
    }
    lastArrival = now
    return meanGapNs < 1e9 / thresholdPps ? Swift.max(base, interval.nanoseconds) : base
  }

  /// True while the smoothed rate is above the threshold.
  public var isClustering: Bool { meanGapNs < 1e9 / thresholdPps }

  /// Forgets the counter (warm-up deletion); the rate estimate is state and is kept.
  public func resetStatistics() { deferred = 0 }
}
