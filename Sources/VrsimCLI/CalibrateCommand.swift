import ArgumentParser
import Calibration
import Foundation
import Scenario

/// `vrsim calibrate`: fits declared keys (profile costs or any numeric scenario key) to
/// measured data and writes the fitted profile with its uncertainty.
struct CalibrateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "calibrate",
    abstract: "Fit profile costs (or any numeric declared key) to measured data, with 95% intervals.",
    discussion: """
      Reads measured-data CSV files (validation/README.md), simulates the training rows (--train) \
      with common random numbers and minimises sum(((simulated - measured)/sd)^2) (bounds and \
      ranks one-sided) over the --fit keys between their calibration bounds: GSL nmsimplex2 \
      with restarts, then Levenberg-Marquardt. Prints the fitted values with standard errors, \
      95% intervals and identifiability warnings, and writes a profile file (--out) carrying \
      them, the data, method, date, loss, residuals and vrsim version; the fit's data also goes \
      to a JSON file beside --report (REPORT.json) or else the profile (OUT-report.json), which \
      vrsim export notebook --calibration reads. Every evaluation is \
      checkpointed (--checkpoint, default OUT.checkpoint): a killed run resumes to the same \
      result. --method posterior samples the keys' posterior instead (priors from their \
      declarations; likelihood with the measured sd, the simulator's noise and a model \
      discrepancy; adaptive multiple importance sampling with independent seeds), writes the \
      draws (CSV, one column per key) beside the profile, the profile at the posterior \
      medians and the posterior's data as JSON where a fit's goes. SIGINT or SIGTERM stops at \
      once, the simulations in progress included, keeping every evaluation (under --method \
      posterior, every candidate wholly simulated) in the checkpoint; the same command resumes. \
      See docs/calibration.md.
      """
  )

  @Argument(help: "Measured-data CSV files.")
  var data: [String]

  @Option(name: .long, help: "Keys to fit, comma separated (e.g. profile.bridge,profile.driver_rx).")
  var fit: String

  @Option(name: .long, help: "Base profile file (default: each scenario's own).")
  var profile: String?

  @Option(name: .long, help: "Training rows, e.g. 'experiment in [fig9, fig8a]' (default: all).")
  var train: String?

  @Option(name: .long, help: "The fitted profile file to write (default: print it).")
  var out: String?

  @Option(name: .long, help: "Parallel workers (default: all cores); results do not depend on it.")
  var jobs: Int?

  @Option(name: .long, help: "Seed of every simulation (default: each scenario's run.seed).")
  var seed: UInt64?

  @Option(name: .customLong("set"), help: "Override for every row, KEY=VALUE (e.g. run.duration=300ms).")
  var set: [String] = []

  @Option(name: .long, help: "Checkpoint file (default: OUT.checkpoint; none without --out).")
  var checkpoint: String?

  @Option(name: .long, help: "Simplex restarts after the first search.")
  var restarts: Int = 2

  @Option(
    name: .long, help: "Most loss evaluations (each simulates every training row) of the simplex phase.")
  var budget: Int = 150

  @Option(name: .customLong("lm-iterations"), help: "Most Levenberg-Marquardt iterations.")
  var lmIterations: Int = 15

  @Option(
    name: .long,
    help: "Also write a Markdown report of the fit here (and its data beside it: .md -> .json).")
  var report: String?

  @Flag(name: .long, help: "No progress lines on stderr.")
  var quiet = false

  @Option(name: .long, help: "point (least squares) or posterior (Bayesian, draws).")
  var method: CalibrationMethod = .point

  @Option(
    name: .long,
    help: ArgumentHelp(
      "posterior: model discrepancy sd as a fraction of the measured value (0.02 = 2%), or 'fit' "
        + "(log-uniform 0.1% ... 50%)."))
  var discrepancy: String = "fit"

  @Option(name: .long, help: "posterior: equally weighted draws to write.")
  var draws: Int = 400

  @Option(name: .long, help: "posterior: adaptive iterations after the first.")
  var iterations: Int = 6

  @Option(name: .customLong("draws-per-iteration"), help: "posterior: simulated candidates per iteration.")
  var drawsPerIteration: Int = 64

  @Option(
    name: .customLong("prior-draws"), help: "posterior: Sobol draws from the prior in the first iteration.")
  var priorDraws: Int = 64

  @Option(
    name: .customLong("noise-draws"),
    help:
      "posterior: simulations at the start values, each with its own seed, that measure the simulator's noise."
  )
  var noiseDraws: Int = 8

  @Option(
    name: .customLong("draws-out"),
    help: "posterior: the draws CSV (default: OUT without .yaml + -draws.csv).")
  var drawsOut: String?

  func validate() throws {
    try ScenarioOptions.checkJobs(jobs)
    let counts: [(String, Int, ClosedRange<Int>)] = [
      ("--restarts", restarts, 0...100), ("--budget", budget, 0...100_000),
      ("--lm-iterations", lmIterations, 0...1_000), ("--draws", draws, 1...100_000),
      ("--iterations", iterations, 0...100), ("--draws-per-iteration", drawsPerIteration, 1...100_000),
      ("--prior-draws", priorDraws, 1...100_000), ("--noise-draws", noiseDraws, 2...10_000),
    ]
    for (option, value, range) in counts where !range.contains(value) {
      throw ValidationError("\(option) \(value): allowed \(range.lowerBound) ... \(range.upperBound)")
    }
    if discrepancy != "fit" {
      guard let d = Double(discrepancy), d >= 0, d < 10 else {
        throw ValidationError("--discrepancy \(discrepancy): a relative sd in 0 ... 10, or 'fit'")
      }
    }
    if method == .posterior, out == nil, drawsOut == nil {
      throw ValidationError("--method posterior needs --out or --draws-out (where the draws go)")
    }
  }

  func run() throws {
    let all = try CalibrationInputs.rows(data)
    let filter = try CalibrationInputs.filter(train)
    let rows = all.filter(filter.matches)
    let parameters: [FitParameter]
    do { parameters = try FitParameter.list(fit) } catch { throw RunError("\(error)", exitCode: 2) }
    let keys = parameters.map(\.key)
    let overrides = try CalibrationInputs.profileOverride(profile) + set
    let workers = jobs ?? ProcessInfo.processInfo.activeProcessorCount
    let evaluator: RowEvaluator
    do {
      evaluator = try RowEvaluator(
        rows: rows, parameters: parameters, overrides: overrides, seed: seed, jobs: workers)
    } catch { throw RunError("\(error)", exitCode: 2) }
    for w in evaluator.warnings { CalibrationInputs.stderr("vrsim: warning: \(w)") }
    guard !evaluator.rows.isEmpty else {
      throw RunError("no training row can be simulated (train: \(filter))", exitCode: 2)
    }
    var options = Calibrator.Options()
    options.restarts = restarts
    options.simplexBudget = budget
    options.lmIterations = lmIterations
    options.checkpoint = checkpoint ?? out.map { $0 + ".checkpoint" }
    if !quiet { options.progress = { CalibrationInputs.stderr($0) } }
    let identity = Calibrator.problemIdentity(
      version: VrsimVersion.string, rows: evaluator.rows, keys: keys, overrides: overrides, seed: seed,
      options: options, profile: profile)
    if method == .posterior {
      try runPosterior(
        evaluator: evaluator, filter: filter, overrides: overrides, workers: workers, identity: identity)
      return
    }
    let calibrator = Calibrator(evaluator: evaluator, options: options, identity: identity)
    if !quiet {
      CalibrationInputs.stderr(
        "calibrate: \(keys.count) keys, \(evaluator.rows.count) training rows in \(evaluator.runCount) simulations "
          + "(\(evaluator.replicationsPerCandidate) replications per evaluation), \(workers) workers")
    }
    let result: CalibrationResult
    do { result = try calibrator.run() } catch let e as RunError { throw e } catch let e
      as UnsimulatedRowsError
    {
      throw RunError(e.description, exitCode: 2)
    } catch {
      throw RunError("\(error)")
    }
    let fittedSpec = try evaluator.resolvedSpec(result.fitted.map(\.value))
    let name = profileName(or: "fitted")
    let fitReport = FitReport(
      result: result, profile: fittedSpec.costs, name: name, dataFiles: data, train: filter.description,
      overrides: reported(overrides), seed: seed,
      version: VrsimVersion.string, jobs: workers)
    for line in fitReport.summaryLines { print(line) }
    let text = try checkedProfile(fitReport.profileText, "fitted")
    if let out {
      try write(text, to: out)
      if let c = options.checkpoint, checkpoint == nil { try? FileManager.default.removeItem(atPath: c) }
    } else {
      print(text, terminator: "")
    }
    if let report { try write(fitReport.markdown, to: report) }
    if let path = reportDataPath { try write(try fitReport.data(profileFile: out).json(), to: path) }
  }

  /// `--method posterior`: samples the posterior and writes the draws, the profile at the
  /// posterior medians and the summary.
  /// Every candidate is checkpointed (--checkpoint, default OUT.checkpoint); SIGINT or SIGTERM
  /// stops the simulations in progress, keeps the candidates wholly simulated, and the same
  /// command resumes.
  func runPosterior(
    evaluator: RowEvaluator, filter: RowFilter, overrides: [String], workers: Int, identity: String
  ) throws {
    let priors: [KeyPrior]
    do { priors = try evaluator.parameters.map(KeyPrior.init) } catch {
      throw RunError("\(error)", exitCode: 2)
    }
    var o = PosteriorSampler.Options()
    o.noiseDraws = noiseDraws
    o.priorDraws = priorDraws
    o.drawsPerIteration = drawsPerIteration
    o.iterations = iterations
    o.outputDraws = draws
    o.seed = seed ?? 1
    if !quiet { o.progress = { CalibrationInputs.stderr($0) } }
    o.checkpoint = checkpoint ?? (out ?? drawsOut).map { $0 + ".checkpoint" }
    o.identity = identity
    let stop = PosteriorStop()
    stop.listen(to: [SIGINT, SIGTERM])
    defer { stop.restore() }
    o.stop = stop
    let rows = evaluator.rows
    let sampler = PosteriorSampler(
      evaluator: evaluator, priors: priors, discrepancy: discrepancy == "fit" ? nil : Double(discrepancy)!,
      options: o)
    if !quiet {
      CalibrationInputs.stderr(
        "calibrate: posterior of \(priors.count) keys on \(rows.count) training rows in \(evaluator.runCount) "
          + "simulations per candidate, \(workers) workers")
    }
    let result: PosteriorResult
    do { result = try sampler.run(start: try evaluator.startValues()) } catch let i as PosteriorInterrupted {
      CalibrationInputs.stderr("vrsim: \(i)")
      throw ExitCode(128 + (i.signal ?? SIGINT))
    } catch let e as UnsimulatedRowsError { throw RunError(e.description, exitCode: 2) } catch let e
      as RunError
    {
      throw e  // a run that cannot end (exit 2) keeps its code
    } catch {
      throw RunError("\(error)")
    }
    let drawsPath =
      drawsOut ?? Self.replacingExtension(out!, ".yaml", with: "-draws.csv")
    let spec = try evaluator.resolvedSpec(result.summaries.map(\.median))
    let name = profileName(or: "posterior")
    let report = PosteriorReport(
      result: result, rows: rows, profile: spec.costs, name: name, dataFiles: data, train: filter.description,
      overrides: reported(overrides), drawsFile: (drawsPath as NSString).lastPathComponent,
      discrepancyMode: discrepancy == "fit" ? "fitted" : "stated", version: VrsimVersion.string, jobs: workers
    )
    print("vrsim calibrate --method posterior: \(rows.count) training rows, \(priors.count) keys")
    for l in report.lines { print(l) }
    try write(result.drawsCSV, to: drawsPath)
    let text = try checkedProfile(report.profileText, "posterior")
    if let out { try write(text, to: out) }
    if let reportPath = self.report { try write(report.markdown, to: reportPath) }
    if let path = reportDataPath {
      try write(try report.data(profileFile: out, drawsFile: drawsPath, seed: o.seed).json(), to: path)
    }
    if let c = o.checkpoint, checkpoint == nil { try? FileManager.default.removeItem(atPath: c) }
  }
}

