import HostModel
import Platforms
import SettingText
import SimCore

// The scenario's own settings (host, dom0, routers, run), declared once with key, unit, range
// and meaning, bound to the resolved scenario's fields. Defaults are those fields' initial
// values. Scheduler options and profile costs are declared by the models (HostModel's
// HostSettings.swift, Platforms' CostProfileSettings.swift) and mounted here.

extension ScenarioSpec {
  static let headerSettings: [Setting<ScenarioSpec>] = [
    .text(
      "name", \.name, maxLength: 200, "Short name of the scenario, used in reports and campaign directories."),
    .text("about", \.about, maxLength: 2_000, "One-line description: what question the scenario answers."),
  ]

  static let platformSetting = Setting<ScenarioSpec>.choice(
    "platform", \.platform,
    "The I/O architecture (each packet path is described in Sources/Platforms/PlatformKind.swift).")
}

extension SchedulerSpec {
  static let settings: [Setting<SchedulerSpec>] = [
    .choice(
      "version", \.version,
      "Xen credit1 semantics (docs/credit-versions.md): 3.2 samples at ticks; 4.0 charges exactly; 4.1 adds credit halving, per-vCPU weights and one-idler tickling; 4.2 adds the 1ms rate limit; 4.3 adds the tickle rework (a waker goes to an idler, no preemption). Quote it: \"4.0\"."
    )
  ]
}

extension HostSpec {
  static let settings: [Setting<HostSpec>] = [
    .integer(
      "cpus", \.cpus, 1...64, "Physical CPUs (cores) of the host (the model keeps pCPU sets as 64-bit masks)."
    ),
    .integer64(
      "clock", \.clockHz, 100_000_000...10_000_000_000, unit: .hertz,
      "Core clock; profile costs in cycles are converted with it."),
  ]
}

extension NICSpec {
  static let settings: [Setting<NICSpec>] = [
    .integer64(
      "rate", \.rateBitsPerSecond, 1_000_000...800_000_000_000, unit: .bitsPerSecond,
      "Line rate; each frame also occupies 20 B of preamble and inter-frame gap."),
    .integer(
      "rx_ring", \.rxRing, 8...65_536, "RX descriptor ring size, in packets (igb: 80 to 4096, default 256)."),
    .integer("tx_ring", \.txRing, 8...65_536, "TX descriptor ring size, in packets."),
    .integer(
      "vfs", \.vfs, 0...256,
      "SR-IOV virtual functions of the port (82576: 7). On xen-sriov each router needs one."),
    .integer(
      "rx_queues", \.rxQueues, 1...64,
      "xen-bridge, xen-router: receive queues dom0's NIC driver spreads flows over by RSS (flow hash), each "
        + "with its own NAPI context on dom0 vCPU q mod dom0.vcpus. 1 = one queue (bnx2 under the paper's "
        + "2.6.26 dom0; igb in 2.6.32 opens one per CPU). Other platforms refuse more than 1."),
    .structured(
      "itr", \.itr, .interruptThrottle,
      "Receive interrupt throttling (igb InterruptThrottleRate): off, dynamic, or the least gap between interrupts. Applies to the NIC and to SR-IOV VFs (so the interrupt injection is paid per interrupt).",
      embed: {
        switch $0 {
        case .off: .off
        case .dynamic: .text("dynamic")
        case .interval(let d): .integer(d.nanoseconds)
        }
      },
      extract: {
        switch $0 {
        case .off: .off
        case .text: .dynamic
        case .integer(let ns): .interval(SimDuration(nanoseconds: ns))
        default: nil
        }
      }),
  ]
}

extension Dom0Spec {
  static let settings: [Setting<Dom0Spec>] = [
    .integer("vcpus", \.vcpus, 1...256, "vCPUs of dom0."),
    .integer("weight", \.weight, 1...65_535, "Scheduler weight of dom0."),
    .integer("cap", \.cap, 0...25_600, unit: .percentOfPCPU, "Cap in percent of one pCPU; 0 = uncapped."),
    .integerList("pin", \.pin, 0...63, "pCPUs dom0's vCPUs may run on (each below host.cpus); [] = any."),
  ]

