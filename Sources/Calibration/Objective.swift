import Report

/// The residuals of a fit: one per value or bound row, one per pair of rank rows, and one per
/// prior; the loss is their sum of squares (SimGrid-style, each normalised by the
/// measurement's standard deviation).
///
/// - value row: (simulated − measured) / sd, sd from the row's 95% interval (half-width /
///   1.96), else `fallbackRelativeSD` × |measured|.
/// - upper_bound: max(0, simulated − bound) / sd; lower_bound: max(0, bound − simulated) / sd
///   (one-sided: zero while the bound holds).
/// - rank rows of one experiment, scope and metric, taken in pairs: a smaller rank must not
///   simulate smaller, penalty max(0, sᵦ − sₐ) / (`rankRelativeSD` · m); equal ranks must
///   agree within `tieTolerance` · m, penalty max(0, |sₐ − sᵦ| − `tieTolerance` · m) /
///   (`rankRelativeSD` · m), m the pair's mean |simulated|.
public struct Objective: Sendable {
  /// One residual's origin.
  public enum Term: Sendable, Equatable {
    /// Row `row` (index into the rows) with standard deviation `sd`.
    case row(Int, sd: Double)
    /// Rank rows `a` and `b`; `tie` when their ranks are equal.
    case rank(Int, Int, tie: Bool)
  }

  /// sd of a value or bound row without an interval, relative to |value|.
  public static let fallbackRelativeSD = 0.05
  /// sd of a rank comparison, relative to the pair's mean.
  public static let rankRelativeSD = 0.025
  /// How far apart two equal ranks may simulate before a penalty, relative.
  public static let tieTolerance = 0.05

  /// The rows the residuals come from.
  public let rows: [MeasuredRow]
  /// The residual terms, in order.
  public let terms: [Term]

  /// The terms of `rows` (rows without a scenario contribute nothing).
  public init(rows: [MeasuredRow]) {
    self.rows = rows
    var terms: [Term] = []
    var groups: [String: [Int]] = [:]
    var order: [String] = []
    for (i, r) in rows.enumerated() where r.isSimulated {
      switch r.kind {
      case .value, .upperBound, .lowerBound:
        terms.append(.row(i, sd: r.standardDeviation ?? Self.fallbackRelativeSD * max(abs(r.value), 1e-12)))
      case .rank:
        let key = "\(r.experiment)\u{0}\(r.scope)\u{0}\(r.metric.name)"
        if groups[key] == nil { order.append(key) }
        groups[key, default: []].append(i)
      }
    }
    for key in order {
      let g = groups[key]!
      for x in 0..<g.count {
        for y in (x + 1)..<g.count {
          let (a, b) = rows[g[x]].value <= rows[g[y]].value ? (g[x], g[y]) : (g[y], g[x])
          terms.append(.rank(a, b, tie: rows[a].value == rows[b].value))
        }
      }
    }
    self.terms = terms
  }

  /// The residuals for simulated means `simulated` (one per row, same order as `rows`).
  public func residuals(_ simulated: [Double]) -> [Double] {
    terms.map { t in
      switch t {
      case .row(let i, let sd):
        let r = rows[i]
        let s = simulated[i]
        switch r.kind {
        case .value: return (s - r.value) / sd
        case .upperBound: return max(0, s - r.value) / sd
        case .lowerBound: return max(0, r.value - s) / sd
        case .rank: return 0
        }
      case .rank(let a, let b, let tie):
        let (sa, sb) = (simulated[a], simulated[b])
        let m = max((abs(sa) + abs(sb)) / 2, 1e-12)
        let scale = Self.rankRelativeSD * m
        return tie ? max(0, abs(sa - sb) - Self.tieTolerance * m) / scale : max(0, sb - sa) / scale
      }
    }
  }

  /// A short name of residual `k` for tables: the row's location, experiment, scope and metric.
  public func label(_ k: Int) -> String {
    switch terms[k] {
    case .row(let i, _):
      let r = rows[i]
      return "\(r.experiment) \(r.scope) \(r.metric.name) [\(r.set.joined(separator: ";"))] (line \(r.line))"
    case .rank(let a, let b, let tie):
      let (x, y) = (rows[a], rows[b])
      return
        "\(x.experiment) rank \(x.setLabel) \(tie ? "~" : ">=") \(y.setLabel) (lines \(x.line), \(y.line))"
    }
  }
}

extension MeasuredRow {
  /// The row's `set` as one short text.
  var setLabel: String { self.set.isEmpty ? scope : self.set.joined(separator: ";") }
}
