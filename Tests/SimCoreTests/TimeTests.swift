import SimCore
import Testing

@Suite("Time and quantities")
struct TimeTests {
  @Test(
    arguments: [
      ("250ns", 250), ("1.5us", 1_500), ("1.5µs", 1_500), ("30ms", 30_000_000),
      ("2s", 2_000_000_000), ("0.000000001s", 1), ("1min", 60_000_000_000), ("0s", 0),
      (" 10 ms ", 10_000_000), ("1h", 3_600_000_000_000), (".5ms", 500_000),
    ] as [(String, Int64)])
  func parsesExactly(text: String, ns: Int64) throws {
    #expect(try SimDuration(parsing: text).nanoseconds == ns)
  }

  @Test(arguments: [
    (
      "10parsecs",
      "'10parsecs' is not a valid duration: unknown unit; allowed: a number with a unit (ns, us, µs, ms, s, min, h)"
    ),
    (
      "10",
      "'10' is not a valid duration: the unit is missing; allowed: a number with a unit (ns, us, µs, ms, s, min, h)"
    ),
    (
      "-3ms",
      "'-3ms' is not a valid duration: it is negative; allowed: a number with a unit (ns, us, µs, ms, s, min, h)"
    ),
    (
      "1.5ns",
      "'1.5ns' is not a valid duration: it is finer than the smallest step (1 base unit); allowed: a number with a unit (ns, us, µs, ms, s, min, h)"
    ),
    (
      "99999999999h",
      "'99999999999h' is not a valid duration: it is too large; allowed: a number with a unit (ns, us, µs, ms, s, min, h)"
    ),
    (
      "", "'' is not a valid duration: it is empty; allowed: a number with a unit (ns, us, µs, ms, s, min, h)"
    ),
    (
      "1.2.3s",
      "'1.2.3s' is not a valid duration: '1.2.3' is not a decimal number; allowed: a number with a unit (ns, us, µs, ms, s, min, h)"
    ),
  ])
  func rejectsWithMessage(text: String, message: String) {
    #expect(throws: QuantityError.self) { try SimDuration(parsing: text) }
    do {
      _ = try SimDuration(parsing: text)
    } catch {
      #expect("\(error)" == message)
    }
  }

  @Test func printsShortestExactForm() {
    #expect(SimDuration.ns(1_500).description == "1.5us")
    #expect(SimDuration.ms(30).description == "30ms")
    #expect(SimDuration.s(2).description == "2s")
    #expect(SimDuration.ns(1_234_567_891).description == "1.234567891s")
    #expect(SimDuration.zero.description == "0s")
    #expect(SimDuration.ns(-250).description == "-250ns")
  }

  /// Printing then parsing gives the same value for 10,000 pseudo-random durations.
  @Test func printParseRoundTrip() throws {
    var x: UInt64 = 12345
    for _ in 0..<10_000 {
      x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let d = SimDuration.ns(Int64(x >> 20))
      #expect(try SimDuration(parsing: d.description) == d)
    }
  }
}
