import ArgumentParser
import Calibration
import Foundation
import Report

/// `vrsim validate`: simulates measured rows and prints measured against simulated.
struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Compare measured data with the simulation, row by row, with the error per experiment.",
    discussion: """
      Simulates each row of the measured-data CSV files (or those --test selects) and prints \
      measured and simulated values, in the metric's unit, with both 95% intervals, the \
      relative error (the absolute one, in the metric's unit, for rows measured as 0), the \
      regime (saturated or below saturation) and a model-free baseline: min(offered, the \
      capacity of the baseline rows) for forwarded rates, the nearest baseline row otherwise \
      (--baseline; default the rows --test leaves out). The headline table gives, per metric \
      and regime, the mean absolute error (in the metric's unit) of the model and of the \
      baseline and the skill score 1 - MAE/MAE(baseline); the MAPE per experiment follows. \
      With --posterior DRAWS each row is simulated under --draws posterior draws, each with its \
      own seed, and compared with its 95% predictive interval (coverage and z-score per metric \
      and regime). Bound and rank rows report whether they hold (ranks with their smallest \
      step); rows no model produces are listed as not simulated; a drop place where the model \
      dropped nothing simulates 0 pps. A row the simulation cannot produce (a scope or metric \
      its scenario does not have) is an error (exit 2) naming its file and line. SIGINT or \
      SIGTERM stops the simulations in progress at once and prints everything simulated so far \
      (under --posterior, each row over the draws done) and exits 130 or 143. Exits non-zero only on errors and signals, never because the \
      agreement is poor.
      """
  )

  @Argument(help: "Measured-data CSV files.")
  var data: [String]

  @Option(name: .long, help: "Profile file to simulate with (default: each scenario's own).")
  var profile: String?

  @Option(name: .long, help: "Rows to compare, e.g. 'experiment = fig8b' (default: all).")
  var test: String?

  @Option(name: .long, help: "Output format: table, csv or json.")
  var format: OutputFormat = .table

  @Option(name: .customLong("set"), help: "Override for every row, KEY=VALUE (e.g. run.duration=300ms).")
  var set: [String] = []

  @Option(name: .long, help: "Parallel workers (default: all cores); results do not depend on it.")
  var jobs: Int?

  @Option(name: .long, help: "Seed of every simulation (default: each scenario's run.seed).")
  var seed: UInt64?

  @Option(
    name: .long,
    help: "Rows the baseline may use, e.g. 'experiment = search' (default: the rows --test leaves out).")
  var baseline: String?

  @Option(
    name: .long, help: "Posterior draws CSV of vrsim calibrate --method posterior: predictive intervals.")
  var posterior: String?

  @Option(name: .long, help: "Posterior draws to simulate each row under (the file's first N; 2 ... 100000).")
  var draws: Int = 100

  @Option(
    name: .long,
    help: ArgumentHelp(
      "A structural alternative NAME:KEY=VALUE[;KEY=VALUE...] (repeatable; with --posterior).",
      discussion:
        "Draw i is simulated under alternative i mod A: the prediction mixes them with equal weights."))
  var alternative: [String] = []

  @Option(
    name: .customLong("samples-out"),
    help:
      "With --posterior: write every draw's simulated value per row here (CSV: draw, alternative, line, ...)."
  )
  var samplesOut: String?

  func validate() throws {
    try ScenarioOptions.checkJobs(jobs)
    guard (2...100_000).contains(draws) else {
      throw ValidationError("--draws \(draws): allowed 2 ... 100000")
    }
    if !alternative.isEmpty, posterior == nil { throw ValidationError("--alternative needs --posterior") }
    if samplesOut != nil, posterior == nil { throw ValidationError("--samples-out needs --posterior") }
    for a in alternative where StructuralAlternative(parsing: a) == nil {
      throw ValidationError("--alternative \(a): expected NAME:KEY=VALUE[;KEY=VALUE...]")
    }
  }

  func run() throws {
    let all = try CalibrationInputs.rows(data)
    let testFilter = try CalibrationInputs.filter(test)
    let rows = all.filter(testFilter.matches)
    let (training, source) = ValidationReport.baselineRows(
      all: all, test: test == nil ? nil : testFilter,
      baseline: try baseline.map { try CalibrationInputs.filter($0) })
    let overrides = try CalibrationInputs.profileOverride(profile) + set
    let workers = jobs ?? ProcessInfo.processInfo.activeProcessorCount
    let posteriorDraws: PosteriorDraws?
    do { posteriorDraws = try posterior.map(PosteriorDraws.init(path:)) } catch {
      throw RunError("--posterior: \(error)", exitCode: 2)
    }
    let evaluators: [RowEvaluator]
    do {
      let alternatives = alternative.compactMap(StructuralAlternative.init(parsing:))
      evaluators = try (alternatives.isEmpty ? [[]] : alternatives.map(\.overrides)).map { extra in
        try RowEvaluator(
          rows: rows, parameters: posteriorDraws?.parameters ?? [], overrides: overrides + extra, seed: seed,
          jobs: workers)
      }
    } catch { throw RunError("\(error)", exitCode: 2) }
    for w in evaluators[0].warnings { CalibrationInputs.stderr("vrsim: warning: \(w)") }
    let simulated: [RowOutcome?]
    let predictive: [PredictiveInterval?]?
    // SIGINT or SIGTERM stops the simulations (plain or under posterior draws), those in progress
    // within a few milliseconds (not kept), and everything simulated so far is printed (rows with nothing simulated
    // as not simulated) before the exit with the signal's code, so that nothing computed is lost.
    let stop = PosteriorStop()
    stop.listen(to: [SIGINT, SIGTERM])
    defer { stop.restore() }
    // what was left undone when a signal stopped the run, in words
    var interrupted: String?
    if let posteriorDraws {
      let n = min(draws, posteriorDraws.values.count)
      if n < draws {
        CalibrationInputs.stderr(
          "validate: \(posteriorDraws.values.count) draws in \(posterior!), fewer than --draws \(draws)")
      }
      let began = Date()
      let run: PosteriorPredictive
      do {
        run = try PosteriorPredictive(
          evaluators: evaluators, draws: posteriorDraws, count: n, seed: seed, batch: max(workers, 10),
          stop: stop
        ) { k in
          CalibrationInputs.stderr(
            String(
              format: "validate: %d of %d posterior draws simulated (%.1f s)", k, n,
              Date().timeIntervalSince(began)))
        }
      } catch let e as UnsimulatedRowsError { throw RunError(e.description, exitCode: 2) } catch let e
        as RunError
      {
        throw e  // a run that cannot end (exit 2) keeps its code
      } catch {
        throw RunError("\(error)")
      }
      if let samplesOut {
        let names = alternative.compactMap(StructuralAlternative.init(parsing:)).map(\.name)
        do {
          try run.samplesCSV(alternatives: names).write(toFile: samplesOut, atomically: true, encoding: .utf8)
        } catch {
          throw RunError("--samples-out \(samplesOut): \(error.localizedDescription)", exitCode: 2)
        }
      }
      predictive = ValidationReport.spread(run.intervals, over: rows).map { $0 ?? nil }
      simulated = ValidationReport.spread(run.outcomes, over: rows).map { $0 ?? nil }
      if run.complete < run.planned {
        let counts = run.outcomes.map { $0?.count ?? 0 }
        interrupted =
          "\(run.complete) of \(run.planned) posterior draws simulated for every row; each row's mean and "
          + "predictive interval are over the draws simulated for it (\(counts.min() ?? 0) to "
          + "\(counts.max() ?? 0) draws), rows with none printed as not simulated"
      }
    } else {
      let progress = ValidateProgress()
      let run: (outcomes: [RowOutcome?], done: Int, planned: Int)
      do {
        run = try evaluators[0].simulateOnce(stop: stop) { progress.update($0, $1) }
      } catch let e as UnsimulatedRowsError { throw RunError(e.description, exitCode: 2) } catch let e
        as RunError
      {
        throw e  // a run that cannot end (exit 2) keeps its code
      } catch {
        throw RunError("\(error)")
      }
      progress.finish()
      simulated = ValidationReport.spread(run.outcomes, over: rows).map { $0 ?? nil }
      predictive = nil
      if run.done < run.planned {
        interrupted =
          "\(run.done) of \(run.planned) simulations done: the rows of those not done are printed as not "
          + "simulated"
      }
    }
    let report = ValidationReport(
      rows: rows, simulated: simulated, training: training, baselineSource: source, predictive: predictive)
    switch format {
    case .table: print(report.table, terminator: "")
    case .csv: print(report.csv, terminator: "")
    case .json: print(try report.json(), terminator: "")
    }
    if let interrupted, let signal = stop.receivedSignal {
      CalibrationInputs.stderr("vrsim: interrupted; \(interrupted)")
      throw ExitCode(128 + signal)
    }
  }

}

/// `vrsim validate`'s progress on a terminal: simulations done of those planned, and the time.
final class ValidateProgress: @unchecked Sendable {
  private let enabled = isatty(2) != 0
  private let lock = NSLock()
  private let began = Date()
  private var drawn = false

  /// Draws `done` of `planned` simulations.
  func update(_ done: Int, _ planned: Int) {
    guard enabled else { return }
    lock.lock()
    defer { lock.unlock() }
    let line = String(
      format: "\rvalidate: %d of %d simulations, %.1f s ", done, planned, Date().timeIntervalSince(began))
    FileHandle.standardError.write(Data(line.utf8))
    drawn = true
  }

  /// Clears the line.
  func finish() {
    lock.lock()
    defer { lock.unlock() }
    guard enabled, drawn else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
  }
}
