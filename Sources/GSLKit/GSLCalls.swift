// Every call into GNU GSL goes through this file, so the C surface of vrsim is one page long.
// GSL's default error handler calls abort(); `GSL.prepare()` switches it off once per process
// and each wrapper turns GSL's status codes (or NaN results) into `GSLError` values.
import CGSL

/// Namespace for the raw GSL entry points used by GSLKit. Internal: other modules use the
/// typed wrappers (`GSLRandom`, `Quantiles`, `DiscreteDistribution`, ...).
enum GSL {
  /// Switches GSL's abort-on-error handler off. Idempotent and thread-safe: the handler is a
  /// process-wide pointer and storing the same value twice is harmless.
  static let prepared: Bool = {
    _ = gsl_set_error_handler_off()
    return true
  }()

  @inline(__always) static func prepare() { _ = prepared }

  static func message(_ status: Int32) -> String {
    String(cString: gsl_strerror(status))
  }

  // MARK: Random number generators

  /// Looks a generator type up in GSL's table of all types (`gsl_rng_types_setup`).
  static func rngType(named name: String) -> UnsafePointer<gsl_rng_type>? {
    guard let table = gsl_rng_types_setup() else { return nil }
    var i = 0
    while let t = table[i] {
      if String(cString: t.pointee.name) == name { return t }
      i += 1
    }
    return nil
  }

  static func rngAlloc(_ type: UnsafePointer<gsl_rng_type>) -> UnsafeMutablePointer<gsl_rng>? {
    prepare()
    return gsl_rng_alloc(type)
  }

  static func rngFree(_ r: UnsafeMutablePointer<gsl_rng>) { gsl_rng_free(r) }
  static func rngSet(_ r: UnsafeMutablePointer<gsl_rng>, _ seed: UInt) { gsl_rng_set(r, seed) }
  static func rngName(_ r: UnsafeMutablePointer<gsl_rng>) -> String { String(cString: gsl_rng_name(r)) }
  static func rngState(_ r: UnsafeMutablePointer<gsl_rng>) -> UnsafeMutableRawPointer { gsl_rng_state(r) }
  static func rngSize(_ r: UnsafeMutablePointer<gsl_rng>) -> Int { gsl_rng_size(r) }
  static func rngMemcpy(_ dst: UnsafeMutablePointer<gsl_rng>, _ src: UnsafeMutablePointer<gsl_rng>) -> Int32 {
    gsl_rng_memcpy(dst, src)
  }
  static func rngClone(_ r: UnsafeMutablePointer<gsl_rng>) -> UnsafeMutablePointer<gsl_rng>? {
    gsl_rng_clone(r)
  }

  @inline(__always) static func uniform(_ r: UnsafeMutablePointer<gsl_rng>) -> Double { gsl_rng_uniform(r) }
  @inline(__always) static func uniformPos(_ r: UnsafeMutablePointer<gsl_rng>) -> Double {
    gsl_rng_uniform_pos(r)
  }
  @inline(__always) static func get(_ r: UnsafeMutablePointer<gsl_rng>) -> UInt { gsl_rng_get(r) }
  static func uniformInt(_ r: UnsafeMutablePointer<gsl_rng>, _ n: UInt) -> UInt { gsl_rng_uniform_int(r, n) }

  // MARK: Distributions (gsl_ran_*)

  @inline(__always) static func exponential(_ r: UnsafeMutablePointer<gsl_rng>, _ mean: Double) -> Double {
    gsl_ran_exponential(r, mean)
  }
  static func gaussian(_ r: UnsafeMutablePointer<gsl_rng>, _ sigma: Double) -> Double {
    gsl_ran_gaussian_ziggurat(r, sigma)
  }
  static func lognormal(_ r: UnsafeMutablePointer<gsl_rng>, _ zeta: Double, _ sigma: Double) -> Double {
    gsl_ran_lognormal(r, zeta, sigma)
  }
  static func gamma(_ r: UnsafeMutablePointer<gsl_rng>, _ a: Double, _ b: Double) -> Double {
    gsl_ran_gamma(r, a, b)
  }
  static func pareto(_ r: UnsafeMutablePointer<gsl_rng>, _ a: Double, _ b: Double) -> Double {
    gsl_ran_pareto(r, a, b)
  }
  static func poisson(_ r: UnsafeMutablePointer<gsl_rng>, _ mu: Double) -> UInt32 { gsl_ran_poisson(r, mu) }

