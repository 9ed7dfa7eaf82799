import Foundation
import GSLKit
import Report
import Scenario

/// Simulation-based least-squares calibration of declared keys against measured rows.
///
/// Method (docs/calibration.md): the loss is `Objective`'s sum of squared normalised
/// residuals. Every candidate is simulated with the same seeds (common random numbers). The
/// search runs on logit coordinates between each key's calibration bounds. A global phase of
/// Nelder-Mead simplex searches (`Simplex`, GSL nmsimplex2) restarts from the best point with
/// a smaller simplex; a local phase of Levenberg-Marquardt (`LevenbergMarquardt`, GSL
/// multifit_nlinear) with a forward-difference Jacobian, whose p + 1 simulations run in
/// parallel, polishes it. Standard errors come from (JᵀJ)⁻¹ at the optimum; identifiability
/// from the eigenvalues of the scaled JᵀJ and the correlations. Every evaluation is written
/// to a checkpoint, so a killed calibration replays the finished ones and ends with the same
/// result; the result depends only on the data, the options and the seed.
public struct Calibrator {
  /// Settings of one calibration.
  public struct Options: Sendable {
    /// Simplex searches after the first (each from the best point so far, half the step).
    public var restarts = 2
    /// Initial simplex step in logit units (0.5 moves a mid-range value by about 12% of its
    /// bounds).
    public var simplexStep = 0.5
    /// Stop a simplex search when its size (logit units) is below this.
    public var simplexTolerance = 0.01
    /// Most evaluations of the simplex phase, all searches together.
    public var simplexBudget = 150
    /// Most Levenberg-Marquardt iterations.
    public var lmIterations = 15
    /// Forward-difference step of the Jacobian, in logit units.
    public var jacobianStep = 0.05
    /// Condition number of the scaled JᵀJ above which the data cannot identify some keys.
    public var conditionLimit = 1e6
    /// |correlation| above which two keys are reported as not separately identifiable.
    public var correlationLimit = 0.95
    /// The checkpoint file (nil: none).
    public var checkpoint: String?
    /// Called with a line of progress after evaluations.
    public var progress: (@Sendable (String) -> Void)?
    /// The defaults.
    public init() {}
  }

  /// The simulator of the training rows.
  public let evaluator: RowEvaluator
  /// The loss terms.
  public let objective: Objective
  /// Settings.
  public let options: Options
  /// A text naming the problem (data, keys, overrides, seed, options): checkpoints of
  /// another problem are refused.
  public let identity: String

  /// A calibration of `evaluator.parameters` on `evaluator.rows`.
  public init(evaluator: RowEvaluator, options: Options, identity: String) {
    self.evaluator = evaluator
    self.objective = Objective(rows: evaluator.rows)
    self.options = options
    self.identity = identity
  }

