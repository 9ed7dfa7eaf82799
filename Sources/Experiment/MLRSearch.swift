import Foundation
import Report

/// A throughput search after the IETF BMWG MLRsearch specification (draft-ietf-bmwg-mlrsearch,
/// "Multiple Loss Ratio Search"), the method FD.io CSIT runs: every search goal (NDR: loss
/// ratio 0; PDR: 0.5%) is found in one search, trials grow from short probes to the final
/// duration, and a load is decided by the durations of its trials, never by a single trial.
///
/// The specification fixes what a result means, not how loads are picked; this file is an
/// implementation of it written for vrsim (see docs/testbed.md, "The search"):
///
/// - **Trial.** A measurer sends at an intended load for a duration and reports the loss
///   ratio (frames lost against frames the generator actually sent) and, separately, the
///   shortfall (how far the generator's achieved rate fell below the intended load). A trial
///   is *high-loss* for a goal when its loss ratio exceeds the goal's loss ratio, or when its
///   shortfall exceeds `shortfallTolerance`: a load the generator could not send is not a
///   load the device was shown to carry. The two causes are kept apart in every result.
/// - **Load classification** (the specification's logic): trials at least the goal's final
///   duration long are *full-length*; shorter ones count through a balancing sum (short
///   low-loss trials cancel short high-loss ones in the ratio exceed/(1-exceed)). With
///   `effectiveBad = longBad + max(0, shortBad - balancing)`, `whole = max(longGood +
///   effectiveBad, durationSum)` and `quantile = exceedRatio * whole`: the load is a *lower
///   bound* when even the missing duration counted as high-loss keeps the high-loss sum within
///   the quantile; an *upper bound* when the high-loss sum already exceeds it; else
///   *undecided* (it needs more trials).
/// - **Phases.** The final phase uses the goals as given. Earlier phases use shorter trials
///   (from `initialDuration`, growing geometrically by at most 3.2x per phase), a duration sum
///   of one trial and a width doubled per phase before the last: their bounds only seed the
///   next phase, every result comes from full-length trials.
/// - **Selection.** In each phase every goal proposes one load: an undecided load inside its
///   bracket (measured again; beyond a bound only once the expansion from the bound reaches
///   it), an expansion up from its lower bound or down from its upper bound (the step
///   doubling each time), or the bracket's midpoint; the search measures
///   the lowest proposal. The first trial is at `maxLoad`; when it fails, the next load is
///   the forwarding rate it achieved (CSIT's "maximum receive rate" start). A goal is done in
///   a phase when its bracket is within the phase's width, or its lower bound is `maxLoad`,
///   or its upper bound is `minLoad`.
///
/// Each goal's result carries its bracket: the relevant lower bound (highest load classified
/// as passing below the lowest failing one) and the relevant upper bound (lowest failing).
public struct MLRSearch: Sendable {
  /// One search goal (the specification's "search goal").
  public struct Goal: Sendable, Equatable {
    /// Name of the result (`ndr`, `pdr`).
    public var name: String
    /// Highest loss ratio a low-loss trial may have (0 for NDR).
    public var lossRatio: Double
    /// Share of the duration sum that may be high-loss while the load still passes, in [0, 1).
    /// 0: every trial must pass (RFC 2544); 0.5: a majority of the duration must pass.
    public var exceedRatio: Double
    /// Duration of a full-length (final) trial, seconds.
    public var finalDuration: Double
    /// Full-length duration a load needs before it is decided, seconds (e.g. 3 x final:
    /// each final load is measured at least `durationSum / finalDuration` times unless the
    /// first trials already decide it as failing).
    public var durationSum: Double
    /// Width of the bracket to stop at, at its upper end: a share of it (upper - lower) /
    /// upper, or an absolute width in packets per second.
    public var resolution: ThroughputSearch.Resolution

    /// Creates a goal stopping at `resolution`.
    public init(
      name: String, lossRatio: Double, exceedRatio: Double, finalDuration: Double, durationSum: Double,
      resolution: ThroughputSearch.Resolution
    ) {
      self.name = name
      self.lossRatio = lossRatio
      self.exceedRatio = exceedRatio
      self.finalDuration = finalDuration
      self.durationSum = durationSum
      self.resolution = resolution
    }

