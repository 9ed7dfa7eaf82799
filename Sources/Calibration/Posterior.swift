import Foundation
import GSLKit
import Report
import Scenario
import SimCore

/// The prior of one fitted key: its declared `PriorDistribution` cut to the key's calibration
/// bounds (uniform on the bounds when none is declared), and the sampler's coordinate
/// `u = logit(F(θ))`, F the prior's distribution function. In `u` every prior is the standard
/// logistic density, so drawing from the prior and bounding the search are the same map.
public struct KeyPrior: Sendable {
  /// The key.
  public let parameter: FitParameter
  /// The distribution (support inside the calibration bounds).
  public let distribution: PriorDistribution
  /// False when the key declares no prior and the bounds stand in for one.
  public let declared: Bool
  private let lo: Double
  private let hi: Double
  private let massLow: Double
  private let massHigh: Double

  /// The prior of `parameter`.
  /// - Throws: `CalibrationError` when the declared prior does not fit the bounds.
  public init(_ parameter: FitParameter) throws {
    self.parameter = parameter
    let d = parameter.declared.calibration?.distribution
    declared = d != nil
    let dist =
      d
      ?? .uniform(
        parameter.lower...parameter.upper, source: "the calibration bounds (no physical prior declared)")
    distribution = dist
    lo = Swift.max(dist.range.lowerBound, parameter.lower)
    hi = Swift.min(dist.range.upperBound, parameter.upper)
    guard hi > lo, lo.isFinite, hi.isFinite else {
      throw CalibrationError("\(parameter.key): its prior's range and calibration bounds do not overlap")
    }
    if dist.shape == .logUniform, !(lo > 0) {
      throw CalibrationError("\(parameter.key): a log-uniform prior needs a positive lower end")
    }
    if dist.shape == .normal, !(dist.sd > 0) {
      throw CalibrationError("\(parameter.key): a normal prior needs a positive sd")
    }
    massLow = dist.shape == .normal ? Self.phi((lo - dist.mean) / dist.sd) : 0
    massHigh = dist.shape == .normal ? Self.phi((hi - dist.mean) / dist.sd) : 1
  }

  /// The support's lower end.
  public var lower: Double { lo }
  /// The support's upper end.
  public var upper: Double { hi }

  static func phi(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

  /// The prior's distribution function at `theta`.
  public func cdf(_ theta: Double) -> Double {
    let t = Swift.min(hi, Swift.max(lo, theta))
    switch distribution.shape {
    case .uniform: return (t - lo) / (hi - lo)
    case .logUniform: return log(t / lo) / log(hi / lo)
    case .normal:
      return (Self.phi((t - distribution.mean) / distribution.sd) - massLow) / (massHigh - massLow)
    }
  }

  /// The prior's quantile function at `p` in [0, 1].
  public func quantile(_ p: Double) -> Double {
    let q = Swift.min(1, Swift.max(0, p))
    switch distribution.shape {
    case .uniform: return lo + q * (hi - lo)
    case .logUniform: return lo * exp(q * log(hi / lo))
    case .normal:
      let m = massLow + q * (massHigh - massLow)
      let z = (try? Quantiles.normal(Swift.min(1 - 1e-16, Swift.max(1e-16, m)))) ?? 0
      return Swift.min(hi, Swift.max(lo, distribution.mean + distribution.sd * z))
    }
  }

  /// The key's value at sampler coordinate `u`.
  public func value(_ u: Double) -> Double { quantile(1 / (1 + exp(-u))) }

  /// The sampler coordinate of `theta` (clamped just inside the support).
  public func coordinate(_ theta: Double) -> Double {
    let p = Swift.min(1 - 1e-9, Swift.max(1e-9, cdf(theta)))
    return log(p / (1 - p))
  }

  /// The prior's central 95% interval.
  public var interval95: (low: Double, high: Double) { (quantile(0.025), quantile(0.975)) }

  /// Log density of the prior in the sampler coordinate (standard logistic).
  static func logDensity(_ u: Double) -> Double { -abs(u) - 2 * log1p(exp(-abs(u))) }
}

/// The likelihood of measured rows given their simulation, for a posterior.
///
/// A value row contributes N(y; s, V) with V = σ_m² + σ_s² + (δ·y)²: σ_m the row's measured sd
/// (its 95% interval, else 5% of the value), σ_s the sd of the simulated value's noise at the
/// run length used (from replications with independent seeds), δ the relative model
/// discrepancy. A bound row contributes the probability that it holds, Φ((b − s)/√V) for an
/// upper bound and Φ((s − b)/√V) for a lower one (a censored observation). Rank rows keep the
/// least-squares fit's soft constraint, exp(−r²/2) per pair (`Objective`). The discrepancy is
/// stated (one value) or marginalised over a grid of values with prior weights.
public struct PosteriorLikelihood: Sendable {
  /// One term.
  public enum Term: Sendable, Equatable {
    /// Value row `index` with measured value and sd.
    case value(Int, y: Double, sd: Double)
    /// Upper bound on row `index`.
    case upper(Int, bound: Double, sd: Double)
    /// Lower bound on row `index`.
    case lower(Int, bound: Double, sd: Double)
    /// Rank pair of the least-squares objective (its residual index).
    case rank(Int)
  }
  /// The terms.
  public let terms: [Term]
  /// The simulated noise's sd per row (same order as the outcomes), measured where the
  /// simulated value was `simulationScale`; at another simulated value s it is taken as
  /// sd · |s| / |scale| (a constant coefficient of variation), or sd when the scale is 0.
  public var simulationSD: [Double]
  /// The simulated values at which `simulationSD` was measured (empty: sd is absolute).
  public var simulationScale: [Double] = []
  /// Relative discrepancy values (grid) with their prior weights (summing to 1).
  public let discrepancies: [(value: Double, weight: Double)]
  private let objective: Objective?

