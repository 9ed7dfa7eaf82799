import Foundation
import Platforms
import Report
import Scenario

/// The outputs of a posterior calibration: a summary (text and Markdown) and the profile at
/// the posterior medians, whose header carries the summary.
public struct PosteriorReport: Sendable {
  /// The sampler's result.
  public var result: PosteriorResult
  /// The training rows (the evaluator's order).
  public var rows: [MeasuredRow]
  /// The profile at the posterior medians.
  public var profile: CostProfile
  /// Data files, as given.
  public var dataFiles: [String]
  /// The training filter.
  public var train: String
  /// `--set` overrides given to every row.
  public var overrides: [String]
  /// The draws file written beside the profile.
  public var drawsFile: String
  /// How the discrepancy was set: `fitted` or `stated`.
  public var discrepancyMode: String
  /// vrsim's version.
  public var version: String
  /// ISO 8601 date.
  public var date: String
  /// Worker threads.
  public var jobs: Int

  /// The report; `profile` should be the resolved costs at the posterior medians.
  public init(
    result: PosteriorResult, rows: [MeasuredRow], profile: CostProfile, name: String, dataFiles: [String],
    train: String, overrides: [String], drawsFile: String, discrepancyMode: String, version: String,
    date: Date = Date(), jobs: Int
  ) {
    self.result = result
    self.rows = rows
    self.dataFiles = dataFiles
    self.train = train
    self.overrides = overrides
    self.drawsFile = drawsFile
    self.discrepancyMode = discrepancyMode
    self.version = version
    self.jobs = jobs
    self.date = FitReport.day(date)
    var p = profile
    p.name = name
    p.provenance = FitReport.cut(
      "posterior of vrsim calibrate \(version) (medians; draws in \(drawsFile)): "
        + result.summaries.map { s in
          String(
            format: "%@ = %.6g [%.6g, %.6g] %@", s.prior.parameter.key, s.median, s.low, s.high,
            s.prior.parameter.declared.unit.rawValue)
        }.joined(separator: "; "))
    p.method = Self.method
    p.dataSet = FitReport.dataSet(dataFiles, train: train, rows: rows)
    p.date = self.date
    p.residuals = FitReport.cut(
      String(
        format: "ESS %.1f of %d weighted draws; log evidence %.4g; discrepancy (relative sd) %@ median %.3g",
        result.effectiveSampleSize, result.weightedDraws, result.logEvidence, discrepancyMode,
        result.discrepancyQuantile(0.5)))
    self.profile = p
  }

  static let method =
    "Bayesian calibration: adaptive multiple importance sampling (AMIS, deterministic-mixture weights) on the "
    + "simulator, randomised Sobol design from the priors, independent seeds per candidate; Gaussian likelihood "
    + "with measured sd, simulator noise sd and a relative model discrepancy; bounds censored, ranks soft"

  /// The summary as text lines (stdout and the profile's header).
  public var lines: [String] {
    var s: [String] = []
    s.append(
      String(
        format:
          "%d simulator evaluations (%d weighted draws + %d at the start values for the noise) in %.1f s on %d workers",
        result.simulations, result.weightedDraws, result.noiseDraws, result.seconds, jobs)
        + (result.replayed > 0 ? " (\(result.replayed) of them read back from the checkpoint)" : ""))
    s.append(
      String(
        format:
          "effective sample size %.1f (after each iteration: %@); largest weight %.3f; log evidence %.4f",
        result.effectiveSampleSize,
        result.essHistory.map { String(format: "%.1f", $0) }.joined(separator: ", "),
        result.maxWeight, result.logEvidence))
    s.append(
      String(
        format: "model discrepancy (relative sd, %@): median %.3g, 95%% [%.3g, %.3g]", discrepancyMode,
        result.discrepancyQuantile(0.5), result.discrepancyQuantile(0.025), result.discrepancyQuantile(0.975))
    )
    s.append("key: prior 95% -> posterior median [95%], width ratio posterior/prior, verdict")
    for k in result.summaries {
      let pi = k.prior.interval95
      s.append(
        String(
          format: "  %@: %@ %.6g ... %.6g -> %.6g [%.6g, %.6g] %@, ratio %.2f, %@", k.prior.parameter.key,
          k.prior.distribution.shape.rawValue, pi.low, pi.high, k.median, k.low, k.high,
          k.prior.parameter.declared.unit.rawValue, k.widthRatio, k.verdict))
    }
    s.append("posterior correlations (|r| > 0.5):")
    var any = false
    for a in result.keys.indices {
      for b in result.keys.indices where b > a && abs(result.correlation[a][b]) > 0.5 {
        any = true
        s.append(
          String(format: "  %@ ~ %@: r = %+.2f", result.keys[a], result.keys[b], result.correlation[a][b]))
      }
    }
    if !any { s.append("  none") }
    if result.effectiveSampleSize < 50 {
      s.append(
        String(
          format: "warning: effective sample size %.1f is small: the intervals rest on few draws; give more "
            + "--iterations or --draws-per-iteration", result.effectiveSampleSize))
    }
    return s
  }

  /// The priors with their sources, as text lines.
  public var priorLines: [String] {
    result.summaries.map { k in
      "\(k.prior.parameter.key): \(k.prior.distribution.shape.rawValue) on "
        + String(format: "%.6g ... %.6g", k.prior.lower, k.prior.upper)
        + (k.prior.distribution.shape == .normal
          ? String(format: " (mean %.6g, sd %.6g)", k.prior.distribution.mean, k.prior.distribution.sd) : "")
        + " \(k.prior.parameter.declared.unit.rawValue); source: \(k.prior.distribution.source)"
    }
  }

  /// The profile file's text.
  public var profileText: String {
    var h =
      "# \(profile.name): posterior of `vrsim calibrate --method posterior` (vrsim \(version)) on \(date).\n"
    h += "#\n# Data: \(dataFiles.joined(separator: ", ")); train: \(train); \(rows.count) rows.\n"
    if !overrides.isEmpty { h += "# Overrides of every row: \(overrides.joined(separator: " "))\n" }
    h += "# Method: \(Self.method).\n"
    h += "# Costs below are the posterior medians; the draws are in \(drawsFile).\n#\n"
    for l in lines { h += "# \(l)\n" }
    h += "#\n# Priors:\n"
    for l in priorLines { h += "#   \(l)\n" }
    h += "#\n"
    return ProfileFile.text(profile, header: h)
  }

  /// The Markdown report.
  public var markdown: String {
    var s =
      "# Posterior: \(profile.name)\n\nvrsim \(version), \(date). Data: \(dataFiles.joined(separator: ", "))"
    s += "; train: `\(train)`; \(rows.count) rows.\n\nMethod: \(Self.method).\n\n"
    s += "Draws: `\(drawsFile)`.\n\n```\n" + lines.joined(separator: "\n") + "\n```\n\n## Priors\n\n"
    for l in priorLines { s += "- \(l)\n" }
    s += "\n## Training rows at the draw of highest likelihood\n\n"
    s += "| line | experiment | set | scope | metric | kind | measured | simulated | noise sd |\n"
    s += "|---|---|---|---|---|---|---|---|---|\n"
    for (i, r) in rows.enumerated() {
      s += String(
        format: "| %d | %@ | %@ | %@ | %@ | %@ | %.6g | %.6g | %.3g |\n", r.line, r.experiment,
        r.set.joined(separator: ";"), r.scope, r.metric.name, r.kind.rawValue, r.value,
        result.bestOutcomes[i].mean, result.noiseSD[i])
    }
    return s
  }
}
