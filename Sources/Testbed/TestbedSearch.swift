import Experiment
import Foundation
import Report
import Scenario
import ScenarioRun
import SimCore

/// `vrsim testbed search FILE`: NDR and PDR on the real path with MLRsearch (the shared
/// search core's `MLRSearch`, the testbed as its measurer), repeated, with the noise gate.
public struct TestbedSearch: Sendable {
  /// Scenario file (YAML) with a netns platform and no sweep.
  public var file: String
  /// `--set` overrides.
  public var overrides: [String] = []
  /// Lowest and highest aggregate load, packets per second (nil: the scenario's `search:`,
  /// else `SearchSpec.defaultLow` and 1 Mp/s).
  public var low: Double?
  /// See `low`.
  public var high: Double?
  /// Relative bracket width to stop at, (upper - lower) / upper.
  public var resolution = 0.02
  /// PDR loss bound as a fraction.
  public var pdrLoss = 0.005
  /// Duration of the first, shortest trials, seconds.
  public var initialDuration = 1.0
  /// Duration of a final (full-length) trial, seconds.
  public var finalDuration = 10.0
  /// Full-length trials a final load needs.
  public var finalTrials = 3
  /// Share of a load's duration sum that may fail while it still passes, in [0, 1).
  public var exceedRatio = 0.5
  /// Largest generator shortfall of a passing trial, as a fraction.
  public var shortfallTolerance = 0.01
  /// Times the whole search runs.
  public var `repeat` = 3
  /// Wait after a trial's senders stop, seconds.
  public var drain = 0.5
  /// Ceiling measurements per repeat (1 s each).
  public var ceilingRepeats = 3
  /// Without the noise gate.
  public var noGate = false
  /// Gate: most CPU time of processes that are not the testbed's, pCPU.
  public var gateForeignCPU = 0.1
  /// Gate: most steal share of all CPUs' time.
  public var gateSteal = 0.02
  /// Gate: highest 1-minute load average (nil: the CPUs).
  public var gateLoad: Double?
  /// Gate: times a noisy trial is repeated (nil: two).
  public var gateRetries: Int?
  /// Where the CSV goes (the sidecar beside it); nil: printed.
  public var out: String?
  /// The rows' experiment column.
  public var experiment = "search"
  /// The traffic generator (`--generator`): `--set host.generator=...` after the overrides;
  /// nil: the scenario's `host.generator`.
  public var generator: TestbedGenerator? = nil

  /// A search of `file`.
  public init(file: String) { self.file = file }

  /// Checks every option against its range (the message names the option).
  public func validate() throws(TestbedError) {
    func check(_ ok: Bool, _ message: @autoclosure () -> String) throws(TestbedError) {
      if !ok { throw TestbedError(message(), usage: true) }
    }
    try check(
      (0.001...0.5).contains(resolution), "--resolution \(resolution) is out of range; allowed: 0.001 ... 0.5"
    )
    try check((0.0...0.5).contains(pdrLoss), "--pdr-loss \(pdrLoss) is out of range; allowed: 0 ... 0.5")
    try check(
      (0.05...600).contains(initialDuration),
      "--initial-duration \(initialDuration) is out of range; allowed: 0.05 ... 600 s")
    try check(
      (0.05...600).contains(finalDuration),
      "--final-duration \(finalDuration) is out of range; allowed: 0.05 ... 600 s")
    try check(
      (1...20).contains(finalTrials), "--final-trials \(finalTrials) is out of range; allowed: 1 ... 20")
    try check(
      (0.0..<1.0).contains(exceedRatio),
      "--exceed-ratio \(exceedRatio) is out of range; allowed: 0 ... below 1")
    try check(
      (0.0...0.5).contains(shortfallTolerance),
      "--shortfall-tolerance \(shortfallTolerance) is out of range; allowed: 0 ... 0.5")
    try check((1...20).contains(`repeat`), "--repeat \(`repeat`) is out of range; allowed: 1 ... 20")
    try check((0.0...10).contains(drain), "--drain \(drain) is out of range; allowed: 0 ... 10 s")
    try check(
      (1...10).contains(ceilingRepeats),
      "--ceiling-repeats \(ceilingRepeats) is out of range; allowed: 1 ... 10")
    try check(
      (0.0...64).contains(gateForeignCPU),
      "--gate-foreign-cpu \(gateForeignCPU) is out of range; allowed: 0 ... 64 pCPU")
    try check((0.0...1).contains(gateSteal), "--gate-steal \(gateSteal) is out of range; allowed: 0 ... 1")
    if let gateLoad {
      try check(
        (0.0...1024).contains(gateLoad), "--gate-load \(gateLoad) is out of range; allowed: 0 ... 1024")
    }
    if let gateRetries {
      try check(
        (0...10).contains(gateRetries), "--gate-retries \(gateRetries) is out of range; allowed: 0 ... 10")
    }
  }

