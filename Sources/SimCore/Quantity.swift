/// A value with a unit that could not be read from user input.
public struct QuantityError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The text as given.
  public var input: String
  /// What kind of quantity was expected ("duration", "rate", ...).
  public var kind: String
  /// What is wrong.
  public var problem: String
  /// What is allowed, e.g. "a number with a unit: ns, us, ms, s".
  public var allowed: String

  /// Creates an error about `input`.
  public init(input: String, kind: String, problem: String, allowed: String) {
    self.input = input
    self.kind = kind
    self.problem = problem
    self.allowed = allowed
  }

  public var description: String { "'\(input)' is not a valid \(kind): \(problem); allowed: \(allowed)" }
}

/// Exact decimal parsing of values with units into integer base units.
///
/// `1.5us` with units [("us", 1000), ...] gives 1500 exactly: the decimal text is read digit by
/// digit with overflow checks, never through a Double. Used for durations here and for
/// rates, sizes and frequencies by the scenario layer.
public enum QuantityParser {
  /// Parses `text` as a decimal number followed by one of `units` (longest match wins).
  /// Returns the value in base units (the unit whose factor is 1).
  /// - Throws: `QuantityError` for a missing or unknown unit, a malformed number, a value
  ///   finer than one base unit, a negative value when not allowed, or an Int64 overflow.
  public static func parse(
    _ text: String, kind: String, units: [(String, Int64)], allowNegative: Bool
  ) throws -> Int64 {
    let allowed = "a number with a unit (\(units.map(\.0).joined(separator: ", ")))"
    func fail(_ problem: String) -> QuantityError {
      QuantityError(input: text, kind: kind, problem: problem, allowed: allowed)
    }
    let t = text.trimmingSpaces()
    guard !t.isEmpty else { throw fail("it is empty") }
    let sorted = units.sorted { $0.0.count > $1.0.count }
    var number = t
    var factor: Int64? = nil
    for (name, f) in sorted where t.hasSuffix(name) {
      let candidate = String(t.dropLast(name.count)).trimmingSpaces()
      if let last = candidate.last, last.isNumber || last == "." {
        number = candidate
        factor = f
        break
      }
    }
    guard let factor else {
      if t.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" || $0 == "+" }) {
        throw fail("the unit is missing")
      }
      throw fail("unknown unit")
    }
    var negative = false
    if number.hasPrefix("-") {
      negative = true
      number.removeFirst()
    } else if number.hasPrefix("+") {
      number.removeFirst()
    }
    if negative && !allowNegative { throw fail("it is negative") }
    let parts = number.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count <= 2, !number.isEmpty,
      parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
      !(parts[0].isEmpty && (parts.count == 1 || parts[1].isEmpty))
    else { throw fail("'\(number)' is not a decimal number") }
    var value: Int64 = 0
    for ch in parts[0] {
      let (m, o1) = value.multipliedReportingOverflow(by: 10)
      let (a, o2) = m.addingReportingOverflow(Int64(ch.wholeNumberValue!))
      if o1 || o2 { throw fail("it is too large") }
      value = a
    }
    let (scaled, o) = value.multipliedReportingOverflow(by: factor)
    if o { throw fail("it is too large") }
    value = scaled
    if parts.count == 2 {
      var place = factor
      for ch in parts[1] {
        let d = Int64(ch.wholeNumberValue!)
        if place % 10 != 0 {
          if d != 0 { throw fail("it is finer than the smallest step (1 base unit)") }
          continue
        }
        place /= 10
        let (a, o2) = value.addingReportingOverflow(d * place)
        if o2 { throw fail("it is too large") }
        value = a
      }
    }
    return negative ? -value : value
  }
}

extension String {
  func trimmingSpaces() -> String {
    var s = Substring(self)
    while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
    while let l = s.last, l == " " || l == "\t" { s.removeLast() }
    return String(s)
  }
}
