import GSLKit
import Testing

/// Cholesky factors and Sobol points through GSL, against values worked out by hand.
@Suite struct LinearAlgebraTests {
  /// [[4, 2], [2, 3]] = L Lᵀ with L = [[2, 0], [1, √2]]: 2·2 = 4, 2·1 = 2, 1 + 2 = 3.
  @Test func choleskyOfATwoByTwoMatrix() throws {
    let l = try Cholesky.lower([[4, 2], [2, 3]])
    #expect(abs(l[0][0] - 2) < 1e-12 && l[0][1] == 0)
    #expect(abs(l[1][0] - 1) < 1e-12 && abs(l[1][1] - 2.0.squareRoot()) < 1e-12)
  }

  /// [[1, 2], [2, 1]] has the eigenvalue −1: not positive definite, an error, not a crash.
  @Test func aMatrixThatIsNotPositiveDefiniteIsAnError() {
    #expect(throws: GSLError.self) { try Cholesky.lower([[1, 2], [2, 1]]) }
  }

  /// The first 1024 Sobol points in 3 dimensions lie in [0, 1) and their mean per dimension
  /// is within 0.002 of 1/2 (a low-discrepancy set; 1024 pseudo-random points would miss by
  /// about 1/√(12 · 1024) = 0.009); dimension 41 is refused.
  @Test func sobolPointsFillTheCubeEvenly() throws {
    let p = try Sobol.points(dimension: 3, count: 1_024)
    #expect(p.count == 1_024 && p.allSatisfy { $0.count == 3 && $0.allSatisfy { (0..<1).contains($0) } })
    for j in 0..<3 {
      let mean = p.reduce(0) { $0 + $1[j] } / 1_024
      #expect(abs(mean - 0.5) < 0.002, "dimension \(j): mean \(mean)")
    }
    #expect(throws: GSLError.self) { try Sobol.points(dimension: 41, count: 1) }
  }
}