  /// The likelihood of `rows` (as `RowEvaluator.rows`: the simulated rows, in its order).
  public init(
    rows: [MeasuredRow], simulationSD: [Double], simulationScale: [Double] = [],
    discrepancies: [(value: Double, weight: Double)]
  ) {
    let objective = Objective(rows: rows)
    var terms: [Term] = []
    for (k, t) in objective.terms.enumerated() {
      switch t {
      case .row(let i, let sd):
        let r = rows[i]
        switch r.kind {
        case .value: terms.append(.value(i, y: r.value, sd: sd))
        case .upperBound: terms.append(.upper(i, bound: r.value, sd: sd))
        case .lowerBound: terms.append(.lower(i, bound: r.value, sd: sd))
        case .rank: break
        }
      case .rank: terms.append(.rank(k))
      }
    }
    self.terms = terms
    self.objective = objective
    self.simulationSD = simulationSD
    self.simulationScale = simulationScale
    self.discrepancies = discrepancies
  }

  /// A likelihood of value and bound terms only (no rank rows), e.g. for synthetic studies.
  public init(
    terms: [Term], simulationSD: [Double], simulationScale: [Double] = [],
    discrepancies: [(value: Double, weight: Double)]
  ) {
    self.terms = terms.filter { if case .rank = $0 { return false } else { return true } }
    self.objective = nil
    self.simulationSD = simulationSD
    self.simulationScale = simulationScale
    self.discrepancies = discrepancies
  }

  /// The log-likelihood at each discrepancy value, for simulated means `s` (one per row).
  public func logLikelihoods(_ s: [Double]) -> [Double] {
    let rankResiduals = objective.map { $0.residuals(s) } ?? []
    let simSD = simulationSD.indices.map { i -> Double in
      guard i < simulationScale.count, simulationScale[i] != 0, s[i].isFinite else { return simulationSD[i] }
      return simulationSD[i] * abs(s[i]) / abs(simulationScale[i])
    }
    return discrepancies.map { d in
      var ll = 0.0
      for t in terms {
        switch t {
        case .value(let i, let y, let sd):
          let v = sd * sd + simSD[i] * simSD[i] + (d.value * y) * (d.value * y)
          let e = y - s[i]
          ll += -0.5 * e * e / v - 0.5 * log(2 * Double.pi * v)
        case .upper(let i, let b, let sd):
          let v = sd * sd + simSD[i] * simSD[i] + (d.value * b) * (d.value * b)
          ll += Self.logPhi((b - s[i]) / v.squareRoot())
        case .lower(let i, let b, let sd):
          let v = sd * sd + simSD[i] * simSD[i] + (d.value * b) * (d.value * b)
          ll += Self.logPhi((s[i] - b) / v.squareRoot())
        case .rank(let k):
          let r = rankResiduals[k]
          ll += -0.5 * r * r
        }
      }
      return s.contains(where: { !$0.isFinite }) ? -.infinity : ll
    }
  }