extension CalibrateCommand {
  /// `text` once it loads as a profile (`kind`: fitted or posterior).
  func checkedProfile(_ text: String, _ kind: String) throws -> String {
    do { _ = try ProfileFile.load(text: text, file: out ?? "<\(kind) profile>") } catch {
      throw RunError("the \(kind) profile does not validate: \(error)")
    }
    return text
  }

  /// Writes `text` to `path` and says so.
  func write(_ text: String, to path: String) throws {
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    print("wrote \(path)")
  }

  /// The overrides as the reports name them: `--profile`'s path as given, not made absolute.
  func reported(_ overrides: [String]) -> [String] {
    overrides.map { $0.hasPrefix("profile.file=") ? "profile.file=\(profile ?? "")" : $0 }
  }

  /// The written profile's name: --out's file name without its extension, else `name`.
  func profileName(or name: String) -> String {
    out.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension } ?? name
  }

  /// Where the report's data (JSON) goes: beside --report (`R.md` -> `R.json`), else beside
  /// the profile (`OUT.yaml` -> `OUT-report.json`); nil without either.
  var reportDataPath: String? {
    report.map { Self.replacingExtension($0, ".md", with: ".json") }
      ?? out.map { Self.replacingExtension($0, ".yaml", with: "-report.json") }
  }

  /// `path` with `suffix` (if it ends so) replaced by `replacement`, e.g. the draws file beside
  /// the profile (`fit.yaml` -> `fit-draws.csv`).
  static func replacingExtension(_ path: String, _ suffix: String, with replacement: String) -> String {
    (path.hasSuffix(suffix) ? String(path.dropLast(suffix.count)) : path) + replacement
  }
}

/// How `vrsim calibrate` fits.
enum CalibrationMethod: String, ExpressibleByArgument, CaseIterable {
  /// Least squares with intervals from the curvature at the optimum.
  case point
  /// Posterior draws.
  case posterior
}
