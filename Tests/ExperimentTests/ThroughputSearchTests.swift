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

  /// A measurer over a scripted loss curve, counting its trials.
  final class Scripted: ThroughputMeasurer {
    let loss: (Double, Int) -> Double
    var trials: [Double] = []
    init(_ loss: @escaping (Double, Int) -> Double) { self.loss = loss }
    func measure(load: Double, duration: Double?) throws -> ThroughputTrialResult {
      trials.append(load)
      return ThroughputTrialResult(
        lossRatio: loss(load, trials.count), shortfall: 0, forwardingRate: load, offered: load)
    }
  }

  /// Relative resolution through the measurer protocol: a coarse pass at 1% of --high, then a
  /// fine pass at 1% of the rate found. Capacity 750 kp/s in [10 kp/s, 2 Mp/s]: the coarse
  /// bracket is at most 20 kp/s wide (1% of 2 Mp/s) and holds 750 000; the fine one at most
  /// 7.5 kp/s (1% of a rate just below 750 000) and still holds it; no rate is measured twice.
  @Test func relativeResolutionRefinesToAShareOfTheRate() throws {
    let m = Scripted { rate, _ in max(0, 1 - 750_000 / rate) }
    let r = try ThroughputSearch.find(
      low: 10_000, high: 2_000_000, resolution: .relative(0.01), maxLossFraction: 0, measurer: m)
    let rate = try #require(r.rate)
    #expect(rate <= 750_000 && 750_000 <= rate + r.resolution)
    #expect(r.resolution <= 0.01 * rate)
    #expect(Set(r.trials.map(\.requested)).count == r.trials.count)
  }

  /// Trials per load: a path that loses 1% on every second trial whatever the load, and
  /// nothing otherwise below 750 kp/s. One trial per load: the odd trials pass, so the first
  /// two (high 1 Mp/s fails on its own, low 100 kp/s is trial 2: lost 1%) end the search with
  /// no rate. Two trials per load: every load sees a lossy trial and fails, also no rate; with
  /// a 1% tolerance and two trials the noise passes and the capacity is found again.
  @Test func trialsPerLoadTakeTheWorstTrial() throws {
    func noisy() -> Scripted {
      Scripted { rate, n in max(n % 2 == 0 ? 0.01 : 0, 1 - 750_000 / rate) }
    }
    let one = try ThroughputSearch.find(
      low: 100_000, high: 1_000_000, resolution: .absolute(1000), maxLossFraction: 0, measurer: noisy())
    #expect(one.rate == nil && one.trials.count == 2)
    let m = noisy()
    let two = try ThroughputSearch.find(
      low: 100_000, high: 1_000_000, resolution: .absolute(1000), maxLossFraction: 0, trialsPerLoad: 2,
      measurer: m)
    #expect(two.rate == nil && m.trials.count == 4)
    let tolerant = try ThroughputSearch.find(
      low: 100_000, high: 1_000_000, resolution: .absolute(1000), maxLossFraction: 0.01, trialsPerLoad: 2,
      measurer: noisy())
    let rate = try #require(tolerant.rate)
    // loss <= 1% holds up to 750 000 / 0.99.
    #expect(rate <= 750_000 / 0.99 && 750_000 / 0.99 <= rate + tolerant.resolution)
  }

  /// MLRsearch with an absolute resolution (the same core type): a path carrying 100 kp/s,
  /// NDR to within 1 kp/s; the bracket holds 100 000 and is at most 1 000 pp/s wide.
  @Test func mlrSearchTakesAnAbsoluteResolution() throws {
    let goal = MLRSearch.Goal(
      name: "ndr", lossRatio: 0, exceedRatio: 0.5, finalDuration: 10, durationSum: 30,
      resolution: .absolute(1000))
    let s = MLRSearch(minLoad: 10_000, maxLoad: 1_000_000, goals: [goal], initialDuration: 1)
    let o = try s.run(measurer: Scripted { rate, _ in max(0, (rate - 100_000) / rate) })
    let lower = try #require(o.results[0].lower)
    let upper = try #require(o.results[0].upper)
    #expect(lower <= 100_000 && 100_000 < upper && upper - lower <= 1000)
  }
}