  static let bridgeSettings: [Setting<Dom0Spec>] = [
    .boolean(
      "bridge_learned", \.bridgeLearned,
      "xen-bridge: the bridge's MAC table is warm at the start (as after ARP); false floods frames to "
        + "not-yet-learned MACs to every vif until learned."),
    .duration(
      "bridge_aging", \.bridgeAging, SimDuration.us(1)...SimDuration.s(3_600),
      "xen-bridge: how long a learned MAC lives without traffic (Linux default 300 s)."),
  ]
}

extension RouterSpec {
  static let settings: [Setting<RouterSpec>] = [
    .integer("vcpus", \.vcpus, 1...64, "vCPUs per router."),
    .integer("weight", \.weight, 1...65_535, "Scheduler weight per router."),
    .integer("cap", \.cap, 0...6_400, unit: .percentOfPCPU, "Cap in percent of one pCPU; 0 = uncapped."),
    .integer(
      "rx_queues", \.rxQueues, 1...64,
      "xen-sriov only: receive queues of the router's VF; the router's flows are spread over them by RSS "
        + "(its k-th flow on queue k mod rx_queues) and each queue's NAPI runs on the router's vCPU q mod vcpus, "
        + "so a multi-vCPU router forwards in parallel. 1 = the 82576's VF (igbvf: one queue pair)."),
    .choice(
      "fib", \.fib,
      "FIB lookup algorithm (cost model): route-cache (Linux < 3.6 per-flow cache), fib_hash, fib_trie, dir-24-8."
    ),
    .integerList(
      "pin", \.pin, 0...63,
      "pCPUs the router's vCPUs may run on (each below host.cpus); [] = any (Xen's default: guests are not pinned)."
    ),
    .integer(
      "routes", \.routes, 1...16_000_000,
      "Routes in each router's FIB, a generated BGP-like mix of prefix lengths."),
  ]
}

extension RoutersSpec {
  static let settings: [Setting<RoutersSpec>] = [
    .integer("count", \.count, 1...1_024, "How many virtual routers. On xen-sriov at most host.nic.vfs.")
  ]
}

extension TestbedRolesSpec {
  static let settings: [Setting<TestbedRolesSpec>] = [
    .structured(
      "forwarding", \.forwarding, .choice(["softirq", "threaded"]),
      "How the testbed's routers forward: softirq (every veth hop in the NET_RX softirq of the sending CPU: no router is ever scheduled) or threaded (each router's ingress veth gets GRO and threaded NAPI, its peer TSO/GSO off; the napi/DEV-N kernel thread joins the router's cgroup, so routers.each.pin and weight place and weight it; cap does not hold a kernel thread back; docs/testbed.md).",
      embed: { .text($0 ?? "softirq") },
      extract: {
        guard case .text(let t) = $0 else { return nil }
        return .some(t)
      })
  ]
}

extension RunSpec {
  static let settings: [Setting<RunSpec>] = [
    .duration(
      "duration", \.duration, SimDuration.us(1)...SimDuration.s(3_600),
      "Simulated time per replication, warm-up included."),
    .duration(
      "warmup", \.warmup, SimDuration.zero...SimDuration.s(3_600),
      "Initial time whose statistics are deleted; below run.duration."),
    .integer(
      "replications", \.replications, 1...10_000, "Independent replications (the minimum with ci_target)."),
    .integer(
      "max_replications", \.maxReplications, 1...100_000,
      "Most replications the stopping rule may run; at least run.replications."),
    .structured(
      "ci_target", \.ciTarget, .optionalInteger(10_000...50_000_000, .millionthsOfAPercent),
      "Stopping rule: add replications until the 95% CI half-width is below this share of the mean.",
      embed: { $0.map { .integer(Int64(($0 * 100_000_000).rounded())) } ?? .off },
      extract: {
        switch $0 {
        case .integer(let x): .some(Double(x) / 100_000_000)
        case .off: .some(nil)
        default: nil
        }
      }),
    .structured(
      "seed", \.seed, .integer(0...Int64.max, .count),
      "Master seed; streams are derived per component, replication and sweep point.",
      embed: { .integer(Int64($0)) },
      extract: {
        guard case .integer(let x) = $0 else { return nil }
        return UInt64(x)
      }),
  ]
}