  /// Fits the keys from `start` (default: their values in the first row's scenario).
  /// - Throws: `CalibrationError`, `GSLError`, or a simulation's error.
  public func run(start: [Double]? = nil) throws -> CalibrationResult {
    let began = Date()
    let params = evaluator.parameters
    let theta0 = try start ?? evaluator.startValues()
    guard theta0.count == params.count else { throw CalibrationError("start has \(theta0.count) values") }
    guard !objective.terms.isEmpty else {
      throw CalibrationError(
        "no training row can be simulated (every row lacks a scenario, or the filter left none)")
    }
    let cache = try EvaluationCache(path: options.checkpoint, identity: identity)
    let counter = Counter()
    let theta = { (u: [Double]) in zip(params, u).map { $0.value($1) } }
    // Declared priors (CalibrationBounds.prior) add one residual each: (θ − mean) / sd.
    let priors = params.enumerated().compactMap { j, p in
      p.declared.calibration?.prior.map { (j, $0.mean, $0.sd) }
    }
    let objective = self.objective
    func all(_ u: [Double], _ outcomes: [RowOutcome]) -> [Double] {
      objective.residuals(outcomes.map(\.mean)) + priors.map { (params[$0.0].value(u[$0.0]) - $0.1) / $0.2 }
    }

    func evaluate(_ us: [[Double]], phase: String) throws -> [[RowOutcome]] {
      var missing: [[Double]] = []
      for u in us where cache.outcome(u) == nil && !missing.contains(u) { missing.append(u) }
      if !missing.isEmpty {
        let outcomes = try evaluator.simulate(missing.map(theta))
        for (u, o) in zip(missing, outcomes) { try cache.store(u, o) }
      }
      let outcomes = us.map { cache.outcome($0)! }
      for (u, o) in zip(us, outcomes) { counter.record(Self.sum(all(u, o))) }
      if let progress = options.progress {
        progress(
          String(
            format: "calibrate: %@ evaluation %d, best loss %.6g (%.1f s, %d simulated, %d from checkpoint)",
            phase, counter.count, counter.best, Date().timeIntervalSince(began), cache.simulated,
            cache.replayed))
      }
      return outcomes
    }
    func residuals(_ u: [Double], _ phase: String) throws -> [Double] {
      all(u, try evaluate([u], phase: phase)[0])
    }

    let u0 = zip(params, theta0).map { $0.internalValue($1) }
    let startLoss = Self.sum(try residuals(u0, "start"))
    var best = (u: u0, loss: startLoss)
    // Global phase: simplex searches with restarts, within a budget of evaluations.
    var step = options.simplexStep
    var budgetLeft = options.simplexBudget
    struct Budget: Error {}
    for _ in 0...options.restarts {
      guard budgetLeft > 0 else { break }
      var used = 0
      var local = best
      do {
        _ = try Simplex.minimize(
          start: best.u, step: Array(repeating: step, count: params.count),
          sizeTolerance: options.simplexTolerance,
          maxIterations: 10_000
        ) { u in
          guard used < budgetLeft else { throw Budget() }
          used += 1
          let l = Self.sum(try residuals(u, "simplex"))
          if l < local.loss { local = (u, l) }
          return l
        }
      } catch is Budget {}
      budgetLeft -= used
      let improved = local.loss < best.loss * (1 - 1e-3)
      if local.loss < best.loss { best = local }
      if !improved { break }
      step /= 2
    }
    // Local phase: Levenberg-Marquardt with a parallel forward-difference Jacobian.
    let h = options.jacobianStep
    // The step of key j at u: `jacobianStep` in the logit, but at least one whole unit of an
    // integer key (whose values are rounded to whole units before they are simulated: near a
    // bound, where the logit is flat, a smaller step would change nothing and read as a zero
    // derivative), taken toward the inside of the bounds.
    func differenceStep(_ j: Int, _ u: Double) -> Double {
      let p = params[j]
      guard p.declared.isInteger else { return h }
      let theta = p.value(u)
      guard p.value(u + h) - theta < 1 else { return h }
      let target: Double = theta + 1 <= p.upper ? theta + 1 : theta - 1
      let inside: Double = Swift.min(p.upper, Swift.max(p.lower, target))
      let s: Double = p.internalValue(inside) - u
      return s.isFinite && s != 0 ? s : h
    }
    func jacobian(_ u: [Double]) throws -> [[Double]] {
      var points = [u]
      let steps = u.indices.map { differenceStep($0, u[$0]) }
      for j in u.indices {
        var v = u
        v[j] += steps[j]
        points.append(v)
      }
      let outs = try evaluate(points, phase: "jacobian")
      let r = zip(points, outs).map { all($0, $1) }
      return (0..<r[0].count).map { i in u.indices.map { j in (r[j + 1][i] - r[0][i]) / steps[j] } }
    }
    var lmOptions = LevenbergMarquardt.Options()
    lmOptions.maxIterations = options.lmIterations
    lmOptions.xtol = 1e-3
    lmOptions.gtol = 1e-6
    lmOptions.ftol = 1e-6
    var lmNote = ""
    let residualCount = objective.terms.count + priors.count
    if residualCount < params.count || options.lmIterations == 0 {
      lmNote =
        options.lmIterations == 0
        ? "skipped (--lm-iterations 0)"
        : "skipped: \(residualCount) residuals for \(params.count) keys (it needs at least as many)"
    } else {
      do {
        let lm = try LevenbergMarquardt.fit(
          start: best.u, residualCount: residualCount, options: lmOptions,
          residuals: { try residuals($0, "levenberg-marquardt") }, jacobian: jacobian)
        if lm.chiSquare < best.loss { best = (lm.x, lm.chiSquare) }
        let reason =
          lm.converged
          ? "converged" : lm.iterations >= options.lmIterations ? "iteration limit" : "no further progress"
        lmNote = "\(lm.iterations) iterations, \(reason)"
      } catch let e as GSLError {
        lmNote = "stopped: \(e)"
      }
    }
    // Uncertainty and identifiability at the optimum.
    let jac = try jacobian(best.u)
    let analysis = try Identifiability.analyse(
      jacobian: jac, keys: params.map(\.key), conditionLimit: options.conditionLimit,
      correlationLimit: options.correlationLimit)
    // A key whose Jacobian column is zero at the optimum either changes no training row (the
    // search drifted it at no cost: it goes back to its start value) or sits against a bound,
    // where the logit transform flattens every step (the data ask for a value beyond the
    // bound: it stays there). Only the first kind is reset: a reset that raises the loss
    // shows the key does matter.
    var warnings = analysis.warnings
    let deadKeys = params.indices.filter { analysis.dead.contains(params[$0].key) && best.u[$0] != u0[$0] }
    if !deadKeys.isEmpty {
      var reset = best.u
      for j in deadKeys { reset[j] = u0[j] }
      let resetLoss = Self.sum(all(reset, try evaluate([reset], phase: "reset")[0]))
      if resetLoss <= best.loss * (1 + 1e-9) {
        best = (reset, resetLoss)
      } else {
        for j in deadKeys {
          let p = params[j]
          let v = p.value(best.u[j])
          let side = v - p.lower < p.upper - v ? "lower" : "upper"
          warnings = warnings.filter { !$0.hasPrefix("\(p.key) does not change any training row") }
          warnings.append(
            "\(p.key) ends at its \(side) bound (\(Self.format(v)) of \(Self.format(p.lower)) ... "
              + "\(Self.format(p.upper))): the training rows ask for a value beyond it (loss "
              + "\(Self.format(best.loss)) there, \(Self.format(resetLoss)) at its start value), so its "
              + "interval is the bounds")
        }
      }
    }
    let finalOutcomes = try evaluate([best.u], phase: "final")[0]
    let finalResiduals = all(best.u, finalOutcomes)
    var fitted: [FittedValue] = []
    for (j, p) in params.enumerated() {
      let u = best.u[j]
      let varU = analysis.covariance[j][j]
      let identifiable = !analysis.notIdentifiable.contains(p.key) && varU.isFinite
      let seU = varU.squareRoot()
      fitted.append(
        FittedValue(
          parameter: p, start: theta0[j], value: p.value(u),
          standardError: identifiable ? p.derivative(u) * seU : .infinity,
          low: identifiable ? p.value(u - 1.959963984540054 * seU) : p.lower,
          high: identifiable ? p.value(u + 1.959963984540054 * seU) : p.upper,
          identifiable: identifiable))
    }
    // A key the search left against a bound (within 0.1% of its range; it did not start
    // there): the data ask for a value at or beyond the bound, and no interval inside the
    // bounds describes that.
    for (j, f) in fitted.enumerated() {
      let range = f.parameter.upper - f.parameter.lower
      let side =
        f.value - f.parameter.lower < 1e-3 * range
        ? "lower" : f.parameter.upper - f.value < 1e-3 * range ? "upper" : nil
      guard let side, abs(f.start - f.value) >= 1e-3 * range,
        !warnings.contains(where: { $0.hasPrefix("\(f.parameter.key) ends at its") })
      else { continue }
      fitted[j].identifiable = false
      fitted[j].standardError = .infinity
      fitted[j].low = f.parameter.lower
      fitted[j].high = f.parameter.upper
      warnings.append(
        "\(f.parameter.key) ends at its \(side) bound (\(Self.format(f.value)) of \(Self.format(f.parameter.lower)) "
          + "... \(Self.format(f.parameter.upper))): the training rows ask for a value at or beyond it, so its "
          + "interval is the bounds")
    }
    // Keys whose interval covers most of their bounds are not pinned down by the data either.
    for (j, f) in fitted.enumerated()
    where f.identifiable && f.high - f.low > 0.9 * (f.parameter.upper - f.parameter.lower) {
      fitted[j].identifiable = false
      warnings.append(
        "\(f.parameter.key): its 95% interval covers most of its bounds: the data barely constrain it")
    }
    let seconds = Date().timeIntervalSince(began)
    return CalibrationResult(
      fitted: fitted, correlation: analysis.correlation, conditionNumber: analysis.conditionNumber,
      warnings: warnings, startLoss: startLoss, loss: Self.sum(finalResiduals),
      residuals: finalResiduals,
      labels: objective.terms.indices.map(objective.label) + priors.map { "prior \(params[$0.0].key)" },
      rows: evaluator.rows, outcomes: finalOutcomes,
      evaluations: counter.count, simulatedEvaluations: cache.simulated, replayedEvaluations: cache.replayed,
      seconds: seconds, lmNote: lmNote)
  }

