import Experiment
import Scenario
import SimCore

/// The simulator's throughput search over a scenario's total offered rate (`vrsim search`):
/// the rate overrides that set a total while keeping the flows' proportions, and the bisection
/// at an absolute or a relative resolution.
public enum ScenarioSearch {
  /// The `--set` overrides that make the total offered rate of `spec` equal `total` pps,
  /// keeping the flows' proportions (a flow `to: each` gets its share divided by the router
  /// count).
  public static func rateOverrides(_ spec: ScenarioSpec, total: Double) -> [String] {
    let perFlow = spec.traffic.map { $0.rate.packetsPerSecond(meanFrameBytes: $0.frame.meanBytes) }
    let multiplicity = spec.traffic.map { $0.target == .each ? Double(spec.routers.count) : 1 }
    let weights = zip(perFlow, multiplicity).map { $0 * $1 }
    let sum = weights.reduce(0, +)
    var out: [String] = []
    for i in spec.traffic.indices {
      let share = sum > 0 ? weights[i] / sum : 1 / Double(spec.traffic.count)
      let pps = max(1, (total * share / multiplicity[i]).rounded())
      out.append("traffic[\(i)].rate=\(Int64(pps))pps")
    }
    return out
  }

  /// Bisects between `low` and `high` pps (`ThroughputSearch.find`). At a relative resolution,
  /// a coarse pass over the range at that share of `high` is refined to that share of the rate
  /// found; the trials of both passes are reported once each (the caller's `trial` may cache).
  public static func find(
    low: Double, high: Double, resolution: SearchResolution, maxLossFraction: Double,
    trial: (Double) throws -> (offered: Double, lossFraction: Double)
  ) throws -> ThroughputSearch.SearchResult {
    switch resolution {
    case .packetsPerSecond(let step):
      return try ThroughputSearch.find(
        low: low, high: high, resolution: Double(step), maxLossFraction: maxLossFraction, trial: trial)
    case .relative(let share):
      let coarse = try ThroughputSearch.find(
        low: low, high: high, resolution: max(1, share * high), maxLossFraction: maxLossFraction, trial: trial
      )
      var result = coarse
      if let r = coarse.rate, r < high, coarse.resolution > max(1, share * r) {
        let fine = try ThroughputSearch.find(
          low: r, high: r + coarse.resolution, resolution: max(1, share * r),
          maxLossFraction: maxLossFraction,
          trial: trial)
        var trials = coarse.trials
        for t in fine.trials where !trials.contains(where: { $0.requested == t.requested }) {
          trials.append(t)
        }
        result.rate = fine.rate
        result.resolution = fine.resolution
        result.trials = trials
      }
      return result
    }
  }
}
