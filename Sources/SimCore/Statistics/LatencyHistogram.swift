import Histogram

/// A latency distribution in nanoseconds backed by HdrHistogram (Gil Tene's High Dynamic
/// Range histogram, hdrhistogram-swift): constant-time recording, 3 significant digits,
/// 1 ns to about 1 hour, percentiles without storing samples.
public struct LatencyHistogram: Sendable {
  @usableFromInline var histogram: Histogram<UInt64>
  /// Exact mean and extremes, kept alongside the histogram.
  public private(set) var summary = Welford()

  /// An empty histogram tracking 1 ns ... `highest` (values above are clamped to it).
  public init(highest: SimDuration = .s(3600)) {
    histogram = Histogram<UInt64>(
      lowestDiscernibleValue: 1, highestTrackableValue: UInt64(highest.nanoseconds),
      numberOfSignificantValueDigits: .three)
  }

  /// Records one latency (negative values are a programmer error).
  public mutating func record(_ latency: SimDuration) {
    precondition(latency.nanoseconds >= 0, "negative latency")
    let v = Swift.min(UInt64(latency.nanoseconds), histogram.highestTrackableValue)
    _ = histogram.record(Swift.max(v, 1))
    summary.add(Double(latency.nanoseconds))
  }

  /// Number of recorded values.
  public var count: Int { summary.count }
  /// Exact mean in nanoseconds.
  public var mean: Double { summary.mean }
  /// Exact maximum in nanoseconds (0 when empty).
  public var max: Double { summary.count > 0 ? summary.max : 0 }

  /// The value at `percentile` (0...100), within 0.1% (3 significant digits); 0 when empty.
  public func percentile(_ percentile: Double) -> Double {
    guard summary.count > 0 else { return 0 }
    return Double(histogram.valueAtPercentile(percentile))
  }

  /// Adds every value of `other`.
  public mutating func merge(_ other: LatencyHistogram) {
    histogram.add(other.histogram)
    summary.merge(other.summary)
  }

  /// Forgets every value (warm-up deletion).
  public mutating func reset() {
    histogram.reset()
    summary.reset()
  }
}
