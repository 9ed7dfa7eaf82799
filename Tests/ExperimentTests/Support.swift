import Experiment
import Foundation
import Report

/// A fresh, empty temporary directory path (not created).
func temporaryCampaignDirectory(_ name: String = "campaign") -> URL {
  FileManager.default.temporaryDirectory
    .appendingPathComponent("vrsim-exp-tests-\(UUID().uuidString)")
    .appendingPathComponent(name)
}

/// Removes the temporary parent of a directory made by `temporaryCampaignDirectory`.
func removeTemporary(_ url: URL) {
  try? FileManager.default.removeItem(at: url.deletingLastPathComponent())
}

/// A plan of `points` points sweeping `routers.count` = 1, 2, ...
func makePlan(
  points: Int, replications: ReplicationPolicy, seed: UInt64 = 42, scenario: String = "routers: {count: 4}\n"
) -> CampaignPlan {
  CampaignPlan(
    scenarioText: scenario, vrsimVersion: "test", gitCommit: "abc123", masterSeed: seed,
    points: (0..<points).map {
      PlanPoint(index: $0, assignments: [Assignment(key: "routers.count", value: "\($0 + 1)")])
    },
    replications: replications)
}

/// A uniform [0, 1) value from a seed (seeds are already well mixed by SplitMix64).
func unit(_ seed: UInt64) -> Double { Double(seed >> 11) / Double(UInt64(1) << 53) }

/// A fake simulation: metrics that depend only on (point, seed); point p has noise (p + 1)·10.
let fakeSimulation: CampaignRunner.Simulate = { point, _, seed in
  let u = unit(seed)
  let u2 = unit(seed &* 0x9E37_79B9_7F4A_7C15 &+ 1)
  let noise = Double(point.index + 1) * 10 * (u + u2 - 1)
  return [
    MetricRow(scope: "aggregate", metric: "forwarded_pps", unit: "pps", value: 1000 + noise),
    MetricRow(scope: "vr0", metric: "forwarded_pps", unit: "pps", value: 500 + noise / 2),
    MetricRow(scope: "vr0", metric: "loss_fraction", unit: "1", value: u / 100),
  ]
}

/// Runs `plan` to completion into a new directory and returns (directory, records).
func runComplete(_ plan: CampaignPlan, jobs: Int, shard: Shard = .all, directory: URL? = nil) throws -> (
  URL, [RunRecord]
) {
  let dir = directory ?? temporaryCampaignDirectory()
  let store = try CampaignStore.open(at: dir, plan: plan)
  _ = try CampaignRunner(jobs: jobs, shard: shard).run(store: store, simulate: fakeSimulation)
  return (dir, try store.records())
}

/// True when both record lists hold the same results in the same order (wall time ignored).
func sameResults(_ a: [RunRecord], _ b: [RunRecord]) -> Bool {
  a.count == b.count && zip(a, b).allSatisfy { $0.isSameResult(as: $1) }
}
