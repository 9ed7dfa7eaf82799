import Platforms
import Scenario

/// `spec` built into a `RouterHost` seeded 1 and run over its `run.duration` after its
/// `run.warmup`: how the platform tests with hand figures simulate a scenario they loaded.
func simulated(_ spec: ScenarioSpec) throws -> (result: NetworkResult, host: RouterHost) {
  let host = try RouterHost(spec: try spec.platformSpec(profile: spec.costs), seed: 1)
  return (host.run(duration: spec.run.duration, warmup: spec.run.warmup), host)
}
