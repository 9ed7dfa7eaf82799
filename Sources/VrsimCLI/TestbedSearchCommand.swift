import ArgumentParser
import Foundation
import Report
import Scenario
import SimCore
import Testbed

/// `vrsim testbed search FILE`: NDR and PDR on the real path.
struct TestbedSearchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "search",
    abstract: "Find the no-drop rate (NDR, 0% loss) and partial-drop rate (PDR, 0.5%) on the testbed.",
    discussion: """
      MLRsearch (IETF BMWG draft-ietf-bmwg-mlrsearch, as FD.io CSIT runs it; docs/testbed.md): \
      NDR and PDR in one search between search.low and search.high (or --low/--high, aggregate \
      packets per second), trials growing from --initial-duration to --final-duration; a load \
      is decided by --final-trials full-length trials (duration sum), of which at most \
      --exceed-ratio of the duration may fail. Loss counts against the frames the generator \
      sent; the shortfall of the generator against the load asked for is its own column \
      (shortfall), and a trial short by more than --shortfall-tolerance fails the load as a \
      shortfall, not as loss. The whole search runs --repeat times; each result carries its \
      bracket (ndr_pps and ndr_upper_pps: highest passing, lowest failing load) and the \
      spread over the repeats (ndr_spread). A noise gate reads steal time, the load average \
      and the CPU time of processes that are not the testbed's before and during every \
      trial, repeats a noisy trial (--gate-retries) and flags it (gate_quiet = 0); a search \
      with a flagged trial says so on its first line. The generator's ceiling is measured \
      on the trials' send path at --high, --ceiling-repeats times. Every trial is reported \
      (experiment search or --experiment, the warm-up EXPERIMENT-warmup; set: the scenario \
      with every traffic rate scaled to the trial's load; note: load, phase, duration, \
      repeat, trial), then per repeat and over all repeats the NDR and PDR rows (measured \
      only); the sidecar records the gate's readings and each repeat's brackets.
      """
  )

  @Argument(help: "Scenario file (YAML) with a netns platform.")
  var file: String

  @Option(name: .customLong("set"), help: "Override a key (repeatable).")
  var overrides: [String] = []

  @Option(name: .long, parsing: .unconditional, help: "Lowest aggregate load, packets per second.")
  var low: Double?

  @Option(name: .long, parsing: .unconditional, help: "Highest aggregate load, packets per second.")
  var high: Double?

  @Option(
    name: .long, parsing: .unconditional,
    help: "Relative bracket width to stop at, (upper - lower) / upper (default 0.02).")
  var resolution = 0.02

  @Option(name: .long, parsing: .unconditional, help: "PDR loss bound as a fraction (default 0.005).")
  var pdrLoss = 0.005

  @Option(name: .long, parsing: .unconditional, help: "Duration of the first, shortest trials, seconds.")
  var initialDuration = 1.0

  @Option(name: .long, parsing: .unconditional, help: "Duration of a final (full-length) trial, seconds.")
  var finalDuration = 10.0

  @Option(
    name: .long, parsing: .unconditional,
    help: "Full-length trials a final load needs (its duration sum is this times --final-duration).")
  var finalTrials = 3

  @Option(
    name: .long, parsing: .unconditional,
    help: "Share of a load's duration sum that may fail while it still passes, in [0, 1) (0: every trial).")
  var exceedRatio = 0.5

  @Option(
    name: .long, parsing: .unconditional,
    help: "Largest generator shortfall (1 - sent rate / load) of a passing trial, as a fraction.")
  var shortfallTolerance = 0.01

  @Option(
    name: .long, parsing: .unconditional, help: "Times the whole search runs (the spread is over them).")
  var `repeat` = 3

  @Option(name: .long, parsing: .unconditional, help: "Wait after a trial's senders stop, seconds.")
  var drain = 0.5

  @Option(name: .long, parsing: .unconditional, help: "Ceiling measurements per repeat (1 s each).")
  var ceilingRepeats = 3

  @Flag(name: .long, help: "Run without the noise gate.")
  var noGate = false

  @Option(
    name: .long, parsing: .unconditional,
    help: "Gate: most CPU time of processes that are not the testbed's, pCPU (CPU-seconds per second).")
  var gateForeignCPU = 0.1

  @Option(name: .long, parsing: .unconditional, help: "Gate: most steal share of all CPUs' time.")
  var gateSteal = 0.02

  @Option(
    name: .long, parsing: .unconditional, help: "Gate: highest 1-minute load average (default: the CPUs).")
  var gateLoad: Double?

  // Optional, so that the help shows no "(default: 2)", which reads as a CPU count.
  @Option(name: .long, parsing: .unconditional, help: "Gate: times a noisy trial is repeated (default two).")
  var gateRetries: Int?

  @Option(name: .long, help: "Write the CSV here (and the host facts beside it as .json).")
  var out: String?

  @Option(name: .long, help: "The experiment column of the rows.")
  var experiment = "search"

  @Option(name: .long, help: "Traffic generator: trafgen (frames of the scenario) or iperf3 (UDP 1472 B).")
  var generator: TestbedGenerator = .trafgen

  func validate() throws {
    if !(0.001...0.5).contains(resolution) {
      throw ValidationError("--resolution \(resolution) is out of range; allowed: 0.001 ... 0.5")
    }
    if !(0.0...0.5).contains(pdrLoss) {
      throw ValidationError("--pdr-loss \(pdrLoss) is out of range; allowed: 0 ... 0.5")
    }
    if !(0.05...600).contains(initialDuration) {
      throw ValidationError("--initial-duration \(initialDuration) is out of range; allowed: 0.05 ... 600 s")
    }
    if !(0.05...600).contains(finalDuration) {
      throw ValidationError("--final-duration \(finalDuration) is out of range; allowed: 0.05 ... 600 s")
    }
    if !(1...20).contains(finalTrials) {
      throw ValidationError("--final-trials \(finalTrials) is out of range; allowed: 1 ... 20")
    }
    if !(0.0..<1.0).contains(exceedRatio) {
      throw ValidationError("--exceed-ratio \(exceedRatio) is out of range; allowed: 0 ... below 1")
    }
    if !(0.0...0.5).contains(shortfallTolerance) {
      throw ValidationError("--shortfall-tolerance \(shortfallTolerance) is out of range; allowed: 0 ... 0.5")
    }
    if !(1...20).contains(`repeat`) {
      throw ValidationError("--repeat \(`repeat`) is out of range; allowed: 1 ... 20")
    }
    if !(0.0...10).contains(drain) {
      throw ValidationError("--drain \(drain) is out of range; allowed: 0 ... 10 s")
    }
    if !(1...10).contains(ceilingRepeats) {
      throw ValidationError("--ceiling-repeats \(ceilingRepeats) is out of range; allowed: 1 ... 10")
    }
    if !(0.0...64).contains(gateForeignCPU) {
      throw ValidationError("--gate-foreign-cpu \(gateForeignCPU) is out of range; allowed: 0 ... 64 pCPU")
    }
    if !(0.0...1).contains(gateSteal) {
      throw ValidationError("--gate-steal \(gateSteal) is out of range; allowed: 0 ... 1")
    }
    if let gateLoad, !(0.0...1024).contains(gateLoad) {
      throw ValidationError("--gate-load \(gateLoad) is out of range; allowed: 0 ... 1024")
    }
    if let gateRetries, !(0...10).contains(gateRetries) {
      throw ValidationError("--gate-retries \(gateRetries) is out of range; allowed: 0 ... 10")
    }
  }

  func run() throws {
    let (rows, facts) = try collect()
    if let out {
      try TestbedCLI.write(rows: rows, facts: facts, to: out)
    } else {
      print(MeasuredRow.csv(rows), terminator: "")
    }
  }

  /// The search of the options.
  func search(low lo: Double, high hi: Double) -> MLRSearch {
    let goals = [("ndr", 0.0), ("pdr", pdrLoss)].map {
      MLRSearch.Goal(
        name: $0.0, lossRatio: $0.1, exceedRatio: exceedRatio, finalDuration: finalDuration,
        durationSum: finalDuration * Double(finalTrials), width: resolution)
    }
    return MLRSearch(
      minLoad: lo, maxLoad: hi, goals: goals, initialDuration: initialDuration,
      shortfallTolerance: shortfallTolerance)
  }

  /// Runs the search in a session of its own (printing its NDR and PDR) and returns the rows
  /// and the host facts; `vrsim testbed reproduce` calls it too.
  func collect() throws -> (rows: [MeasuredRow], facts: [String: Any]) {
    let (spec, points) = try TestbedCLI.points(file: file, overrides: overrides, generator: generator)
    guard points.count == 1, let (setup, label) = points.first else {
      throw RunError(
        "testbed search takes a scenario without a sweep (fix the point with --set)", exitCode: 2)
    }
    let base = setup.offeredPacketsPerSecond
    let meanFrame = 64.0
    let lo = low ?? spec.search.map { $0.low.packetsPerSecond(meanFrameBytes: meanFrame) } ?? 1_000
    let hi = high ?? spec.search.map { $0.high.packetsPerSecond(meanFrameBytes: meanFrame) } ?? 1_000_000
    guard lo < hi, lo > 0 else {
      throw RunError("the search range is empty: low \(lo) pps is not below high \(hi) pps", exitCode: 2)
    }
    guard base > 0 else { throw RunError("the scenario offers no traffic", exitCode: 2) }
    let session: TestbedSession
    do { session = try TestbedSession(tools: TestbedCLI.tools(generator), log: TestbedCLI.note) } catch {
      throw TestbedCLI.mapped(error)
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
          TestbedCLI.note(
            "repeat \(r + 1)/\(`repeat`): generator ceiling on the trials' path at \(Int(hi)) pps: "
              + trial.ceilings.map { String(format: "%.0f", $0) }.joined(separator: ", ") + " pps")
          trial.gate = gate
          let gateBefore = trial.gateRecords.count
          // The warm-up: one trial at the lowest load (run.warmup long), discarded.
          var w = setup.scaled(by: lo / base)
          w.duration = .seconds(warmup)
          let warm = try trial.run(w, index: 0)
          var index = 1
          let outcome = try mlr.run { load, duration in
            var s = setup.scaled(by: load / base)
            s.duration = .seconds(duration)
            let m = try trial.run(s, index: index)
            index += 1
            func v(_ metric: Metric) -> Double? {
              m.first { $0.scope == "aggregate" && $0.metric == metric.name }?.value
            }
            let loss = v(.loss) ?? 1
            let short = v(.shortfall) ?? 0
            let quiet = m.first { $0.metric == Metric.gateQuiet.name }.map { $0.value > 0 } ?? true
            TestbedCLI.note(
              String(
                format: "repeat %d trial %d: %.0f pps for %.1f s: loss %.4f%%, shortfall %.2f%%%@", r + 1,
                index - 1,
                load, duration, loss * 100, short * 100, quiet ? "" : " [noisy]"))
            return MLRSearch.TrialResult(
              lossRatio: loss, shortfall: short, forwardingRate: v(.forwardedPps) ?? 0, measurements: m)
          }
          out.append(
            Repeat(
              outcome: outcome, ceilings: trial.ceilings, gate: Array(trial.gateRecords[gateBefore...]),
              warmup: warm))
        }
        return out
      }
    } catch { throw TestbedCLI.mapped(error) }
    let seconds = Date().timeIntervalSince(t0)
    // Each trial's rows fix the load through the scenario's own keys (every traffic entry's
    // rate scaled alike, in pps), so `vrsim validate` simulates the same point; the load,
    // phase, duration, repeat and trial number go in the note.
    let scenarioPath = ScenarioReference.path(of: file, csv: out)
    let generatorNote = TestbedCLI.note(generator: generator)
    func joined(_ parts: [String]) -> String { parts.filter { !$0.isEmpty }.joined(separator: ";") }
    func set(_ load: Double) -> String {
      joined([label] + TestbedCLI.rateOverrides(spec: spec, factor: load / base))
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
      TestbedCLI.note(first)
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
    facts["vrsim"] = VrsimVersion.string
    facts["date"] = ISO8601DateFormatter().string(from: t0)
    facts["search"] = [
      "method":
        "MLRsearch (draft-ietf-bmwg-mlrsearch), vrsim's implementation (Sources/Testbed/ThroughputSearch.swift)",
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

extension TestbedCLI {
  /// `traffic[k].rate=...` for every traffic entry of `spec` with its rate multiplied by
  /// `factor` (rounded to whole pps or bit/s, as the scenario's rates are), the overrides
  /// that make the scenario offer what a scaled search trial offered.
  static func rateOverrides(spec: ScenarioSpec, factor: Double) -> [String] {
    spec.traffic.enumerated().map { k, t in
      switch t.rate {
      case .packetsPerSecond(let p): "traffic[\(k)].rate=\(Int64((Double(p) * factor).rounded()))pps"
      case .bitsPerSecond(let b): "traffic[\(k)].rate=\(Int64((Double(b) * factor).rounded()))bps"
      }
    }
  }
}
