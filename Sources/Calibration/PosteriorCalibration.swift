import Foundation
import Report

extension PosteriorSampler {
  /// The sampler of `vrsim calibrate --method posterior`: the keys of `evaluator` under
  /// `priors`, its rows' likelihood with the simulator's noise, and a relative model
  /// discrepancy of sd `discrepancy` (nil: fitted, log-uniform on 0.1% ... 50% over 28 points).
  public init(evaluator: RowEvaluator, priors: [KeyPrior], discrepancy: Double?, options: Options) {
    let grid =
      discrepancy.map { [(value: $0, weight: 1.0)] }
      ?? PosteriorLikelihood.logUniformGrid(0.001...0.5, count: 28)
    let rows = evaluator.rows
    self.init(
      priors: priors, discrepancies: grid, options: options,
      simulate: { try evaluator.simulate($0, seeds: $1) },
      likelihood: {
        PosteriorLikelihood(rows: rows, simulationSD: $0, simulationScale: $1, discrepancies: $2)
      })
  }
}