  static func sum(_ r: [Double]) -> Double { r.reduce(0) { $0 + $1 * $1 } }

  static func format(_ x: Double) -> String { String(format: "%.6g", x) }
}

/// One fitted key.
public struct FittedValue: Sendable {
  /// The key and its bounds.
  public var parameter: FitParameter
  /// Where the fit started.
  public var start: Double
  /// The fitted value, in the key's unit.
  public var value: Double
  /// Standard error (delta method through the logit; infinite when not identifiable).
  public var standardError: Double
  /// Lower end of the 95% interval (logit-symmetric, so inside the bounds).
  public var low: Double
  /// Upper end of the 95% interval.
  public var high: Double
  /// False when the training rows cannot pin the key down (its interval is then the bounds).
  public var identifiable: Bool
}

/// What a calibration found.
public struct CalibrationResult: Sendable {
  /// The fitted keys.
  public var fitted: [FittedValue]
  /// Correlation matrix of the fitted keys (NaN where undefined).
  public var correlation: [[Double]]
  /// Condition number of the scaled JᵀJ.
  public var conditionNumber: Double
  /// Identifiability warnings, each naming the keys concerned.
  public var warnings: [String]
  /// Loss at the start.
  public var startLoss: Double
  /// Loss at the optimum.
  public var loss: Double
  /// Residuals at the optimum, one per loss term.
  public var residuals: [Double]
  /// Names of the loss terms.
  public var labels: [String]
  /// The training rows.
  public var rows: [MeasuredRow]
  /// Simulated outcomes of the training rows at the optimum.
  public var outcomes: [RowOutcome]
  /// Candidate evaluations requested.
  public var evaluations: Int
  /// Candidates simulated in this process.
  public var simulatedEvaluations: Int
  /// Candidates read back from the checkpoint.
  public var replayedEvaluations: Int
  /// Wall time.
  public var seconds: Double
  /// How the Levenberg-Marquardt phase ended.
  public var lmNote: String
}

