import Foundation
import HostModel
import Platforms
import Scenario
import SimCore
import Testing

/// The packet-path costs that grow with the number of routers (`vif_scan`, `event_delivery`,
/// the footprints of the working-set refill), against hand figures from the paper-2012
/// profile's costs (CapacityTests lists them).
@Suite("Costs that grow with the router count, on the packet paths")
struct GrowthCostPlatformTests {
  static func build(_ platform: String, routers: Int, extra: [String] = []) throws -> RouterHost {
    let spec = try ScenarioLoader.load(
      text: "name: g\n", fileName: "g.yaml",
      overrides: ["platform=\(platform)", "routers.count=\(routers)"] + extra)
    return try RouterHost(spec: try spec.platformSpec(profile: spec.costs), seed: 1)
  }

  static func perBatch(_ h: RouterHost) -> [String: Int] {
    Dictionary(uniqueKeysWithValues: h.stages.map { ($0.name, Int($0.cost.perBatch)) })
  }

  @Test("vif_scan c with N vifs adds N*c to each dom0 stage's batch and nothing to the guests'")
  func vifScanPerBatch() throws {
    // xen-bridge, 4 routers, one dom0 vCPU: its three stages serve all 4 vifs, so each batch
    // costs 4 x 700 = 2800 cycles more: NIC receive 500 + 2800, netback receive 2500 + 2800,
    // netback transmit 4000 + 2800; each guest's netfront stays at napi_poll 500.
    let h = try Self.build("xen-bridge", routers: 4, extra: ["profile.vif_scan=700cycles"])
    let b = Self.perBatch(h)
    #expect(b["dom0.nic-rx"] == 500 + 4 * 700)
    #expect(b["dom0.netback-rx"] == 2_500 + 4 * 700)
    #expect(b["dom0.netback-tx"] == 4_000 + 4 * 700)
    for i in 0..<4 { #expect(b["vr\(i).netfront"] == 500) }
    // Off (the profile's 0): the costs of CapacityTests.
    let off = Self.perBatch(try Self.build("xen-bridge", routers: 4))
    #expect(off["dom0.nic-rx"] == 500 && off["dom0.netback-rx"] == 2_500 && off["dom0.netback-tx"] == 4_000)
  }

  @Test("vif_scan lowers the dom0-bound xen-bridge saturation by the hand-computed amount")
  func vifScanSaturation() throws {
    // One router, c = 50,000 cycles per vif and batch. At saturation dom0's one vCPU runs its
    // three stages' work items in FIFO turn: the NIC stage takes a full NAPI batch of 64 and
    // puts it in the vif queue, the netback-receive item that follows finds those 64, the
    // guest forwards them in one netfront poll of 64, and netback transmit finds 64: every
    // dom0 batch is 64 packets (the measured means are printed below). Without vif_scan:
    // 20764 + (500 + 2500 + 4000) / 64 = 20873.375 cycles per packet (CapacityTests' costs),
    // 146,598 pps at 3.06 GHz; with it, + 3 x 50000 / 64 = 2343.75: 23217.125 cycles,
    // 131,799 pps: a drop of 14,799 pps. Both runs share the scheduling effects CapacityTests
    // allows for (up to 2.5%, nearly the same in both), so the drop is checked within 3%.
    func rate(_ extra: [String]) throws -> Double {
      try CapacityTests.forwarded("xen-bridge", "credit", rate: "200kpps", extra: extra).aggregate
        .forwardedPps
    }
    let base = try rate([])
    let scanned = try rate(["profile.vif_scan=50000cycles"])
    let clock = 3.06e9
    let hand = clock / 20_873.375 - clock / 23_217.125
    let drop = base - scanned
    let h = try Self.build(
      "xen-bridge", routers: 1,
      extra: [
        "profile.vif_scan=50000cycles", "traffic[0]={to: all, rate: 200kpps, frame: 64B, arrival: cbr}",
      ])
    _ = h.run(duration: .ms(100), warmup: .ms(20))
    let means = h.stages.map { "\($0.name) \(Double($0.packets) / Double(max(1, $0.batches)))" }
    // The batch-of-64 reasoning above, checked: dom0's stages average 62-64 packets a batch.
    for s in h.stages where s.name.hasPrefix("dom0.") {
      let mean = Double(s.packets) / Double(max(1, s.batches))
      #expect(mean >= 62 && mean <= 64, "\(s.name): \(mean) packets per batch")
    }
    #expect(
      abs(drop - hand) <= 0.03 * hand,
      "drop \(drop) pps (from \(base) to \(scanned)), hand \(hand); packets per batch: \(means)")
  }

  @Test("event_delivery e adds e to every notification a Xen stage takes, nothing elsewhere")
  func eventDelivery() throws {
    // xen-router: NIC receive takes interrupts (irq 1500), netfront and netback transmit take
    // event-channel upcalls (2000); netback receive is run by dom0's own NIC stage (no
    // notification). native has no Xen: its interrupt stays 1500.
    let h = try Self.build("xen-router", routers: 2, extra: ["profile.event_delivery=900cycles"])
    let n = Dictionary(uniqueKeysWithValues: h.stages.map { ($0.name, Int($0.cost.perNotification)) })
    #expect(n["dom0.nic-rx"] == 1_500 + 900)
    #expect(n["dom0.netback-rx"] == 0)
    #expect(n["dom0.netback-tx"] == 2_000 + 900)
    #expect(n["vr0.netfront"] == 2_000 + 900 && n["vr1.netfront"] == 2_000 + 900)
    let native = try Self.build("native", routers: 1, extra: ["profile.event_delivery=900cycles"])
    #expect(native.stages.map { Int($0.cost.perNotification) } == [1_500])
  }

  @Test("footprints reach the domains: dom0_footprint to dom0, guest_footprint to each router")
  func footprints() throws {
    let h = try Self.build(
      "xen-bridge", routers: 3, extra: ["profile.dom0_footprint=2MiB", "profile.guest_footprint=1MiB"])
    #expect(h.host.domains.map(\.config.footprintBytes) == [2 << 20, 1 << 20, 1 << 20, 1 << 20])
  }

  @Test("scheduler.version selects the credit rules: 4.1 and 4.2 the 4.1 rules, 4.3 the rework")
  func creditVersions() throws {
    func config(_ v: String, _ extra: String = "") throws -> SchedulerConfig {
      try ScenarioLoader.load(
        text: "scheduler: { kind: credit, version: \"\(v)\"\(extra) }\n", fileName: "v.yaml"
      ).scheduler.config
    }
    // docs/credit-versions.md section 4: 4.1 has no rate limit; 4.2 and 4.3 default to 1 ms.
    #expect(try config("4.1") == .credit(CreditOptions(version: .v4_1)))
    #expect(try config("4.2") == .credit(CreditOptions(version: .v4_2, ratelimit: .ms(1))))
    #expect(try config("4.3") == .credit(CreditOptions(version: .v4_3, ratelimit: .ms(1))))
    #expect(
      try config("4.3", ", ratelimit: 500us") == .credit(CreditOptions(version: .v4_3, ratelimit: .us(500))))
    #expect(throws: (any Error).self) { try config("4.1", ", ratelimit: 1ms") }
  }
}
