/// Running mean and variance of a sample, by Welford's method (Welford 1962; Knuth TAOCP
/// vol. 2, 4.2.2): numerically stable, one pass, O(1) memory.
public struct Welford: Sendable, Equatable {
  /// Number of observations.
  public private(set) var count: Int = 0
  /// Sample mean (0 when empty).
  public private(set) var mean: Double = 0
  private var m2: Double = 0
  /// Smallest observation (+infinity when empty).
  public private(set) var min: Double = .infinity
  /// Largest observation (-infinity when empty).
  public private(set) var max: Double = -.infinity

  /// An empty accumulator.
  public init() {}

  /// Adds one observation.
  @inlinable public mutating func add(_ x: Double) { _add(x) }

  @usableFromInline mutating func _add(_ x: Double) {
    count += 1
    let d = x - mean
    mean += d / Double(count)
    m2 += d * (x - mean)
    if x < min { min = x }
    if x > max { max = x }
  }

  /// Unbiased sample variance (n - 1 denominator); 0 with fewer than two observations.
  public var variance: Double { count > 1 ? m2 / Double(count - 1) : 0 }
  /// Sample standard deviation.
  public var standardDeviation: Double { variance.squareRoot() }

  /// Combines two accumulators as if all observations had been added to one (Chan et al. 1979).
  public mutating func merge(_ other: Welford) {
    guard other.count > 0 else { return }
    guard count > 0 else {
      self = other
      return
    }
    let n = Double(count + other.count)
    let d = other.mean - mean
    m2 += other.m2 + d * d * Double(count) * Double(other.count) / n
    mean += d * Double(other.count) / n
    count += other.count
    min = Swift.min(min, other.min)
    max = Swift.max(max, other.max)
  }

  /// Forgets every observation (warm-up deletion).
  public mutating func reset() { self = Welford() }
}
