import Foundation
import Platforms
import Scenario
import SimCore
import Testing

/// Which cost keys each platform reads (`PlatformKind.profileKeys`), checked against runs: for
/// every platform, every cost key of `CostProfile.settings` is moved up (2 x its value + 1000,
/// at most its range's top) and down (its range's bottom), and a short fixed-seed run (3 ms) of
/// each of the platform's scenarios is repeated with it. The keys the platform does not declare
/// must leave every result byte-identical (its encoded `NetworkResult`): they are moved all
/// together, and each alone when that changes a result, to name it; a key it declares, moved
/// alone, must change at least one (else the declaration says a key is read that changes nothing). The
/// expectation comes from the declaration, the outcome from the model: a key read by code the
/// declaration forgot, or declared but never read, fails here by name.
///
/// The scenarios exercise every mode of each platform: netns in softirq and threaded mode, with
/// trafgen and with iperf3 (three routers on two CPUs, so that senders share a CPU); Xen bridging
/// (with an unlearned bridge, so that it floods, and with a capped router) and routing; every
/// platform above its saturation (VMware also below, without the base's working sets, set as the
/// scenario's own costs, so that its clustering decides, and on four pCPUs, where its dom0's
/// vCPUs switch), router 0 with a small `fib_trie` table (its lookups hit the cache) and router 1
/// with a large one (they miss), and native also with the large one. The base costs are
/// paper-2012's with every key that is 0 = off by default switched on, so that the keys they
/// gate (a footprint with `cache_refill`, `testbed_trial` with a testbed window) are read.
@Suite("profile keys: each platform reads exactly the keys it declares")
struct ProfileKeyUseTests {
  /// The base costs: paper-2012 with the keys that are 0 = off by default switched on.
  static let base: CostProfile = {
    var p = CostProfile.paper2012
    p.vifScan = 100
    p.eventDelivery = 500
    p.dom0Footprint = 8 << 20  // with two routers more than the 8 MiB host_cache
    p.guestFootprint = 8 << 20
    p.contextSwitch.refillCyclesPerByte = 0.5
    p.contextSwitch.decisionCycles = 200
    p.contextSwitch.ipiLatencyNs = 2_000
    p.testbedWindowExtraNs = 10_000_000
    p.testbedWindowPerSenderNs = 5_000_000
    p.generatorWindowNs = 5_000_000
    p.cpuBackground = 1_000_000
    p.linuxSwitchRefill = 2_000
    p.vethPoll = 200
    p.vethPerByte = 0.5
    p.fibRules = 1_800
    p.generatorStart = 1_000_000
    p.udpWakeup = 3_000
    p.udpRecvWakeup = 3_000
    // a NET_RX run takes 40 backlog entries rounded up to whole polls of 16: 48; runs of more
    // than 16 entries change with netdev_budget (1: 16), of more than 40 with dev_weight (1: 40)
    p.devWeight = 16
    p.netdevBudget = 40
    return p
  }()

  /// Overrides every scenario starts from: two CPUs, router 0's table hits the FIB cache
  /// (1,000 routes x 40 B), router 1's misses it (300,000 x 40 B = 12 MB > 8 MiB), a short run.
  static let common = [
    "host.cpus=2", "routers.count=2", "routers.each.fib=fib_trie",
    "routers.overrides=[{index: 1, routes: 300000}]", "run.duration=3ms", "run.warmup=500us",
  ]

