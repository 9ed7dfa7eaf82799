// vrsim-campaign-fixture: a tiny campaign runner for the resume-after-SIGKILL test.
//
// Usage: vrsim-campaign-fixture DIR POINTS REPLICATIONS SLEEP_MS JOBS
// Runs a campaign of POINTS points x REPLICATIONS replications into DIR with a fake,
// seed-determined simulation that sleeps SLEEP_MS per run; exits 0 when complete.
import Experiment
import Foundation
import Report

let args = CommandLine.arguments
guard args.count == 6, let points = Int(args[2]), let reps = Int(args[3]), let sleepMs = Int(args[4]),
  let jobs = Int(args[5])
else {
  FileHandle.standardError.write(
    Data("usage: vrsim-campaign-fixture DIR POINTS REPLICATIONS SLEEP_MS JOBS\n".utf8))
  exit(2)
}

let plan = CampaignPlan(
  scenarioText: "fixture: {points: \(points)}\n", vrsimVersion: "fixture", masterSeed: 2012,
  points: (0..<points).map {
    PlanPoint(index: $0, assignments: [Assignment(key: "routers.count", value: "\($0 + 1)")])
  },
  replications: .fixed(reps))

do {
  let store = try CampaignStore.open(at: URL(fileURLWithPath: args[1]), plan: plan)
  let outcome = try CampaignRunner(jobs: jobs).run(store: store) { point, _, seed in
    if sleepMs > 0 { usleep(UInt32(sleepMs * 1000)) }
    let u = Double(seed >> 11) / Double(1 << 53)
    return [
      MetricRow(
        scope: "aggregate", metric: "forwarded_pps", unit: "pps",
        value: 1000 * Double(point.index + 1) + 100 * u),
      MetricRow(scope: "vr0", metric: "loss_fraction", unit: "1", value: u / 10),
    ]
  }
  print("ran \(outcome.ranThisSession) of \(outcome.planned)")
} catch {
  FileHandle.standardError.write(Data("error: \(error)\n".utf8))
  exit(1)
}
