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

  /// Compares `rows` with `simulated` (same order; nil for rows without a scenario).
  public init(rows: [MeasuredRow], simulated: [RowOutcome?]) {
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
      switch row.kind {
      case .value:
        let e = row.value != 0 ? (s.mean - row.value) / abs(row.value) : .nan
        line.relativeError = e
        if let lo = row.ci95Low, let hi = row.ci95High {
          let h = s.halfWidth.isNaN ? 0 : s.halfWidth
          line.intervalsOverlap = s.mean - h <= hi && s.mean + h >= lo
        }
        line.status = String(format: "%+.1f%%", e * 100)
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
    for (i, ok) in rankOK {
      lines[i].holds = ok
      lines[i].status = ok ? "rank holds" : "rank violated"
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
  }
}
