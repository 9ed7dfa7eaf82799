/// Dense linear algebra on small matrices (GSL `gsl_linalg`).
public enum Cholesky {
  /// The lower-triangular factor L with `a` = L Lᵀ, `a` symmetric positive definite.
  /// - Throws: `GSLError` when `a` is not square or not positive definite.
  public static func lower(_ a: [[Double]]) throws -> [[Double]] { try GSL.cholesky(a) }
}

/// Low-discrepancy (quasi-random) point sets (GSL `gsl_qrng`).
public enum Sobol {
  /// The first `count` points of the Sobol sequence in [0, 1)^`dimension` (dimension 1 ... 40).
  /// - Throws: `GSLError` for a dimension outside 1 ... 40.
  public static func points(dimension: Int, count: Int) throws -> [[Double]] {
    try GSL.sobol(dimension: dimension, count: count)
  }
}