    /// Creates a goal stopping at the relative `width` (upper - lower) / upper.
    public init(
      name: String, lossRatio: Double, exceedRatio: Double, finalDuration: Double, durationSum: Double,
      width: Double
    ) {
      self.init(
        name: name, lossRatio: lossRatio, exceedRatio: exceedRatio, finalDuration: finalDuration,
        durationSum: durationSum, resolution: .relative(width))
    }

    /// The stopping width at `load` as a share of it, at most 0.5.
    func share(at load: Double) -> Double { min(0.5, resolution.share(at: load)) }
  }

  /// What the measurer reports of one trial (the core's `ThroughputTrialResult`).
  public typealias TrialResult = ThroughputTrialResult

  /// One trial the search ran.
  public struct Trial: Sendable {
    /// Its phase (0 = the first, shortest).
    public var phase: Int
    /// The intended load, packets per second.
    public var load: Double
    /// Its duration, seconds.
    public var duration: Double
    /// What it measured.
    public var result: TrialResult
  }

  /// How a load stands for one goal.
  public enum Classification: String, Sendable, Equatable {
    /// The load passes (a relevant lower bound candidate).
    case lower
    /// The load fails.
    case upper
    /// More trials are needed.
    case undecided
  }

  /// Why a goal's upper bound failed.
  public enum UpperCause: String, Sendable, Equatable {
    /// Trials lost more than the goal's loss ratio.
    case loss
    /// The generator could not send the load (shortfall above the tolerance), with no
    /// high loss: the bracket's upper end is the generator's limit on this path, not the
    /// device's.
    case shortfall
  }

  /// The result of one goal.
  public struct GoalResult: Sendable {
    /// The goal.
    public var goal: Goal
    /// Highest load classified as passing below `upper` (nil: even `minLoad` failed).
    public var lower: Double?
    /// Lowest load classified as failing (nil: `maxLoad` passed).
    public var upper: Double?
    /// Why `upper` failed.
    public var upperCause: UpperCause?
    /// The lower bound's load times (1 - its full-length trials' loss ratio at the exceed
    /// quantile): the specification's conditional throughput. Nil without a lower bound.
    public var conditionalThroughput: Double?
    /// False when the search stopped at `maxTrials` before the goal was met.
    public var complete: Bool
  }

  /// The outcome of one search.
  public struct Outcome: Sendable {
    /// One result per goal, in the goals' order.
    public var results: [GoalResult]
    /// Every trial, in order.
    public var trials: [Trial]
    /// The phases' trial durations, seconds.
    public var phaseDurations: [Double]
  }

  /// Lowest and highest intended load, packets per second.
  public var minLoad: Double
  /// See `minLoad`.
  public var maxLoad: Double
  /// The goals (all must share the final duration).
  public var goals: [Goal]
  /// Duration of the first phase's trials, seconds.
  public var initialDuration: Double
  /// Largest shortfall a low-loss trial may have (0.01: the achieved rate within 1% of the
  /// intended one).
  public var shortfallTolerance: Double
  /// Most trials one search runs (a guard against a measurer that never settles).
  public var maxTrials: Int

  /// Creates a search. - Precondition: `0 < minLoad < maxLoad`, goals non-empty with one
  /// final duration, exceed ratios in [0, 1), widths in (0, 1).
  public init(
    minLoad: Double, maxLoad: Double, goals: [Goal], initialDuration: Double,
    shortfallTolerance: Double = 0.01,
    maxTrials: Int = 200
  ) {
    precondition(minLoad > 0 && minLoad < maxLoad, "load range [\(minLoad), \(maxLoad)] is empty")
    precondition(!goals.isEmpty, "a search needs a goal")
    precondition(Set(goals.map(\.finalDuration)).count == 1, "the goals must share one final duration")
    for g in goals {
      precondition(g.exceedRatio >= 0 && g.exceedRatio < 1, "exceed ratio \(g.exceedRatio) outside [0, 1)")
      switch g.resolution {
      case .relative(let w): precondition(w > 0 && w < 1, "width \(w) outside (0, 1)")
      case .absolute(let w): precondition(w > 0, "width \(w) not above 0")
      }
      precondition(g.durationSum >= g.finalDuration, "duration sum below the final duration")
    }
    self.minLoad = minLoad
    self.maxLoad = maxLoad
    self.goals = goals
    self.initialDuration = min(initialDuration, goals[0].finalDuration)
    self.shortfallTolerance = shortfallTolerance
    self.maxTrials = maxTrials
  }

