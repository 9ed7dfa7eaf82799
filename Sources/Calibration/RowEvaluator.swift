import Dispatch
import Foundation
import GSLKit
import Report
import Scenario
import ScenarioRun
import SimCore

/// A declared key being fitted, with the bounds of its search: the declaration's calibration
/// bounds, else its valid range. The search runs on an unbounded internal coordinate
/// `u = logit((θ − lower) / (upper − lower))`, so every candidate lies strictly inside the
/// bounds (bounds by transformation).
public struct FitParameter: Sendable {
  /// The declaration (unit, range, calibration bounds, default, `--set` text).
  public let declared: DeclaredParameter
  /// Lowest value the fit may take, in `declared.unit`.
  public let lower: Double
  /// Highest value the fit may take.
  public let upper: Double

  /// The key's full path, e.g. `profile.bridge`.
  public var key: String { declared.key }

  /// The declared key `key`, bounded by its calibration bounds (or its range).
  /// - Throws: `CalibrationError` for an unknown or non-numeric key, or empty bounds.
  public init(key: String) throws {
    guard let d = ScenarioSchema.parameter(key) else {
      let known = ScenarioSchema.parameters.map(\.key).filter { $0.hasPrefix("profile.") }.prefix(6)
      throw CalibrationError(
        "--fit \(key): not a numeric declared key (e.g. \(known.joined(separator: ", ")); every key is in "
          + "scenarios/README.md)")
    }
    declared = d
    lower = d.calibration?.lower ?? d.range.lowerBound
    upper = d.calibration?.upper ?? d.range.upperBound
    guard upper > lower, lower.isFinite, upper.isFinite else {
      throw CalibrationError("--fit \(key): empty or unbounded calibration bounds \(lower) ... \(upper)")
    }
  }

  /// The internal coordinate of `value` (clamped just inside the bounds).
  public func internalValue(_ value: Double) -> Double {
    let p = min(1 - 1e-9, max(1e-9, (value - lower) / (upper - lower)))
    return log(p / (1 - p))
  }

  /// The value of internal coordinate `u`.
  public func value(_ u: Double) -> Double { lower + (upper - lower) / (1 + exp(-u)) }

  /// dθ/du at `u`.
  public func derivative(_ u: Double) -> Double {
    let s = 1 / (1 + exp(-u))
    return (upper - lower) * s * (1 - s)
  }
}

/// The simulated counterpart of one measured row: mean over replications, its standard
/// deviation and count.
public struct RowOutcome: Sendable, Equatable {
  /// Mean over replications.
  public var mean: Double
  /// Sample standard deviation over replications (0 with one replication).
  public var standardDeviation: Double
  /// Replications.
  public var count: Int
  /// Mean offered rate (pps) of the row's scope in the same simulation (nil when the scope
  /// has none); for telling saturated rows from those below saturation.
  public var offered: Double? = nil
  /// Mean aggregate offered rate (pps) of the row's simulation.
  public var runOffered: Double? = nil
  /// Mean aggregate forwarded rate (pps) of the row's simulation.
  public var runForwarded: Double? = nil

  /// An outcome from its mean, standard deviation and replication count.
  public init(
    mean: Double, standardDeviation: Double, count: Int, offered: Double? = nil, runOffered: Double? = nil,
    runForwarded: Double? = nil
  ) {
    self.mean = mean
    self.standardDeviation = standardDeviation
    self.count = count
    self.offered = offered
    self.runOffered = runOffered
    self.runForwarded = runForwarded
  }

  /// Half-width of the 95% Student-t interval of the mean (NaN with one replication).
  public var halfWidth: Double {
    guard count > 1 else { return .nan }
    let t = (try? Quantiles.studentT(0.975, dof: Double(count - 1))) ?? 1.96
    return t * standardDeviation / Double(count).squareRoot()
  }
}

/// Simulates the measured rows of a data set at candidate parameter values.
///
/// Rows that share a scenario and `set` share one simulation (a run). Every candidate uses
/// the same seed and replication numbers for a run (common random numbers), so differences
/// between candidates are the parameters' doing, not the noise's. Candidates, runs and
/// replications are spread over `jobs` worker threads; results do not depend on `jobs`.
public final class RowEvaluator: Sendable {
  /// The rows, in the order given (only simulated rows).
  public let rows: [MeasuredRow]
  /// The fitted keys, in order.
  public let parameters: [FitParameter]
  /// Worker threads.
  public let jobs: Int
  /// The warnings of the rows' scenarios with their `set` and the overrides (an old spelling,
  /// a profile missing costs), each once, prefixed with the first row whose run gave it
  /// (`file:line: set: ...`): the commands print them, as `vrsim run` prints a scenario's.
  public let warnings: [String]
  private let runs: [PreparedRun]
  private let rowRun: [Int]
  private let seed: UInt64?

