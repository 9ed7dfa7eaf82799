import Foundation
import Report

/// The simulated rows of a validation under posterior draws (`vrsim validate --posterior`):
/// every row simulated under each of the first `count` draws, draw `i` with its own seed and
/// under structural alternative `i mod A` (one evaluator per alternative), then per row the
/// mean over the draws and its 95% predictive interval (measurement noise and the draw's model
/// discrepancy added to each draw's value).
public struct PosteriorPredictive: Sendable {
  /// The rows, as the evaluators hold them (only simulated rows).
  public var rows: [MeasuredRow]
  /// Per draw simulated (all `count` of them unless stopped), per row: the simulated outcome;
  /// nil where the row's run under that draw was not simulated because the sampling was
  /// stopped.
  public var samples: [[RowOutcome?]]
  /// Per row: the mean and standard deviation over the draws simulated for it (offered rates
  /// from the first); nil for a row no draw was simulated for.
  public var outcomes: [RowOutcome?]
  /// Per row: the 95% predictive interval over the draws simulated for it (nil for bound and
  /// rank rows and for rows no draw was simulated for).
  public var intervals: [PredictiveInterval?]
  /// Draws asked for.
  public var planned: Int
  /// Draws simulated for every row (all of them unless stopped).
  public var complete: Int

  /// Simulates the rows of `evaluators` (all built from the same rows, one per alternative)
  /// under the first `count` draws, `batch` draws at a time; `progress` is told the number
  /// of draws simulated after each batch. Once `stop` is set no further simulation starts:
  /// the simulations in progress stop, and every row keeps the draws wholly simulated for it.
  /// - Throws: what the simulation throws.
  public init(
    evaluators: [RowEvaluator], draws: PosteriorDraws, count n: Int, seed: UInt64?, batch: Int,
    stop: PosteriorStop? = nil, progress: (Int) -> Void
  ) throws {
    let base = (seed ?? 1) ^ 0x5EED_0F_7A11D
    var runs: [[RowOutcome?]] = []
    var k = 0
    while k < n, stop?.isStopped != true {
      let idx = Array(k..<min(n, k + batch))
      // Draw i runs under alternative i mod A.
      var part: [[RowOutcome?]?] = Array(repeating: nil, count: idx.count)
      for (a, e) in evaluators.enumerated() {
        let mine = idx.indices.filter { idx[$0] % evaluators.count == a }
        guard !mine.isEmpty else { continue }
        let out = try e.simulate(
          mine.map { draws.values[idx[$0]] },
          seeds: mine.map { PosteriorSampler.candidateSeed(base, idx[$0]) }, stop: stop, progress: nil)
        for (m, o) in zip(mine, out) { part[m] = o }
      }
      runs += part.map { $0! }
      k += idx.count
      if stop?.isStopped != true { progress(k) }
    }
    rows = evaluators[0].rows
    samples = runs
    planned = n
    complete = runs.filter { !$0.contains { $0 == nil } }.count
    outcomes = []
    intervals = []
    for (i, r) in rows.enumerated() {
      // the draws simulated for this row, with their index (for their discrepancy)
      let done = runs.indices.compactMap { c in runs[c][i].map { (draw: c, outcome: $0) } }
      guard let first = done.first?.outcome else {
        outcomes.append(nil)
        intervals.append(nil)
        continue
      }
      let xs = done.map(\.outcome.mean)
      let m = xs.reduce(0, +) / Double(xs.count)
      let sd =
        xs.count > 1 ? (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)).squareRoot() : 0
      outcomes.append(
        RowOutcome(
          mean: m, standardDeviation: sd, count: xs.count, offered: first.offered,
          runOffered: first.runOffered,
          runForwarded: first.runForwarded))
      guard r.kind == .value else {
        intervals.append(nil)
        continue
      }
      let measuredSD = r.standardDeviation ?? Objective.fallbackRelativeSD * abs(r.value)
      let noises = done.map { d -> Double in
        let x = draws.discrepancy[d.draw] * abs(r.value)
        return (measuredSD * measuredSD + x * x).squareRoot()
      }
      intervals.append(PredictiveInterval(samples: xs, noises: noises))
    }
  }

  /// Every draw's simulated value per row as CSV (`draw, alternative, line, experiment, set,
  /// scope, metric, simulated`; a row a stopped sampling did not simulate under a draw has no
  /// line for it); `alternatives` names them (empty: none given).
  public func samplesCSV(alternatives: [String]) -> String {
    var lines: [[CSVField]] = []
    for (c, run) in samples.enumerated() {
      for (i, r) in rows.enumerated() {
        guard let outcome = run[i] else { continue }
        lines.append([
          .integer(c), .text(alternatives.isEmpty ? "" : alternatives[c % alternatives.count]),
          .integer(r.line), .text(r.experiment), .text(r.set.joined(separator: ";")), .text(r.scope),
          .text(r.metric.name), .number(outcome.mean),
        ])
      }
    }
    return CSV.render(
      header: ["draw", "alternative", "line", "experiment", "set", "scope", "metric", "simulated"],
      rows: lines)
  }
}

extension ValidationReport {
  /// `perSimulated` (one value per simulated row, in order) spread over `rows`: nil for the
  /// rows no model produces.
  public static func spread<T>(_ perSimulated: [T], over rows: [MeasuredRow]) -> [T?] {
    var next = 0
    return rows.map { r in
      guard r.isSimulated else { return nil }
      next += 1
      return perSimulated[next - 1]
    }
  }
}

/// A structural alternative of `vrsim validate --alternative`: `NAME:KEY=VALUE[;KEY=VALUE...]`,
/// a named set of overrides under which some of the posterior draws are simulated.
public struct StructuralAlternative: Sendable, Equatable {
  /// The name before the colon.
  public var name: String
  /// The `KEY=VALUE` overrides after it.
  public var overrides: [String]

  /// Parses `text`; nil when it is not `NAME:KEY=VALUE[;KEY=VALUE...]`.
  public init?(parsing text: String) {
    guard let c = text.firstIndex(of: ":"), text.index(after: c) < text.endIndex, c > text.startIndex else {
      return nil
    }
    name = String(text[..<c])
    overrides = text[text.index(after: c)...].split(separator: ";").map {
      $0.trimmingCharacters(in: .whitespaces)
    }
  }
}

extension ValidationReport {
  /// The rows the baseline may use and how the report names them: those of `baseline` if
  /// given, else those `test` leaves out if given, else all (in sample).
  public static func baselineRows(all: [MeasuredRow], test: RowFilter?, baseline: RowFilter?) -> (
    rows: [MeasuredRow], source: String
  ) {
    if let baseline { return (all.filter(baseline.matches), "baseline rows: \(baseline)") }
    if let test { return (all.filter { !test.matches($0) }, "baseline rows: those --test leaves out") }
    return (all, "baseline rows: all rows (in-sample: give --test or --baseline)")
  }
}
