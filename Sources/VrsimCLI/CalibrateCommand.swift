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
      result. See docs/calibration.md.
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

extension FitReport {
  static var methodText: String {
    "simulation-based least squares (GSL nmsimplex2 with restarts, then Levenberg-Marquardt), common random "
      + "numbers, logit bounds, intervals from the covariance at the optimum."
  }
}
