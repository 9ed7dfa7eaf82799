import Experiment
import Testing

@Suite struct ThroughputSearchTests {
  /// A single-stage path saturating at `capacity`: loss = max(0, 1 - capacity / rate).
  static func saturating(_ capacity: Double) -> (Double) -> (offered: Double, lossFraction: Double) {
    { rate in (rate, max(0, 1 - capacity / rate)) }
  }

  @Test func findsTheAnalyticSaturationRateWithinItsResolution() throws {
    let result = ThroughputSearch.find(
      low: 1000, high: 10_000_000, resolution: 1000, trial: Self.saturating(750_000))
    let rate = try #require(result.rate)
    #expect(rate <= 750_000 && 750_000 <= rate + result.resolution)
    #expect(result.resolution <= 1000)
    #expect(result.trials.count <= 2 + 14)
    #expect(result.trials.allSatisfy { $0.passed == ($0.requested <= 750_000) })
  }

  @Test func toleratesTheGivenLossFraction() throws {
    // loss <= 1 % holds up to capacity / 0.99.
    let result = ThroughputSearch.find(
      low: 1000, high: 2_000_000, resolution: 100, maxLossFraction: 0.01, trial: Self.saturating(750_000))
    let rate = try #require(result.rate)
    let threshold = 750_000 / 0.99
    #expect(rate <= threshold && threshold <= rate + result.resolution)
  }

  @Test func edgesOfTheRange() {
    let above = ThroughputSearch.find(low: 10, high: 500_000, resolution: 1, trial: Self.saturating(750_000))
    #expect(above.rate == 500_000 && above.trials.count == 1)
    let below = ThroughputSearch.find(
      low: 800_000, high: 900_000, resolution: 1, trial: Self.saturating(750_000))
    #expect(below.rate == nil && below.trials.count == 2)
  }
}
