import HostModel
import SimCore

/// Clock of every test host: 3 GHz, so 3 cycles = 1 ns.
let testClock = 3.0

func cycles(_ d: SimDuration) -> Int64 { d.nanoseconds * 3 }

/// A host with `cpus` pCPUs at 3 GHz in a new simulation seeded `seed`.
func makeHost(
  seed: UInt64 = 7, cpus: Int = 1, scheduler: SchedulerConfig, costs: ContextSwitchCosts = .init()
) -> (Simulation, Host) {
  let sim = Simulation(seed: seed)
  let host = Host(
    sim: sim, config: HostConfig(cpus: cpus, clockGHz: testClock, contextSwitch: costs), scheduler: scheduler)
  return (sim, host)
}

/// Starts the host, runs `warmup`, resets statistics, runs `measure` and reports.
func measure(_ sim: Simulation, _ host: Host, warmup: SimDuration = .s(1), measure: SimDuration) -> HostReport
{
  host.start()
  sim.run(until: sim.now + warmup)
  host.resetStatistics()
  sim.run(until: sim.now + measure)
  return host.report()
}

/// Adds CPU-bound domains with the given weights (names d0, d1, ...).
@discardableResult
func addCPUBound(_ host: Host, weights: [Int], cap: Int = 0) -> [Domain] {
  weights.enumerated().map { k, w in
    let d = host.addDomain(DomainConfig(name: "d\(k)", weight: w, cap: cap))
    CPUBoundJob().attach(to: d)
    return d
  }
}
