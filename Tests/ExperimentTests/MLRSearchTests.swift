import Foundation
import Report
import Testing

@testable import Experiment

/// The testbed's MLRsearch against scripted measurers: every expected bracket and
/// classification below is worked out by hand from the specification's rules (the comments
/// give the arithmetic), never taken from a run of the search.
@Suite struct SearchTests {
  typealias R = MLRSearch.TrialResult

  static func goal(
    _ name: String, loss: Double, exceed: Double = 0.5, final: Double = 10, sum: Double = 30,
    width: Double = 0.02
  ) -> MLRSearch.Goal {
    MLRSearch.Goal(
      name: name, lossRatio: loss, exceedRatio: exceed, finalDuration: final, durationSum: sum, width: width)
  }

  static let good = R(lossRatio: 0, shortfall: 0, forwardingRate: 1)
  static let bad = R(lossRatio: 0.01, shortfall: 0, forwardingRate: 1)

  /// Load classification, by hand. Goal: final trials 10 s, duration sum 30 s, exceed 0.5,
  /// so quantile = 0.5 x max(whole, 30) = 15 s.
  /// - good 10 + good 10: high-loss 0, missing 10; pessimistic 10 <= 15: lower.
  /// - good 10: missing 20 > 15, optimistic 0 <= 15: undecided.
  /// - bad 10 + bad 10: high-loss 20 > 15: upper.
  /// - good 10 + bad 10: optimistic 10 <= 15, pessimistic 20 > 15: undecided.
  /// - one short bad trial of 1 s: effective bad 1, missing 29: undecided.
  /// With exceed 0 (RFC 2544: every trial must pass), quantile = 0:
  /// - the same short bad trial: effective bad 1 > 0: upper.
  /// - good 10 x 2: missing 10 > 0: undecided; good 10 x 3: lower.
  /// Short trials balance: exceed 0.5, short good 2 s and short bad 2 s: balancing 2 x 0.5 /
  /// 0.5 = 2, effective bad max(0, 2 - 2) = 0; with good 10 x 2 the load is lower.
  @Test func classificationByHand() {
    let s = MLRSearch(minLoad: 1, maxLoad: 100, goals: [Self.goal("ndr", loss: 0)], initialDuration: 1)
    let g = Self.goal("ndr", loss: 0)
    #expect(s.classify([(10, Self.good), (10, Self.good)], for: g) == .lower)
    #expect(s.classify([(10, Self.good)], for: g) == .undecided)
    #expect(s.classify([(10, Self.bad), (10, Self.bad)], for: g) == .upper)
    #expect(s.classify([(10, Self.good), (10, Self.bad)], for: g) == .undecided)
    #expect(s.classify([(1, Self.bad)], for: g) == .undecided)
    let strict = Self.goal("ndr", loss: 0, exceed: 0)
    #expect(s.classify([(1, Self.bad)], for: strict) == .upper)
    #expect(s.classify([(10, Self.good), (10, Self.good)], for: strict) == .undecided)
    #expect(s.classify([(10, Self.good), (10, Self.good), (10, Self.good)], for: strict) == .lower)
    #expect(
      s.classify([(2, Self.good), (2, Self.bad), (10, Self.good), (10, Self.good)], for: g) == .lower)
    // A trial short by more than the tolerance (1%) is high-loss, even with no loss.
    let short = R(lossRatio: 0, shortfall: 0.02, forwardingRate: 1)
    #expect(s.classify([(10, short), (10, short)], for: g) == .upper)
    let nearly = R(lossRatio: 0, shortfall: 0.005, forwardingRate: 1)
    #expect(s.classify([(10, nearly), (10, nearly)], for: g) == .lower)
  }

  /// 1 s to 10 s in steps of at most 3.2x: ceil(ln 10 / ln 3.2) = ceil(1.98) = 2 steps of
  /// sqrt(10) = 3.1623: 1, 3.1623, 10 s.
  @Test func phaseDurations() {
    let s = MLRSearch(minLoad: 1, maxLoad: 100, goals: [Self.goal("ndr", loss: 0)], initialDuration: 1)
    let p = s.phaseDurations
    #expect(p.count == 3)
    #expect(p[0] == 1)
    #expect(abs(p[1] - 10.0.squareRoot()) < 1e-9)
    #expect(p[2] == 10)
  }

  /// A whole search traced by hand: one phase (initial = final = 1 s, duration sum 1 s,
  /// exceed 0, width 0.3), loads 1 ... 100, a path that carries 40 and loses the rest.
  /// 1. 100: loss 0.6, upper. 2. Maximum receive rate start: min(100 x (1 - 0.3), 40) = 40:
  /// loss 0, lower. 3. 100 - 40 = 60 > 0.3 x 100: midpoint 70, upper. 4. 70 - 40 = 30 >
  /// 21: midpoint 55, upper. 5. 55 - 40 = 15 <= 16.5: done. Bracket [40, 55), 4 trials.
  @Test func searchTracedByHand() {
    let s = MLRSearch(
      minLoad: 1, maxLoad: 100,
      goals: [Self.goal("ndr", loss: 0, exceed: 0, final: 1, sum: 1, width: 0.3)], initialDuration: 1)
    let o = s.run { load, _ in
      R(lossRatio: max(0, (load - 40) / load), shortfall: 0, forwardingRate: min(load, 40))
    }
    #expect(o.trials.map(\.load) == [100, 40, 70, 55])
    #expect(o.results[0].lower == 40)
    #expect(o.results[0].upper == 55)
    #expect(o.results[0].upperCause == .loss)
  }

  /// A known loss curve: the path carries C = 100 kp/s and loses the excess, so a load L
  /// loses (L - C) / L. NDR (loss 0) holds up to C exactly; PDR (0.5%) up to
  /// C / (1 - 0.005) = 100 502.5 pp/s. Each bracket must hold its threshold (lower <= t <
  /// upper) and be at most the goal's width (2% of its upper end), and each lower bound must
  /// rest on at least two full-length (10 s) trials (duration sum 30 s, exceed 0.5: 20 s of
  /// passing trials leave 10 s missing, which is within the 15 s quantile).
  @Test func knownLossCurve() {
    let c = 100_000.0
    let s = MLRSearch(
      minLoad: 10_000, maxLoad: 1_000_000, goals: [Self.goal("ndr", loss: 0), Self.goal("pdr", loss: 0.005)],
      initialDuration: 1)
    let o = s.run { load, _ in
      R(lossRatio: max(0, (load - c) / load), shortfall: 0, forwardingRate: min(load, c))
    }
    for (r, threshold) in zip(o.results, [c, c / 0.995]) {
      let lower = try! #require(r.lower)
      let upper = try! #require(r.upper)
      print("known loss curve \(r.goal.name): [\(lower), \(upper)) pps in \(o.trials.count) trials")
      #expect(
        lower <= threshold && threshold < upper, "\(r.goal.name): [\(lower), \(upper)) misses \(threshold)")
      #expect(upper - lower <= 0.02 * upper)
      #expect(o.trials.filter { $0.load == lower && $0.duration == 10 }.count >= 2)
      #expect(r.upperCause == .loss)
      #expect(r.complete)
    }
    // A load far above the bracket (1 Mp/s, failed in the first 1 s trial) is never
    // measured again at full length.
    #expect(!o.trials.contains { $0.duration == 10 && $0.load == 1_000_000 })
    // Trials grow: the first is short, the last full-length.
    #expect(o.trials.first?.duration == 1)
    #expect(o.trials.last?.duration == 10)
  }

  /// Noisy trials: the same path, but the first full-length trial at every load loses 1%
  /// whatever the load (a neighbour's burst). With exceed 0.5 a load below C gets bad 10,
  /// good 10, good 10: after the third, high-loss 10 s plus missing 0 <= 15 s: lower; a load
  /// above C is bad every time: 20 s > 15 s after two: upper. So the NDR bracket still holds
  /// C. With exceed 0 (every trial must pass) the same noise fails every load it touches:
  /// 10 s > 0 after the first full-length trial, so no full-length lower bound exists and
  /// the NDR is none (below the lowest load), as the RFC 2544 rule gives on a noisy machine.
  @Test func noisyTrials() {
    let c = 100_000.0
    func measurer() -> (Double, Double) -> R {
      var seen: Set<Double> = []
      return { load, duration in
        var loss = max(0, (load - c) / load)
        if duration == 10 && !seen.contains(load) {
          seen.insert(load)
          loss = max(loss, 0.01)
        }
        return R(lossRatio: loss, shortfall: 0, forwardingRate: min(load, c))
      }
    }
    let tolerant = MLRSearch(
      minLoad: 10_000, maxLoad: 1_000_000, goals: [Self.goal("ndr", loss: 0)], initialDuration: 1)
    let m = measurer()
    let o = tolerant.run { m($0, $1) }
    let lower = try! #require(o.results[0].lower)
    let upper = try! #require(o.results[0].upper)
    #expect(lower <= c && c < upper)
    #expect(upper - lower <= 0.02 * upper)
    let strict = MLRSearch(
      minLoad: 10_000, maxLoad: 1_000_000, goals: [Self.goal("ndr", loss: 0, exceed: 0)], initialDuration: 1)
    let m2 = measurer()
    let o2 = strict.run { m2($0, $1) }
    #expect(o2.results[0].lower == nil)
    #expect(o2.results[0].upper == 10_000)
  }

  /// A generator-limited curve: the generator sends at most G = 80 kp/s (the path would
  /// carry 100 kp/s), so a load L is sent at min(L, G): shortfall 1 - G / L above G and no
  /// loss anywhere. With a 1% tolerance a load passes up to G / 0.99 = 80 808.08 pp/s: the
  /// bracket holds that, and its upper end fails for the shortfall, not for loss.
  @Test func generatorLimitedCurve() {
    let g = 80_000.0
    let s = MLRSearch(
      minLoad: 10_000, maxLoad: 1_000_000, goals: [Self.goal("ndr", loss: 0), Self.goal("pdr", loss: 0.005)],
      initialDuration: 1, shortfallTolerance: 0.01)
    let o = s.run { load, _ in
      let sent = min(load, g)
      return R(lossRatio: 0, shortfall: max(0, 1 - sent / load), forwardingRate: sent)
    }
    for r in o.results {
      let lower = try! #require(r.lower)
      let upper = try! #require(r.upper)
      print("generator-limited \(r.goal.name): [\(lower), \(upper)) pps in \(o.trials.count) trials")
      #expect(lower <= g / 0.99 && g / 0.99 < upper)
      #expect(r.upperCause == .shortfall)
    }
  }

  /// A path that carries everything: the first trial at the highest load passes at every
  /// phase, and each goal's lower bound is the highest load with no upper bound.
  @Test func highestLoadPasses() {
    let s = MLRSearch(
      minLoad: 1_000, maxLoad: 50_000, goals: [Self.goal("ndr", loss: 0)], initialDuration: 1)
    let o = s.run { load, _ in R(lossRatio: 0, shortfall: 0, forwardingRate: load) }
    #expect(o.results[0].lower == 50_000)
    #expect(o.results[0].upper == nil)
    // 1 s, 3.16 s, then two 10 s trials (20 s good leaves 10 s missing <= 15 s).
    #expect(o.trials.count == 4)
  }
}
