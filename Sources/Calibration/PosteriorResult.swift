import Foundation
import GSLKit
import Scenario
import SimCore

/// Marginal posterior of one key beside its prior.
public struct KeySummary: Sendable {
  /// The prior.
  public var prior: KeyPrior
  /// Posterior mean.
  public var mean: Double
  /// Posterior sd.
  public var sd: Double
  /// Posterior 2.5%, 50% and 97.5% quantiles.
  public var low: Double
  /// Median.
  public var median: Double
  /// 97.5% quantile.
  public var high: Double

  /// The weighted summary of `values` with normalised `weights`.
  public init(prior: KeyPrior, values: [Double], weights: [Double]) {
    self.prior = prior
    let m = zip(values, weights).reduce(0) { $0 + $1.0 * $1.1 }
    mean = m
    sd = zip(values, weights).reduce(0) { $0 + $1.1 * ($1.0 - m) * ($1.0 - m) }.squareRoot()
    let order = values.indices.sorted { values[$0] < values[$1] }
    func q(_ p: Double) -> Double {
      var c = 0.0
      for k in order {
        c += weights[k]
        if c >= p { return values[k] }
      }
      return values[order.last!]
    }
    low = q(0.025)
    median = q(0.5)
    high = q(0.975)
  }

  /// Posterior 95% width over prior 95% width (near 1: the data did not move the key).
  public var widthRatio: Double {
    let pi = prior.interval95
    return (high - low) / (pi.high - pi.low)
  }

  /// What the data did to the key, in words.
  public var verdict: String {
    let r = widthRatio
    if r < 0.5 { return "constrained by the data" }
    if r < 0.9 { return "partly constrained" }
    let pi = prior.interval95
    let span = pi.high - pi.low
    if low > pi.low + 0.1 * span { return "bounded from below only (one-sided)" }
    if high < pi.high - 0.1 * span { return "bounded from above only (one-sided)" }
    return "not moved from its prior"
  }
}

/// What a posterior calibration found.
public struct PosteriorResult: Sendable {
  /// The keys, in order.
  public var keys: [String]
  /// Equally weighted posterior draws (resampled), one value per key.
  public var draws: [[Double]]
  /// Each draw's relative model discrepancy.
  public var drawDiscrepancy: [Double]
  /// Marginal summaries per key.
  public var summaries: [KeySummary]
  /// Posterior correlation matrix.
  public var correlation: [[Double]]
  /// Kish effective sample size of the final weights.
  public var effectiveSampleSize: Double
  /// The ESS after each iteration.
  public var essHistory: [Double]
  /// Largest normalised weight.
  public var maxWeight: Double
  /// log of the evidence (marginal likelihood) estimate: for weighing alternative models.
  public var logEvidence: Double
  /// Simulator evaluations (candidates, each all training rows).
  public var simulations: Int
  /// Weighted draws behind the posterior.
  public var weightedDraws: Int
  /// The simulator's noise sd per training row.
  public var noiseSD: [Double]
  /// Simulations behind the noise sd.
  public var noiseDraws: Int
  /// The relative discrepancy grid.
  public var discrepancyGrid: [Double]
  /// Posterior mass on each grid value.
  public var discrepancyMass: [Double]
  /// The draw of highest likelihood.
  public var bestTheta: [Double]
  /// Its log-likelihood.
  public var bestLogLikelihood: Double
  /// Its simulated training rows.
  public var bestOutcomes: [RowOutcome]
  /// Wall time.
  public var seconds: Double
  /// Candidates read back from a checkpoint instead of simulated (counted in `simulations`).
  public var replayed = 0

  /// Posterior quantile `q` of the discrepancy.
  public func discrepancyQuantile(_ q: Double) -> Double {
    var c = 0.0
    for (v, m) in zip(discrepancyGrid, discrepancyMass) {
      c += m
      if c >= q { return v }
    }
    return discrepancyGrid.last ?? 0
  }

  /// The draws as CSV: `draw`, one column per key (its unit's value), `discrepancy`.
  public var drawsCSV: String {
    var s = "draw," + keys.joined(separator: ",") + ",discrepancy\n"
    for (k, d) in draws.enumerated() {
      s += "\(k)," + d.map { String(format: "%.6g", $0) }.joined(separator: ",")
      s += String(format: ",%.6g\n", drawDiscrepancy[k])
    }
    return s
  }
}

/// Posterior draws read back from a draws CSV.
public struct PosteriorDraws: Sendable {
  /// The keys (declared, numeric).
  public var parameters: [FitParameter]
  /// One row per draw.
  public var values: [[Double]]
  /// Relative discrepancy per draw (0 without the column).
  public var discrepancy: [Double]

  /// Reads `path` (`draw,KEY...,discrepancy`).
  /// - Throws: `CalibrationError` naming the file, line and column of a problem.
  public init(path: String) throws {
    guard let data = FileManager.default.contents(atPath: path),
      let text = String(data: data, encoding: .utf8)
    else { throw CalibrationError("\(path): cannot be read") }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    guard let head = lines.first else { throw CalibrationError("\(path):1: empty draws file") }
    let cols = head.split(separator: ",", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    guard cols.first == "draw" else {
      throw CalibrationError("\(path):1:1: draw: expected the header 'draw,KEY...,discrepancy'")
    }
    let hasDelta = cols.last == "discrepancy"
    let keys = Array(cols.dropFirst().dropLast(hasDelta ? 1 : 0))
    guard !keys.isEmpty else { throw CalibrationError("\(path):1: no key column") }
    parameters = try keys.enumerated().map { j, k in
      do { return try FitParameter(key: k) } catch { throw CalibrationError("\(path):1:\(j + 2): \(error)") }
    }
    values = []
    discrepancy = []
    for (n, line) in lines.enumerated().dropFirst() {
      let f = line.split(separator: ",", omittingEmptySubsequences: false)
      guard f.count == cols.count else {
        throw CalibrationError("\(path):\(n + 1): \(f.count) fields, the header has \(cols.count)")
      }
      var row: [Double] = []
      for (j, x) in f.enumerated().dropFirst() {
        guard let v = Double(x.trimmingCharacters(in: .whitespaces)), v.isFinite else {
          throw CalibrationError("\(path):\(n + 1):\(j + 1): \(cols[j]): not a number: '\(x)'")
        }
        row.append(v)
      }
      if hasDelta {
        guard row.last! >= 0 else {
          throw CalibrationError("\(path):\(n + 1):\(cols.count): discrepancy: negative")
        }
        discrepancy.append(row.removeLast())
      } else {
        discrepancy.append(0)
      }
      values.append(row)
    }
    guard !values.isEmpty else { throw CalibrationError("\(path): no draws") }
  }
}
