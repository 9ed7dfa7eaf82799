import Platforms
import Scenario

/// `spec` built into a `RouterHost` seeded 1 and run over its `run.duration` after its
/// `run.warmup`: how the platform tests with hand figures simulate a scenario they loaded.
func simulated(_ spec: ScenarioSpec) throws -> (result: NetworkResult, host: RouterHost) {
  let host = try RouterHost(spec: try spec.platformSpec(profile: spec.costs), seed: 1)
  return (host.run(duration: spec.run.duration, warmup: spec.run.warmup), host)
}

/// The scenario of the netns UDP tests (the hand figures of NetnsUDPTests): netns-direct on two
/// CPUs with one router, iperf3 sending 1518 B frames at `rate` (cbr) for 300 ms after a 50 ms
/// warm-up under `scheduler`, then `extra`; loaded as `name` and simulated.
func simulatedNetnsUDP(
  _ name: String, rate: String, scheduler: String, extra: [String] = [], duration: String = "300ms",
  generator: [String] = ["host.generator=iperf3"]
) throws -> (result: NetworkResult, host: RouterHost) {
  let spec = try ScenarioLoader.load(
    text: "name: \(name)\n", fileName: "\(name).yaml",
    overrides: [
      "platform=netns-direct", "scheduler.kind=\(scheduler)", "host.cpus=2", "routers.count=1",
      "traffic[0]={to: all, rate: \(rate), frame: 1518B, arrival: cbr}", "run.duration=\(duration)",
      "run.warmup=50ms",
    ] + generator + extra)
  return try simulated(spec)
}
