import Foundation
import Report

/// A measured row next to its simulation.
public struct ValidationLine: Sendable {
  /// The measured row.
  public var row: MeasuredRow
  /// Its simulation (nil when no model produces the row).
  public var simulated: RowOutcome?
  /// (simulated − measured) / measured, for value rows.
  public var relativeError: Double?
  /// Whether the simulated 95% interval meets the measured one (value rows with both).
  public var intervalsOverlap: Bool?
  /// Whether the bound or the ordering holds (bound and rank rows).
  public var holds: Bool?
  /// The comparison in words: `-3.1%`, `bound holds`, `rank violated`, `not simulated`.
  public var status: String
  /// simulated − measured, in the metric's unit (value rows); the comparison of rows measured
  /// as 0, whose relative error is undefined.
  public var absoluteError: Double? = nil
  /// Saturated or below saturation (simulated rows).
  public var regime: Regime? = nil
  /// The model-free baseline's prediction of a value row (nil when no rule applies).
  public var baseline: Double? = nil
  /// How the baseline was made, e.g. `min(offered, capacity 118000 of line 32)`.
  public var baselineRule: String? = nil
  /// The posterior predictive interval of the measurement (with `--posterior`).
  public var predictive: PredictiveInterval? = nil
  /// (measured − predictive mean) / predictive sd (with `--posterior`, value rows).
  public var z: Double? = nil
  /// Whether the measured value lies inside the predictive 95% interval.
  public var covered: Bool? = nil
}

/// Whether a row's simulation (or measurement) is at the capacity of the path.
public enum Regime: String, Sendable, CaseIterable {
  /// The forwarded rate falls short of the offered rate by more than the tolerance.
  case saturated
  /// The path forwards what is offered (within the tolerance).
  case belowSaturation = "below saturation"
  /// No offered or forwarded rate to tell.
  case unknown

  /// The regime of `row` simulated as `outcome`: a forwarded-rate row is saturated when its
  /// measured value is below (1 − `tolerance`) × the offered rate of its scope; any other row
  /// takes the regime of its run (its scenario and set): the measured aggregate forwarded
  /// rate of that run in `rows` if there is one, else the simulated one, against the
  /// simulated aggregate offered rate.
  public static func of(
    _ row: MeasuredRow, _ outcome: RowOutcome, rows: [MeasuredRow], tolerance: Double = Regime.tolerance
  ) -> Regime {
    if row.metric == .forwardedPps, row.kind == .value, let offered = outcome.offered, offered > 0 {
      return row.value < (1 - tolerance) * offered ? .saturated : .belowSaturation
    }
    guard let offered = outcome.runOffered, offered > 0 else { return .unknown }
    let measured = rows.first {
      $0.kind == .value && $0.metric == .forwardedPps && $0.scope == "aggregate"
        && $0.scenario == row.scenario
        && $0.set == row.set
    }
    guard let forwarded = measured?.value ?? outcome.runForwarded else { return .unknown }
    return forwarded < (1 - tolerance) * offered ? .saturated : .belowSaturation
  }

  /// Shortfall of forwarded against offered beyond which a row counts as saturated (2%: above
  /// the offered rate's own run-to-run spread in the paper's and the testbed's runs).
  public static let tolerance = 0.02
}

/// A 95% posterior predictive interval of a measurement: the simulated value under each
/// posterior draw (each with its own seed), plus Gaussian measurement error and model
/// discrepancy of standard deviation `noise`.
public struct PredictiveInterval: Sendable, Equatable {
  /// Mean of the predictive distribution.
  public var mean: Double
  /// Its standard deviation: √(variance of the draws' values + noise²).
  public var standardDeviation: Double
  /// 2.5% quantile.
  public var low: Double
  /// 97.5% quantile.
  public var high: Double
  /// Posterior draws behind it.
  public var draws: Int

  /// The predictive distribution of an equally weighted mixture of N(sᵢ, noise²) over the
  /// draws' simulated values `samples`; its quantiles solved by bisection on the mixture's
  /// distribution function.
  public init(samples: [Double], noise: Double) {
    self.init(samples: samples, noises: Array(repeating: noise, count: samples.count))
  }