/// Rank, conditioning and correlations of a Jacobian.
enum Identifiability {
  struct Analysis {
    var covariance: [[Double]]
    var correlation: [[Double]]
    var conditionNumber: Double
    var notIdentifiable: Set<String>
    var dead: Set<String>
    var warnings: [String]
  }

  static func analyse(
    jacobian j: [[Double]], keys: [String], conditionLimit: Double, correlationLimit: Double
  ) throws
    -> Analysis
  {
    let p = keys.count
    var jtj = Array(repeating: Array(repeating: 0.0, count: p), count: p)
    for row in j { for a in 0..<p { for b in 0..<p { jtj[a][b] += row[a] * row[b] } } }
    var warnings: [String] = []
    var bad = Set<String>()
    let scale = (0..<p).map { jtj[$0][$0].squareRoot() }
    let dead = (0..<p).filter { !(scale[$0] > 1e-12) }
    for d in dead {
      bad.insert(keys[d])
      warnings.append("\(keys[d]) does not change any training row: the data cannot identify it")
    }
    let live = (0..<p).filter { !dead.contains($0) }
    var covariance = Array(repeating: Array(repeating: Double.infinity, count: p), count: p)
    var condition = Double.infinity
    if !live.isEmpty {
      let c = live.map { a in live.map { b in jtj[a][b] / (scale[a] * scale[b]) } }
      let e = try SymmetricEigen.decompose(c)
      let maxL = e.values.last!
      let minL = e.values.first!
      condition = minL > 0 ? maxL / minL : .infinity
      // Directions the data do not constrain: eigenvalues below maxL / conditionLimit.
      for (k, l) in e.values.enumerated() where !(l > maxL / conditionLimit) {
        let v = e.vectors[k]
        let involved = live.indices.filter { abs(v[$0]) > 0.3 }.map { keys[live[$0]] }
        bad.formUnion(involved)
        warnings.append(
          String(
            format:
              "rank deficiency (condition number %@): only a combination of %@ is determined by the data",
            condition.isFinite ? String(format: "%.3g", condition) : "inf", involved.joined(separator: ", ")))
      }
      // Pseudo-inverse of the scaled JᵀJ over the constrained directions.
      for (x, a) in live.enumerated() {
        for (y, b) in live.enumerated() {
          var s = 0.0
          for (k, l) in e.values.enumerated() where l > maxL / conditionLimit {
            s += e.vectors[k][x] * e.vectors[k][y] / l
          }
          covariance[a][b] = s / (scale[a] * scale[b])
        }
      }
    }
    var correlation = Array(repeating: Array(repeating: Double.nan, count: p), count: p)
    for a in live {
      for b in live {
        let d = (covariance[a][a] * covariance[b][b]).squareRoot()
        correlation[a][b] = d > 0 ? covariance[a][b] / d : .nan
      }
    }
    // Correlations from the full inverse when it exists (the pseudo-inverse hides them).
    if condition.isFinite, let inv = invert(live.map { a in live.map { b in jtj[a][b] } }) {
      for (x, a) in live.enumerated() {
        for (y, b) in live.enumerated() {
          let d = (inv[x][x] * inv[y][y]).squareRoot()
          if d > 0 { correlation[a][b] = inv[x][y] / d }
        }
      }
    }
    for x in live.indices {
      for y in live.indices where y > x {
        let (a, b) = (live[x], live[y])
        let r = correlation[a][b]
        if abs(r) > correlationLimit {
          bad.insert(keys[a])
          bad.insert(keys[b])
          warnings.append(
            String(
              format: "%@ and %@ are correlated (r = %.3f): the data cannot tell them apart", keys[a],
              keys[b], r))
        }
      }
    }
    return Analysis(
      covariance: covariance, correlation: correlation, conditionNumber: condition, notIdentifiable: bad,
      dead: Set(dead.map { keys[$0] }), warnings: warnings)
  }