  struct PreparedRun: Sendable {
    var document: ScenarioDocument
    var label: String
    var replications: Int
    var seed: UInt64
  }

  /// Prepares `rows` (rows without a scenario are skipped): each run's scenario is parsed
  /// once with its `set` and then `overrides` (given to every row, e.g. `run.duration=300ms`).
  /// `seed` replaces the scenarios' own `run.seed`.
  /// - Throws: `CalibrationError` when a scenario does not load.
  public init(
    rows: [MeasuredRow], parameters: [FitParameter], overrides: [String], seed: UInt64?, jobs: Int
  ) throws {
    let simulated = rows.filter(\.isSimulated)
    self.rows = simulated
    self.parameters = parameters
    self.jobs = max(1, jobs)
    self.seed = seed
    var runs: [PreparedRun] = []
    var byKey: [String: Int] = [:]
    var rowRun: [Int] = []
    var warnings: [String] = []
    var seenWarnings: Set<String> = []
    for row in simulated {
      let all = row.set + overrides
      let key = row.scenarioPath! + "\u{0}" + all.joined(separator: "\u{0}")
      if let i = byKey[key] {
        rowRun.append(i)
        continue
      }
      let path = row.scenarioPath!
      do {
        guard let data = FileManager.default.contents(atPath: path) else {
          throw CalibrationError("\(path): cannot be read")
        }
        var doc = try ScenarioDocument.parse(
          bytes: Array(data), fileName: path, baseDirectory: (path as NSString).deletingLastPathComponent)
        try doc.applyOverrides(all)
        let spec = try doc.resolve()
        guard spec.sweepPoints().count == 1 else {
          throw CalibrationError(
            "\(row.location): the row's scenario with its set has \(spec.sweepPoints().count) points")
        }
        for w in spec.source.warnings where seenWarnings.insert(w).inserted {
          warnings.append("\(row.location): set: \(w)")
        }
        byKey[key] = runs.count
        rowRun.append(runs.count)
        runs.append(
          PreparedRun(
            document: doc, label: "\(row.scenario) [\(all.joined(separator: ";"))]",
            replications: spec.run.replications, seed: seed ?? spec.run.seed))
      } catch let e as CalibrationError {
        throw e
      } catch {
        throw CalibrationError("\(row.location): \(error)")
      }
    }
    self.runs = runs
    self.rowRun = rowRun
    self.warnings = warnings
  }

  /// The metrics a simulation that has their scope may still not observe in a run, left as NaN
  /// rather than refused: a job's finish time (the run ends before it) and its response time
  /// (no period completed).
  static let observedOnly: Set<Metric> = [.jobSeconds, .jobResponse]

  /// Number of distinct simulations (scenario with set) behind the rows.
  public var runCount: Int { runs.count }

  /// Replications simulated per candidate (all runs).
  public var replicationsPerCandidate: Int { runs.reduce(0) { $0 + $1.replications } }

  /// The `--set` overrides that give the fitted keys the values `theta`.
  public func overrides(_ theta: [Double]) -> [String] {
    zip(parameters, theta).map { "\($0.key)=\($0.declared.text($1))" }
  }

  /// The resolved scenario of the first run at `theta` (for reading the fitted profile).
  public func resolvedSpec(_ theta: [Double]) throws -> ScenarioSpec {
    guard let run = runs.first else { throw CalibrationError("no simulated rows") }
    return try spec(run, theta)
  }

  /// The start values: each fitted key's value in the first run's scenario (its profile
  /// and overrides), else the declared default, else the middle of the bounds.
  public func startValues() throws -> [Double] {
    let spec = try resolvedSpec([])
    return parameters.map { p in
      ScenarioSchema.value(of: p.key, in: spec) ?? p.declared.defaultValue ?? (p.lower + p.upper) / 2
    }
  }