  /// The same with a noise sd per draw (each draw's own discrepancy).
  public init(samples: [Double], noises: [Double]) {
    let n = Double(samples.count)
    let m = samples.reduce(0, +) / n
    let v = samples.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n
    let noiseVariance = noises.reduce(0) { $0 + $1 * $1 } / n
    mean = m
    standardDeviation = (v + noiseVariance).squareRoot()
    draws = samples.count
    let spread = noises.max() ?? 0
    func quantile(_ p: Double) -> Double {
      if spread <= 0 {
        let s = samples.sorted()
        // Type-7 sample quantile (linear between order statistics).
        let h = (n - 1) * p
        let i = Int(h.rounded(.down))
        return i + 1 < s.count ? s[i] + (h - Double(i)) * (s[i + 1] - s[i]) : s[s.count - 1]
      }
      func cdf(_ x: Double) -> Double {
        var total = 0.0
        for (sample, sd) in zip(samples, noises) {
          if sd > 0 {
            let z: Double = (x - sample) / (sd * 2.0.squareRoot())
            total += 0.5 * erfc(-z)
          } else if x >= sample {
            total += 1
          }
        }
        return total / n
      }
      var lo = samples.min()! - 10 * spread
      var hi = samples.max()! + 10 * spread
      for _ in 0..<200 {
        let mid = (lo + hi) / 2
        if cdf(mid) < p { lo = mid } else { hi = mid }
        if hi - lo <= 1e-12 * max(1, abs(mid)) { break }
      }
      return (lo + hi) / 2
    }
    low = quantile(0.025)
    high = quantile(0.975)
  }
}

/// The errors of the value rows of one metric in one regime, the model beside the model-free
/// baseline.
public struct MetricRegimeError: Sendable {
  /// The metric's name.
  public var metric: String
  /// Its unit.
  public var unit: String
  /// The regime.
  public var regime: Regime
  /// Value rows.
  public var rows: Int
  /// Of them, rows measured as 0 (compared by absolute error only).
  public var zeroRows: Int
  /// Mean |simulated − measured|, in `unit`.
  public var meanAbsoluteError: Double
  /// Mean (simulated − measured) / |measured| over the rows not measured as 0 (the bias).
  public var meanRelativeError: Double
  /// Mean |simulated − measured| / |measured| over the rows not measured as 0.
  public var mape: Double
  /// Rows with a baseline prediction.
  public var baselineRows: Int
  /// The model's mean absolute error over the rows with a baseline.
  public var modelErrorOnBaselineRows: Double
  /// The baseline's mean absolute error over the same rows.
  public var baselineMeanAbsoluteError: Double
  /// The baseline's MAPE over those of them not measured as 0.
  public var baselineMAPE: Double
  /// 1 − model MAE / baseline MAE over the rows with a baseline (1 perfect, 0 no better than
  /// the baseline, negative worse; NaN without baseline or when the baseline is exact).
  public var skill: Double
  /// Rows with a predictive interval.
  public var intervalRows: Int
  /// Of them, rows whose measured value lies inside it.
  public var covered: Int
  /// Root mean square of the z-scores (about 1 when the predictive sd is right).
  public var rmsZ: Double
}

/// The mean absolute percentage error of the value rows of one experiment.
public struct ExperimentError: Sendable {
  /// Experiment identifier (`overall` for all rows).
  public var experiment: String
  /// Mean |relative error| of its value rows, as a fraction (NaN without value rows).
  public var mape: Double
  /// Value rows behind it.
  public var count: Int
  /// Bound and rank rows that hold, of those checked.
  public var holds: Int
  /// Bound and rank rows checked.
  public var checked: Int
}

/// Measured versus simulated, row by row, with the error per experiment.
public struct ValidationReport: Sendable {
  /// One line per row, in data order.
  public var lines: [ValidationLine]
  /// Per experiment (in data order), then `overall`.
  public var experiments: [ExperimentError]

  /// Per metric and regime: the model's error, the baseline's, the skill score and (with
  /// predictive intervals) coverage and z-scores.
  public var metrics: [MetricRegimeError]
  /// Where the baseline's capacities and nearest rows come from, in words.
  public var baselineSource: String