extension TrafficSpec {
  /// A flow at the defaults: to each router, 10 kp/s of 64 B frames, CBR.
  static let defaults = TrafficSpec(
    target: .each, rate: .defaultRate, frame: .fixed(bytes: 64), arrival: .cbr)

  static let settings: [Setting<TrafficSpec>] = [
    .structured(
      "to", \.target, .trafficTarget, "Which routers the flow goes to.", embed: { .target($0) },
      extract: {
        guard case .target(let t) = $0 else { return nil }
        return t
      }),
    .rate(
      "rate", \.rate, "Offered rate (per router with each, in total with all). Bit rates count frame bytes."),
    .structured(
      "frame", \.frame, .frame,
      "Frame size (Ethernet frame with FCS), imix, or a weighted list such as [64B: 7, 1518B: 1].",
      embed: { .frame($0) },
      extract: {
        guard case .frame(let f) = $0 else { return nil }
        return f
      }),
  ]
}

extension SearchSpec {
  /// A search at the defaults, up to `high`: no loss, to 1%, from 1 kp/s.
  static func defaults(high: TrafficRate) -> SearchSpec {
    SearchSpec(
      metric: "loss", maxLoss: 0, resolution: .relative(0.01), low: defaultLow, high: high)
  }

  static let settings: [Setting<SearchSpec>] = [
    .text("metric", \.metric, choices: ["loss"], "The metric bounded."),
    .structured(
      "max_loss", \.maxLoss, .integer(0...100_000_000, .millionthsOfAPercent), "Largest acceptable loss.",
      embed: { .integer(Int64(($0 * 100_000_000).rounded())) },
      extract: {
        guard case .integer(let x) = $0 else { return nil }
        return Double(x) / 100_000_000
      }),
    .structured(
      "resolution", \.resolution, .resolution,
      "Stop when the bracket is narrower than this rate or share of the rate.", embed: { .resolution($0) },
      extract: {
        guard case .resolution(let r) = $0 else { return nil }
        return r
      }),
    .rate("low", \.low, "Lowest aggregate rate tried."),
    .rate("high", \.high, "Highest aggregate rate tried; above search.low."),
  ]
}

extension Setting {
  /// The setting as a scenario key under `prefix` of the resolved scenario.
  func at(_ path: any WritableKeyPath<ScenarioSpec, Root> & Sendable, _ prefix: String) -> Setting<
    ScenarioSpec
  > {
    mounted(at: path, prefix: prefix)
  }
}

/// Every bound scenario key, by its full path: what the decoder writes into a resolved
/// scenario. Keys of `routers.each` are bound to one router's settings instead (they apply to
/// each router and to overrides).
enum BoundKeys {
  static let host = HostSpec.settings.map { $0.at(\.host, "host.") }
  static let nic = NICSpec.settings.map { $0.mounted(at: \HostSpec.nic, prefix: "").at(\.host, "host.nic.") }
  static let version = SchedulerSpec.settings.map { $0.at(\.scheduler, "scheduler.") }
  static let credit = CreditOptions.settings.map { $0.at(\.scheduler.credit, "scheduler.") }
  static let credit2 = Credit2Options.settings.map { $0.at(\.scheduler.credit2, "scheduler.credit2.") }
  static let cfs = CFSOptions.settings.map { $0.at(\.scheduler.cfs, "scheduler.cfs.") }
  static let vmware = VMwareOptions.settings.map { $0.at(\.scheduler.vmware, "scheduler.vmware.") }
  static let dom0 = Dom0Spec.settings.map { $0.at(\.dom0, "dom0.") }
  static let bridge = Dom0Spec.bridgeSettings.map { $0.at(\.dom0, "dom0.") }
  static let routers = RoutersSpec.settings.map { $0.at(\.routers, "routers.") }
  static let run = RunSpec.settings.map { $0.at(\.run, "run.") }
  static let profile = CostProfile.settings.map { $0.at(\.costs, "profile.") }
  /// Every key bound to the resolved scenario, in schema order.
  static let all =
    host + nic + version + credit + credit2 + cfs + vmware + dom0 + bridge + routers + run + profile
}

