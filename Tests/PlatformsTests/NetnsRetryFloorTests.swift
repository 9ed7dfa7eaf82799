import Foundation
import Platforms
import Scenario
import Testing

/// A trafgen send refused by a full kernel-thread ring is made again at the send call's cost
/// (`profile.generator_syscall`), and at least 1 ns: at 0 cycles the retries would take no time
/// and the run could never pass the instant the ring filled.
@Suite("netns senders: a refused send retried at 0 cycles still takes time")
struct NetnsRetryFloorTests {
  @Test("threaded, 1 Mp/s into one router's ring, generator_syscall 0: the run ends, each retry >= 1 ns")
  func zeroCostRetriesAdvance() throws {
    // paper-2012's costs at 3.06 GHz: the sender needs 1500 + 0 cycles per frame (0.49 us),
    // the router's thread on CPU 1 more than that per frame, so its 64-entry ring fills and the
    // sender retries. A retry costs ceil(3.06) = 4 cycles = 1.3 ns, rounded to 1 ns: over the
    // 2 ms window CPU 0 can make at most 2 ms / 1 ns = 2,000,000 tries, and it makes some.
    let spec = try ScenarioLoader.load(
      text: "name: netns-retry\n", fileName: "netns-retry.yaml",
      overrides: [
        "platform=netns-direct", "scheduler.kind=cfs", "host.cpus=2", "routers.count=1",
        "routers.each.pin=[1]", "traffic[0]={to: all, rate: 1Mpps, frame: 64B, arrival: cbr}",
        "host.forwarding=threaded", "profile.generator_syscall=0cycles", "run.duration=2ms",
        "run.warmup=0s",
      ])
    let (r, host) = try simulated(spec)
    let tries = host.senders.reduce(UInt64(0)) { $0 + $1.refusals }
    #expect(tries > 0, "the ring fills: the sender retries")
    #expect(tries <= 2_000_000, "\(tries) tries in 2 ms: each takes at least 1 ns")
    #expect(r.aggregate.forwardedPps > 0)
  }
}
