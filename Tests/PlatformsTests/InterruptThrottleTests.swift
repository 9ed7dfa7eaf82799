import Foundation
import Platforms
import Scenario
import SettingText
import SimCore
import Testing

/// `host.nic.itr`: receive interrupt throttling, with expected interrupt rates and CPU costs
/// worked out by hand from the paper-2012 profile.
@Suite("NIC interrupt throttling (host.nic.itr)")
struct InterruptThrottleTests {
  static func run(_ platform: String, itr: String) throws -> NetworkResult {
    let spec = try ScenarioLoader.load(
      text: "name: itr\n", fileName: "itr.yaml",
      overrides: [
        "platform=\(platform)", "scheduler.kind=\(platform == "native" ? "none" : "credit")",
        "routers.count=1", "traffic[0].rate=100kpps", "host.nic.itr=\(itr)",
      ])
    let host = try RouterHost(spec: try spec.platformSpec(profile: spec.costs), seed: 1)
    return host.run(duration: .ms(300), warmup: .ms(50))
  }

  @Test func nativeInterruptRate() throws {
    // 100 kp/s CBR arrive 10 us apart; a packet takes 1.3 us, so without throttling every
    // packet finds the stage idle and interrupts: 100,000/s. With a 50 us gap the NIC
    // interrupts once per 50 us (5 packets waiting): 20,000/s; dynamic for 64 B frames is the
    // same 50 us. Exact up to the window edges: 1 interrupt in 30,000 (0.01%).
    let off = try Self.run("native", itr: "off")
    #expect(abs(off.notificationsPerSecond - 100_000) < 10)
    for itr in ["50us", "dynamic"] {
      let on = try Self.run("native", itr: itr)
      #expect(abs(on.notificationsPerSecond - 20_000) < 10, "\(itr): \(on.notificationsPerSecond)/s")
    }
  }

  @Test func sriovInjectionIsPaidPerInterrupt() throws {
    // The guest's VF stage costs 1300 + 1400 + 135 + 1200 = 4035 cycles per packet, 500 per
    // poll, and 3000 (Xen's injection) + 1500 (the guest's handler) per interrupt.
    // Off: one interrupt and one poll per packet, (4035 + 500 + 4500) x 100,000 / 3.06e9 =
    // 0.29526 pCPU. 50 us: five packets per interrupt, (5 x 4035 + 500 + 4500) x 20,000 /
    // 3.06e9 = 0.16454 pCPU. Tolerance 0.5%: the window holds 30,000 (6,000) whole periods.
    let off = try Self.run("xen-sriov", itr: "off")
    let on = try Self.run("xen-sriov", itr: "50us")
    #expect(abs(off.cpuShare["vr0"]! - 0.29526) / 0.29526 < 0.005, "off: \(off.cpuShare["vr0"]!)")
    #expect(abs(on.cpuShare["vr0"]! - 0.16454) / 0.16454 < 0.005, "50us: \(on.cpuShare["vr0"]!)")
  }

  @Test func badValuesAreRefused() {
    for bad in ["5ms5", "0us", "11ms", "fast"] {
      #expect(throws: ScenarioError.self, "host.nic.itr=\(bad)") {
        _ = try ScenarioLoader.load(text: "name: t\n", fileName: "t.yaml", overrides: ["host.nic.itr=\(bad)"])
      }
    }
  }
}

/// `routers.each.pin` and `dom0.pin`: vCPUs run only where they are pinned.
@Suite("Placement (pin)")
struct PlacementTests {
  @Test func pinnedRoutersUseOnlyTheirPCPU() throws {
    // dom0 on pCPU 0, the four routers on pCPU 1: pCPU 1's busy time is exactly the routers'
    // CPU (switches included), pCPUs 2 and 3 stay idle, and pCPU 0 carries dom0.
    let spec = try ScenarioLoader.load(
      text: ScenarioLoader.defaultScenarioText, fileName: "default.yaml",
      overrides: ["dom0.pin=[0]", "routers.each.pin=[1]"])
    let host = try RouterHost(spec: try spec.platformSpec(profile: spec.costs), seed: 1)
    let r = host.run(duration: .ms(300), warmup: .ms(50))
    let routers = (0..<4).reduce(0.0) { $0 + r.cpuShare["vr\($1)"]! }
    #expect(abs(r.pcpuUtilisation[1] - routers) < 1e-3, "pCPU 1 \(r.pcpuUtilisation[1]), routers \(routers)")
    #expect(r.pcpuUtilisation[2] == 0 && r.pcpuUtilisation[3] == 0)
    #expect(abs(r.pcpuUtilisation[0] - r.cpuShare["dom0"]!) < 1e-3)
  }
}