  /// The search of the options.
  func search(low lo: Double, high hi: Double) -> MLRSearch {
    let goals = [("ndr", 0.0), ("pdr", pdrLoss)].map {
      MLRSearch.Goal(
        name: $0.0, lossRatio: $0.1, exceedRatio: exceedRatio, finalDuration: finalDuration,
        durationSum: finalDuration * Double(finalTrials), resolution: .relative(resolution))
    }
    return MLRSearch(
      minLoad: lo, maxLoad: hi, goals: goals, initialDuration: initialDuration,
      shortfallTolerance: shortfallTolerance)
  }

  /// Runs the search in a session of its own (printing its NDR and PDR) and returns the rows
  /// and the host facts.
  public func collect(version: String) throws -> (rows: [MeasuredRow], facts: [String: Any]) {
    let (spec, points, generator) = try TestbedCommon.points(
      file: file, overrides: overrides, generator: generator)
    guard points.count == 1, let (setup, label) = points.first else {
      throw ScenarioRunError(
        "testbed search takes a scenario without a sweep (fix the point with --set)", exitCode: 2)
    }
    let base = setup.offeredPacketsPerSecond
    let meanFrame = 64.0
    let lo = low ?? (spec.search?.low ?? SearchSpec.defaultLow).packetsPerSecond(meanFrameBytes: meanFrame)
    let hi = high ?? spec.search.map { $0.high.packetsPerSecond(meanFrameBytes: meanFrame) } ?? 1_000_000
    guard lo < hi, lo > 0 else {
      throw ScenarioRunError(
        "the search range is empty: low \(lo) pps is not below high \(hi) pps", exitCode: 2)
    }
    guard base > 0 else { throw ScenarioRunError("the scenario offers no traffic", exitCode: 2) }
    let session: TestbedSession
    do { session = try TestbedSession(tools: TestbedCommon.tools(generator), log: TestbedCommon.note) } catch
    {
      throw TestbedCommon.mapped(error)
    }
    defer { session.close() }
    let mlr = search(low: lo, high: hi)
    let cpus = ProcessInfo.processInfo.activeProcessorCount
    let gate =
      noGate
      ? nil
      : NoiseGate(
        maxForeignCPU: gateForeignCPU, maxSteal: gateSteal, maxLoad: gateLoad ?? Double(cpus),
        retries: gateRetries ?? 2)
    let warmup = spec.run.warmup.seconds > 0 ? spec.run.warmup.seconds : initialDuration
    let t0 = Date()
    struct Repeat {
      var outcome: MLRSearch.Outcome
      var ceilings: [Double]
      var gate: [GateRecord]
      var warmup: [MetricRow]
    }
    var repeats: [Repeat] = []
    do {
      repeats = try session.withTopology(setup) { _, trial in
        trial.drainSeconds = drain
        var out: [Repeat] = []
        for r in 0..<`repeat` {
          try trial.measureCeiling(rate: hi, seconds: 1, repeats: ceilingRepeats)
          TestbedCommon.note(
            "repeat \(r + 1)/\(`repeat`): generator ceiling on the trials' path at \(Int(hi)) pps: "
              + trial.ceilings.map { String(format: "%.0f", $0) }.joined(separator: ", ") + " pps")
          trial.gate = gate
          let gateBefore = trial.gateRecords.count
          // The warm-up: one trial at the lowest load (run.warmup long), discarded.
          var w = setup.scaled(by: lo / base)
          w.duration = .seconds(warmup)
          let warm = try trial.run(w, index: 0)
          let measurer = TestbedMeasurer(trial: trial, setup: setup, repeatIndex: r)
          let outcome = try mlr.run(measurer: measurer)
          out.append(
            Repeat(
              outcome: outcome, ceilings: trial.ceilings, gate: Array(trial.gateRecords[gateBefore...]),
              warmup: warm))
        }
        return out
      }
    } catch { throw TestbedCommon.mapped(error) }
    let seconds = Date().timeIntervalSince(t0)
    // Each trial's rows fix the load through the scenario's own keys (every traffic entry's
    // rate scaled alike, in pps), so `vrsim validate` simulates the same point; the load,
    // phase, duration, repeat and trial number go in the note.
    let scenarioPath = ScenarioReference.path(of: file, csv: out)
    let generatorNote = TestbedCommon.note(generator: generator)
    func joined(_ parts: [String]) -> String { parts.filter { !$0.isEmpty }.joined(separator: ";") }
    func set(_ load: Double) -> String {
      joined([label] + TestbedCommon.rateOverrides(spec: spec, factor: load / base))
    }
    var rows: [MeasuredRow] = []
    var noisy = 0
    var trialCount = 0
    for (r, rep) in repeats.enumerated() {
      rows += MeasuredRow.trialRows(
        rep.warmup, experiment: "\(experiment)-warmup", scenario: scenarioPath, set: set(lo),
        note: joined([generatorNote, String(format: "load=%.0f", lo), "repeat=\(r)"]))
      for (k, c) in rep.ceilings.enumerated() {
        rows.append(
          MeasuredRow(
            experiment: experiment, scenario: scenarioPath, set: label, scope: "aggregate",
            metric: .generatorCeilingPps, value: c, ciLow: nil, ciHigh: nil, n: 1,
            note: joined([generatorNote, String(format: "rate=%.0f", hi), "repeat=\(r)", "ceiling=\(k)"])))
      }
      for (k, t) in rep.outcome.trials.enumerated() {
        trialCount += 1
        if t.result.measurements.contains(where: { $0.metric == Metric.gateQuiet.name && $0.value == 0 }) {
          noisy += 1
        }
        rows += MeasuredRow.trialRows(
          t.result.measurements, experiment: experiment, scenario: scenarioPath, set: set(t.load),
          note: joined([
            generatorNote, String(format: "load=%.0f", t.load), "phase=\(t.phase)",
            String(format: "duration=%g", t.duration), "repeat=\(r)", "trial=\(k)",
          ]))
      }
      for g in rep.outcome.results {
        let (lowerMetric, upperMetric) =
          g.goal.name == "ndr" ? (Metric.ndrPps, Metric.ndrUpperPps) : (.pdrPps, .pdrUpperPps)
        let note = joined([
          generatorNote, String(format: "loss_ratio=%g", g.goal.lossRatio), "repeat=\(r)",
          "upper_cause=\(g.upperCause?.rawValue ?? "none (high passed)")",
          g.conditionalThroughput.map { String(format: "conditional_pps=%.0f", $0) } ?? "",
          g.complete ? "" : "incomplete",
        ])
        for (metric, v) in [(lowerMetric, g.lower), (upperMetric, g.upper)] {
          guard let v else { continue }
          rows.append(
            MeasuredRow(
              experiment: experiment, scenario: scenarioPath, set: label, scope: "aggregate", metric: metric,
              value: v, ciLow: nil, ciHigh: nil, n: 1, note: note))
        }
      }
    }
    // Over the repeats: the mean with its Student-t interval, and the spread.
    var lines: [String] = []
    for (name, lowerMetric, spreadMetric) in [
      ("ndr", Metric.ndrPps, Metric.ndrSpread), ("pdr", Metric.pdrPps, Metric.pdrSpread),
    ] {
      let values = repeats.compactMap { $0.outcome.results.first { $0.goal.name == name }?.lower }
      let uppers = repeats.compactMap { $0.outcome.results.first { $0.goal.name == name }?.upper }
      let brackets = repeats.map { rep -> String in
        let g = rep.outcome.results.first { $0.goal.name == name }
        return "[" + (g?.lower.map { String(format: "%.0f", $0) } ?? "none") + ", "
          + (g?.upper.map { String(format: "%.0f", $0) } ?? "above high") + ")"
      }
      guard !values.isEmpty else {
        lines.append("\(name.uppercased()): none found (even \(Int(lo)) pps failed)")
        continue
      }
      let ci = ConfidenceInterval(values)
      let spread = values.count > 1 ? (values.max()! - values.min()!) / ci.mean : 0
      let note = joined([
        generatorNote, "repeats=\(values.count)", String(format: "min=%.0f", values.min()!),
        String(format: "max=%.0f", values.max()!),
        uppers.isEmpty ? "" : String(format: "lowest_upper=%.0f", uppers.min()!),
      ])
      rows.append(
        MeasuredRow(
          experiment: experiment, scenario: scenarioPath, set: label, scope: "aggregate", metric: lowerMetric,
          value: ci.mean, ciLow: ci.halfWidth.isNaN ? nil : ci.low,
          ciHigh: ci.halfWidth.isNaN ? nil : ci.high,
          n: values.count, note: note))
      rows.append(
        MeasuredRow(
          experiment: experiment, scenario: scenarioPath, set: label, scope: "aggregate",
          metric: spreadMetric,
          value: spread, ciLow: nil, ciHigh: nil, n: values.count, note: note))
      lines.append(
        String(
          format: "%@ %.0f pps (mean of %d; spread %.1f%%); brackets [pass, fail): %@", name.uppercased(),
          ci.mean,
          values.count, spread * 100, brackets.joined(separator: " ")))
    }
    let ceilings = repeats.flatMap(\.ceilings)
    if let c = ceilings.min(), hi >= 0.9 * c {
      lines.append(
        String(
          format:
            "note: --high %.0f pps is at least 90%% of the lowest generator ceiling %.0f pps: an upper bound near it may be the generator's",
          hi, c))
    }
    // A busy machine is said first.
    if noisy > 0 {
      let first =
        "BUSY MACHINE: \(noisy) of \(trialCount) trials never got quiet (gate_quiet = 0; thresholds: foreign CPU "
        + String(format: "%.2f pCPU, steal %.3f, load %.2f", gateForeignCPU, gateSteal, gate?.maxLoad ?? 0)
        + "); the results below may reflect the other load"
      lines.insert(first, at: 0)
      TestbedCommon.note(first)
    } else if gate == nil {
      lines.insert("note: no noise gate (--no-gate): nothing says whether the machine was quiet", at: 0)
    }
    lines.append(
      String(
        format: "%d repeat(s), %d trials (phases of %@ s), %.0f s in all", repeats.count, trialCount,
        (repeats.first?.outcome.phaseDurations ?? []).map { String(format: "%g", $0) }.joined(
          separator: ", "),
        seconds))
    for l in lines { print(l) }
    var facts = out == nil ? [:] : HostFacts.collect(runner: SystemCommandRunner())
    facts["experiments"] = [["set": label, "seconds": seconds, "trials": trialCount]]
    facts["scenario"] = spec.name
    TestbedCommon.stamp(&facts, version: version, date: t0)
    facts["search"] = [
      "method":
        "MLRsearch (draft-ietf-bmwg-mlrsearch), vrsim's implementation (Sources/Experiment/MLRSearch.swift)",
      "low_pps": lo, "high_pps": hi, "width": resolution, "initial_duration_s": initialDuration,
      "final_duration_s": finalDuration, "final_trials": finalTrials, "exceed_ratio": exceedRatio,
      "shortfall_tolerance": shortfallTolerance, "pdr_loss": pdrLoss, "repeat": `repeat`, "drain_s": drain,
      "warmup_s": warmup, "phase_durations_s": repeats.first?.outcome.phaseDurations ?? [],
      "repeats": repeats.map { rep -> [String: Any] in
        [
          "ceilings_pps": rep.ceilings,
          "goals": rep.outcome.results.map { g -> [String: Any] in
            [
              "name": g.goal.name, "lower_pps": g.lower ?? NSNull(), "upper_pps": g.upper ?? NSNull(),
              "upper_cause": g.upperCause?.rawValue ?? NSNull(),
              "conditional_pps": g.conditionalThroughput ?? NSNull(), "complete": g.complete,
            ]
          },
          "trials": rep.outcome.trials.count,
        ]
      },
    ]
    facts["gate"] = [
      "enabled": gate != nil,
      "thresholds": [
        "foreign_cpu_pcpu": gateForeignCPU, "steal": gateSteal, "load1": gate?.maxLoad ?? NSNull(),
        "retries": gateRetries ?? 2, "pre_window_s": gate?.preSeconds ?? NSNull(),
      ] as [String: Any],
      "noisy_trials": noisy, "trials": trialCount,
      "readings": repeats.map { $0.gate.map(\.json) },
    ]
    return (rows, facts)
  }
}

