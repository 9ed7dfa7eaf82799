import Foundation
import HostModel
import SimCore

/// `vrsim host-demo`: CPU-bound domains with given weights share a small host; who got how
/// much CPU.
public enum HostDemo {
  /// One CPU-bound single-vCPU domain per weight (capped at `caps`, percent of a pCPU, 0 =
  /// uncapped) on `cpus` pCPUs at 3.06 GHz under `scheduler` (a `SchedulerConfig` name), run
  /// for `d` after 1 s of warm-up: the table of CPU time and share per domain.
  public static func report(
    weights ws: [Int], caps: [Int], cpus: Int, duration d: SimDuration, scheduler: String, seed: UInt64
  ) -> String {
    var out = ""
    func line(_ text: String) { out += text + "\n" }
    let sim = Simulation(seed: seed)
    let host = Host(
      sim: sim, config: HostConfig(cpus: cpus, clockGHz: 3.06), scheduler: SchedulerConfig(name: scheduler)!)
    for (k, w) in ws.enumerated() {
      CPUBoundJob().attach(to: host.addDomain(DomainConfig(name: "vm\(k + 1)", weight: w, cap: caps[k])))
    }
    host.start()
    sim.run(until: SimTime(nanoseconds: 1_000_000_000))
    host.resetStatistics()
    sim.run(until: sim.now + d)
    let r = host.report()
    let used = r.domains.reduce(0) { $0 + $1.cpuSeconds }
    line(
      "\(scheduler) scheduler, \(cpus) pCPU(s) at 3.06 GHz, \(d) simulated after 1s warm-up, seed \(seed)")
    let capped = caps.contains { $0 > 0 }
    line("domain   weight\(capped ? "   cap" : "")   CPU time   share of a pCPU   of total   switches/s")
    for (k, x) in r.domains.enumerated() {
      let cap = capped ? (caps[k] > 0 ? String(format: " %4d%%", caps[k]) : "     -") : ""
      line(
        String(
          format: "%@ %6d%@ %9.3f s %16.2f %% %8.2f %% %12.1f",
          x.name.padding(toLength: 8, withPad: " ", startingAt: 0), x.weight, cap, x.cpuSeconds,
          100 * x.share,
          used > 0 ? 100 * x.cpuSeconds / used : 0, Double(x.switchesIn) / r.elapsedSeconds))
    }
    line(String(format: "Jain fairness of CPU/weight: %.4f", r.weightedFairness))
    return out
  }
}