  /// The scenarios of a platform (override lists over `common`), one per mode.
  static func scenarios(_ kind: PlatformKind) -> [[String]] {
    let p = "platform=\(kind.rawValue)"
    func traffic(_ rate: String) -> String { "traffic[0]={to: all, rate: \(rate), frame: 64B, arrival: cbr}" }
    // dom0's two vCPUs on one pCPU switch between each other (context_switch_same_domain)
    let dom0 = ["dom0.vcpus=2", "dom0.pin=[0]"]
    switch kind {
    case .native:
      // native reads router 0's table only: once hitting the cache, once missing it
      return [[p, traffic("1Mpps")], [p, traffic("1Mpps"), "routers.each.routes=300000"]]
    case .xenBridge, .xenRouter:
      // an unlearned bridge floods; then router 1 capped (its buffers run out: the vif's qdisc fills)
      return [
        [p, traffic("300kpps"), "dom0.bridge_learned=false"] + dom0,
        [p, traffic("300kpps"), "routers.overrides=[{index: 1, routes: 300000, cap: 20}]"],
      ]
    case .xenSriov:
      // then both routers on pCPU 1, two vCPUs and VF queues each, two flows each (one per
      // queue): they switch between and within domains; a job in dom0 (which forwards
      // nothing) makes its working set count
      let flow = "{to: all, rate: 300kpps, frame: 64B, arrival: cbr}"
      return [
        [p, traffic("600kpps")],
        [
          p, "traffic=[\(flow), \(flow)]", "routers.each.pin=[1]", "routers.each.vcpus=2",
          "routers.each.rx_queues=2",
          "workloads=[{in: dom0, kind: periodic, period: 100us, cycles_per_period: 50000cycles}]",
        ],
      ]
    case .openvz:
      return [[p, traffic("600kpps")] + dom0]
    case .vmware:
      // 600 kp/s saturates. With the base's 8 MiB working sets VMkernel refills 1.4 ms after
      // each switch and forwards nothing at 60 kp/s in 3 ms; without them (the scenario's own
      // costs) 30 kp/s per VM lies between vmk_cluster_threshold (20 kp/s) and its 2 x + 1000,
      // so that the threshold decides, and the interval spaces the notifications. On four pCPUs
      // VMkernel's two vCPUs on pCPU 0 switch between each other within 3 ms.
      return [
        [p, traffic("60kpps")],
        [p, traffic("60kpps"), "profile.dom0_footprint=0B", "profile.guest_footprint=0B"],
        [p, traffic("600kpps")], [p, traffic("600kpps"), "host.cpus=4"] + dom0,
      ]
    case .netnsBridge, .netnsRouter, .netnsDirect:
      // three routers on two CPUs: two iperf3 clients share CPU 0 (netns-direct's trafgen
      // senders all run there); threaded, the routers' threads share CPU 1 (its backlog fills)
      return [
        ("softirq", "trafgen", "1Mpps"), ("threaded", "trafgen", "1Mpps"), ("softirq", "iperf3", "300kpps"),
        ("threaded", "iperf3", "300kpps"),
      ].map { mode, generator, rate in
        [
          p, "scheduler.kind=cfs", "routers.count=3", "host.forwarding=\(mode)",
          "host.generator=\(generator)",
          traffic(rate),
        ] + (mode == "threaded" ? ["routers.each.pin=[1]"] : [])
      }
    }
  }

  /// A scenario of `scenarios` loaded over `common`, with the costs it sets itself
  /// (`profile.KEY=VALUE` among its overrides).
  struct Run {
    /// The scenario.
    let spec: ScenarioSpec
    /// The cost settings it sets itself, at its values.
    let own: [(Setting<CostProfile>, SettingValue)]

    init(_ overrides: [String]) throws {
      spec = try ScenarioLoader.load(
        text: "name: keyuse\n", fileName: "keyuse.yaml", overrides: ProfileKeyUseTests.common + overrides)
      let keys = Set(
        overrides.compactMap { o -> String? in
          guard o.hasPrefix("profile."), let eq = o.firstIndex(of: "=") else { return nil }
          return String(o[o.index(o.startIndex, offsetBy: 8)..<eq])
        })
      let costs = spec.costs
      own = CostProfile.settings.filter { keys.contains($0.key) }.map { ($0, $0.value(in: costs)) }
    }
  }

