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
