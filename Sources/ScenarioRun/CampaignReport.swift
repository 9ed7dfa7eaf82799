import Experiment
import Report
import Scenario

/// The results of a campaign as `vrsim run`, `sweep` and `results` print them.
public enum CampaignReport {
  /// An output format.
  public enum Format: String, CaseIterable, Sendable {
    /// Aligned text tables with a heading.
    case table
    /// One row per (point, scope, metric).
    case csv
    /// One object with the metadata and the rows.
    case json
  }

  /// Writes `summaries` in `format` through `write` (CSV in chunks, so a large campaign never
  /// sits in memory as one string). The table names the scenario's setting and its swept keys,
  /// then traffic per router and in aggregate, host figures, CPU per domain, jobs, time per
  /// stage and drops by place: one table per kind of scope.
  public static func write(
    _ summaries: [MetricSummary], format: Format, spec: ScenarioSpec?, plan: CampaignPlan,
    to write: (String) -> Void
  ) throws {
    switch format {
    case .csv:
      SummaryReport.writeCSV(summaries, to: write)
    case .json:
      write(
        try SummaryReport.json(
          summaries,
          metadata: [
            "scenario": spec?.name ?? "", "scenario_hash": plan.scenarioHash, "seed": String(plan.masterSeed),
            "vrsim": plan.vrsimVersion,
          ]) + "\n")
    case .table:
      if let spec {
        write("scenario: \(spec.name): \(spec.about)\n")
        // Swept keys are named with their values instead of the base scenario's setting.
        let axes = spec.sweep?.axes ?? []
        let swept = Set(axes.map(\.keyPath))
        var setting: [String] = []
        if !swept.contains("platform") { setting.append("platform \(spec.platform.rawValue)") }
        if !swept.contains("routers.count") {
          setting.append(spec.routers.count == 1 ? "1 router" : "\(spec.routers.count) routers")
        }
        setting.append("seed \(plan.masterSeed)")
        if !swept.contains("run.duration") && !swept.contains("run.warmup") {
          setting.append("\(spec.run.duration) after \(spec.run.warmup) warm-up")
        }
        write(setting.joined(separator: ", ") + "; mean ± 95% CI half-width over replications\n")
        let zipped = spec.sweep?.mode == .zip && axes.count > 1 ? " (zip)" : ""
        for axis in axes {
          write("\(axis.keyPath) swept\(zipped): \(axis.values.joined(separator: ", "))\n")
        }
      }
      let traffic = Set(
        [Metric.offeredPps, .forwardedPps, .loss, .latencyMean, .latencyP99, .wireBps].map(\.name))
      let t = summaries.filter {
        traffic.contains($0.metric) && ($0.scope == "aggregate" || $0.scope.hasPrefix("vr"))
      }
      write(SummaryReport.table(t) + "\n")
      // One table per kind of scope, so no table mixes scopes into mostly empty columns.
      func section(_ title: String, _ rows: [MetricSummary]) {
        guard !rows.isEmpty else { return }
        write("\n")
        write(title + "\n")
        write(SummaryReport.table(rows) + "\n")
      }
      section("host: fairness, scheduling and notifications", summaries.filter { $0.scope == "host" })
      section(
        "per domain: CPU and notifications",
        summaries.filter { s in
          !traffic.contains(s.metric) && s.scope != "aggregate" && s.scope != "host"
            && !["drop:", "pcpu", "stage:", "job:"].contains { s.scope.hasPrefix($0) }
            && (!s.scope.hasPrefix("vr") || s.metric == Metric.cpu.name
              || s.metric == Metric.routerNotifications.name)
        })
      section("jobs", summaries.filter { $0.scope.hasPrefix("job:") })
      section(
        "time in each stage (input ring + wait for the vCPU + service)",
        summaries.filter { $0.scope.hasPrefix("stage:") })
      section("drops by place", summaries.filter { $0.scope.hasPrefix("drop:") })
    }
  }
}
