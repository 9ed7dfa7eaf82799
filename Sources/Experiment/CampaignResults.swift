import Report
import SimCore

/// Turns stored run records into reports: per-point replication counts, aggregated summaries
/// (mean and Student-t interval per point, scope and metric), and tidy raw-run CSV/JSON.
///
/// Everything here is a pure function of (plan, records); records are used in (point,
/// replication) order, so equal inputs give equal bytes whatever order runs completed in.
public enum CampaignResults {
  /// The replications that count for each point: fixed policy, replications `0..<n`;
  /// stopping rule, the count the rule decides when replaying it over the stored values
  /// (or the current target when the point is unfinished). Points without records map to 0.
  public static func replicationCounts(plan: CampaignPlan, records: [RunRecord]) -> [Int: Int] {
    var byPoint: [Int: [Int: RunRecord]] = [:]
    for r in records { byPoint[r.point, default: [:]][r.replication] = r }
    var out: [Int: Int] = [:]
    for point in plan.points.map(\.index) {
      let runs = byPoint[point] ?? [:]
      switch plan.replications {
      case .fixed(let n):
        out[point] = n
      case .stoppingRule(let rule):
        var k = 0
        while true {
          let values = (0..<k).compactMap { runs[$0]?.value(scope: rule.scope, metric: rule.metric) }
          if values.count < k { break }
          guard let next = rule.nextTarget(after: values, level: plan.confidenceLevel) else { break }
          k = next
        }
        out[point] = k
      }
    }
    return out
  }

  /// One summary per (point, scope, metric) over the replications that count
  /// (`replicationCounts`), at the plan's confidence level, via `SimCore.ConfidenceInterval`.
  /// Order: points ascending; within a point, (scope, metric) in order of first appearance in
  /// replication order. Within one run only the first row of a (scope, metric) counts. The unit
  /// is the first one seen.
  public static func summarize(plan: CampaignPlan, records: [RunRecord]) -> [MetricSummary] {
    struct Key: Hashable {
      var scope: String
      var metric: String
    }
    let counts = replicationCounts(plan: plan, records: records)
    let sorted = records.sorted { ($0.point, $0.replication) < ($1.point, $1.replication) }
    var out: [MetricSummary] = []
    var i = 0
    while i < sorted.count {
      let point = sorted[i].point
      var order: [Key] = []
      var units: [Key: String] = [:]
      var values: [Key: [Double]] = [:]
      while i < sorted.count && sorted[i].point == point {
        let r = sorted[i]
        i += 1
        guard r.replication < counts[point, default: 0] else { continue }
        var seen = Set<Key>()
        for m in r.metrics {
          let key = Key(scope: m.scope, metric: m.metric)
          guard seen.insert(key).inserted else { continue }
          if units[key] == nil {
            units[key] = m.unit
            order.append(key)
          }
          values[key, default: []].append(m.value)
        }
      }
      let parameters = point < plan.points.count ? plan.points[point].assignments : []
      for key in order {
        let v = values[key] ?? []
        var w = Welford()
        for x in v { w.add(x) }
        let ci = ConfidenceInterval(w, level: plan.confidenceLevel)
        out.append(
          MetricSummary(
            point: point, parameters: parameters, scope: key.scope, metric: key.metric,
            unit: units[key] ?? "", count: ci.count, mean: ci.mean, halfWidth: ci.halfWidth,
            level: plan.confidenceLevel, standardDeviation: w.standardDeviation,
            min: w.count > 0 ? w.min : .nan, max: w.count > 0 ? w.max : .nan))
      }
    }
    return out
  }

  /// `summarize(plan:records:)` over every run in `store`, read one point at a time, so that
  /// memory holds one point's records plus the summaries, not every record of the campaign.
  /// Gives the same summaries, in the same order, as summarizing all records at once.
  public static func summarize(plan: CampaignPlan, store: CampaignStore) throws -> [MetricSummary] {
    var out: [MetricSummary] = []
    try store.forEachPoint { _, records in out += summarize(plan: plan, records: records) }
    return out
  }

  /// Tidy CSV of raw runs, one line per metric row: `point`, one column per sweep key,
  /// `replication`, `seed`, `scope`, `metric`, `unit`, `value` (and `wall_seconds` when asked;
  /// it varies between runs, so byte-identical output needs it off). Sorted by (point,
  /// replication), metrics in run order.
  public static func recordsCSV(plan: CampaignPlan, records: [RunRecord], includeWallTime: Bool = false)
    -> String
  {
    let keys = sweepKeys(plan)
    var header = ["point"] + keys + ["replication", "seed", "scope", "metric", "unit", "value"]
    if includeWallTime { header.append("wall_seconds") }
    var rows: [[CSVField]] = []
    for r in records.sorted(by: { ($0.point, $0.replication) < ($1.point, $1.replication) }) {
      let assignments = r.point < plan.points.count ? plan.points[r.point].assignments : []
      var lead: [CSVField] = [.integer(r.point)]
      for key in keys {
        if let a = assignments.first(where: { $0.key == key }) {
          lead.append(.text(a.value))
        } else {
          lead.append(.empty)
        }
      }
      lead += [.integer(r.replication), .text(String(r.seed))]
      for m in r.metrics {
        var row = lead + [.text(m.scope), .text(m.metric), .text(m.unit), .number(m.value)]
        if includeWallTime { row.append(.number(r.wallSeconds)) }
        rows.append(row)
      }
    }
    return CSV.render(header: header, rows: rows)
  }

  /// JSON of raw runs with sorted keys: `{"metadata": plan.metadata, "runs": [...]}`, each
  /// run with `point`, `parameters`, `replication`, `seed` (as a decimal string: JSON numbers
  /// lose 64-bit precision), `metrics` (NaN as null), and `wall_seconds` when asked.
  public static func recordsJSON(plan: CampaignPlan, records: [RunRecord], includeWallTime: Bool = false)
    throws -> String
  {
    struct Metric: Encodable {
      var scope: String
      var metric: String
      var unit: String
      @JSONNull var value: Double?
    }
    struct Run: Encodable {
      var point: Int
      var parameters: [String: String]
      var replication: Int
      var seed: String
      var metrics: [Metric]
      var wallSeconds: Double?
      enum CodingKeys: String, CodingKey {
        case point, parameters, replication, seed, metrics
        case wallSeconds = "wall_seconds"
      }
    }
    struct Document: Encodable {
      var metadata: [String: String]
      var runs: [Run]
    }
    let runs = records.sorted(by: { ($0.point, $0.replication) < ($1.point, $1.replication) }).map { r in
      let assignments = r.point < plan.points.count ? plan.points[r.point].assignments : []
      return Run(
        point: r.point,
        parameters: Dictionary(assignments.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }),
        replication: r.replication, seed: String(r.seed),
        metrics: r.metrics.map {
          Metric(scope: $0.scope, metric: $0.metric, unit: $0.unit, value: JSONText.finite($0.value))
        },
        wallSeconds: includeWallTime ? r.wallSeconds : nil)
    }
    return try JSONText.encode(Document(metadata: plan.metadata, runs: runs))
  }

  /// The sweep keys of the plan, in order of first appearance over its points.
  public static func sweepKeys(_ plan: CampaignPlan) -> [String] {
    var seen = Set<String>()
    var keys: [String] = []
    for p in plan.points {
      for a in p.assignments where seen.insert(a.key).inserted { keys.append(a.key) }
    }
    return keys
  }
}