  /// log Φ(x), accurate far in the lower tail.
  static func logPhi(_ x: Double) -> Double {
    if x > -30 { return log(0.5 * erfc(-x / 2.0.squareRoot())) }
    return -0.5 * x * x - log(-x) - 0.5 * log(2 * Double.pi)
  }

  /// The log of the likelihood marginalised over the discrepancy grid.
  public func marginal(_ lls: [Double]) -> Double {
    let m = lls.max() ?? -.infinity
    guard m.isFinite else { return -.infinity }
    return m + log(zip(lls, discrepancies).reduce(0) { $0 + $1.1.weight * exp($1.0 - m) })
  }

  /// A grid of `count` relative discrepancies log-uniform on `range` (equal weights).
  public static func logUniformGrid(_ range: ClosedRange<Double>, count: Int) -> [(
    value: Double, weight: Double
  )] {
    (0..<count).map { k in
      let f = count == 1 ? 0.5 : Double(k) / Double(count - 1)
      return (range.lowerBound * exp(f * log(range.upperBound / range.lowerBound)), 1 / Double(count))
    }
  }
}

/// Posterior sampling by adaptive multiple importance sampling (AMIS; Cornuet, Marin, Mira
/// and Robert, Scand. J. Stat. 2012) on the simulator itself, in the coordinates of
/// `KeyPrior`.
///
/// 1. The simulator's noise: `noiseDraws` simulations at the start values with independent
///    seeds give each row's sd σ_s.
/// 2. A randomised Sobol design from the prior (GSL `gsl_qrng_sobol`, with a seeded
///    Cranley-Patterson shift), and a Gaussian around the start values (the least-squares fit).
/// 3. Each further iteration draws from a Gaussian with the weighted mean and covariance of all
///    draws so far (GSL Cholesky), with a share of defensive prior draws (Hesterberg 1995).
/// 4. Every draw is weighted against the mixture of all proposals used (the deterministic
///    mixture, or balance heuristic, of Veach and Guibas 1995), so no simulation is wasted; the
///    weights give the effective sample size (Kish) and the evidence (mean weight).
/// Every candidate is simulated with its own seed: the posterior carries the simulator's noise,
/// not one realisation of it.
public struct PosteriorSampler {
  /// Settings.
  public struct Options: Sendable {
    /// Simulations at the start values with independent seeds, for the noise sd per row.
    public var noiseDraws = 8
    /// Prior (Sobol) draws of the first iteration.
    public var priorDraws = 64
    /// Draws around the start values in the first iteration.
    public var startDraws = 32
    /// Draws per adaptive iteration.
    public var drawsPerIteration = 64
    /// Adaptive iterations after the first.
    public var iterations = 6
    /// Effective sample size the tempered weights keep when a proposal is adapted.
    public var adaptESS = 30.0
    /// Degrees of freedom of the proposals' multivariate Student t (heavy tails: a draw far in
    /// the posterior's tail must not get an unbounded weight).
    public var proposalDOF = 4.0
    /// Factor on the adapted covariance (a little wider than the weighted draws' spread).
    public var covarianceInflation = 1.44
    /// Share of each adaptive iteration drawn from the prior.
    public var defensiveShare = 0.1
    /// sd of the start component, in prior-logit units.
    public var startScale = 0.5
    /// Stop adapting once the effective sample size reaches this.
    public var targetESS = 400.0
    /// Equally weighted draws to return (resampled).
    public var outputDraws = 400
    /// Seed of the sampler and of every simulation.
    public var seed: UInt64 = 1
    /// Progress lines.
    public var progress: (@Sendable (String) -> Void)?
    /// Checkpoint file (nil: none): every simulated candidate (its values, its seed, its
    /// outcomes) is appended as soon as its chunk is done; a sampling started again with the
    /// file replays them and ends with the same draws as one never interrupted.
    public var checkpoint: String?
    /// What makes two samplings the same simulation problem (data rows, keys, overrides,
    /// scenario files): a checkpoint of another problem is refused.
    public var identity = ""
    /// Set it to stop (`PosteriorInterrupted`): between two chunks, or within the chunk in
    /// progress when `simulate` throws `PosteriorChunkStopped` (its candidates wholly simulated
    /// are kept).
    public var stop: PosteriorStop?
    /// Candidates simulated together between two checkpoint writes and stop checks (each
    /// chunk keeps every worker busy; a stop waits for at most one chunk).
    public var chunk = 16
    /// The defaults.
    public init() {}
  }