  /// Compares `rows` with `simulated` (same order; nil for rows without a scenario).
  /// `training` are the rows the model-free baseline may use (the rows a fit saw; empty: no
  /// baseline), described by `baselineSource`; `predictive`, when given, holds each row's
  /// posterior predictive interval (same order, nil where none).
  public init(
    rows: [MeasuredRow], simulated: [RowOutcome?], training: [MeasuredRow] = [], baselineSource: String = "",
    predictive: [PredictiveInterval?]? = nil
  ) {
    var lines: [ValidationLine] = []
    for (row, s) in zip(rows, simulated) {
      guard let s else {
        lines.append(
          ValidationLine(
            row: row, simulated: nil, relativeError: nil, intervalsOverlap: nil, holds: nil,
            status: "not simulated"))
        continue
      }
      var line = ValidationLine(
        row: row, simulated: s, relativeError: nil, intervalsOverlap: nil, holds: nil, status: "")
      line.regime = Regime.of(row, s, rows: rows)
      guard !s.mean.isNaN else {
        // a metric the simulation has but did not observe in every replication (a job the
        // run ends before has no finish time): no value to compare, kept out of every error
        line.status = "no simulated value (not observed in every replication of the run)"
        lines.append(line)
        continue
      }
      switch row.kind {
      case .value:
        let e = row.value != 0 ? (s.mean - row.value) / abs(row.value) : .nan
        line.relativeError = e
        line.absoluteError = s.mean - row.value
        if let lo = row.ci95Low, let hi = row.ci95High {
          let h = s.halfWidth.isNaN ? 0 : s.halfWidth
          line.intervalsOverlap = s.mean - h <= hi && s.mean + h >= lo
        }
        line.status =
          row.value != 0
          ? String(format: "%+.1f%%", e * 100)
          : String(format: "%+.4g %@ (measured 0)", s.mean - row.value, row.metric.unit)
        if let b = Baseline.predict(row, s, training: training) {
          line.baseline = b.value
          line.baselineRule = b.rule
        }
        if let p = predictive?[lines.count] {
          line.predictive = p
          line.covered = p.low <= row.value && row.value <= p.high
          line.z = p.standardDeviation > 0 ? (row.value - p.mean) / p.standardDeviation : nil
        }
      case .upperBound:
        line.holds = s.mean <= row.value
        line.status =
          line.holds!
          ? "bound holds" : String(format: "bound violated (%+.1f%%)", (s.mean / row.value - 1) * 100)
      case .lowerBound:
        line.holds = s.mean >= row.value
        line.status =
          line.holds!
          ? "bound holds" : String(format: "bound violated (%+.1f%%)", (s.mean / row.value - 1) * 100)
      case .rank: break
      }
      lines.append(line)
    }
    // Rank rows: each holds when every pair with another rank row of its group does.
    let objective = Objective(rows: rows)
    var simulatedMeans = simulated.map { $0?.mean ?? .nan }
    for i in simulatedMeans.indices where simulatedMeans[i].isNaN { simulatedMeans[i] = 0 }
    let r = objective.residuals(simulatedMeans)
    var rankOK: [Int: Bool] = [:]
    for (k, t) in objective.terms.enumerated() {
      guard case .rank(let a, let b, _) = t else { continue }
      let ok = r[k] == 0
      rankOK[a] = (rankOK[a] ?? true) && ok
      rankOK[b] = (rankOK[b] ?? true) && ok
    }
    // The smallest relative step between two different ranks a row takes part in: an order
    // that holds by 0.2% steps is no evidence of a trend.
    var step: [Int: Double] = [:]
    for t in objective.terms {
      guard case .rank(let a, let b, let tie) = t, !tie else { continue }
      let (x, y) = (simulatedMeans[a], simulatedMeans[b])
      let m = max((abs(x) + abs(y)) / 2, 1e-300)
      let d = abs(x - y) / m
      step[a] = min(step[a] ?? .infinity, d)
      step[b] = min(step[b] ?? .infinity, d)
    }
    for (i, ok) in rankOK {
      lines[i].holds = ok
      let detail = step[i].map { String(format: " (smallest step %.1f%%)", $0 * 100) } ?? ""
      lines[i].status = (ok ? "rank holds" : "rank violated") + detail
    }
    self.lines = lines
    var order: [String] = []
    for l in lines where !order.contains(l.row.experiment) { order.append(l.row.experiment) }
    func summary(_ name: String, _ ls: [ValidationLine]) -> ExperimentError {
      let errors = ls.compactMap(\.relativeError).filter { !$0.isNaN }
      let checked = ls.compactMap(\.holds)
      return ExperimentError(
        experiment: name,
        mape: errors.isEmpty ? .nan : errors.reduce(0) { $0 + abs($1) } / Double(errors.count),
        count: errors.count, holds: checked.filter { $0 }.count, checked: checked.count)
    }
    experiments =
      order.map { e in summary(e, lines.filter { $0.row.experiment == e }) } + [summary("overall", lines)]
    self.baselineSource = baselineSource
    var groups: [String] = []
    for l in lines where l.absoluteError != nil && l.regime != nil {
      let key = l.row.metric.name + "\u{0}" + l.regime!.rawValue
      if !groups.contains(key) { groups.append(key) }
    }
    metrics = groups.map { key in
      let ls = lines.filter {
        $0.absoluteError != nil && $0.regime != nil
          && $0.row.metric.name + "\u{0}" + $0.regime!.rawValue == key
      }
      return MetricRegimeError(ls)
    }
  }
}

