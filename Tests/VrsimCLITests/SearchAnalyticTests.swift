import Experiment
import HostModel
import NetModel
import Platforms
import SimCore
import Testing

/// RFC 2544 search against a simulated single-stage path whose saturation is known exactly:
/// native forwarding at 4,080 cycles per packet on a 3.06 GHz core serves 750,000 packets/s.
@Suite("throughput search on a simulated path")
struct SearchAnalyticTests {
  /// 4,080 cycles per packet on the native path, nothing per batch or interrupt: 750 kp/s on
  /// one 3.06 GHz core.
  static let flat4080 = CostProfile.flatNative(cyclesPerPacket: 4_080)

  /// A trial offers `rate` for 200 ms after 20 ms of warm-up and counts drops. Loss below the
  /// service rate is exactly 0 (CBR arrivals are no faster than the server); above it the
  /// 256-slot ring hides at most 256 packets, i.e. 1,280 pps over 200 ms, so the threshold
  /// lies within [750,000, 751,280] pps; the search must land within its resolution of it.
  @Test func findsTheAnalyticSaturationRate() throws {
    let resolution = 2_000.0
    let result = try ThroughputSearch.find(
      low: 100_000, high: 1_400_000, resolution: resolution, maxLossFraction: 0
    ) { rate in
      let spec = PlatformSpec(
        host: HostConfig(cpus: 1, clockGHz: 3.06), scheduler: .none, kind: .native,
        routers: [RouterConfig(domain: DomainConfig(name: "vr0"))],
        flows: [FlowSpec(router: 0, packetsPerSecond: rate)], profile: Self.flat4080)
      let r = try RouterHost(spec: spec, seed: 1).run(duration: .ms(200), warmup: .ms(20))
      return (r.aggregate.offeredPps, r.aggregate.lossFraction)
    }
    let found = try #require(result.rate)
    print("search found \(found) pps (resolution \(result.resolution))")
    #expect(found <= 751_280 + resolution)
    #expect(found >= 750_000 - resolution)
  }
}