  /// The phases' trial durations: from `initialDuration` to the final duration, each at most
  /// 3.2 times the one before (1 s -> 10 s: 1, 3.16, 10 s).
  public var phaseDurations: [Double] {
    let d0 = initialDuration
    let final = goals[0].finalDuration
    guard final > d0 * 1.0001 else { return [final] }
    let count = Int((log(final / d0) / log(3.2)).rounded(.up))
    return (0...count).map { i in i == count ? final : d0 * pow(final / d0, Double(i) / Double(count)) }
  }

  /// The classification parameters of `goal` in phase `p` of `phases`.
  func phaseGoal(_ goal: Goal, _ p: Int, _ phases: [Double]) -> Goal {
    let last = phases.count - 1
    guard p < last else { return goal }
    var g = goal
    g.finalDuration = phases[p]
    g.durationSum = phases[p]
    g.resolution = goal.resolution.scaled(by: pow(2, Double(last - p)))
    return g
  }

  /// Whether a trial is high-loss for `goal`, and whether only for its shortfall.
  func highLoss(_ r: TrialResult, _ goal: Goal) -> (high: Bool, shortfallOnly: Bool) {
    let lossy = r.lossRatio > goal.lossRatio
    let short = r.shortfall > shortfallTolerance
    return (lossy || short, short && !lossy)
  }

  /// Classifies a load from its trials (`(duration, result)`) for `goal`: the
  /// specification's load classification with short trials balanced.
  public func classify(_ trials: [(duration: Double, result: TrialResult)], for goal: Goal) -> Classification
  {
    var longGood = 0.0
    var longBad = 0.0
    var shortGood = 0.0
    var shortBad = 0.0
    // A trial within 0.1% of the final duration is full-length (durations are rounded to ns).
    for t in trials {
      let bad = highLoss(t.result, goal).high
      if t.duration >= goal.finalDuration * 0.999 {
        if bad { longBad += t.duration } else { longGood += t.duration }
      } else {
        if bad { shortBad += t.duration } else { shortGood += t.duration }
      }
    }
    let x = goal.exceedRatio
    let balancing = shortGood * x / (1 - x)
    let effectiveBad = longBad + max(0, shortBad - balancing)
    let whole = max(longGood + effectiveBad, goal.durationSum)
    let quantile = x * whole
    let missing = whole - longGood - effectiveBad
    // A tiny relative slack so that sums of rounded durations compare as the exact ones.
    let eps = 1e-9 * whole
    if effectiveBad + missing <= quantile + eps { return .lower }
    if effectiveBad > quantile + eps { return .upper }
    return .undecided
  }

  /// Runs the search with `measurer`, each trial at the phase's duration.
  public func run(measurer: some ThroughputMeasurer) throws -> Outcome {
    try run { try measurer.measure(load: $0, duration: $1) }
  }

  /// Runs the search; `measure(load, duration)` runs one trial at an intended aggregate load
  /// (packets per second) for `duration` seconds.
  public func run(_ measure: (Double, Double) throws -> TrialResult) rethrows -> Outcome {
    let phases = phaseDurations
    var trials: [Trial] = []
    var previous: [(lower: Double?, upper: Double?)] = Array(repeating: (nil, nil), count: goals.count)
    var complete = true
    for (p, duration) in phases.enumerated() {
      var up = Array(repeating: 0, count: goals.count)
      var down = Array(repeating: 0, count: goals.count)
      while true {
        var proposals: [(goal: Int, load: Double, step: Int)] = []  // step: 1 up, -1 down, 0 other
        for (k, goal) in goals.enumerated() {
          let g = phaseGoal(goal, p, phases)
          if let prop = propose(g, trials: trials, phase: p, previous: previous[k], up: up[k], down: down[k])
          {
            proposals.append((k, prop.load, prop.step))
          }
        }
        guard let next = proposals.min(by: { $0.load < $1.load }) else { break }
        if trials.count >= maxTrials {
          complete = false
          break
        }
        for prop in proposals where prop.load == next.load {
          if prop.step > 0 { up[prop.goal] += 1 }
          if prop.step < 0 { down[prop.goal] += 1 }
        }
        let r = try measure(next.load, duration)
        trials.append(Trial(phase: p, load: next.load, duration: duration, result: r))
      }
      for (k, goal) in goals.enumerated() {
        let b = bounds(phaseGoal(goal, p, phases), trials)
        previous[k] = (b.lower, b.upper)
      }
      if !complete { break }
    }
    let results = goals.map { goal -> GoalResult in
      let b = bounds(goal, trials)
      var cause: UpperCause? = nil
      if let u = b.upper {
        let at = trials.filter { $0.load == u }.map { highLoss($0.result, goal) }.filter(\.high)
        cause = !at.isEmpty && at.allSatisfy(\.shortfallOnly) ? .shortfall : .loss
      }
      var conditional: Double? = nil
      if let l = b.lower {
        let losses = trials.filter { $0.load == l && $0.duration >= goal.finalDuration * 0.999 }
          .map(\.result.lossRatio).sorted(by: >)
        if !losses.isEmpty {
          let i = min(losses.count - 1, Int((goal.exceedRatio * Double(losses.count)).rounded(.down)))
          conditional = l * (1 - losses[i])
        }
      }
      return GoalResult(
        goal: goal, lower: b.lower, upper: b.upper, upperCause: cause, conditionalThroughput: conditional,
        complete: complete)
    }
    return Outcome(results: results, trials: trials, phaseDurations: phases)
  }

