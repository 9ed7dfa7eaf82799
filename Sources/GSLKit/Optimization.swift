/// Derivative-free minimisation of a function of several variables: GSL's Nelder-Mead simplex
/// `nmsimplex2` (Nelder and Mead, Computer Journal 7, 1965; GSL's O(n) memory variant that
/// tracks the simplex size incrementally).
public enum Simplex {
  /// Where a search ended.
  public struct Result: Sendable, Equatable {
    /// The best point found.
    public var x: [Double]
    /// The objective at `x`.
    public var value: Double
    /// Simplex iterations taken.
    public var iterations: Int
    /// True when the simplex shrank below the size tolerance (false: iteration limit).
    public var converged: Bool
  }

  /// Minimises `objective` from `start`; the initial simplex has `start` and one vertex per
  /// axis at `start[i] + step[i]`. Stops when the simplex's characteristic size (mean distance
  /// of the vertices from their centre) is below `sizeTolerance`, or after `maxIterations`.
  ///
  /// - Throws: the first error `objective` throws, or `GSLError` (e.g. a non-finite value).
  public static func minimize(
    start: [Double], step: [Double], sizeTolerance: Double = 1e-8, maxIterations: Int = 10_000,
    _ objective: ([Double]) throws -> Double
  ) throws -> Result {
    guard !start.isEmpty, step.count == start.count else {
      throw GSLError(
        function: "Simplex.minimize", message: "start and step must be non-empty and of one length")
    }
    let r = try GSL.nmsimplex2(
      start: start, step: step, sizeTolerance: sizeTolerance, maxIterations: maxIterations,
      objective: objective)
    return Result(x: r.x, value: r.value, iterations: r.iterations, converged: r.converged)
  }
}

/// Nonlinear least squares: minimises ½ Σ fᵢ(x)² with GSL's trust-region driver
/// (`gsl_multifit_nlinear`) using the Levenberg-Marquardt step (Moré, LNM 630, 1978), Moré's
/// scaling and an SVD linear solver (robust when the Jacobian is rank deficient).
public enum LevenbergMarquardt {
  /// Stopping rules and the finite-difference step.
  public struct Options: Sendable {
    /// Most iterations.
    public var maxIterations = 200
    /// Stop when every step component is below `xtol (|xᵢ| + xtol)`.
    public var xtol = 1e-8
    /// Stop when the scaled gradient is below `gtol`.
    public var gtol = 1e-10
    /// Stop when the residuals change less than `ftol` relative.
    public var ftol = 1e-10
    /// Forward-difference step relative to |xⱼ| (absolute when xⱼ = 0), used when no
    /// Jacobian is given. GSL's default √ε suits smooth functions; noisy ones need larger.
    public var finiteDifferenceStep = 1.4901161193847656e-08
    /// Relative pivot below which a Jacobian column counts as dependent in the covariance.
    public var covarianceEpsrel = 1e-10
    /// The defaults.
    public init() {}
  }

  /// The fit.
  public struct Result: Sendable {
    /// Parameters at the optimum.
    public var x: [Double]
    /// Residuals fᵢ at `x`.
    public var residuals: [Double]
    /// Jacobian ∂fᵢ/∂xⱼ at `x` (n rows of p).
    public var jacobian: [[Double]]
    /// (JᵀJ)⁻¹ at `x`: the parameter covariance when the residuals are scaled by their
    /// standard deviations. Rows and columns of dependent parameters are zero.
    public var covariance: [[Double]]
    /// Reciprocal condition number of J (0 when rank deficient).
    public var reciprocalCondition: Double
    /// Iterations taken.
    public var iterations: Int
    /// True when a convergence test was met (false: iteration limit or no progress).
    public var converged: Bool
    /// Σ fᵢ² at `x`.
    public var chiSquare: Double { residuals.reduce(0) { $0 + $1 * $1 } }
  }

  /// Fits `start` (p values) to `residualCount` residuals. `jacobian`, when given, returns
  /// the n × p matrix at a point; without it GSL differentiates forward.
  ///
  /// - Throws: the first error a callback throws, or `GSLError` (non-finite residuals, ...).
  public static func fit(
    start: [Double], residualCount: Int, options: Options = Options(),
    residuals: ([Double]) throws -> [Double], jacobian: (([Double]) throws -> [[Double]])? = nil
  ) throws -> Result {
    guard !start.isEmpty, residualCount > 0 else {
      throw GSLError(
        function: "LevenbergMarquardt.fit", message: "need at least one parameter and one residual")
    }
    let r = try GSL.levenbergMarquardt(
      start: start, residualCount: residualCount, step: options.finiteDifferenceStep,
      maxIterations: options.maxIterations, xtol: options.xtol, gtol: options.gtol, ftol: options.ftol,
      covarianceEpsrel: options.covarianceEpsrel, residuals: residuals, jacobian: jacobian)
    return Result(
      x: r.x, residuals: r.residuals, jacobian: r.jacobian, covariance: r.covariance,
      reciprocalCondition: r.rcond,
      iterations: r.iterations, converged: r.converged)
  }
}

/// Eigen-decomposition of a real symmetric matrix (`gsl_eigen_symmv`).
public enum SymmetricEigen {
  /// Eigenvalues in ascending order and their unit eigenvectors (`vectors[k]` for
  /// `values[k]`).
  /// - Throws: `GSLError` when `matrix` is not square or GSL fails.
  public static func decompose(_ matrix: [[Double]]) throws -> (values: [Double], vectors: [[Double]]) {
    try GSL.symmetricEigen(matrix)
  }
}
