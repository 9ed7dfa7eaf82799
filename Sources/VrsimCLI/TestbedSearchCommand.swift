import ArgumentParser
import Foundation
import Report
import Scenario
import Testbed

/// `vrsim testbed search FILE`: NDR and PDR on the real path.
struct TestbedSearchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "search",
    abstract: "Find the no-drop rate (NDR, 0% loss) and partial-drop rate (PDR, 0.5%) on the testbed.",
    discussion: """
      FD.io CSIT style: at each load run.replications trials of run.duration (a load passes \
      when every trial does); bisection between search.low and search.high (or --low/--high, \
      aggregate packets per second) until the bracket is narrower than --resolution. Loss is \
      counted against the load asked for (loss_vs_target), so a load the generator could not \
      send fails. The first \
      trial is a warm-up, discarded. Every trial is reported (experiment search or --experiment, \
      the warm-up search-warmup or EXPERIMENT-warmup; set: the scenario with every traffic rate scaled to the trial's load; \
      note: load=...;phase=...;trial=...), then the NDR and PDR rows (metrics ndr_pps, \
      pdr_pps, measured only).
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

  @Option(name: .long, parsing: .unconditional, help: "Relative bracket width to stop at (default 0.05).")
  var resolution = 0.05

  @Option(name: .long, parsing: .unconditional, help: "PDR loss bound as a fraction (default 0.005).")
  var pdrLoss = 0.005

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
  }

  func run() throws {
    let (rows, facts) = try collect()
    if let out {
      try TestbedCLI.write(rows: rows, facts: facts, to: out)
    } else {
      print(MeasuredRow.csv(rows), terminator: "")
    }
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
    let search = ThroughputSearch(
      low: lo, high: hi, resolution: resolution, trials: setup.replications, pdrLoss: pdrLoss)
    let t0 = Date()
    var rows: [MeasuredRow] = []
    let outcome: ThroughputSearch.Outcome
    do {
      outcome = try session.withTopology(setup) { _, trial in
        try trial.measureCeiling()
        return try search.run { load, index in
          let m = try trial.run(setup.scaled(by: load / base), index: index)
          let loss = m.first { $0.metric == Metric.lossVsTarget.name }?.value ?? .nan
          TestbedCLI.note(String(format: "trial %d at %.0f pps: loss %.4f%%", index, load, loss * 100))
          return m
        }
      }
    } catch { throw TestbedCLI.mapped(error) }
    // Each trial's rows fix the load through the scenario's own keys (every traffic entry's
    // rate scaled alike, in pps), so `vrsim validate` simulates the same point; the load,
    // phase and trial number go in the note. Warm-up trials are experiment search-warmup.
    let scenarioPath = ScenarioReference.path(of: file, csv: out)
    let generatorNote = TestbedCLI.note(generator: generator)
    var perPhase: [String: Int] = [:]
    for t in outcome.trials {
      let k = perPhase[t.phase, default: 0]
      perPhase[t.phase] = k + 1
      let set = ([label] + TestbedCLI.rateOverrides(spec: spec, factor: t.load / base)).filter { !$0.isEmpty }
        .joined(separator: ";")
      let note = [generatorNote, String(format: "load=%.0f", t.load), "phase=\(t.phase)", "trial=\(k)"]
        .filter { !$0.isEmpty }.joined(separator: ";")
      rows += MeasuredRow.trialRows(
        t.measurements, experiment: t.phase == "warmup" ? "\(experiment)-warmup" : experiment,
        scenario: scenarioPath,
        set: set, note: note)
    }
    // NDR and PDR: measured only (no model searches); a search that found none writes no row.
    for (metric, v) in [(Metric.ndrPps, outcome.ndr), (Metric.pdrPps, outcome.pdr)] {
      guard let v else { continue }
      rows.append(
        MeasuredRow(
          experiment: experiment, scenario: scenarioPath, set: label, scope: "aggregate", metric: metric,
          value: v,
          ciLow: nil, ciHigh: nil, n: setup.replications,
          note: [generatorNote, String(format: "pdr_loss=%g", pdrLoss)].filter { !$0.isEmpty }.joined(
            separator: ";")))
    }
    let seconds = Date().timeIntervalSince(t0)
    print(
      String(
        format: "NDR %@ pps, PDR (%.2f%% loss) %@ pps; %d trials of %.1f s, %.0f s in all",
        outcome.ndr.map { String(format: "%.0f", $0) } ?? "none",
        pdrLoss * 100, outcome.pdr.map { String(format: "%.0f", $0) } ?? "none", outcome.trials.count,
        setup.duration.seconds, seconds))
    var facts = out == nil ? [:] : HostFacts.collect(runner: SystemCommandRunner())
    facts["experiments"] = [["set": label, "seconds": seconds, "trials": outcome.trials.count]]
    facts["scenario"] = spec.name
    facts["vrsim"] = VrsimVersion.string
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
