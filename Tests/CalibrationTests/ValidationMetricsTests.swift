import Calibration
import Foundation
import Report
import Testing

/// `vrsim validate`'s metrics on hand-made rows and outcomes: every expected value is worked
/// out here from the numbers in the test.
@Suite struct ValidationMetricsTests {
  /// Training: native at 1000 kp/s forwards 600 kp/s with loss 0.4. Tested: 300 kp/s offered,
  /// 300 kp/s measured (below saturation); 900 kp/s offered, 590 kp/s measured (saturated);
  /// the loss at 300 kp/s measured as 0.
  static func rows(_ dir: URL) throws -> (test: [MeasuredRow], training: [MeasuredRow]) {
    try forwarderScenario.write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
    let text =
      [
        header,
        "m,train,s.yaml,traffic[0].rate=1000kpps,aggregate,forwarded_pps,pps,600000,590000,610000,,value",
        "m,train,s.yaml,traffic[0].rate=1000kpps,aggregate,loss,fraction,0.4,0.39,0.41,,value",
        "m,test,s.yaml,traffic[0].rate=300kpps,aggregate,forwarded_pps,pps,300000,297000,303000,,value",
        "m,test,s.yaml,traffic[0].rate=900kpps,aggregate,forwarded_pps,pps,590000,580000,600000,,value",
        "m,test,s.yaml,traffic[0].rate=300kpps,aggregate,loss,fraction,0,0,0.001,,value",
      ].joined(separator: "\n") + "\n"
    let read = MeasuredData.read(text: text, file: dir.appendingPathComponent("d.csv").path)
    #expect(read.problems.isEmpty, "\(read.problems)")
    return (Array(read.rows[2...]), Array(read.rows[0..<2]))
  }

  @Test func regimeBaselineSkillAndZeroRowsByHand() throws {
    let dir = scratchDirectory("metrics")
    defer { try? FileManager.default.removeItem(at: dir) }
    let (test, training) = try Self.rows(dir)
    let outcomes: [RowOutcome?] = [
      RowOutcome(mean: 290_000, standardDeviation: 0, count: 1, offered: 300_000, runOffered: 300_000),
      RowOutcome(mean: 620_000, standardDeviation: 0, count: 1, offered: 900_000, runOffered: 900_000),
      RowOutcome(mean: 0.01, standardDeviation: 0, count: 1, offered: 300_000, runOffered: 300_000),
    ]
    let r = ValidationReport(rows: test, simulated: outcomes, training: training, baselineSource: "training")
    // 300 000 measured of 300 000 offered: not below 98% of it.
    #expect(r.lines[0].regime == .belowSaturation)
    #expect(r.lines[0].absoluteError == -10_000)
    #expect(abs(r.lines[0].relativeError! - (-10_000.0 / 300_000)) < 1e-12)
    // min(offered 300 000, capacity 600 000).
    #expect(r.lines[0].baseline == 300_000)
    // 590 000 < 0.98 x 900 000 = 882 000: saturated; min(900 000, 600 000).
    #expect(r.lines[1].regime == .saturated)
    #expect(r.lines[1].baseline == 600_000)
    // The loss row takes the regime of its run: the measured 300 000 of 300 000.
    #expect(r.lines[2].regime == .belowSaturation)
    #expect(r.lines[2].relativeError!.isNaN)
    #expect(r.lines[2].absoluteError == 0.01)
    #expect(r.lines[2].status == "+0.01 fraction (measured 0)")
    // Nearest training row of the same metric: loss 0.4.
    #expect(r.lines[2].baseline == 0.4)

    func group(_ metric: String, _ regime: Regime) throws -> MetricRegimeError {
      try #require(r.metrics.first { $0.metric == metric && $0.regime == regime })
    }
    let below = try group("forwarded_pps", .belowSaturation)
    #expect(below.rows == 1 && below.meanAbsoluteError == 10_000)
    // The baseline is exact there: no skill score can be formed.
    #expect(below.baselineMeanAbsoluteError == 0 && below.skill.isNaN)
    let saturated = try group("forwarded_pps", .saturated)
    // Model |620 000 - 590 000| = 30 000, baseline |600 000 - 590 000| = 10 000: 1 - 3 = -2.
    #expect(saturated.meanAbsoluteError == 30_000)
    #expect(saturated.baselineMeanAbsoluteError == 10_000)
    #expect(abs(saturated.skill - (-2)) < 1e-12)
    #expect(abs(saturated.mape - 30_000.0 / 590_000) < 1e-12)
    let loss = try group("loss", .belowSaturation)
    // Counted by absolute error: 0.01 against the baseline's 0.4: skill 1 - 0.01/0.4 = 0.975.
    #expect(loss.rows == 1 && loss.zeroRows == 1)
    #expect(loss.mape.isNaN)
    #expect(abs(loss.skill - 0.975) < 1e-12)
  }