  private func spec(_ run: PreparedRun, _ theta: [Double]) throws -> ScenarioSpec {
    var doc = run.document
    do {
      try doc.applyOverrides(theta.isEmpty ? [] : overrides(theta))
      return try doc.resolve().sweepPoints()[0].spec
    } catch {
      throw CalibrationError("\(run.label): \(error)")
    }
  }

  /// Simulates every row at each candidate (`theta` values in the parameters' units).
  /// - Returns: per candidate, per row, the simulated outcome.
  /// With `seeds`, candidate `c` is simulated with seed `seeds[c]` instead of the common one
  /// (independent noise per candidate, for posterior draws).
  /// - Throws: `UnsimulatedRowsError` when a row's simulation has nothing of the row's scope
  ///   (a scope the scenario does not have, such as `vr3` of one router);
  ///   `CalibrationError` or the simulator's error when a simulation fails.
  public func simulate(_ candidates: [[Double]], seeds: [UInt64]? = nil) throws -> [[RowOutcome]] {
    try simulate(candidates, seeds: seeds, stop: nil, progress: nil).map { $0.map { $0! } }
  }

  /// Simulates every row once at the scenarios' own values (no fitted key), as `vrsim
  /// validate` does, and stops once `stop` is set: no further simulation starts, and those in
  /// progress stop and count as not done.
  /// - Parameters:
  ///   - stop: once set (a signal's handler sets it), no further simulation is started; nil
  ///     runs every simulation.
  ///   - progress: called after each simulation (one replication of one run) with the number
  ///     done and the number planned.
  /// - Returns: per row its outcome, nil for the rows whose run has a replication that was not
  ///   simulated because `stop` was set; and how many of the planned simulations ran.
  /// - Throws: as `simulate(_:seeds:)`.
  public func simulateOnce(stop: PosteriorStop?, progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> (
    outcomes: [RowOutcome?], done: Int, planned: Int
  ) {
    let counter = SharedCounter()
    let planned = replicationsPerCandidate
    let outcomes = try simulate(
      [[]], seeds: nil, stop: stop,
      progress: { progress?(counter.increment(), planned) })
    return (outcomes[0], counter.value, planned)
  }

  /// Simulates every row at each candidate as `simulate(_:seeds:)` does, and stops once `stop`
  /// is set: no further simulation starts, and those in progress stop within one check
  /// interval of their simulation (`stop.token`) and count as not simulated.
  /// - Parameters:
  ///   - candidates: the fitted keys' values per candidate, in the parameters' units.
  ///   - seeds: per candidate its seed (nil: the common one).
  ///   - stop: once set, no further simulation is started; nil runs every simulation.
  ///   - progress: called after each simulation (one replication of one run of one candidate).
  /// - Returns: per candidate, per row, the simulated outcome; nil for a row whose run under
  ///   that candidate has a replication that was not simulated because `stop` was set.
  /// - Throws: as `simulate(_:seeds:)`.
  public func simulate(
    _ candidates: [[Double]], seeds: [UInt64]?, stop: PosteriorStop?, progress: (@Sendable () -> Void)?
  ) throws -> [[RowOutcome?]] {
    if let seeds, seeds.count != candidates.count {
      throw CalibrationError("internal: \(seeds.count) seeds for \(candidates.count) candidates")
    }
    struct Task {
      var candidate: Int
      var run: Int
      var replication: Int
    }
    var list: [Task] = []
    for c in candidates.indices {
      for (r, run) in runs.enumerated() {
        for k in 0..<run.replications { list.append(Task(candidate: c, run: r, replication: k)) }
      }
    }
    let tasks = list
    let results = TaskResults(count: tasks.count)
    let workers = min(jobs, max(1, tasks.count))
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      while stop?.isStopped != true, let i = results.next() {
        let t = tasks[i]
        let run = runs[t.run]
        do {
          let spec = try spec(run, candidates[t.candidate])
          let values = try SimulatedMetrics.simulate(
            spec, seed: seeds?[t.candidate] ?? run.seed, replication: t.replication, cancellation: stop?.token
          )
          results.store(i, .success(values))
        } catch is SimulationCancelled where stop?.isStopped == true {
          continue  // stopped in progress: not simulated, as those never started
        } catch {
          results.store(i, .failure(error))
        }
        progress?()
      }
    }
    var byTask: [[SimulatedValue]?] = []
    for r in results.all() {
      switch r {
      case .success(let v): byTask.append(v)
      case .failure(let e): throw e
      case nil:
        guard stop?.isStopped == true else { throw CalibrationError("internal: a simulation did not run") }
        byTask.append(nil)
      }
    }
    var out: [[RowOutcome?]] = []
    var unsimulated: [String] = []
    var offset = 0
    for c in candidates.indices {
      var perRun: [[[SimulatedValue]]?] = []
      for run in runs {
        let slice = byTask[offset..<(offset + run.replications)]
        perRun.append(slice.contains { $0 == nil } ? nil : slice.map { $0! })
        offset += run.replications
      }
      out.append(
        rows.enumerated().map { i, row in
          guard let reps = perRun[rowRun[i]] else { return nil }
          func average(_ scope: String, _ metric: Metric) -> Double? {
            let v = reps.compactMap { vs in vs.first { $0.scope == scope && $0.metric == metric }?.value }
            return v.count == reps.count && !v.isEmpty ? v.reduce(0, +) / Double(v.count) : nil
          }
          let found = reps.map { vs in vs.first { $0.scope == row.scope && $0.metric == row.metric }?.value }
          // A metric of a scope no replication reports is one the simulation cannot have here:
          // a scope it does not have (vr3 of one router), a place its path has no queue at
          // (every place of the path is reported, 0 pps where nothing dropped), a metric its
          // platform does not produce (softirq on a Xen path). Only a job's times may be missing
          // from a scope the run has, as not observed: a job the run ends before has no
          // job_seconds, a periodic job no completed period (NaN, printed as no simulated value).
          if c == 0, !found.contains(where: { $0 != nil }),
            !(Self.observedOnly.contains(row.metric)
              && reps.contains(where: { vs in vs.contains { $0.scope == row.scope } }))
          {
            let scopes = Set(reps.flatMap { vs in vs.filter { $0.metric == row.metric }.map(\.scope) })
              .sorted()
            unsimulated.append(
              "\(row.location): scope: the simulation of \(runs[rowRun[i]].label) reports no \(row.metric.name) "
                + "for scope '\(row.scope)'; allowed: "
                + (scopes.isEmpty
                  ? "no scope (the model does not report it here)" : scopes.joined(separator: ", ")))
          }
          let xs = found.map { $0 ?? .nan }
          let mean = xs.reduce(0, +) / Double(xs.count)
          let variance =
            xs.count > 1 ? xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count - 1) : 0
          return RowOutcome(
            mean: mean, standardDeviation: variance.squareRoot(), count: xs.count,
            offered: average(row.scope, .offeredPps), runOffered: average("aggregate", .offeredPps),
            runForwarded: average("aggregate", .forwardedPps))
        })
    }
    if !unsimulated.isEmpty { throw UnsimulatedRowsError(problems: unsimulated) }
    return out
  }
}

