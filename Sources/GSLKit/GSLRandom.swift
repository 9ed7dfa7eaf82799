import CGSL

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Natural logarithm from the C library (kept in one place for `@inlinable` use).
@inlinable @inline(__always) func _vrsimLog(_ x: Double) -> Double { log(x) }

/// A GSL random number generator (`gsl_rng`) owned by one Swift object.
///
/// The generator is allocated in `init` and freed in `deinit`; it is not shared between
/// threads (the type is deliberately not `Sendable`). Each simulation component owns its own
/// generator, seeded from the simulation's master seed (see SimCore's `RandomStreams`).
///
/// Seeding: for `mt19937` (the default) the whole 624-word state is filled from a 64-bit seed
/// with SplitMix64 (Steele, Lea and Flood, OOPSLA 2014), so distinct 64-bit seeds give
/// distinct streams; GSL's own `gsl_rng_set` would keep only 32 bits of the seed. Other
/// generator types are seeded with `gsl_rng_set`.
public final class GSLRandom {
  @usableFromInline let rng: UnsafeMutablePointer<gsl_rng>

  /// The generator types accepted by `init(type:seed:)`.
  public static let knownTypes = ["mt19937", "ranlxd2", "taus2", "gfsr4", "ranlux389"]

  /// Creates a generator of GSL type `type` (one of `knownTypes`) seeded with `seed`.
  /// - Throws: `GSLError` for an unknown type or when GSL cannot allocate it.
  public init(type: String = "mt19937", seed: UInt64) throws {
    guard let t = GSL.rngType(named: type) else {
      throw GSLError(
        function: "gsl_rng_alloc",
        message: "unknown generator '\(type)'; allowed: \(Self.knownTypes.joined(separator: ", "))")
    }
    guard let r = GSL.rngAlloc(t) else {
      throw GSLError(function: "gsl_rng_alloc", message: "out of memory allocating '\(type)'")
    }
    rng = r
    reseed(seed)
  }

  private init(owning r: UnsafeMutablePointer<gsl_rng>) { rng = r }

  deinit { GSL.rngFree(rng) }

  /// The GSL name of the generator type, e.g. `mt19937`.
  public var name: String { GSL.rngName(rng) }

  /// Restarts the generator from `seed`.
  public func reseed(_ seed: UInt64) {
    GSL.rngSet(rng, UInt(truncatingIfNeeded: seed))
    if name == "mt19937" {
      // State layout of GSL's mt19937: unsigned long mt[624]; int mti.
      let words = 624
      precondition(GSL.rngSize(rng) >= words * MemoryLayout<UInt>.size + MemoryLayout<Int32>.size)
      let state = GSL.rngState(rng)
      let mt = state.bindMemory(to: UInt.self, capacity: words)
      var sm = SplitMix64(seed: seed)
      var anyNonZero = false
      for i in 0..<words {
        let w = UInt(sm.next() & 0xffff_ffff)
        mt[i] = w
        anyNonZero = anyNonZero || w != 0
      }
      if !anyNonZero { mt[0] = 0x8000_0000 }
      (state + words * MemoryLayout<UInt>.size).storeBytes(of: Int32(words), as: Int32.self)
    }
  }

  /// A copy with the same type and state: both then produce the same sequence.
  public func copy() -> GSLRandom {
    guard let c = GSL.rngClone(rng) else { fatalError("gsl_rng_clone: out of memory") }
    return GSLRandom(owning: c)
  }

  /// A uniform double in [0, 1).
  @inlinable @inline(__always)
  public func uniform() -> Double { gsl_rng_uniform(rng) }

  /// A uniform double in (0, 1).
  @inlinable @inline(__always)
  public func uniformPositive() -> Double { gsl_rng_uniform_pos(rng) }

  /// A uniform integer in 0 ..< n. `n` must be positive.
  public func uniformInt(below n: Int) -> Int {
    precondition(n > 0, "uniformInt(below:) needs a positive bound")
    return Int(GSL.uniformInt(rng, UInt(n)))
  }

  /// An exponential variate with the given mean, by inversion: -mean · ln(U), U uniform on
  /// (0, 1) from this GSL generator.
  ///
  /// Same distribution as `gsl_ran_exponential`, which computes -mean · ln(1 - U) with
  /// `log1p`; glibc's `log` is about three times faster than its `log1p` and this is the
  /// hottest draw of every traffic source (measured with `vrsim bench engine`).
  @inlinable @inline(__always)
  public func exponential(mean: Double) -> Double { -mean * _vrsimLog(gsl_rng_uniform_pos(rng)) }

  /// An exponential variate drawn by GSL itself (`gsl_ran_exponential`), for cross-checks.
  public func exponentialGSL(mean: Double) -> Double { GSL.exponential(rng, mean) }

  /// A normal variate with mean `mu` and standard deviation `sigma` (ziggurat method).
  public func normal(mu: Double = 0, sigma: Double = 1) -> Double { mu + GSL.gaussian(rng, sigma) }

  /// A lognormal variate: exp(N(zeta, sigma)) (`gsl_ran_lognormal`).
  public func lognormal(zeta: Double, sigma: Double) -> Double { GSL.lognormal(rng, zeta, sigma) }

  /// A gamma variate with shape `a` and scale `b`, mean a*b (`gsl_ran_gamma`).
  public func gamma(shape a: Double, scale b: Double) -> Double { GSL.gamma(rng, a, b) }

  /// A Pareto variate with exponent `a` and scale (minimum) `b` (`gsl_ran_pareto`).
  public func pareto(exponent a: Double, scale b: Double) -> Double { GSL.pareto(rng, a, b) }

  /// A Poisson variate with mean `mu` (`gsl_ran_poisson`).
  public func poisson(mean mu: Double) -> Int { Int(GSL.poisson(rng, mu)) }
}

/// SplitMix64: a tiny 64-bit generator used only to expand seeds (Steele, Lea and Flood,
/// "Fast splittable pseudorandom number generators", OOPSLA 2014).
public struct SplitMix64: Sendable {
  /// Internal state; advanced by the golden gamma on every draw.
  public var state: UInt64
  /// Creates a generator starting from `seed`.
  public init(seed: UInt64) { state = seed }
  /// The next 64-bit output.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
