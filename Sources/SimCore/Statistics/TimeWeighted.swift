/// The time average of a piecewise-constant quantity (queue length, busy servers, vCPU
/// state): the integral of the value over time divided by the elapsed time.
///
/// Call `set(_:at:)` whenever the value changes; the accumulator integrates exactly in
/// integer nanoseconds times the value.
public struct TimeWeighted: Sendable {
  /// The current value.
  public private(set) var value: Double
  /// When the current value was set.
  public private(set) var lastChange: SimTime
  /// Start of the observation window (after the last reset).
  public private(set) var start: SimTime
  private var area: Double = 0
  /// Largest value seen in the window.
  public private(set) var max: Double

  /// Starts observing at `time` with `value`.
  public init(value: Double = 0, at time: SimTime = .zero) {
    self.value = value
    lastChange = time
    start = time
    max = value
  }

  /// Records that the value becomes `newValue` at `time` (not before the last change).
  @inlinable public mutating func set(_ newValue: Double, at time: SimTime) { _set(newValue, time) }

  @usableFromInline mutating func _set(_ newValue: Double, _ time: SimTime) {
    precondition(time >= lastChange, "time-weighted value changed in the past")
    area += value * Double(time.nanoseconds - lastChange.nanoseconds)
    value = newValue
    lastChange = time
    if newValue > max { max = newValue }
  }

  /// Adds `delta` to the value at `time`.
  public mutating func add(_ delta: Double, at time: SimTime) { set(value + delta, at: time) }

  /// The time average over [start, time].
  public func mean(at time: SimTime) -> Double {
    let span = Double(time.nanoseconds - start.nanoseconds)
    guard span > 0 else { return value }
    return (area + value * Double(time.nanoseconds - lastChange.nanoseconds)) / span
  }

  /// Restarts the window at `time`, keeping the current value (warm-up deletion).
  public mutating func reset(at time: SimTime) {
    area = 0
    start = time
    lastChange = time
    max = value
  }
}
