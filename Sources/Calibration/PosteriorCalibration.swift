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
      simulate: { thetas, seeds in
        // Under a stop, the simulations in progress stop too: the chunk's candidates wholly
        // simulated are handed back for the checkpoint, the others are left for a resumption.
        let out = try evaluator.simulate(thetas, seeds: seeds, stop: options.stop, progress: nil)
        let whole = out.map { rows in rows.contains { $0 == nil } ? nil : rows.map { $0! } }
        if whole.contains(where: { $0 == nil }) { throw PosteriorChunkStopped(outcomes: whole) }
        return whole.map { $0! }
      },
      likelihood: {
        PosteriorLikelihood(rows: rows, simulationSD: $0, simulationScale: $1, discrepancies: $2)
      })
  }
}
