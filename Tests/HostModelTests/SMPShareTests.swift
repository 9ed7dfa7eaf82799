import HostModel
import SimCore
import Testing

/// Shares of CPU-bound domains on several pCPUs, for every sharing scheduler, against the
/// fair-share ("water-filling") answer worked out by hand in each test: each domain is offered
/// weight / (sum of weights) of all pCPUs; a single-vCPU domain cannot use more than one pCPU
/// and a capped one no more than its cap, and what they cannot use is shared by the others in
/// proportion to their weights, until every pCPU is busy or every domain is at its limit.
///
/// Tolerance: 2% of one pCPU, absolute. Over 20 s of measurement every scheduler makes
/// hundreds of accounting periods (credit: 30 ms, credit2: a reset every ~15 ms of run time,
/// cfs: 6-12 ms slices, vmware: 50 ms quanta), so the measured share of a pCPU is within 1% of
/// its long-run value; credit 3.2 charges by sampling at 10 ms ticks, which adds a random
/// error of about one tick per accounting period, ~1% over 600 periods. Half the tolerance is
/// left for those effects, half for context-switch costs (~5 us per 30 ms slice, < 0.1%).
@Suite("Shares on several pCPUs")
struct SMPShareTests {
  static let schedulers: [(String, SchedulerConfig)] = [
    ("credit 4.0", .credit(CreditOptions())),
    ("credit 3.2", .credit(CreditOptions(version: .v3_2))),
    ("credit2", .credit2(Credit2Options())),
    ("cfs", .cfs(CFSOptions())),
    ("vmware", .vmware(VMwareOptions())),
  ]
  /// The schedulers with caps (credit caps, cfs quota, vmware limit); credit2 has none here.
  static let capping = schedulers.filter { $0.0 != "credit2" }

  static func shares(
    _ scheduler: SchedulerConfig, cpus: Int, weights: [Int], caps: [Int]? = nil, vcpus: [Int]? = nil
  ) -> [Double] {
    let (sim, host) = makeHost(cpus: cpus, scheduler: scheduler)
    for (k, w) in weights.enumerated() {
      let d = host.addDomain(
        DomainConfig(name: "d\(k)", vcpus: vcpus?[k] ?? 1, weight: w, cap: caps?[k] ?? 0))
      CPUBoundJob().attach(to: d)
    }
    return measure(sim, host, measure: .s(20)).domains.map(\.share)
  }

  static func check(_ name: String, _ got: [Double], _ want: [Double]) {
    for (k, (g, w)) in zip(got, want).enumerated() {
      #expect(abs(g - w) < 0.02, "\(name): domain d\(k) got \(g) of a pCPU, expected \(w)")
    }
  }

  @Test("weights 1:2:4 on 2 pCPUs give 1/3, 2/3 and 1 pCPU", arguments: schedulers.map(\.0))
  func unequalWeightsOnTwo(_ name: String) {
    // Offered: 2 x (1, 2, 4) / 7 = 0.29, 0.57, 1.14 pCPU; d2 is limited to one pCPU, the other
    // pCPU is shared 1:2 by d0 and d1: 1/3 and 2/3.
    let s = Self.shares(Self.schedulers.first { $0.0 == name }!.1, cpus: 2, weights: [128, 256, 512])
    Self.check(name, s, [1.0 / 3, 2.0 / 3, 1.0])
  }

  @Test("weights 1:1:2:2:4 on 4 pCPUs give 1/2, 1/2, 1, 1, 1", arguments: schedulers.map(\.0))
  func unequalWeightsOnFour(_ name: String) {
    // Offered: 4 x (1, 1, 2, 2, 4) / 10 = 0.4, 0.4, 0.8, 0.8, 1.6; d4 is limited to 1, leaving
    // 3 pCPUs for weights (1, 1, 2, 2): 0.5, 0.5, 1, 1; d2 and d3 are at one pCPU each, and
    // d0, d1 share the last pCPU: 0.5 each.
    let s = Self.shares(
      Self.schedulers.first { $0.0 == name }!.1, cpus: 4, weights: [256, 256, 512, 512, 1024])
    Self.check(name, s, [0.5, 0.5, 1, 1, 1])
  }