  /// The loads measured so far with their classification for `goal`, ascending.
  func classified(_ goal: Goal, _ trials: [Trial]) -> [(load: Double, c: Classification)] {
    var byLoad: [Double: [(duration: Double, result: TrialResult)]] = [:]
    for t in trials { byLoad[t.load, default: []].append((t.duration, t.result)) }
    return byLoad.keys.sorted().map { ($0, classify(byLoad[$0]!, for: goal)) }
  }

  /// The relevant bounds of `goal`: the lowest upper bound, and the highest lower bound below it.
  func bounds(_ goal: Goal, _ trials: [Trial]) -> (lower: Double?, upper: Double?, undecided: [Double]) {
    let loads = classified(goal, trials)
    let upper = loads.first { $0.c == .upper }?.load
    let lower = loads.last { $0.c == .lower && $0.load < (upper ?? .infinity) }?.load
    let undecided = loads.filter {
      $0.c == .undecided && $0.load > (lower ?? -.infinity) && $0.load < (upper ?? .infinity)
    }.map(\.load)
    return (lower, upper, undecided)
  }

  /// The load `goal` (with its phase's parameters) wants measured next, nil when it is met.
  func propose(
    _ goal: Goal, trials: [Trial], phase: Int, previous: (lower: Double?, upper: Double?), up: Int, down: Int
  ) -> (load: Double, step: Int)? {
    let b = bounds(goal, trials)
    if !b.undecided.isEmpty {
      switch (b.lower, b.upper) {
      case (nil, nil):
        // A new phase: re-measure the previous phase's bounds first.
        if let l = previous.lower, b.undecided.contains(l) { return (l, 0) }
        if let u = previous.upper, b.undecided.contains(u) { return (u, 0) }
        return (b.undecided.last!, 0)
      case (let l?, nil):
        // An undecided load far above (a short trial of an earlier phase) is measured
        // again only when the expansion from the lower bound reaches it.
        let step = min(maxLoad, l * (1 + goal.share(at: l) * pow(2, Double(up))))
        return step < b.undecided.first! ? (step, 1) : (b.undecided.first!, 0)
      case (nil, let u?):
        let step = max(minLoad, u * (1 - min(0.9, goal.share(at: u) * pow(2, Double(down)))))
        return step > b.undecided.last! ? (step, -1) : (b.undecided.last!, 0)
      default: return (b.undecided.first!, 0)
      }
    }
    switch (b.lower, b.upper) {
    case (nil, nil):
      return (previous.lower ?? previous.upper ?? maxLoad, 0)
    case (let l?, nil):
      if l >= maxLoad { return nil }
      return (min(maxLoad, l * (1 + goal.share(at: l) * pow(2, Double(up)))), 1)
    case (nil, let u?):
      if u <= minLoad { return nil }
      var next = u * (1 - min(0.9, goal.share(at: u) * pow(2, Double(down))))
      if down == 0, phase == 0, let first = trials.first(where: { $0.load == u }) {
        // The maximum receive rate start: what the path carried at the failing load.
        next = min(next, first.result.forwardingRate)
      }
      return (max(minLoad, next), -1)
    case (let l?, let u?):
      if u - l <= goal.share(at: u) * u { return nil }
      return ((l + u) / 2, 0)
    }
  }
}
