import GSLKit
import Testing

/// The optimisers against problems whose answers are known in closed form.
@Suite struct OptimizationTests {
  /// Rosenbrock's function (1 − x)² + 100 (y − x²)² has its only minimum, 0, at (1, 1).
  @Test func simplexFindsTheRosenbrockMinimum() throws {
    let r = try Simplex.minimize(start: [-1.2, 1], step: [0.5, 0.5], sizeTolerance: 1e-10) { v in
      let (x, y) = (v[0], v[1])
      return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x)
    }
    #expect(r.converged)
    #expect(abs(r.x[0] - 1) < 1e-4)
    #expect(abs(r.x[1] - 1) < 1e-4)
    #expect(r.value < 1e-8)
  }

  /// Levenberg-Marquardt on Rosenbrock written as residuals (1 − x, 10 (y − x²)).
  @Test func levenbergMarquardtFindsTheRosenbrockMinimum() throws {
    let r = try LevenbergMarquardt.fit(start: [-1.2, 1], residualCount: 2) { v in
      [1 - v[0], 10 * (v[1] - v[0] * v[0])]
    }
    #expect(abs(r.x[0] - 1) < 1e-6)
    #expect(abs(r.x[1] - 1) < 1e-6)
    #expect(r.chiSquare < 1e-12)
  }

  /// The straight line a + b·x through (0, 1), (1, 3), (2, 4), (3, 7) with unit sd. By hand:
  /// n = 4, Σx = 6, Σx² = 14, Σy = 15, Σxy = 32, so b = (4·32 − 6·15)/(4·14 − 36) = 1.9,
  /// a = (15 − 1.9·6)/4 = 0.9; JᵀJ = [[4, 6], [6, 14]] (det 20), so the covariance is
  /// [[14, −6], [−6, 4]] / 20 = [[0.7, −0.3], [−0.3, 0.2]].
  @Test func linearLeastSquaresGivesTheHandSolutionAndCovariance() throws {
    let xs = [0.0, 1, 2, 3]
    let ys = [1.0, 3, 4, 7]
    for analytic in [false, true] {
      let jac: (([Double]) throws -> [[Double]])? = analytic ? { _ in xs.map { [1, $0] } } : nil
      let r = try LevenbergMarquardt.fit(
        start: [0, 0], residualCount: 4,
        residuals: { p in zip(xs, ys).map { p[0] + p[1] * $0 - $1 } }, jacobian: jac)
      #expect(abs(r.x[0] - 0.9) < 1e-6)
      #expect(abs(r.x[1] - 1.9) < 1e-6)
      let expected = [[0.7, -0.3], [-0.3, 0.2]]
      for i in 0..<2 { for j in 0..<2 { #expect(abs(r.covariance[i][j] - expected[i][j]) < 1e-5) } }
      // Residual sum of squares by hand: residuals −0.1, −0.2, 0.7, −0.4 → 0.01+0.04+0.49+0.16.
      #expect(abs(r.chiSquare - 0.7) < 1e-6)
    }
  }

  /// Two identical columns: the Jacobian is rank deficient.
  @Test func aRankDeficientJacobianHasZeroReciprocalCondition() throws {
    let r = try LevenbergMarquardt.fit(start: [1, 1], residualCount: 3) { p in
      [p[0] + p[1] - 2, 2 * (p[0] + p[1]) - 4.2, p[0] + p[1] - 2.1]
    }
    #expect(r.reciprocalCondition < 1e-6)
  }

  /// [[2, 1], [1, 2]] has eigenvalues 1 and 3 with eigenvectors (1, −1)/√2 and (1, 1)/√2.
  @Test func symmetricEigenOfATwoByTwo() throws {
    let e = try SymmetricEigen.decompose([[2, 1], [1, 2]])
    #expect(abs(e.values[0] - 1) < 1e-12)
    #expect(abs(e.values[1] - 3) < 1e-12)
    #expect(abs(abs(e.vectors[1][0]) - 0.5.squareRoot()) < 1e-12)
    #expect(abs(e.vectors[0][0] + e.vectors[0][1]) < 1e-12)
  }

  /// An error thrown by the objective comes back out, not a crash.
  @Test func anObjectiveErrorIsRethrown() {
    struct Boom: Error {}
    #expect(throws: Boom.self) {
      _ = try Simplex.minimize(start: [0, 0], step: [1, 1]) { _ in throw Boom() }
    }
    #expect(throws: GSLError.self) {
      _ = try LevenbergMarquardt.fit(start: [0], residualCount: 1) { _ in [.nan] }
    }
  }
}