  /// Gauss-Jordan inverse with partial pivoting; nil when singular.
  static func invert(_ m: [[Double]]) -> [[Double]]? {
    let n = m.count
    var a = m
    var inv = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
    for col in 0..<n {
      guard let pivot = (col..<n).max(by: { abs(a[$0][col]) < abs(a[$1][col]) }), abs(a[pivot][col]) > 1e-300
      else {
        return nil
      }
      a.swapAt(col, pivot)
      inv.swapAt(col, pivot)
      let d = a[col][col]
      for k in 0..<n {
        a[col][k] /= d
        inv[col][k] /= d
      }
      for r in 0..<n where r != col {
        let f = a[r][col]
        if f == 0 { continue }
        for k in 0..<n {
          a[r][k] -= f * a[col][k]
          inv[r][k] -= f * inv[col][k]
        }
      }
    }
    return inv
  }
}

/// Evaluation counts and the best loss so far, shared with progress lines.
private final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var n = 0
  private var bestLoss = Double.infinity
  func record(_ loss: Double) {
    lock.lock()
    n += 1
    if loss < bestLoss { bestLoss = loss }
    lock.unlock()
  }
  var count: Int {
    lock.lock()
    defer { lock.unlock() }
    return n
  }
  var best: Double {
    lock.lock()
    defer { lock.unlock() }
    return bestLoss
  }
}
