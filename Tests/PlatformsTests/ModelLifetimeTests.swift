import Foundation
import NetModel
import Platforms
import Scenario
import SimCore
import Testing

/// A finished run's model is freed, every part of it: a sweep of thousands of runs then holds
/// only the runs in flight (a stage and its vCPU referring to each other strongly kept about
/// 0.2 MB per finished run until the process ended).
@Suite("model lifetime")
struct ModelLifetimeTests {
  @Test(arguments: ["native", "xen-bridge", "xen-router", "openvz", "vmware", "netns-bridge"])
  func aFinishedRunFreesItsModel(platform: String) throws {
    let kind =
      ["native": "none", "openvz": "cfs", "vmware": "vmware", "netns-bridge": "cfs"][platform] ?? "credit"
    let spec = try ScenarioLoader.load(
      text: ScenarioLoader.defaultScenarioText, fileName: "d.yaml",
      overrides: ["run.duration=1ms", "run.warmup=0ms", "platform=\(platform)", "scheduler.kind=\(kind)"]
        // netns: the threaded mode has a stage (the router's kernel thread) beside the softirq
        + (platform.hasPrefix("netns") ? ["host.forwarding=threaded"] : []))
    weak var simulation: Simulation?
    weak var model: RouterHost?
    weak var stage: Stage?
    weak var ring: PacketRing?
    weak var egress: EgressPort?
    weak var sender: Sender?
    weak var softirq: SoftirqCPU?
    do {
      let host = try RouterHost(
        spec: try spec.platformSpec(profile: platform.hasPrefix("netns") ? spec.costs : .paper2012), seed: 1)
      _ = host.run(duration: .ms(1))
      simulation = host.sim
      model = host
      stage = host.stages.first
      ring = host.rings.first
      egress = host.egress.first
      sender = host.senders.first
      softirq = host.softirqs.first
      // the netns paths have no NIC: their ends are a sender and the softirqs
      #expect(stage != nil && ring != nil && (egress != nil || (sender != nil && softirq != nil)))
    }
    #expect(model == nil, "RouterHost still alive")
    #expect(simulation == nil, "Simulation still alive")
    #expect(stage == nil, "a Stage still alive")
    #expect(ring == nil, "a PacketRing still alive")
    #expect(egress == nil, "an EgressPort still alive")
    #expect(sender == nil, "a Sender still alive")
    #expect(softirq == nil, "a SoftirqCPU still alive")
  }
}
