import Foundation
import NetModel
import Platforms
import Scenario
import SimCore
import Testing

/// A finished run's model is freed: sweeps of thousands of runs hold only the runs in flight.
@Suite("model lifetime")
struct ModelLifetimeTests {
  @Test func aFinishedRunFreesItsModel() throws {
    let spec = try ScenarioLoader.load(
      text: ScenarioLoader.defaultScenarioText, fileName: "d.yaml",
      overrides: ["run.duration=1ms", "run.warmup=0ms", "platform=native", "scheduler.kind=none"])
    weak var simulation: Simulation?
    weak var model: RouterHost?
    do {
      let host = try RouterHost(spec: try spec.platformSpec(profile: .paper2012), seed: 1)
      _ = host.run(duration: .ms(1))
      simulation = host.sim
      model = host
      host.sim.close()
    }
    #expect(model == nil, "RouterHost still alive")
    #expect(simulation == nil, "Simulation still alive")
  }
}