  @Test("a 25% cap beside an uncapped domain on 1 pCPU: 25% and 75%", arguments: capping.map(\.0))
  func capBesideUncappedOnOne(_ name: String) {
    // Equal weights offer 0.5 each; d0 is capped at 0.25, and the scheduler is work-conserving,
    // so d1 takes the rest: 0.75.
    let s = Self.shares(Self.capping.first { $0.0 == name }!.1, cpus: 1, weights: [256, 256], caps: [25, 0])
    Self.check(name, s, [0.25, 0.75])
  }

  @Test("a 50% cap beside two uncapped domains on 2 pCPUs: 1/2, 3/4, 3/4", arguments: capping.map(\.0))
  func capBesideUncappedOnTwo(_ name: String) {
    // Equal weights offer 2/3 each; d0 is capped at 0.5, so d1 and d2 share the other 1.5
    // pCPUs: 0.75 each.
    let s = Self.shares(
      Self.capping.first { $0.0 == name }!.1, cpus: 2, weights: [256, 256, 256], caps: [50, 0, 0])
    Self.check(name, s, [0.5, 0.75, 0.75])
  }

  @Test("a 2-vCPU domain of weight 512 beside two of 256 on 2 pCPUs", arguments: schedulers.map(\.0))
  func multiVCPUDomain(_ name: String) {
    let s = Self.shares(
      Self.schedulers.first { $0.0 == name }!.1, cpus: 2, weights: [512, 256, 256], vcpus: [2, 1, 1])
    if name == "credit2" {
      // Xen credit2 gives every vCPU the domain's weight (sched_credit2.c: svc->weight =
      // sdom->weight): vCPU weights 512, 512, 256, 256 of 1536 offer 2/3, 2/3, 1/3, 1/3 of the
      // 2 pCPUs, so d0 gets 4/3 and d1, d2 1/3 each.
      Self.check(name, s, [4.0 / 3, 1.0 / 3, 1.0 / 3])
    } else {
      // credit1, cfs and vmware weight domains (credit1 splits a domain's credits over its
      // active vCPUs; the cfs model gives each vCPU weight / vcpus): d0 is offered
      // 2 x 512 / 1024 = 1 pCPU, d1 and d2 0.5 each; nobody is at a limit.
      Self.check(name, s, [1, 0.5, 0.5])
    }
  }

  @Test("cfs: a quota of 150% for a 2-vCPU domain on 2 pCPUs gives 1.5 pCPU, 4 pCPUs too")
  func quotaOnSeveralPCPUs() {
    // The quota is per domain: cap 150 = 150 ms of run time per 100 ms period, summed over its
    // vCPUs, on any number of pCPUs. On 2 pCPUs beside an equal uncapped 2-vCPU domain each is
    // offered 1 pCPU, below the cap; alone it reaches the cap, 1.5; on 4 pCPUs it is offered 2
    // and held to 1.5, while the other domain uses both its vCPUs fully, 2.
    let two = Self.shares(.cfs(CFSOptions()), cpus: 2, weights: [256, 256], caps: [150, 0], vcpus: [2, 2])
    Self.check("cfs 2 pCPUs", two, [1.0, 1.0])
    let alone = Self.shares(.cfs(CFSOptions()), cpus: 2, weights: [256], caps: [150], vcpus: [2])
    Self.check("cfs alone on 2 pCPUs", alone, [1.5])
    let four = Self.shares(.cfs(CFSOptions()), cpus: 4, weights: [256, 256], caps: [150, 0], vcpus: [2, 2])
    Self.check("cfs 4 pCPUs", four, [1.5, 2.0])
  }

  @Test("credit 3.2: weights 1:2 on 1 pCPU give 1/3 and 2/3")
  func credit32Shares() {
    // 3.2 charges 100 credits to whoever runs at a tick; over many ticks the charge is the run
    // time in expectation, so the shares are the weights': 1/3 and 2/3.
    let s = Self.shares(.credit(CreditOptions(version: .v3_2)), cpus: 1, weights: [256, 512])
    Self.check("credit 3.2", s, [1.0 / 3, 2.0 / 3])
  }
}