  /// The priors of the keys, in order.
  public let priors: [KeyPrior]
  /// Relative discrepancy grid with prior weights (one value: stated).
  public let discrepancies: [(value: Double, weight: Double)]
  /// Settings.
  public let options: Options
  /// Simulates candidates (values in the keys' units) with the given seeds: per candidate,
  /// per row, the outcome.
  public let simulate: ([[Double]], [UInt64]) throws -> [[RowOutcome]]
  /// Builds the likelihood once the noise sd per row (and the values it was measured at) is
  /// known.
  public let likelihood: ([Double], [Double], [(value: Double, weight: Double)]) -> PosteriorLikelihood

  /// A sampler.
  public init(
    priors: [KeyPrior], discrepancies: [(value: Double, weight: Double)], options: Options,
    simulate: @escaping ([[Double]], [UInt64]) throws -> [[RowOutcome]],
    likelihood: @escaping ([Double], [Double], [(value: Double, weight: Double)]) -> PosteriorLikelihood
  ) {
    self.priors = priors
    self.discrepancies = discrepancies
    self.options = options
    self.simulate = simulate
    self.likelihood = likelihood
  }

  /// The seed of candidate `index` (SplitMix64 of the sampler's seed and the index).
  public static func candidateSeed(_ seed: UInt64, _ index: Int) -> UInt64 {
    var s = SplitMix64(seed: seed ^ (0xA076_1D64_78BD_642F &* UInt64(index + 1)))
    return s.next()
  }

