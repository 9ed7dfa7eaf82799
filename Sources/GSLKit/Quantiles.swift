/// Quantiles of the distributions used for confidence intervals and goodness-of-fit tests
/// (`gsl_cdf_*_Pinv`). Arguments are checked first so GSL never reports a domain error.
public enum Quantiles {
  /// The p-quantile of Student's t with `dof` degrees of freedom.
  /// - Throws: `GSLError` unless 0 < p < 1 and dof > 0.
  public static func studentT(_ p: Double, dof: Double) throws -> Double {
    try check(p, dof, "gsl_cdf_tdist_Pinv")
    return try finite(GSL.tQuantile(p, dof), "gsl_cdf_tdist_Pinv")
  }

  /// The p-quantile of the chi-square distribution with `dof` degrees of freedom.
  /// - Throws: `GSLError` unless 0 < p < 1 and dof > 0.
  public static func chiSquare(_ p: Double, dof: Double) throws -> Double {
    try check(p, dof, "gsl_cdf_chisq_Pinv")
    return try finite(GSL.chiSquareQuantile(p, dof), "gsl_cdf_chisq_Pinv")
  }

  /// The upper-tail probability P(X > x) of chi-square with `dof` degrees of freedom.
  public static func chiSquareUpperTail(_ x: Double, dof: Double) throws -> Double {
    guard dof > 0, x.isFinite else {
      throw GSLError(function: "gsl_cdf_chisq_Q", message: "needs dof > 0 and finite x, got \(dof), \(x)")
    }
    return GSL.chiSquareUpperTail(x, dof)
  }

  /// The p-quantile of the standard normal distribution.
  public static func normal(_ p: Double) throws -> Double {
    guard p > 0, p < 1 else {
      throw GSLError(function: "gsl_cdf_ugaussian_Pinv", message: "p must be in (0, 1), got \(p)")
    }
    return GSL.normalQuantile(p)
  }

  private static func check(_ p: Double, _ dof: Double, _ fn: String) throws {
    guard p > 0, p < 1 else { throw GSLError(function: fn, message: "p must be in (0, 1), got \(p)") }
    guard dof > 0, dof.isFinite else {
      throw GSLError(function: fn, message: "degrees of freedom must be > 0, got \(dof)")
    }
  }

  private static func finite(_ x: Double, _ fn: String) throws -> Double {
    guard x.isFinite else { throw GSLError(function: fn, message: "no finite result") }
    return x
  }
}
