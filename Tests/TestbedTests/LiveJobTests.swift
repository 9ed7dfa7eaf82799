import Foundation
import Testing

@testable import Testbed

/// The live job test belongs to the serialized live suite: live runs take the testbed lock, so
/// they must never run in parallel.
extension LiveTestbedTests {
  /// The value of (scope, metric) in a testbed CSV (13 columns: the schema and the note).
  static func jobValue(_ csv: String, _ scope: String, _ metric: String) -> Double? {
    for line in csv.split(separator: "\n") {
      let f = line.split(separator: ",", omittingEmptySubsequences: false)
      if f.count == 13 && f[4] == scope && f[5] == metric { return Double(f[7]) }
    }
    return nil
  }

  /// Two cpu jobs of 1.125e9 and 0.5625e9 cycles at host.clock 2.25 GHz (0.5 s and 0.25 s of
  /// CPU time of the calibrated loop) run together in vr0's namespace and cgroup beside 1 s of
  /// 10 kp/s traffic. Their CPU times (job_share x job_seconds) are compared with each other,
  /// within the one trial: the ratio is the cycles' ratio, 2 (a hand calculation), within 25%
  /// either way. Both loops were sized by the same calibration and run the same code at the
  /// same time on the same CPU (vr0's cpuset holds one), so however slow the calibration
  /// was or however loaded the machine is, both are off by the same factor; what is left is
  /// the long job's last quarter second, which it runs alone (the 25%). The job's absolute CPU
  /// time against the calibration is no test: calibration and job run at different moments,
  /// and a busy moment during calibration sizes the job short. Each job's external
  /// time is at least its CPU time (one thread, the same interval), and nothing with the run's
  /// prefix is left.
  @Test(.enabled(if: Live.available, "needs root, network namespaces, veth and trafgen"))
  func cpuJobRunsInTheRouterAndIsTimedExternally() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vrsim-live-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let scenario = dir.appendingPathComponent("job.yaml")
    try """
    name: live-job
    host: { cpus: 2, clock: 2.25GHz }
    platform: netns-bridge
    routers: { count: 1 }
    traffic: [ { to: each, rate: 10kpps, frame: 64B } ]
    workloads:
      - { name: spin, in: vr0, kind: cpu, cycles: 1125000000cycles }
      - { name: half, in: vr0, kind: cpu, cycles: 562500000cycles }
    run: { duration: 1s, warmup: 100ms, replications: 1 }
    """.write(to: scenario, atomically: true, encoding: .utf8)
    let out = dir.appendingPathComponent("job.csv")
    let (status, log) = try Live.run(
      ["testbed", "run", scenario.path, "--out", out.path, "--ceiling-packets", "20000"])
    #expect(status == 0, "vrsim testbed run failed: \(log.suffix(600))")
    let csv = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
    var cpu: [String: Double] = [:]
    for name in ["spin", "half"] {
      let seconds = try #require(
        Self.jobValue(csv, "job:\(name)", "job_seconds"), "no job_seconds row of \(name): \(csv.suffix(400))")
      let share = try #require(Self.jobValue(csv, "job:\(name)", "job_share"))
      cpu[name] = share * seconds
      #expect(share * seconds > 0, "\(name): no CPU time")
      #expect(seconds >= share * seconds - 0.001, "\(name): external \(seconds) s below the CPU time")
    }
    let ratio = (cpu["spin"] ?? 0) / max(cpu["half"] ?? 0, 1e-9)
    #expect(ratio > 2 / 1.25 && ratio < 2 * 1.25, "CPU times \(cpu): ratio \(ratio), cycles ratio 2")
    #expect(Live.aggregate(csv, "forwarded_pps") != nil, "the traffic rows are there too")
    let prefix = try #require(
      log.split(separator: " ").lazy.compactMap { RunPrefix.familyPrefix(of: String($0)) }.first,
      "no prefix in \(log)")
    #expect(TestbedCleaner.leftovers(prefix: prefix, runner: SystemCommandRunner()) == [])
  }
}
