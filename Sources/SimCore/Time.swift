/// A span of simulated time in integer nanoseconds.
///
/// vrsim has no floating-point clock: every instant and duration is an `Int64` count of
/// nanoseconds, so sums are exact and runs are reproducible bit for bit. Arithmetic that
/// would overflow traps (a programmer error); parsing user input that would overflow is
/// reported as a `QuantityError`.
public struct SimDuration: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
  /// The length in nanoseconds. May be negative (a difference of instants).
  public var nanoseconds: Int64

  /// Creates a duration of `nanoseconds` ns.
  @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

  /// Zero length.
  public static let zero = SimDuration(nanoseconds: 0)

  /// `n` nanoseconds.
  @inlinable public static func ns(_ n: Int64) -> SimDuration { SimDuration(nanoseconds: n) }
  /// `n` microseconds.
  @inlinable public static func us(_ n: Int64) -> SimDuration { SimDuration(nanoseconds: n * 1_000) }
  /// `n` milliseconds.
  @inlinable public static func ms(_ n: Int64) -> SimDuration { SimDuration(nanoseconds: n * 1_000_000) }
  /// `n` seconds.
  @inlinable public static func s(_ n: Int64) -> SimDuration { SimDuration(nanoseconds: n * 1_000_000_000) }

  /// The duration closest to `seconds` (rounded to the nearest nanosecond).
  /// Precondition: the result fits in Int64 nanoseconds.
  @inlinable public static func seconds(_ seconds: Double) -> SimDuration {
    let ns = (seconds * 1e9).rounded()
    precondition(ns.isFinite && abs(ns) < 9.2e18, "duration \(seconds) s out of range")
    return SimDuration(nanoseconds: Int64(ns))
  }

  /// The length in seconds, as a Double (for reporting only).
  @inlinable public var seconds: Double { Double(nanoseconds) * 1e-9 }

  @inlinable public static func < (a: SimDuration, b: SimDuration) -> Bool { a.nanoseconds < b.nanoseconds }
  /// Sum of two durations (traps on overflow).
  @inlinable public static func + (a: SimDuration, b: SimDuration) -> SimDuration {
    SimDuration(nanoseconds: a.nanoseconds + b.nanoseconds)
  }
  /// Difference of two durations (traps on overflow).
  @inlinable public static func - (a: SimDuration, b: SimDuration) -> SimDuration {
    SimDuration(nanoseconds: a.nanoseconds - b.nanoseconds)
  }
  /// Adds `b` to `a`.
  @inlinable public static func += (a: inout SimDuration, b: SimDuration) { a.nanoseconds += b.nanoseconds }
  /// Subtracts `b` from `a`.
  @inlinable public static func -= (a: inout SimDuration, b: SimDuration) { a.nanoseconds -= b.nanoseconds }
  /// `k` times `a` (traps on overflow).
  @inlinable public static func * (a: SimDuration, k: Int64) -> SimDuration {
    SimDuration(nanoseconds: a.nanoseconds * k)
  }

  /// Parses a duration with a unit: `250ns`, `1.5us` (or `µs`), `30ms`, `2s`, `1min`, `1h`.
  /// The value must be exact to the nanosecond and fit in Int64 ns.
  /// - Throws: `QuantityError` naming the input and the allowed forms.
  public init(parsing text: String) throws {
    let ns = try QuantityParser.parse(
      text, kind: "duration", units: SimDuration.units, allowNegative: false)
    self.init(nanoseconds: ns)
  }

  /// Units accepted by `init(parsing:)`, with their size in nanoseconds.
  public static let units: [(String, Int64)] = [
    ("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000),
    ("min", 60_000_000_000), ("h", 3_600_000_000_000),
  ]

  /// The shortest exact text with a unit: `1.5us`, `30ms`, `2s`, `0s`.
  public var description: String { SimDuration.format(nanoseconds) }

  static func format(_ ns: Int64) -> String {
    if ns == 0 { return "0s" }
    let sign = ns < 0 ? "-" : ""
    let m = ns.magnitude
    let scales: [(UInt64, String, Int)] = [
      (1_000_000_000, "s", 9), (1_000_000, "ms", 6), (1_000, "us", 3), (1, "ns", 0),
    ]
    for (scale, unit, digits) in scales where m >= scale {
      let whole = m / scale
      let frac = m % scale
      if frac == 0 { return "\(sign)\(whole)\(unit)" }
      var f = String(frac)
      f = String(repeating: "0", count: digits - f.count) + f
      while f.hasSuffix("0") { f.removeLast() }
      return "\(sign)\(whole).\(f)\(unit)"
    }
    return "\(sign)\(m)ns"
  }
}

/// An instant of simulated time: nanoseconds since the start of the run (never negative in a
/// running simulation).
public struct SimTime: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
  /// Nanoseconds since time zero.
  public var nanoseconds: Int64

  /// The instant `nanoseconds` ns after time zero.
  @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

  /// Time zero, the start of every run.
  public static let zero = SimTime(nanoseconds: 0)
  /// The largest representable instant (about 292 years).
  public static let max = SimTime(nanoseconds: .max)

  /// Seconds since time zero, for reporting.
  @inlinable public var seconds: Double { Double(nanoseconds) * 1e-9 }

  @inlinable public static func < (a: SimTime, b: SimTime) -> Bool { a.nanoseconds < b.nanoseconds }
  /// The instant `d` after `a`.
  @inlinable public static func + (a: SimTime, d: SimDuration) -> SimTime {
    SimTime(nanoseconds: a.nanoseconds + d.nanoseconds)
  }
  /// Moves `a` forward by `d`.
  @inlinable public static func += (a: inout SimTime, d: SimDuration) { a.nanoseconds += d.nanoseconds }
  /// The instant `d` before `a`.
  @inlinable public static func - (a: SimTime, d: SimDuration) -> SimTime {
    SimTime(nanoseconds: a.nanoseconds - d.nanoseconds)
  }
  /// The duration from `b` to `a`.
  @inlinable public static func - (a: SimTime, b: SimTime) -> SimDuration {
    SimDuration(nanoseconds: a.nanoseconds - b.nanoseconds)
  }

  /// The instant as a duration since zero with a unit, e.g. `1.5ms`.
  public var description: String { SimDuration.format(nanoseconds) }
}