extension MetricRegimeError {
  /// The summary of `lines` (value rows of one metric and regime).
  init(_ lines: [ValidationLine]) {
    func mean(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.reduce(0, +) / Double(xs.count) }
    let first = lines[0]
    metric = first.row.metric.name
    unit = first.row.metric.unit
    regime = first.regime ?? .unknown
    rows = lines.count
    zeroRows = lines.filter { $0.row.value == 0 }.count
    meanAbsoluteError = mean(lines.map { abs($0.absoluteError!) })
    let nonzero = lines.filter { $0.row.value != 0 }
    meanRelativeError = mean(nonzero.map { $0.absoluteError! / abs($0.row.value) })
    mape = mean(nonzero.map { abs($0.absoluteError!) / abs($0.row.value) })
    let withBaseline = lines.filter { $0.baseline != nil }
    baselineRows = withBaseline.count
    modelErrorOnBaselineRows = mean(withBaseline.map { abs($0.absoluteError!) })
    baselineMeanAbsoluteError = mean(withBaseline.map { abs($0.baseline! - $0.row.value) })
    baselineMAPE = mean(
      withBaseline.filter { $0.row.value != 0 }.map { abs($0.baseline! - $0.row.value) / abs($0.row.value) })
    skill =
      baselineMeanAbsoluteError > 0 ? 1 - modelErrorOnBaselineRows / baselineMeanAbsoluteError : .nan
    let withInterval = lines.filter { $0.covered != nil }
    intervalRows = withInterval.count
    covered = withInterval.filter { $0.covered! }.count
    let zs = lines.compactMap(\.z)
    rmsZ = zs.isEmpty ? .nan : mean(zs.map { $0 * $0 }).squareRoot()
  }
}

/// A model-free prediction of a value row from the rows a fit was trained on.
///
/// - A forwarded rate: min(offered, capacity), the capacity being the highest measured
///   forwarded rate of the training rows of the same scenario, scope and platform (those with
///   one router, or no router count, when there are any), the offered rate that of the row's
///   scope in its simulation. Without such training rows: the offered rate.
/// - Any other metric: the value of the nearest training row of the same scenario, scope and
///   metric: the one whose `set` differs in the fewest assignments (the first in data order on
///   a tie). None: no baseline.
public enum Baseline {
  /// The baseline's value and a description of it; nil when no rule applies.
  public static func predict(_ row: MeasuredRow, _ outcome: RowOutcome, training: [MeasuredRow])
    -> (value: Double, rule: String)?
  {
    guard row.kind == .value, !training.isEmpty else { return nil }
    let same = training.filter {
      $0.scenario == row.scenario && $0.scope == row.scope && $0.metric == row.metric
    }
    if row.metric == .forwardedPps {
      guard let offered = outcome.offered else { return nil }
      let platform = row.setValue("platform")
      let capable = same.filter { $0.kind == .value && $0.setValue("platform") == platform }
      let one = capable.filter { ($0.setValue("routers.count") ?? "1") == "1" }
      let pool = one.isEmpty ? capable : one
      guard let best = pool.max(by: { $0.value < $1.value }) else {
        return (offered, "offered (no training row of its path)")
      }
      return best.value < offered
        ? (best.value, String(format: "capacity %.6g of line %d", best.value, best.line))
        : (offered, String(format: "offered (below capacity %.6g of line %d)", best.value, best.line))
    }
    let candidates = same.filter { $0.kind == .value }
    func distance(_ t: MeasuredRow) -> Int {
      Set(t.set).symmetricDifference(Set(row.set)).count
    }
    guard let nearest = candidates.min(by: { distance($0) < distance($1) }) else { return nil }
    return (nearest.value, "nearest training row, line \(nearest.line)")
  }
}