  @Test func aForwardedRowWithoutTrainingRowsOfItsPathFallsBackToTheOfferedRate() throws {
    let dir = scratchDirectory("offered")
    defer { try? FileManager.default.removeItem(at: dir) }
    let (test, _) = try Self.rows(dir)
    let r = ValidationReport(
      rows: [test[1]],
      simulated: [RowOutcome(mean: 620_000, standardDeviation: 0, count: 1, offered: 900_000)],
      training: [test[0]].map {
        var x = $0
        x.scenario = "other.yaml"
        return x
      })
    #expect(r.lines[0].baseline == 900_000)
    #expect(r.lines[0].baselineRule?.hasPrefix("offered") == true)
  }

  @Test func predictiveIntervalsByHand() {
    // All draws equal: the interval is the noise's, 100 ± 1.959964 x 10.
    let a = PredictiveInterval(samples: Array(repeating: 100, count: 50), noise: 10)
    #expect(abs(a.low - (100 - 19.599640)) < 1e-4 && abs(a.high - (100 + 19.599640)) < 1e-4)
    #expect(abs(a.standardDeviation - 10) < 1e-12)
    // No noise: type-7 quantiles of {0, 10}: 0 + 0.025 x 10 and 0 + 0.975 x 10.
    let b = PredictiveInterval(samples: [0, 10], noise: 0)
    #expect(abs(b.low - 0.25) < 1e-12 && abs(b.high - 9.75) < 1e-12)
    // Two far-apart draws with unit noise: half the mass below 0.025 means Φ(x) = 0.05 at the
    // lower draw, x = -1.644854.
    let c = PredictiveInterval(samples: [0, 1_000], noise: 1)
    #expect(abs(c.low - (-1.644854)) < 1e-5 && abs(c.high - 1_001.644854) < 1e-5)
    // Variance of the draws (population, 500²) plus the noise's.
    #expect(abs(c.standardDeviation - (250_000.0 + 1).squareRoot()) < 1e-9)
  }

  @Test func coverageAndZScoresFollowThePredictiveInterval() throws {
    let dir = scratchDirectory("coverage")
    defer { try? FileManager.default.removeItem(at: dir) }
    let (test, training) = try Self.rows(dir)
    let outcome = RowOutcome(mean: 300_000, standardDeviation: 0, count: 100, offered: 300_000)
    // Measured 300 000 against N(310 000, 5 000²): z = -2, outside 310 000 ± 9 800.
    let p = PredictiveInterval(samples: Array(repeating: 310_000, count: 100), noise: 5_000)
    let r = ValidationReport(
      rows: [test[0]], simulated: [outcome], training: training, predictive: [p])
    #expect(abs(r.lines[0].z! - (-2)) < 1e-9)
    #expect(r.lines[0].covered == false)
    let g = try #require(r.metrics.first)
    #expect(g.intervalRows == 1 && g.covered == 0 && abs(g.rmsZ - 2) < 1e-9)
  }

  @Test func aRankHoldingBySmallStepsSaysHowSmall() throws {
    let dir = scratchDirectory("rank")
    defer { try? FileManager.default.removeItem(at: dir) }
    try forwarderScenario.write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
    let text =
      header + "\n" + "m,r,s.yaml,traffic[0].rate=300kpps,aggregate,forwarded_pps,pps,1,1,1,,rank\n"
      + "m,r,s.yaml,traffic[0].rate=200kpps,aggregate,forwarded_pps,pps,2,2,2,,rank\n"
    let read = MeasuredData.read(text: text, file: dir.appendingPathComponent("d.csv").path)
    #expect(read.problems.isEmpty, "\(read.problems)")
    // 100 000 and 99 800: a step of 200 / 99 900 = 0.2%.
    let r = ValidationReport(
      rows: read.rows,
      simulated: [
        RowOutcome(mean: 100_000, standardDeviation: 0, count: 1),
        RowOutcome(mean: 99_800, standardDeviation: 0, count: 1),
      ])
    #expect(r.lines[0].status == "rank holds (smallest step 0.2%)")
    #expect(r.lines[1].status == "rank holds (smallest step 0.2%)")
  }
}