/// A numeric declared key as calibration and other tools see it: what it is, its unit, the
/// values it may take, its calibration bounds and its default. Obtained from
/// `ScenarioSchema.parameter(_:)`; set a value with `--set KEY=\(text(value))`.
public struct DeclaredParameter: Sendable {
  /// Full key path, e.g. `profile.driver_rx`, `scheduler.tslice`.
  public let key: String
  /// Unit of `range`, `calibration` and `defaultValue` (the key's base unit).
  public let unit: SettingUnit
  /// Valid values, in `unit`.
  public let range: ClosedRange<Double>
  /// True when the key takes whole numbers of its unit only.
  public let isInteger: Bool
  /// Calibration bounds and prior (nil: declared without; calibration may still use `range`).
  public let calibration: CalibrationBounds?
  /// The model's default, in `unit` (nil when the default is `off`).
  public let defaultValue: Double?
  /// What the key means.
  public let doc: String
  let kind: SettingDomain

  /// The text of `value` (in `unit`) as a scenario or `--set` takes it, e.g. `1250cycles`;
  /// integer keys are rounded to the nearest whole unit and every value is clamped to `range`.
  public func text(_ value: Double) -> String {
    let v = Swift.min(range.upperBound, Swift.max(range.lowerBound, value))
    return isInteger ? kind.text(of: .integer(Int64(v.rounded()))) : kind.text(of: .real(v))
  }

  init?<Root>(_ key: String, _ s: Setting<Root>, defaults: Root) {
    let d: SettingValue = s.value(in: defaults)
    switch s.domain {
    case .integer(let r, let u), .optionalInteger(let r, let u):
      unit = u
      range = Double(r.lowerBound)...Double(r.upperBound)
      isInteger = true
      if case .integer(let x) = d { defaultValue = Double(x) } else { defaultValue = nil }
    case .real(let r, let u):
      unit = u
      range = r
      isInteger = false
      if case .real(let x) = d { defaultValue = x } else { defaultValue = nil }
    default: return nil
    }
    self.key = key
    calibration = s.calibration
    doc = s.doc
    kind = s.domain
  }
}

extension ScenarioSchema {
  /// Every numeric declared key (scenario settings, scheduler options, profile costs).
  public static let parameters: [DeclaredParameter] = {
    var out = BoundKeys.all.compactMap { DeclaredParameter($0.key, $0, defaults: ScenarioSpec.defaults) }
    out += RouterSpec.settings.compactMap {
      DeclaredParameter("routers.each." + $0.key, $0, defaults: RouterSpec())
    }
    return out
  }()

  /// The value of the numeric declared key `key` in a resolved scenario, in the key's base
  /// unit (as `DeclaredParameter.unit`): what a fit starts from. nil for keys that are not
  /// numeric, are `off`, or are per-router (`routers.each.*`, which hold one value per router).
  public static func value(of key: String, in spec: ScenarioSpec) -> Double? {
    switch BoundKeys.all.first(where: { $0.key == key })?.value(in: spec) {
    case .integer(let x): Double(x)
    case .real(let x): x
    default: nil
    }
  }

  /// The numeric declared key `key` (e.g. `profile.driver_rx`), if there is one.
  public static func parameter(_ key: String) -> DeclaredParameter? { parameters.first { $0.key == key } }
}