  static func discretePreproc(_ weights: [Double]) -> OpaquePointer? {
    prepare()
    return weights.withUnsafeBufferPointer { gsl_ran_discrete_preproc($0.count, $0.baseAddress) }
      .map { OpaquePointer($0) }
  }
  static func discreteDraw(_ r: UnsafeMutablePointer<gsl_rng>, _ table: OpaquePointer) -> Int {
    gsl_ran_discrete(r, UnsafePointer<gsl_ran_discrete_t>(table))
  }
  static func discreteFree(_ table: OpaquePointer) {
    gsl_ran_discrete_free(UnsafeMutablePointer<gsl_ran_discrete_t>(table))
  }

  // MARK: Cumulative distributions and quantiles (gsl_cdf_*)

  static func tQuantileUpper(_ q: Double, _ nu: Double) -> Double {
    prepare()
    return gsl_cdf_tdist_Qinv(q, nu)
  }
  static func tQuantile(_ p: Double, _ nu: Double) -> Double {
    prepare()
    return gsl_cdf_tdist_Pinv(p, nu)
  }
  static func chiSquareQuantile(_ p: Double, _ nu: Double) -> Double {
    prepare()
    return gsl_cdf_chisq_Pinv(p, nu)
  }
  static func normalQuantile(_ p: Double) -> Double {
    prepare()
    return gsl_cdf_ugaussian_Pinv(p)
  }
  static func chiSquareUpperTail(_ x: Double, _ nu: Double) -> Double {
    prepare()
    return gsl_cdf_chisq_Q(x, nu)
  }
}

// MARK: Minimisation and nonlinear least squares (gsl_multimin, gsl_multifit_nlinear)

/// A Swift closure and the first error it threw, passed to GSL as the `params` pointer of a
/// callback. GSL calls back on the calling thread only, so no locking is needed.
final class CallbackBox<F> {
  let body: F
  var error: (any Error)?
  init(_ body: F) { self.body = body }
}

extension GSL {
  static func vector(_ values: [Double]) -> UnsafeMutablePointer<gsl_vector> {
    let v = gsl_vector_alloc(values.count)!
    for (i, x) in values.enumerated() { gsl_vector_set(v, i, x) }
    return v
  }

  static func array(_ v: UnsafePointer<gsl_vector>) -> [Double] {
    (0..<v.pointee.size).map { gsl_vector_get(v, $0) }
  }

  static func rows(_ m: UnsafePointer<gsl_matrix>) -> [[Double]] {
    (0..<m.pointee.size1).map { i in (0..<m.pointee.size2).map { j in gsl_matrix_get(m, i, j) } }
  }

  /// Nelder-Mead simplex (`gsl_multimin_fminimizer_nmsimplex2`) from `start` with initial
  /// steps `step`, until the simplex size falls below `sizeTolerance` or `maxIterations`.
  /// A non-finite objective value or a thrown error stops the search with that error.
  static func nmsimplex2(
    start: [Double], step: [Double], sizeTolerance: Double, maxIterations: Int,
    objective: ([Double]) throws -> Double
  ) throws -> (x: [Double], value: Double, iterations: Int, converged: Bool) {
    prepare()
    let n = start.count
    return try withoutActuallyEscaping(objective) { objective in
      let box = CallbackBox<([Double]) throws -> Double>(objective)
      let context = Unmanaged.passUnretained(box).toOpaque()
      let x = vector(start)
      let steps = vector(step)
      defer {
        gsl_vector_free(x)
        gsl_vector_free(steps)
      }
      guard let s = gsl_multimin_fminimizer_alloc(vrsim_gsl_nmsimplex2(), n) else {
        throw GSLError(function: "gsl_multimin_fminimizer_alloc", message: "out of memory")
      }
      defer { gsl_multimin_fminimizer_free(s) }
      var function = gsl_multimin_function(
        f: { v, params in
          let box = Unmanaged<CallbackBox<([Double]) throws -> Double>>.fromOpaque(params!)
            .takeUnretainedValue()
          if box.error != nil { return .nan }
          do {
            return try box.body(GSL.array(v!))
          } catch {
            box.error = error
            return .nan
          }
        }, n: n, params: context)
      let setStatus = gsl_multimin_fminimizer_set(s, &function, x, steps)
      if let e = box.error { throw e }
      guard setStatus == GSL_SUCCESS else {
        throw GSLError(function: "gsl_multimin_fminimizer_set", message: message(setStatus))
      }
      var iterations = 0
      var converged = false
      while iterations < maxIterations {
        iterations += 1
        let status = gsl_multimin_fminimizer_iterate(s)
        if let e = box.error { throw e }
        guard status == GSL_SUCCESS else {
          throw GSLError(function: "gsl_multimin_fminimizer_iterate", message: message(status))
        }
        if gsl_multimin_test_size(gsl_multimin_fminimizer_size(s), sizeTolerance) == GSL_SUCCESS {
          converged = true
          break
        }
      }
      return (array(gsl_multimin_fminimizer_x(s)), gsl_multimin_fminimizer_minimum(s), iterations, converged)
    }
  }

