import GSLKit
import Testing

@Suite("GSL random generators and quantiles")
struct GSLRandomTests {
  @Test func sameSeedSameSequence() throws {
    let a = try GSLRandom(seed: 7)
    let b = try GSLRandom(seed: 7)
    for _ in 0..<1000 { #expect(a.uniform() == b.uniform()) }
  }

  @Test func seedsDifferingAbove32BitsGiveDifferentStreams() throws {
    // GSL's gsl_rng_set keeps 32 bits for mt19937; GSLRandom fills the whole state.
    let a = try GSLRandom(seed: 1)
    let b = try GSLRandom(seed: 1 | (1 << 40))
    let same = (0..<100).filter { _ in a.uniform() == b.uniform() }.count
    #expect(same == 0)
  }

  @Test func unknownGeneratorIsAnError() {
    #expect(throws: GSLError.self) { try GSLRandom(type: "nope", seed: 1) }
  }

  @Test func copyContinuesTheSameSequence() throws {
    let a = try GSLRandom(seed: 3)
    _ = a.uniform()
    let b = a.copy()
    for _ in 0..<100 { #expect(a.uniform() == b.uniform()) }
  }

  /// Sample means of 200,000 draws: the standard error is sd/sqrt(n) = sd * 0.00224, so a
  /// tolerance of 1% of the mean is > 4 standard errors for every law below (sd <= mean * 1.8).
  @Test func distributionMeans() throws {
    let r = try GSLRandom(seed: 11)
    let n = 200_000
    func mean(_ f: () -> Double) -> Double { (0..<n).reduce(0) { s, _ in s + f() } / Double(n) }
    #expect(abs(mean { r.exponential(mean: 2.0) } - 2.0) < 0.02)
    #expect(abs(mean { r.normal(mu: 5, sigma: 1) } - 5.0) < 0.05)
    #expect(abs(mean { r.gamma(shape: 2, scale: 3) } - 6.0) < 0.06)
    // Lognormal(0, 0.5): mean exp(0.125); sd = mean * sqrt(exp(0.25) - 1) = 0.53 * mean.
    #expect(abs(mean { r.lognormal(zeta: 0, sigma: 0.5) } - 1.1331) < 0.0113)
    // Pareto(a = 3, b = 1): mean a b / (a - 1) = 1.5; sd = 0.866 (finite for a > 2).
    #expect(abs(mean { r.pareto(exponent: 3, scale: 1) } - 1.5) < 0.015)
    #expect(abs(mean { r.uniform() } - 0.5) < 0.005)
  }

  /// Chi-square goodness of fit of the alias table: 4 outcomes, 100,000 draws; the statistic
  /// exceeds the 0.999 quantile (16.27 for 3 dof) with probability 0.001 under the null.
  @Test func discreteDistributionMatchesWeights() throws {
    let weights = [1.0, 2.0, 3.0, 4.0]
    let d = try DiscreteDistribution(weights: weights)
    let r = try GSLRandom(seed: 5)
    var counts = [0, 0, 0, 0]
    let n = 100_000
    for _ in 0..<n { counts[d.draw(r)] += 1 }
    var chi2 = 0.0
    for i in 0..<4 {
      let expected = Double(n) * weights[i] / 10
      chi2 += (Double(counts[i]) - expected) * (Double(counts[i]) - expected) / expected
    }
    #expect(chi2 < (try Quantiles.chiSquare(0.999, dof: 3)))
  }

  @Test func discreteDistributionRejectsBadWeights() {
    #expect(throws: GSLError.self) { try DiscreteDistribution(weights: []) }
    #expect(throws: GSLError.self) { try DiscreteDistribution(weights: [1, -1]) }
    #expect(throws: GSLError.self) { try DiscreteDistribution(weights: [0, 0]) }
  }

  /// Reference values from statistical tables (t 0.975 quantiles; chi-square 0.95 quantile).
  @Test func quantilesMatchTables() throws {
    #expect(abs(try Quantiles.studentT(0.975, dof: 9) - 2.262157) < 1e-5)
    #expect(abs(try Quantiles.studentT(0.975, dof: 1) - 12.706205) < 1e-5)
    #expect(abs(try Quantiles.studentT(0.975, dof: 1000) - 1.962339) < 1e-5)
    #expect(abs(try Quantiles.chiSquare(0.95, dof: 3) - 7.814728) < 1e-5)
    #expect(abs(try Quantiles.normal(0.975) - 1.959964) < 1e-5)
  }

  @Test func quantileDomainErrorsAreSwiftErrors() {
    #expect(throws: GSLError.self) { try Quantiles.studentT(1.5, dof: 3) }
    #expect(throws: GSLError.self) { try Quantiles.studentT(0.5, dof: 0) }
    #expect(throws: GSLError.self) { try Quantiles.chiSquare(0, dof: 3) }
  }
}