/// The testbed as the search core's measurer: one trial of the setup scaled to the load, for
/// the phase's duration, through the trial runner (and its noise gate).
final class TestbedMeasurer: ThroughputMeasurer {
  let trial: TrafficTrial
  let setup: TestbedSetup
  let repeatIndex: Int
  /// The next trial's number (0 is the warm-up).
  var index = 1

  init(trial: TrafficTrial, setup: TestbedSetup, repeatIndex: Int) {
    self.trial = trial
    self.setup = setup
    self.repeatIndex = repeatIndex
  }

  func measure(load: Double, duration: Double?) throws -> ThroughputTrialResult {
    var s = setup.scaled(by: load / setup.offeredPacketsPerSecond)
    if let duration { s.duration = .seconds(duration) }
    let m = try trial.run(s, index: index)
    index += 1
    func v(_ metric: Metric) -> Double? {
      m.first { $0.scope == "aggregate" && $0.metric == metric.name }?.value
    }
    let loss = v(.loss) ?? 1
    let short = v(.shortfall) ?? 0
    let quiet = m.first { $0.metric == Metric.gateQuiet.name }.map { $0.value > 0 } ?? true
    TestbedCommon.note(
      String(
        format: "repeat %d trial %d: %.0f pps for %.1f s: loss %.4f%%, shortfall %.2f%%%@", repeatIndex + 1,
        index - 1, load, s.duration.seconds, loss * 100, short * 100, quiet ? "" : " [noisy]"))
    return ThroughputTrialResult(
      lossRatio: loss, shortfall: short, forwardingRate: v(.forwardedPps) ?? 0,
      offered: v(.offeredPps) ?? .nan,
      measurements: m)
  }
}