  typealias Residuals = ([Double]) throws -> [Double]
  typealias Jacobian = ([Double]) throws -> [[Double]]

  /// Levenberg-Marquardt (`gsl_multifit_nlinear_trust` with `trs_lm`, SVD solver) minimising
  /// the sum of squared `residuals` from `start`. Without `jacobian` GSL differentiates
  /// forward with relative step `step`. Returns the optimum, its residuals and Jacobian, the
  /// covariance `(JᵀJ)⁻¹` (columns with relative pivot below `epsrel` dropped, as zero), the
  /// reciprocal condition number of J, the iterations and GSL's stopping reason (1: small step,
  /// 2: small gradient; 0 with `converged == false`: maxIterations reached).
  static func levenbergMarquardt(
    start: [Double], residualCount n: Int, step: Double, maxIterations: Int, xtol: Double, gtol: Double,
    ftol: Double, covarianceEpsrel: Double, residuals: Residuals, jacobian: Jacobian?
  ) throws -> (
    x: [Double], residuals: [Double], jacobian: [[Double]], covariance: [[Double]], rcond: Double,
    iterations: Int, info: Int32, converged: Bool
  ) {
    prepare()
    let p = start.count
    typealias Pair = (residuals: Residuals, jacobian: Jacobian?)
    return try withoutActuallyEscaping(residuals) { residuals in
      let box = CallbackBox<Pair>((residuals, nil))
      func run(_ box: CallbackBox<Pair>) throws -> (
        x: [Double], residuals: [Double], jacobian: [[Double]], covariance: [[Double]], rcond: Double,
        iterations: Int, info: Int32, converged: Bool
      ) {
        let context = Unmanaged.passUnretained(box).toOpaque()
        var params = gsl_multifit_nlinear_default_parameters()
        params.trs = vrsim_gsl_nlinear_trs_lm()
        params.solver = vrsim_gsl_nlinear_solver_svd()
        params.scale = vrsim_gsl_nlinear_scale_more()
        params.fdtype = GSL_MULTIFIT_NLINEAR_FWDIFF
        params.h_df = step
        guard let w = gsl_multifit_nlinear_alloc(vrsim_gsl_nlinear_trust(), &params, n, p) else {
          throw GSLError(function: "gsl_multifit_nlinear_alloc", message: "cannot allocate (n \(n), p \(p))")
        }
        defer { gsl_multifit_nlinear_free(w) }
        var fdf = gsl_multifit_nlinear_fdf()
        fdf.f = { v, params, f in
          let box = Unmanaged<CallbackBox<Pair>>.fromOpaque(params!).takeUnretainedValue()
          if box.error != nil { return Int32(GSL_EBADFUNC) }
          do {
            let r = try box.body.residuals(GSL.array(v!))
            guard r.count == f!.pointee.size, r.allSatisfy(\.isFinite) else { return Int32(GSL_EBADFUNC) }
            for (i, x) in r.enumerated() { gsl_vector_set(f, i, x) }
            return Int32(GSL_SUCCESS)
          } catch {
            box.error = error
            return Int32(GSL_EBADFUNC)
          }
        }
        if box.body.jacobian != nil {
          fdf.df = { v, params, m in
            let box = Unmanaged<CallbackBox<Pair>>.fromOpaque(params!).takeUnretainedValue()
            if box.error != nil { return Int32(GSL_EBADFUNC) }
            do {
              let x = GSL.array(v!)
              let j = try box.body.jacobian!(x)
              for (i, row) in j.enumerated() {
                for (k, d) in row.enumerated() {
                  guard d.isFinite else { return Int32(GSL_EBADFUNC) }
                  gsl_matrix_set(m, i, k, d)
                }
              }
              return Int32(GSL_SUCCESS)
            } catch {
              box.error = error
              return Int32(GSL_EBADFUNC)
            }
          }
        }
        fdf.fvv = nil
        fdf.n = n
        fdf.p = p
        fdf.params = context
        let x0 = vector(start)
        defer { gsl_vector_free(x0) }
        let initStatus = gsl_multifit_nlinear_init(x0, &fdf, w)
        if let e = box.error { throw e }
        guard initStatus == GSL_SUCCESS else {
          throw GSLError(function: "gsl_multifit_nlinear_init", message: message(initStatus))
        }
        var info: Int32 = 0
        let status = gsl_multifit_nlinear_driver(maxIterations, xtol, gtol, ftol, nil, nil, &info, w)
        if let e = box.error { throw e }
        let converged: Bool
        if status == GSL_SUCCESS {
          converged = true
        } else if status == GSL_EMAXITER || status == GSL_ENOPROG {
          converged = false
        } else {
          throw GSLError(function: "gsl_multifit_nlinear_driver", message: message(status))
        }
        let jac = gsl_multifit_nlinear_jac(w)!
        let covar = gsl_matrix_alloc(p, p)!
        defer { gsl_matrix_free(covar) }
        let covStatus = gsl_multifit_nlinear_covar(jac, covarianceEpsrel, covar)
        guard covStatus == GSL_SUCCESS else {
          throw GSLError(function: "gsl_multifit_nlinear_covar", message: message(covStatus))
        }
        var rcond = 0.0
        _ = gsl_multifit_nlinear_rcond(&rcond, w)
        return (
          array(gsl_multifit_nlinear_position(w)), array(gsl_multifit_nlinear_residual(w)), rows(jac),
          rows(covar), rcond, Int(gsl_multifit_nlinear_niter(w)), info, converged
        )
      }
      if let jacobian {
        return try withoutActuallyEscaping(jacobian) { jacobian in
          try run(CallbackBox<Pair>((residuals, jacobian)))
        }
      }
      return try run(box)
    }
  }

