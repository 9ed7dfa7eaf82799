/// Non-overlapping batch means for one long run: observations are grouped into batches of
/// `batchSize`, and the batch averages, which are nearly independent when batches are long
/// compared with the autocorrelation time, give a confidence interval for the steady-state
/// mean (Law, Simulation Modeling and Analysis, 5th ed., 9.5.3).
public struct BatchMeans: Sendable {
  /// Observations per batch.
  public let batchSize: Int
  private var current = Welford()
  /// One entry per completed batch.
  public private(set) var batches: [Double] = []

  /// Creates an accumulator with batches of `batchSize` observations (> 0).
  public init(batchSize: Int) {
    precondition(batchSize > 0, "batch size must be positive")
    self.batchSize = batchSize
  }

  /// Adds one observation.
  public mutating func add(_ x: Double) {
    current.add(x)
    if current.count == batchSize {
      batches.append(current.mean)
      current.reset()
    }
  }

  /// Student-t interval over the completed batch means.
  public func interval(level: Double = 0.95) -> ConfidenceInterval {
    ConfidenceInterval(batches, level: level)
  }

  /// Lag-1 autocorrelation of the batch means: near 0 when batches are long enough.
  public var lag1Autocorrelation: Double {
    let n = batches.count
    guard n > 2 else { return .nan }
    let m = batches.reduce(0, +) / Double(n)
    var num = 0.0
    var den = 0.0
    for i in 0..<n {
      let d = batches[i] - m
      den += d * d
      if i + 1 < n { num += d * (batches[i + 1] - m) }
    }
    return den == 0 ? 0 : num / den
  }
}