  /// The encoded results of `runs` with `costs`: what must stay byte-identical. A cost a
  /// scenario sets itself replaces the one of `costs` unless it is one of `moved`.
  static func results(_ runs: [Run], _ costs: CostProfile, moved: Set<String> = []) throws -> [Data] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return try runs.map { run in
      var costs = costs
      for (setting, value) in run.own where !moved.contains(setting.key) { setting.set(value, in: &costs) }
      let spec = run.spec
      let host = try RouterHost(spec: try spec.platformSpec(profile: costs), seed: 1)
      return try encoder.encode(host.run(duration: spec.run.duration, warmup: spec.run.warmup))
    }
  }

  /// The values `setting` is moved to from `value`: up (2 x + 1000, at most the range's top)
  /// and down (the range's bottom), those that differ from it.
  static func moves(_ setting: Setting<CostProfile>, from value: SettingValue) -> [SettingValue] {
    switch (setting.domain, value) {
    case (.integer(let range, _), .integer(let v)):
      return [min(range.upperBound, 2 * v + 1_000), range.lowerBound].filter { $0 != v }.map { .integer($0) }
    case (.real(let range, _), .real(let v)):
      return [min(range.upperBound, 2 * v + 1), range.lowerBound].filter { $0 != v }.map { .real($0) }
    default:
      return []
    }
  }

  @Test("every declared key is a cost key of the profile, listed once")
  func declaredKeysExist() {
    let keys = Set(CostProfile.settings.map(\.key))
    for kind in PlatformKind.allCases {
      let declared = kind.profileKeys
      #expect(Set(declared).count == declared.count, "\(kind.rawValue) lists a key twice")
      for k in declared { #expect(keys.contains(k), "\(kind.rawValue): '\(k)' is not a profile key") }
    }
  }

  /// Whether a run of `specs` with `moved` (keys and their values) over the base costs differs
  /// from `reference` (their results with the base costs); stops at the first that does.
  static func changes(
    _ specs: [Run], _ moved: [(Setting<CostProfile>, SettingValue)], _ reference: [Data]
  )
    throws -> Bool
  {
    var costs = base
    for (setting, value) in moved { setting.set(value, in: &costs) }
    let keys = Set(moved.map(\.0.key))
    for (run, before) in zip(specs, reference) where try results([run], costs, moved: keys)[0] != before {
      return true
    }
    return false
  }

  @Test(
    "a key a platform does not declare changes none of its results; a key it declares changes one",
    arguments: PlatformKind.allCases)
  func keysReadAsDeclared(kind: PlatformKind) throws {
    let specs = try Self.scenarios(kind).map { try Run($0) }
    let reference = try Self.results(specs, Self.base)
    let declared = Set(kind.profileKeys)
    let moves = CostProfile.settings.map { ($0, Self.moves($0, from: $0.value(in: Self.base))) }
    for (setting, values) in moves { #expect(!values.isEmpty, "\(setting.key): no value to move it to") }

    // Every key not declared moved together, up, then down: no result may change. When one
    // does, each key is moved alone to name the culprits.
    let unread = moves.filter { !declared.contains($0.0.key) }
    for direction in 0..<2 {
      let together = unread.compactMap { (s, v) in v.count > direction ? (s, v[direction]) : nil }
      guard try Self.changes(specs, together, reference) else { continue }
      for (setting, value) in together where try Self.changes(specs, [(setting, value)], reference) {
        Issue.record(
          "\(kind.rawValue) does not declare '\(setting.key)', but moving it to \(value) changes a run")
      }
    }

    // Every declared key moved alone, up, then down, until a result changes.
    for (setting, values) in moves where declared.contains(setting.key) {
      var changes = false
      for value in values where !changes {
        changes = try Self.changes(specs, [(setting, value)], reference)
      }
      #expect(changes, "\(kind.rawValue) declares '\(setting.key)' but no run changes with it")
    }
  }
}
