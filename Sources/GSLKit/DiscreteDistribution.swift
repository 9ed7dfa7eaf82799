/// A discrete (empirical) distribution over 0 ..< n with given weights, drawn in O(1) with
/// Walker's alias method (`gsl_ran_discrete_preproc` / `gsl_ran_discrete`).
///
/// Used for IMIX and empirical frame-size mixes. Owns its GSL lookup table.
public final class DiscreteDistribution {
  private let table: OpaquePointer
  /// Number of outcomes.
  public let count: Int

  /// Builds the table from non-negative `weights` (not necessarily normalised).
  /// - Throws: `GSLError` if the list is empty, has a negative or non-finite weight, or sums to 0.
  public init(weights: [Double]) throws {
    guard !weights.isEmpty else {
      throw GSLError(function: "gsl_ran_discrete_preproc", message: "no weights given")
    }
    if let bad = weights.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
      throw GSLError(
        function: "gsl_ran_discrete_preproc",
        message: "weight \(bad) is \(weights[bad]); weights must be finite and >= 0")
    }
    guard weights.reduce(0, +) > 0 else {
      throw GSLError(function: "gsl_ran_discrete_preproc", message: "weights sum to 0")
    }
    guard let t = GSL.discretePreproc(weights) else {
      throw GSLError(function: "gsl_ran_discrete_preproc", message: "GSL could not build the table")
    }
    table = t
    count = weights.count
  }

  deinit { GSL.discreteFree(table) }

  /// Draws an outcome index in 0 ..< count using `random`.
  public func draw(_ random: GSLRandom) -> Int { GSL.discreteDraw(random.rng, table) }
}