  /// Eigenvalues (ascending) and unit eigenvectors (`vectors[k]` belongs to `values[k]`) of
  /// the symmetric matrix `a` (`gsl_eigen_symmv`).
  static func symmetricEigen(_ a: [[Double]]) throws -> (values: [Double], vectors: [[Double]]) {
    prepare()
    let n = a.count
    guard n > 0, a.allSatisfy({ $0.count == n }) else {
      throw GSLError(function: "gsl_eigen_symmv", message: "expected a non-empty square matrix")
    }
    let m = gsl_matrix_alloc(n, n)!
    let values = gsl_vector_alloc(n)!
    let vectors = gsl_matrix_alloc(n, n)!
    let w = gsl_eigen_symmv_alloc(n)!
    defer {
      gsl_matrix_free(m)
      gsl_vector_free(values)
      gsl_matrix_free(vectors)
      gsl_eigen_symmv_free(w)
    }
    for i in 0..<n { for j in 0..<n { gsl_matrix_set(m, i, j, a[i][j]) } }
    let status = gsl_eigen_symmv(m, values, vectors, w)
    guard status == GSL_SUCCESS else { throw GSLError(function: "gsl_eigen_symmv", message: message(status)) }
    _ = gsl_eigen_symmv_sort(values, vectors, GSL_EIGEN_SORT_VAL_ASC)
    let vals = array(values)
    let cols = (0..<n).map { k in (0..<n).map { i in gsl_matrix_get(vectors, i, k) } }
    return (vals, cols)
  }
}

// MARK: Linear algebra and quasi-random sequences (gsl_linalg, gsl_qrng)

extension GSL {
  /// The lower Cholesky factor L (A = L Lᵀ) of the symmetric positive definite `a`
  /// (`gsl_linalg_cholesky_decomp1`).
  static func cholesky(_ a: [[Double]]) throws -> [[Double]] {
    prepare()
    let n = a.count
    guard n > 0, a.allSatisfy({ $0.count == n }) else {
      throw GSLError(function: "gsl_linalg_cholesky_decomp1", message: "expected a non-empty square matrix")
    }
    let m = gsl_matrix_alloc(n, n)!
    defer { gsl_matrix_free(m) }
    for i in 0..<n { for j in 0..<n { gsl_matrix_set(m, i, j, a[i][j]) } }
    let status = gsl_linalg_cholesky_decomp1(m)
    guard status == GSL_SUCCESS else {
      throw GSLError(function: "gsl_linalg_cholesky_decomp1", message: message(status))
    }
    return (0..<n).map { i in (0..<n).map { j in j <= i ? gsl_matrix_get(m, i, j) : 0 } }
  }

  /// The first `count` points of the `dimension`-dimensional Sobol sequence in [0, 1)^d
  /// (`gsl_qrng_sobol`, dimension 1 ... 40).
  static func sobol(dimension: Int, count: Int) throws -> [[Double]] {
    prepare()
    guard (1...40).contains(dimension), count >= 0 else {
      throw GSLError(function: "gsl_qrng_alloc", message: "Sobol dimension \(dimension) outside 1 ... 40")
    }
    guard let q = gsl_qrng_alloc(vrsim_gsl_qrng_sobol(), UInt32(dimension)) else {
      throw GSLError(function: "gsl_qrng_alloc", message: "allocation failed")
    }
    defer { gsl_qrng_free(q) }
    var out: [[Double]] = []
    var x = [Double](repeating: 0, count: dimension)
    for _ in 0..<count {
      let status = x.withUnsafeMutableBufferPointer { gsl_qrng_get(q, $0.baseAddress) }
      guard status == GSL_SUCCESS else { throw GSLError(function: "gsl_qrng_get", message: message(status)) }
      out.append(x)
    }
    return out
  }
}