/// Measured rows whose metric and scope the simulation does not produce: a scope the scenario
/// with the row's `set` does not have (`vr3` of one router, `iperf3-s0` without
/// `host.generator: iperf3`, `drop:PLACE` of a place the path has no queue at), or a metric
/// its platform does not produce (`softirq` of a Xen path's pCPU). A problem of the data (exit code 2), one line per row naming
/// its file and line and the scopes the simulation does report for the metric.
public struct UnsimulatedRowsError: Error, Sendable, CustomStringConvertible {
  /// One line per row: `file:line: scope: ...`.
  public var problems: [String]

  /// Every problem, one per line.
  public var description: String {
    "measured rows the simulation does not produce:\n" + problems.joined(separator: "\n")
  }
}

/// Results of a batch of tasks, filled by worker threads.
private final class TaskResults: @unchecked Sendable {
  private let lock = NSLock()
  private var slots: [Result<[SimulatedValue], any Error>?]
  private var nextIndex = 0

  init(count: Int) { slots = Array(repeating: nil, count: count) }

  func next() -> Int? {
    lock.lock()
    defer { lock.unlock() }
    guard nextIndex < slots.count else { return nil }
    nextIndex += 1
    return nextIndex - 1
  }

  func store(_ i: Int, _ r: Result<[SimulatedValue], any Error>) {
    lock.lock()
    slots[i] = r
    lock.unlock()
  }

  func all() -> [Result<[SimulatedValue], any Error>?] {
    lock.lock()
    defer { lock.unlock() }
    return slots
  }
}