  /// Runs the sampler from `start` (values in the keys' units).
  /// - Throws: `CalibrationError`, `GSLError`, or a simulation's error.
  public func run(start: [Double]) throws -> PosteriorResult {
    let began = Date()
    let p = priors.count
    guard start.count == p, p > 0 else { throw CalibrationError("posterior: \(start.count) start values") }
    let rng = try GSLRandom(seed: options.seed)
    let cache = try EvaluationCache(path: options.checkpoint, identity: "posterior\n" + options.identity)
    let restored = cache.count
    // Simulates the candidates not in the checkpoint, chunk by chunk, recording each chunk;
    // stops between chunks when asked.
    func simulateKept(_ thetas: [[Double]], _ seeds: [UInt64]) throws -> [[RowOutcome]] {
      let keys = zip(thetas, seeds).map { t, s in t.map(\.bitPattern) + [s] }
      var out: [[RowOutcome]?] = keys.map { cache.outcome(key: $0) }
      let missing = out.indices.filter { out[$0] == nil }
      for start in stride(from: 0, to: missing.count, by: Swift.max(1, options.chunk)) {
        if let stop = options.stop, stop.isStopped {
          throw PosteriorInterrupted(
            kept: cache.count, checkpoint: options.checkpoint, signal: stop.receivedSignal)
        }
        let part = Array(missing[start..<Swift.min(missing.count, start + Swift.max(1, options.chunk))])
        let outs: [[RowOutcome]]
        do { outs = try simulate(part.map { thetas[$0] }, part.map { seeds[$0] }) } catch let cut
          as PosteriorChunkStopped
        {
          for (k, o) in zip(part, cut.outcomes) {
            if let o { try cache.store(key: keys[k], o) }
          }
          throw PosteriorInterrupted(
            kept: cache.count, checkpoint: options.checkpoint, signal: options.stop?.receivedSignal)
        }
        for (k, o) in zip(part, outs) {
          try cache.store(key: keys[k], o)
          out[k] = o
        }
      }
      return out.map { $0! }
    }
    var seedIndex = 0
    func seeds(_ n: Int) -> [UInt64] {
      defer { seedIndex += n }
      return (0..<n).map { Self.candidateSeed(options.seed, seedIndex + $0) }
    }
    func progress(_ s: String) {
      options.progress?(String(format: "posterior: %@ (%.1f s)", s, Date().timeIntervalSince(began)))
    }
    if restored > 0 {
      progress("\(restored) candidates read back from the checkpoint \(options.checkpoint ?? "")")
    }
    // 1. Noise of the simulator at the start values.
    let noiseRuns = try simulateKept(
      Array(repeating: start, count: max(2, options.noiseDraws)), seeds(max(2, options.noiseDraws)))
    let rowCount = noiseRuns[0].count
    let noiseMean = (0..<rowCount).map { i in
      noiseRuns.reduce(0) { $0 + $1[i].mean } / Double(noiseRuns.count)
    }
    let noiseSD = (0..<rowCount).map { i -> Double in
      let m = noiseMean[i]
      return (noiseRuns.reduce(0) { $0 + ($1[i].mean - m) * ($1[i].mean - m) } / Double(noiseRuns.count - 1))
        .squareRoot()
    }
    let like = likelihood(noiseSD, noiseMean, discrepancies)
    progress("simulator noise from \(noiseRuns.count) seeds at the start values")
    var simulations = noiseRuns.count

    // Draws, their proposals and their likelihoods.
    var us: [[Double]] = []
    var lls: [[Double]] = []
    var logLike: [Double] = []
    var outcomes: [[RowOutcome]] = []
    enum Component {
      case prior(Int)
      case gaussian(mean: [Double], chol: [[Double]], logDet: Double, count: Int)
      var count: Int {
        switch self {
        case .prior(let n): return n
        case .gaussian(_, _, _, let n): return n
        }
      }
    }
    var components: [Component] = []
    func logPrior(_ u: [Double]) -> Double { u.reduce(0) { $0 + KeyPrior.logDensity($1) } }
    func logGauss(_ u: [Double], _ mean: [Double], _ chol: [[Double]], _ logDet: Double) -> Double {
      // Solve L z = (u − mean).
      var z = [Double](repeating: 0, count: p)
      for i in 0..<p {
        var s = u[i] - mean[i]
        for j in 0..<i { s -= chol[i][j] * z[j] }
        z[i] = s / chol[i][i]
      }
      let q = z.reduce(0) { $0 + $1 * $1 }
      let nu = options.proposalDOF
      let d = Double(p)
      return lgamma((nu + d) / 2) - lgamma(nu / 2) - 0.5 * d * log(nu * Double.pi) - logDet
        - (nu + d) / 2 * log1p(q / nu)
    }
    func logMixture(_ u: [Double]) -> Double {
      let total = Double(components.reduce(0) { $0 + $1.count })
      var terms: [Double] = []
      for c in components {
        switch c {
        case .prior(let n): terms.append(log(Double(n) / total) + logPrior(u))
        case .gaussian(let m, let l, let ld, let n):
          terms.append(log(Double(n) / total) + logGauss(u, m, l, ld))
        }
      }
      let mx = terms.max()!
      return mx + log(terms.reduce(0) { $0 + exp($1 - mx) })
    }
    func weights() -> [Double] {
      let lw = us.indices.map { logLike[$0] + logPrior(us[$0]) - logMixture(us[$0]) }
      let mx = lw.max() ?? 0
      return lw.map { mx.isFinite ? exp($0 - mx) : 0 }
    }
    func logWeightScale() -> Double {
      us.indices.map { logLike[$0] + logPrior(us[$0]) - logMixture(us[$0]) }.max() ?? -.infinity
    }
    func ess(_ w: [Double]) -> Double {
      let s = w.reduce(0, +)
      let s2 = w.reduce(0) { $0 + $1 * $1 }
      return s2 > 0 ? s * s / s2 : 0
    }
    func add(_ batch: [[Double]]) throws {
      let thetas = batch.map { u in zip(priors, u).map { $0.value($1) } }
      let outs = try simulateKept(thetas, seeds(batch.count))
      simulations += batch.count
      for (u, o) in zip(batch, outs) {
        let l = like.logLikelihoods(o.map(\.mean))
        us.append(u)
        lls.append(l)
        logLike.append(like.marginal(l))
        outcomes.append(o)
      }
    }
    func gaussianDraws(_ mean: [Double], _ chol: [[Double]], _ n: Int) -> [[Double]] {
      // Multivariate Student t: a normal over √(χ²_ν / ν).
      (0..<n).map { _ in
        let z = (0..<p).map { _ in rng.normal() }
        let nu = options.proposalDOF
        let scale = 1 / (rng.gamma(shape: nu / 2, scale: 2) / nu).squareRoot()
        return (0..<p).map { i in mean[i] + scale * (0...i).reduce(0) { $0 + chol[i][$1] * z[$1] } }
      }
    }
    func priorDraws(_ n: Int) -> [[Double]] {
      (0..<n).map { _ in
        (0..<p).map { _ in
          let q = rng.uniformPositive()
          return log(q / (1 - q))
        }
      }
    }

    // 2. First iteration: randomised Sobol from the prior, and a Gaussian at the start.
    let shift = (0..<p).map { _ in rng.uniform() }
    let sobol = try Sobol.points(dimension: p, count: options.priorDraws).map { x in
      x.enumerated().map { j, v -> Double in
        let q = Swift.min(1 - 1e-9, Swift.max(1e-9, (v + shift[j]).truncatingRemainder(dividingBy: 1)))
        return log(q / (1 - q))
      }
    }
    components.append(.prior(sobol.count))
    let u0 = zip(priors, start).map { $0.coordinate($1) }
    let startChol = (0..<p).map { i in (0..<p).map { j in i == j ? options.startScale : 0 } }
    let startLogDet = Double(p) * log(options.startScale)
    if options.startDraws > 0 {
      components.append(.gaussian(mean: u0, chol: startChol, logDet: startLogDet, count: options.startDraws))
    }
    try add(sobol + gaussianDraws(u0, startChol, options.startDraws))
    var essHistory = [ess(weights())]
    progress(String(format: "iteration 1: %d draws, ESS %.1f", us.count, essHistory[0]))

    // 3. Adaptive iterations.
    for it in 0..<options.iterations {
      guard essHistory.last! < options.targetESS else { break }
      // Tempered adaptation: the proposal follows the weights raised to the power β ≤ 1, the
      // largest β whose weights keep an effective sample size of `adaptESS` (at β = 1 with
      // few effective draws, a Gaussian fitted to two or three points collapses on them).
      let w0 = weights()
      guard w0.reduce(0, +) > 0 else { throw CalibrationError("posterior: every draw has zero likelihood") }
      let want = Swift.min(options.adaptESS, Double(us.count) / 4)
      var beta = 1.0
      if ess(w0) < want {
        var (lo, hi) = (0.0, 1.0)
        for _ in 0..<40 {
          let mid = (lo + hi) / 2
          if ess(w0.map { pow($0, mid) }) >= want { lo = mid } else { hi = mid }
        }
        beta = lo
      }
      let w = w0.map { pow($0, beta) }
      let sw = w.reduce(0, +)
      let mean = (0..<p).map { j in zip(w, us).reduce(0) { $0 + $1.0 * $1.1[j] } / sw }
      var cov = (0..<p).map { a in
        (0..<p).map { b in
          zip(w, us).reduce(0) { $0 + $1.0 * ($1.1[a] - mean[a]) * ($1.1[b] - mean[b]) } / sw
            * options.covarianceInflation
        }
      }
      // A floor on each variance (0.01² in prior-logit units) keeps a collapsed proposal able to move.
      for j in 0..<p { cov[j][j] = Swift.max(cov[j][j], 1e-4) + 1e-12 }
      var chol: [[Double]]
      do { chol = try Cholesky.lower(cov) } catch {
        chol = (0..<p).map { i in (0..<p).map { j in i == j ? cov[i][i].squareRoot() : 0 } }
      }
      let logDet = (0..<p).reduce(0) { $0 + log(chol[$1][$1]) }
      let nDef = Int((Double(options.drawsPerIteration) * options.defensiveShare).rounded())
      let nG = options.drawsPerIteration - nDef
      components.append(.gaussian(mean: mean, chol: chol, logDet: logDet, count: nG))
      if nDef > 0 { components.append(.prior(nDef)) }
      try add(gaussianDraws(mean, chol, nG) + priorDraws(nDef))
      essHistory.append(ess(weights()))
      progress(
        String(
          format: "iteration %d: %d draws, ESS %.1f (adapted at beta %.3g)", it + 2, us.count,
          essHistory.last!, beta))
    }

    // 4. Weights, evidence, resampling.
    let w = weights()
    let sw = w.reduce(0, +)
    let nw = w.map { $0 / sw }
    let logEvidence = logWeightScale() + log(sw / Double(us.count))
    let thetas = us.map { u in zip(priors, u).map { $0.value($1) } }
    // Systematic resampling (Kitagawa 1996).
    var picks: [Int] = []
    let m = options.outputDraws
    let offset = rng.uniform()
    var cum = 0.0
    var i = 0
    for k in 0..<m {
      let target = (Double(k) + offset) / Double(m)
      while i < nw.count - 1 && cum + nw[i] < target {
        cum += nw[i]
        i += 1
      }
      picks.append(i)
    }
    // Each picked draw's discrepancy from its conditional over the grid.
    let pickedDelta: [Double] = picks.map { k in
      let l = lls[k]
      let mx = zip(l, discrepancies).map { $0.0 + log($0.1.weight) }.max()!
      let probs = zip(l, discrepancies).map { exp($0.0 + log($0.1.weight) - mx) }
      let total = probs.reduce(0, +)
      var u = rng.uniform() * total
      for (j, q) in probs.enumerated() {
        u -= q
        if u <= 0 { return discrepancies[j].value }
      }
      return discrepancies.last!.value
    }
    // Marginal of the discrepancy.
    var deltaMass = [Double](repeating: 0, count: discrepancies.count)
    for k in us.indices where nw[k] > 0 {
      let l = lls[k]
      let mx = zip(l, discrepancies).map { $0.0 + log($0.1.weight) }.max()!
      let probs = zip(l, discrepancies).map { exp($0.0 + log($0.1.weight) - mx) }
      let total = probs.reduce(0, +)
      for j in probs.indices { deltaMass[j] += nw[k] * probs[j] / total }
    }
    let summaries = (0..<p).map { j in
      KeySummary(prior: priors[j], values: thetas.map { $0[j] }, weights: nw)
    }
    var correlation = Array(repeating: Array(repeating: Double.nan, count: p), count: p)
    for a in 0..<p {
      for b in 0..<p {
        let (ma, mb) = (summaries[a].mean, summaries[b].mean)
        var c = 0.0
        for k in thetas.indices { c += nw[k] * (thetas[k][a] - ma) * (thetas[k][b] - mb) }
        let d = summaries[a].sd * summaries[b].sd
        correlation[a][b] = d > 0 ? c / d : .nan
      }
    }
    let best = logLike.indices.max { logLike[$0] < logLike[$1] }!
    return PosteriorResult(
      keys: priors.map(\.parameter.key), draws: picks.map { thetas[$0] }, drawDiscrepancy: pickedDelta,
      summaries: summaries, correlation: correlation, effectiveSampleSize: essHistory.last!,
      essHistory: essHistory, maxWeight: nw.max() ?? 1, logEvidence: logEvidence, simulations: simulations,
      weightedDraws: us.count, noiseSD: noiseSD, noiseDraws: noiseRuns.count,
      discrepancyGrid: discrepancies.map(\.value), discrepancyMass: deltaMass,
      bestTheta: thetas[best], bestLogLikelihood: logLike[best], bestOutcomes: outcomes[best],
      seconds: Date().timeIntervalSince(began), replayed: cache.replayed)
  }
}

/// What a sampler's `simulate` throws when a stop cut its chunk short: per candidate its
/// outcomes, nil for a candidate not wholly simulated. The sampler records the others in its
/// checkpoint and throws `PosteriorInterrupted`.
public struct PosteriorChunkStopped: Error, Sendable {
  /// Per candidate of the chunk, its outcomes per row; nil when not wholly simulated.
  public var outcomes: [[RowOutcome]?]
  /// A chunk cut short.
  public init(outcomes: [[RowOutcome]?]) { self.outcomes = outcomes }
}
