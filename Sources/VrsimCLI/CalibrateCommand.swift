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
      them, the data, method, date, loss, residuals and vrsim version. Every evaluation is \
      checkpointed (--checkpoint, default OUT.checkpoint): a killed run resumes to the same \
      result. --method posterior samples the keys' posterior instead (priors from their \
      declarations; likelihood with the measured sd, the simulator's noise and a model \
      discrepancy; adaptive multiple importance sampling with independent seeds), writes the \
      draws (CSV, one column per key) beside the profile and the profile at the posterior \
      medians. See docs/calibration.md.
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

  @Option(name: .long, help: "Most evaluations of the simplex phase.")
  var budget: Int = 150

  @Option(name: .customLong("lm-iterations"), help: "Most Levenberg-Marquardt iterations.")
  var lmIterations: Int = 15

  @Option(name: .long, help: "Also write a Markdown report of the fit here.")
  var report: String?

  @Flag(name: .long, help: "No progress lines on stderr.")
  var quiet = false

  @Option(name: .long, help: "point (least squares) or posterior (Bayesian, draws).")
  var method: CalibrationMethod = .point

  @Option(
    name: .long,
    help:
      "posterior: relative model discrepancy sd, a number (e.g. 0.02) or 'fit' (log-uniform 0.1% ... 50%).")
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
    name: .customLong("noise-draws"), help: "posterior: seeds at the start values for the simulator's noise.")
  var noiseDraws: Int = 8

  @Option(
    name: .customLong("draws-out"),
    help: "posterior: the draws CSV (default: OUT without .yaml + -draws.csv).")
  var drawsOut: String?

  func validate() throws {
    if let jobs, !(1...256).contains(jobs) {
      throw ValidationError("--jobs \(jobs) is out of range; allowed: 1 ... 256")
    }
    guard (0...100).contains(restarts) else {
      throw ValidationError("--restarts \(restarts): allowed 0 ... 100")
    }
    guard (0...100_000).contains(budget) else {
      throw ValidationError("--budget \(budget): allowed 0 ... 100000")
    }
    guard (0...1_000).contains(lmIterations) else {
      throw ValidationError("--lm-iterations \(lmIterations): allowed 0 ... 1000")
    }
    guard (1...100_000).contains(draws) else {
      throw ValidationError("--draws \(draws): allowed 1 ... 100000")
    }
    guard (0...100).contains(iterations) else {
      throw ValidationError("--iterations \(iterations): allowed 0 ... 100")
    }
    guard (1...100_000).contains(drawsPerIteration) else {
      throw ValidationError("--draws-per-iteration \(drawsPerIteration): allowed 1 ... 100000")
    }
    guard (1...100_000).contains(priorDraws) else {
      throw ValidationError("--prior-draws \(priorDraws): allowed 1 ... 100000")
    }
    guard (2...10_000).contains(noiseDraws) else {
      throw ValidationError("--noise-draws \(noiseDraws): allowed 2 ... 10000")
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
    let keys = fit.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
      !$0.isEmpty
    }
    guard !keys.isEmpty else { throw RunError("--fit names no key", exitCode: 2) }
    guard Set(keys).count == keys.count else { throw RunError("--fit names a key twice", exitCode: 2) }
    let parameters: [FitParameter]
    do { parameters = try keys.map(FitParameter.init(key:)) } catch {
      throw RunError("\(error)", exitCode: 2)
    }
    let overrides = try CalibrationInputs.profileOverride(profile) + set
    let workers = jobs ?? ProcessInfo.processInfo.activeProcessorCount
    let evaluator: RowEvaluator
    do {
      evaluator = try RowEvaluator(
        rows: rows, parameters: parameters, overrides: overrides, seed: seed, jobs: workers)
    } catch { throw RunError("\(error)", exitCode: 2) }
    guard !evaluator.rows.isEmpty else {
      throw RunError("no training row can be simulated (train: \(filter))", exitCode: 2)
    }
    var options = Calibrator.Options()
    options.restarts = restarts
    options.simplexBudget = budget
    options.lmIterations = lmIterations
    options.checkpoint = checkpoint ?? out.map { $0 + ".checkpoint" }
    if !quiet { options.progress = { CalibrationInputs.stderr($0) } }
    let identity = try identityText(rows: evaluator.rows, keys: keys, overrides: overrides, options: options)
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
    do { result = try calibrator.run() } catch let e as RunError { throw e } catch {
      throw RunError("\(error)")
    }
    let fittedSpec = try evaluator.resolvedSpec(result.fitted.map(\.value))
    let name = out.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension } ?? "fitted"
    let fitReport = FitReport(
      result: result, profile: fittedSpec.costs, name: name, dataFiles: data, train: filter.description,
      overrides: overrides.map { $0.hasPrefix("profile.file=") ? "profile.file=\(profile ?? "")" : $0 },
      seed: seed,
      version: VrsimVersion.string, jobs: workers)
    print("vrsim calibrate: \(result.rows.count) training rows, \(keys.count) keys")
    print(String(format: "loss %.6g at the start, %.6g fitted", result.startLoss, result.loss))
    for l in fitReport.parameterLines { print("  " + l) }
    print(String(format: "condition number %.3g", result.conditionNumber))
    for w in result.warnings { print("warning: " + w) }
    print(fitReport.runLine)
    let text = fitReport.profileText
    do { _ = try ProfileFile.load(text: text, file: out ?? "<fitted profile>") } catch {
      throw RunError("the fitted profile does not validate: \(error)")
    }
    if let out {
      try text.write(toFile: out, atomically: true, encoding: .utf8)
      print("wrote \(out)")
      if let c = options.checkpoint, checkpoint == nil { try? FileManager.default.removeItem(atPath: c) }
    } else {
      print(text, terminator: "")
    }
    if let report {
      try Self.markdown(fitReport).write(toFile: report, atomically: true, encoding: .utf8)
      print("wrote \(report)")
    }
  }

  /// `--method posterior`: samples the posterior and writes the draws, the profile at the
  /// posterior medians and the summary.
  /// Every candidate is checkpointed (--checkpoint, default OUT.checkpoint); SIGINT or SIGTERM
  /// stops after the chunk in progress, keeping it, and the same command resumes.
  func runPosterior(
    evaluator: RowEvaluator, filter: RowFilter, overrides: [String], workers: Int, identity: String
  ) throws {
    let priors: [KeyPrior]
    do { priors = try evaluator.parameters.map(KeyPrior.init) } catch {
      throw RunError("\(error)", exitCode: 2)
    }
    let grid =
      discrepancy == "fit"
      ? PosteriorLikelihood.logUniformGrid(0.001...0.5, count: 28)
      : [(value: Double(discrepancy)!, weight: 1.0)]
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
      priors: priors, discrepancies: grid, options: o,
      simulate: { try evaluator.simulate($0, seeds: $1) },
      likelihood: {
        PosteriorLikelihood(rows: rows, simulationSD: $0, simulationScale: $1, discrepancies: $2)
      })
    if !quiet {
      CalibrationInputs.stderr(
        "calibrate: posterior of \(priors.count) keys on \(rows.count) training rows in \(evaluator.runCount) "
          + "simulations per candidate, \(workers) workers")
    }
    let result: PosteriorResult
    do { result = try sampler.run(start: try evaluator.startValues()) } catch let i as PosteriorInterrupted {
      CalibrationInputs.stderr("vrsim: \(i)")
      throw ExitCode(128 + (i.signal ?? SIGINT))
    } catch { throw RunError("\(error)") }
    let drawsPath =
      drawsOut ?? (out!.hasSuffix(".yaml") ? String(out!.dropLast(5)) : out!) + "-draws.csv"
    let spec = try evaluator.resolvedSpec(result.summaries.map(\.median))
    let name =
      out.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension } ?? "posterior"
    let report = PosteriorReport(
      result: result, rows: rows, profile: spec.costs, name: name, dataFiles: data, train: filter.description,
      overrides: overrides.map { $0.hasPrefix("profile.file=") ? "profile.file=\(profile ?? "")" : $0 },
      drawsFile: (drawsPath as NSString).lastPathComponent,
      discrepancyMode: discrepancy == "fit" ? "fitted" : "stated", version: VrsimVersion.string, jobs: workers
    )
    print("vrsim calibrate --method posterior: \(rows.count) training rows, \(priors.count) keys")
    for l in report.lines { print(l) }
    try result.drawsCSV.write(toFile: drawsPath, atomically: true, encoding: .utf8)
    print("wrote \(drawsPath)")
    let text = report.profileText
    do { _ = try ProfileFile.load(text: text, file: out ?? "<posterior profile>") } catch {
      throw RunError("the posterior profile does not validate: \(error)")
    }
    if let out {
      try text.write(toFile: out, atomically: true, encoding: .utf8)
      print("wrote \(out)")
    }
    if let reportPath = self.report {
      try report.markdown.write(toFile: reportPath, atomically: true, encoding: .utf8)
      print("wrote \(reportPath)")
    }
    if let c = o.checkpoint, checkpoint == nil { try? FileManager.default.removeItem(atPath: c) }
  }

  /// What makes two calibrations the same problem (for the checkpoint).
  func identityText(rows: [MeasuredRow], keys: [String], overrides: [String], options: Calibrator.Options)
    throws
    -> String
  {
    var s =
      "vrsim \(VrsimVersion.string)\nkeys \(keys)\noverrides \(overrides)\nseed \(seed.map(String.init) ?? "-")\n"
    s +=
      "options \(options.restarts) \(options.simplexStep) \(options.simplexTolerance) \(options.simplexBudget) "
    s += "\(options.lmIterations) \(options.jacobianStep)\n"
    for r in rows {
      s += "\(r.location) \(r.experiment) \(r.scenario) \(r.set) \(r.scope) \(r.metric.name) \(r.value) "
      s += "\(String(describing: r.ci95Low)) \(String(describing: r.ci95High)) \(r.kind.rawValue)\n"
      if let p = r.scenarioPath, let d = FileManager.default.contents(atPath: p) {
        s += ScenarioLoader.sha256(String(decoding: d, as: UTF8.self)) + "\n"
      }
    }
    if let profile, let d = FileManager.default.contents(atPath: profile) {
      s += ScenarioLoader.sha256(String(decoding: d, as: UTF8.self)) + "\n"
    }
    return s
  }

  static func markdown(_ r: FitReport) -> String {
    var s = "# Fit: \(r.profile.name)\n\n"
    s +=
      "vrsim \(r.version), \(r.date). Data: \(r.dataFiles.joined(separator: ", ")); train: `\(r.train)`.\n\n"
    s += "Method: \(FitReport.methodText)\n\n"
    s += "\(r.runLine)\n\n"
    s += String(format: "Loss: %.6g at the start, %.6g fitted.\n\n", r.result.startLoss, r.result.loss)
    s += "| key | start | fitted | se | 95% interval | unit |\n|---|---|---|---|---|---|\n"
    for f in r.result.fitted {
      s += String(
        format: "| %@ | %.6g | %.6g | %@ | %@ | %@ |\n", f.parameter.key, f.start, f.value,
        f.standardError.isFinite ? String(format: "%.4g", f.standardError) : "inf",
        f.identifiable ? String(format: "[%.6g, %.6g]", f.low, f.high) : "not identifiable",
        f.parameter.declared.unit.rawValue)
    }
    s += String(format: "\nCondition number of the scaled JᵀJ: %.3g.\n", r.result.conditionNumber)
    for w in r.result.warnings { s += "\n- **Warning:** \(w)" }
    s += "\n\n## Training residuals\n\n```\n" + r.residualLines.joined(separator: "\n") + "\n```\n"
    return s
  }
}

/// How `vrsim calibrate` fits.
enum CalibrationMethod: String, ExpressibleByArgument, CaseIterable {
  /// Least squares with intervals from the curvature at the optimum.
  case point
  /// Posterior draws.
  case posterior
}

extension FitReport {
  static var methodText: String {
    "simulation-based least squares (GSL nmsimplex2 with restarts, then Levenberg-Marquardt), common random "
      + "numbers, logit bounds, intervals from the covariance at the optimum."
  }
}
