import Foundation
import Report

/// A CSIT-style throughput search on the real path: for each load, `trials` trials of the
/// setup's duration; a load passes when every trial's loss is at most the bound. The loss is
/// `loss_vs_target` when the trial reports it (frames received against frames the load asked
/// for: a generator that could not send at the load fails it), else `loss`. NDR is the
/// highest passing load with 0% loss, PDR with at most 0.5% (by default). The very first
/// trial is a warm-up and is discarded (but reported); every trial is reported.
///
/// Bisection between `low` and `high` (aggregate packets per second) until the bracket is
/// narrower than `resolution` of its upper end (FD.io CSIT, MLRsearch simplified: one
/// bisection per bound, the PDR search starting from the NDR).
public struct ThroughputSearch: Sendable {
  /// Lowest and highest aggregate load tried.
  public var low: Double
  /// See `low`.
  public var high: Double
  /// Relative bracket width at which to stop (0.05 = 5%).
  public var resolution: Double
  /// Trials per load.
  public var trials: Int
  /// Loss bound of the partial drop rate.
  public var pdrLoss: Double = 0.005

  /// Creates a search.
  public init(low: Double, high: Double, resolution: Double, trials: Int, pdrLoss: Double = 0.005) {
    self.low = low
    self.high = high
    self.resolution = resolution
    self.trials = trials
    self.pdrLoss = pdrLoss
  }

  /// One trial at one load.
  public struct Trial: Sendable {
    /// `warmup`, `ndr` or `pdr`: which search it served.
    public var phase: String
    /// Aggregate load offered (packets per second).
    public var load: Double
    /// Its measurements.
    public var measurements: [MetricRow]
    /// Its loss fraction.
    public var loss: Double
  }

  /// The outcome.
  public struct Outcome: Sendable {
    /// Highest load with no loss (nil: even `low` lost packets).
    public var ndr: Double?
    /// Highest load with loss <= pdrLoss.
    public var pdr: Double?
    /// Every trial, the warm-up first.
    public var trials: [Trial]
  }

  /// Runs the search; `measure(load, index)` runs one trial at an aggregate load.
  public func run(_ measure: (Double, Int) throws -> [MetricRow]) rethrows -> Outcome {
    var all: [Trial] = []
    var index = 0
    func trial(_ phase: String, _ load: Double) throws -> Trial {
      let m = try measure(load, index)
      index += 1
      let loss =
        (m.first { $0.scope == "aggregate" && $0.metric == Metric.lossVsTarget.name }
        ?? m.first { $0.scope == "aggregate" && $0.metric == Metric.loss.name })?.value ?? 1
      let t = Trial(phase: phase, load: load, measurements: m, loss: loss)
      all.append(t)
      return t
    }
    _ = try trial("warmup", low)
    func passes(_ phase: String, _ load: Double, _ bound: Double) throws -> Bool {
      var ok = true
      for _ in 0..<trials where try trial(phase, load).loss > bound { ok = false }
      return ok
    }
    // `known`: `lo0` already passed a stricter bound (the NDR, for the PDR search), so it
    // is not measured again.
    func bisect(_ phase: String, _ bound: Double, from lo0: Double, known: Bool) throws -> Double? {
      var lo = lo0
      var hi = high
      if try passes(phase, hi, bound) { return hi }
      if try !known && !passes(phase, lo, bound) { return nil }
      while (hi - lo) > resolution * hi {
        let mid = (lo + hi) / 2
        if try passes(phase, mid, bound) { lo = mid } else { hi = mid }
      }
      return lo
    }
    let ndr = try bisect("ndr", 0, from: low, known: false)
    let pdr = try bisect("pdr", pdrLoss, from: ndr ?? low, known: ndr != nil)
    return Outcome(ndr: ndr, pdr: pdr, trials: all)
  }
}
