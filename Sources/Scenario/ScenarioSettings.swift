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
      "name", \.name, maxLength: 200, "Short name of the scenario, used in reports and campaign directories."
    ).noting("the file name without its extension"),
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
    .choice(
      "forwarding", \.forwarding,
      "netns platforms: how the host forwards over veth, in the model and on the testbed alike: softirq (every veth hop in the NET_RX softirq of the sending CPU: no router is ever scheduled) or threaded (each router's ingress veth gets GRO and threaded NAPI, its peer TSO/GSO off; the napi/DEV-N kernel thread joins the router's cgroup, so routers.each.pin and weight place and weight it; cap does not hold a kernel thread back; docs/testbed.md). threaded is refused on the other platforms, which have no veth hop."
    ),
    .choice(
      "generator", \.generator,
      "netns platforms: the generator and the sink, in the model and on the testbed alike: trafgen (frames of the scenario on a packet socket, the sink's blackhole route drops them) or iperf3 (UDP 1472 B datagrams, CBR only: an iperf3 client per router flow paced on its timer ticks, a server per router reading its socket, pinned to udp_receiver_cpu). vrsim testbed's --generator sets it. iperf3 is refused on the other platforms, whose traffic comes from the wire."
    ),
    .integer(
      "udp_receiver_cpu", \.udpReceiverCPU, 0...63,
      "netns platforms with generator iperf3: the CPU each UDP receiver (one iperf3 server per router) is pinned to, in the model and on the testbed (there modulo the machine's CPUs); below host.cpus."
    ),
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
  /// `testbed.forwarding`: the old spelling of `host.forwarding`, read by the decoder itself
  /// (ScenarioDecoder+Forwarding.swift), bound to no field.
  static let settings: [Setting<TestbedRolesSpec>] = [
    .structure(
      "forwarding", .choice(NetnsForwarding.allCases.map(\.rawValue)), note: "none (host.forwarding decides)",
      "Old spelling of host.forwarding, still read: when host.forwarding is not written it sets it, with a warning naming this line and what to write instead; a value that disagrees with host.forwarding is an error."
    )
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
      embed: { .integer(Int64($0)) }, extract: { if case .integer(let x) = $0 { UInt64(x) } else { nil } }),
  ]
}

extension TrafficSpec {
  /// A flow at the defaults: to each router, 10 kp/s of 64 B frames, CBR.
  static let defaults = TrafficSpec(
    target: .each, rate: .defaultRate, frame: .fixed(bytes: 64), arrival: .cbr)

  static let settings: [Setting<TrafficSpec>] = [
    .target("to", \.target, "Which routers the flow goes to."),
    .rate(
      "rate", \.rate, "Offered rate (per router with each, in total with all). Bit rates count frame bytes."),
    .frame(
      "frame", \.frame,
      "Frame size (Ethernet frame with FCS), imix, or a weighted list such as [64B: 7, 1518B: 1]."),
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
    .share("max_loss", \.maxLoss, 0...100_000_000, "Largest acceptable loss."),
    .resolution(
      "resolution", \.resolution, "Stop when the bracket is narrower than this rate or share of the rate."),
    .rate("low", \.low, "Lowest aggregate rate tried."),
    Setting.rate("high", \.high, "Highest aggregate rate tried; above search.low.").noting(
      "the NIC line rate for 64B frames"),
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

/// The declarations above mounted at their full path in the resolved scenario (a derived view,
/// no key of its own): what the decoder writes into a resolved scenario. Keys of `routers.each`
/// are bound to one router's settings instead (they apply to each router and to overrides).
enum MountedSettings {
  static let host = HostSpec.settings.map { $0.at(\.host, "host.") }
  static let nic = NICSpec.settings.map { $0.mounted(at: \HostSpec.nic, prefix: "").at(\.host, "host.nic.") }
  static let version = SchedulerSpec.settings.map { $0.at(\.scheduler, "scheduler.") }
  static let credit = CreditOptions.settings.map {
    $0.key == "ratelimit"
      ? $0.at(\.scheduler.credit, "scheduler.").noting("1ms with version 4.2 or 4.3, else off")
      : $0.at(\.scheduler.credit, "scheduler.")
  }
  static let credit2 = Credit2Options.settings.map { $0.at(\.scheduler.credit2, "scheduler.credit2.") }
  static let cfs = CFSOptions.settings.map { $0.at(\.scheduler.cfs, "scheduler.cfs.") }
  static let eevdf = EEVDFOptions.settings.map { $0.at(\.scheduler.eevdf, "scheduler.eevdf.") }
  static let vmware = VMwareOptions.settings.map { $0.at(\.scheduler.vmware, "scheduler.vmware.") }
  static let dom0 = Dom0Spec.settings.map { $0.at(\.dom0, "dom0.") }
  static let bridge = Dom0Spec.bridgeSettings.map { $0.at(\.dom0, "dom0.") }
  static let routers = RoutersSpec.settings.map { $0.at(\.routers, "routers.") }
  static let run = RunSpec.settings.map { $0.at(\.run, "run.") }
  static let profile = CostProfile.settings.map { $0.at(\.costs, "profile.") }
  /// Every key bound to the resolved scenario, in schema order.
  static let all =
    host + nic + version + credit + credit2 + cfs + eevdf + vmware + dom0 + bridge + routers + run + profile
}

/// A numeric declared key as calibration and other tools see it (a derived view of one
/// `Setting`, no key of its own): what it is, its unit, the values it may take, its calibration
/// bounds and its default. Obtained from
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
    var out = MountedSettings.all.compactMap {
      DeclaredParameter($0.key, $0, defaults: ScenarioSpec.defaults)
    }
    out += RouterSpec.settings.compactMap {
      DeclaredParameter("routers.each." + $0.key, $0, defaults: RouterSpec())
    }
    return out
  }()

  /// The value of the numeric declared key `key` in a resolved scenario, in the key's base
  /// unit (as `DeclaredParameter.unit`): what a fit starts from. nil for keys that are not
  /// numeric, are `off`, or are per-router (`routers.each.*`, which hold one value per router).
  public static func value(of key: String, in spec: ScenarioSpec) -> Double? {
    switch MountedSettings.all.first(where: { $0.key == key })?.value(in: spec) {
    case .integer(let x): Double(x)
    case .real(let x): x
    default: nil
    }
  }

  /// The numeric declared key `key` (e.g. `profile.driver_rx`), if there is one.
  public static func parameter(_ key: String) -> DeclaredParameter? { parameters.first { $0.key == key } }
}

// The keys that hold structure (sections, lists, sweep axes) or whose shape the decoder reads
// itself (overrides' index, the arrival mapping, testbed roles): declared like every other key.

extension ScenarioSpec {
  /// The sections and lists of a scenario, and the profile's file.
  enum Structure {
    static let atDefaults = "all keys at their defaults"
    static func section(_ key: String, note: String = atDefaults, _ doc: String) -> Setting<ScenarioSpec> {
      .structure(key, .section, note: note, doc)
    }
    static let host = section("host", "The physical host.")
    static let nic = section("host.nic", "The physical network card (one port).")
    static let profile: [Setting<ScenarioSpec>] = [
      .structured(
        "profile", \.profile.path, .profile,
        "Cost profile: a file name, or a mapping {file, and any cost below} whose costs replace the file's.",
        embed: { .text($0) }, extract: { if case .text(let t) = $0 { t } else { nil } }),
      .text(
        "profile.file", \.profile.path,
        "Profile file: a path relative to the scenario file's directory, or to scenarios/profiles."),
    ]
    /// `profile.netns_forwarding` in a scenario (or `--set`): the old spelling of `host.forwarding`.
    static let profileForwarding = Setting<ScenarioSpec>.structure(
      "profile.netns_forwarding", .choice(NetnsForwarding.allCases.map(\.rawValue)),
      note: "none (host.forwarding decides)",
      "Old spelling of host.forwarding (the mode is the host's, not a cost), still read in a scenario and by --set like testbed.forwarding: it sets host.forwarding when that is not written, with a warning; a disagreeing value is an error. In a profile file the key is not read: a warning names the file and the mode the run uses."
    )
    /// `profile.generator_socket` in a scenario (or `--set`): the old spelling of `host.generator`.
    static let profileGeneratorSocket = Setting<ScenarioSpec>.structure(
      "profile.generator_socket", .choice(RetiredProfileKey.generatorSocket.choices),
      note: "none (host.generator decides)",
      "Old spelling of host.generator (the generator is the run's, not a cost), still read in a scenario and by --set: packet means host.generator trafgen, udp means iperf3; it sets host.generator when that is not written, with a warning naming its place and what to write instead; a disagreeing value is an error. In a profile file the key is never read: a warning names the file, line and key."
    )
    /// `profile.udp_receiver_cpu` in a scenario (or `--set`): the old spelling of
    /// `host.udp_receiver_cpu`.
    static let profileUDPReceiverCPU = Setting<ScenarioSpec>.structure(
      "profile.udp_receiver_cpu", .integer(0...63, .count), note: "none (host.udp_receiver_cpu decides)",
      "Old spelling of host.udp_receiver_cpu (a placement, not a cost), still read in a scenario and by --set: it sets host.udp_receiver_cpu when that is not written, with a warning naming its place and what to write instead; a disagreeing value is an error. In a profile file the key is never read: a warning names the file, line and key."
    )
    static let scheduler = section("scheduler", "The CPU scheduler.")
    static let credit2 = section("scheduler.credit2", "Options of credit2.")
    static let cfs = section("scheduler.cfs", "Options of cfs.")
    static let eevdf = section("scheduler.eevdf", "Options of eevdf.")
    static let vmware = section("scheduler.vmware", "Options of vmware.")
    static let dom0 = section(
      "dom0",
      "The driver domain (Xen dom0); ignored on platforms without one.\n\n"
        + "Placement on the Xen split-driver paths: dom0's vCPU v runs netback group v (router i is in "
        + "group i mod dom0.vcpus, as the 2.6.32 netback puts a new vif in the group with the fewest) and "
        + "the NAPI of NIC receive queue q mod dom0.vcpus (host.nic.rx_queues, flows spread by RSS); a "
        + "router's vCPUs forward in parallel only with several VF queues (routers.each.rx_queues, "
        + "xen-sriov), since the vif of these kernels has one queue (multi-queue netfront came in Linux "
        + "3.16, RPS in 2.6.35). Xen's documented defaults give dom0 one vCPU per pCPU (dom0_max_vcpus "
        + "unset) and pin nothing (no dom0_vcpus_pin, no cpus= in a guest's configuration). The paper's "
        + "testbeds most likely ran those defaults (it states no placement), and the defaults here "
        + "(dom0.vcpus 1, host.nic.rx_queues 1, nothing pinned) stand for them: in Sec. IV-V (Xen 3.2, "
        + "2.6.26-xen dom0, a XenLinux netback with one tasklet pair, the bnx2 NIC with one receive "
        + "queue) netback's tasklets, the NIC's interrupt and the vifs' event channels all run on dom0's "
        + "vCPU 0 unless irqbalance moves them, so dom0's packet work used one vCPU at a time however "
        + "many it had; in Sec. VI (2.6.32-5-xen, a netback group per CPU, igb with RSS) its one-flow, "
        + "one-router measurements hash to one queue and one group, so again one dom0 vCPU carries them. "
        + "Spread dom0 over several vCPUs with dom0.vcpus: N and host.nic.rx_queues: N.")
    static let routers = section("routers", "The virtual routers vr0 ... vr(count-1).")
    static let each = section("routers.each", "Settings every router starts from.")
    static let traffic = Setting<ScenarioSpec>.structure(
      "traffic", .list, note: "one flow at the defaults below", "Offered traffic: a list of flows.")
    static let run = section("run", "Run length, replications and seed.")
    static let sweep = section(
      "sweep", note: "no sweep",
      "Keys to vary: {mode, keys: {key.path: values}}, or the short form {key.path: values}. Values are a list or {from, to, step}."
    )
    static let search = section(
      "search", note: "no search", "RFC 2544-style throughput search over the aggregate offered rate.")
    static let workloads = Setting<ScenarioSpec>.structure(
      "workloads", .list, note: nil,
      "CPU jobs run beside the forwarding routers: a list of {name, in, kind, and the kind's keys}. The simulator runs them on the placed domain's first vCPU; the testbed runs them in the router's namespace and cgroup, timed by the external ICMP timer (docs/testbed.md). Reported under scope job:NAME as job_seconds and job_share (periodic: job_share and job_response)."
    )
    static let testbed = section(
      "testbed", note: "every role local",
      "Where each role of `vrsim testbed` runs: generator, dut, sink, time_keeper. A role without an entry runs in local namespaces; {ssh: {...}} runs it on a remote host over ssh (an argument vector, never a shell string). A link between roles on different hosts runs over a cable whose two ends the roles' ports name (docs/testbed.md, Roles over ssh)."
    )
  }
}

extension SchedulerSpec {
  /// `scheduler.kind`, read apart from the other scheduler keys: the platform decides its default.
  static let kindSetting = Setting<SchedulerSpec>.choice(
    "kind", \.kind,
    "Scheduler family; it must fit the platform (credit or credit2 on xen-*, cfs on openvz and netns-*, eevdf on netns-*, vmware on vmware, none on native)."
  ).noting("the platform's own: credit on xen-*, cfs on openvz and netns-*, vmware on vmware, none on native")
}

extension RouterSpec {
  /// `routes_file`, read apart from `settings`: written routes clear an inherited file.
  static let routesFileSetting = Setting<RouterSpec>.optionalText(
    "routes_file", \.routesFile, note: "none (a generated table of routes)",
    "Route table file: one IPv4 prefix a.b.c.d/len per line (# comments), relative to the scenario file's directory. Replaces routes; give one of routes or routes_file in a mapping (an override's routes clears an inherited file)."
  )
}

extension RoutersSpec {
  /// The per-router overrides: which routers an entry changes (its other keys are `routers.each`'s).
  static let overrideSettings: [Setting<RoutersSpec>] = [
    .structure(
      "overrides", .list, note: nil,
      "Per-router changes: a list of {index or indices, plus any routers.each key}; later entries win."),
    .structure(
      "overrides[].index", .integer(0...1_023, .count), note: "none (give index or indices)",
      "The router changed (0-based, below routers.count)."),
    .structure(
      "overrides[].indices", .integerList(0...1_023), note: "none (give index or indices)",
      "The routers changed (0-based, below routers.count)."),
  ]
}

extension TrafficSpec {
  /// `arrival` in its short form (`cbr`, `poisson`); the mapping form's keys are `ArrivalForm`'s.
  static let arrivalSetting = Setting<TrafficSpec>.arrival(
    "arrival", \.arrival, "Arrival process: cbr, poisson, {kind: onoff, on, off} or {kind: trace, file}.")
}

/// A flow's arrival in the mapping form (`{kind: onoff, on: 10ms, off: 90ms}`), key by key.
struct ArrivalForm {
  var kind = "cbr"
  var on = ArrivalSpec.defaultOn
  var off = ArrivalSpec.defaultOff
  var file: String?

  static let kindSetting = Setting<ArrivalForm>.text(
    "kind", \.kind, choices: ["cbr", "poisson", "onoff", "trace"], "Arrival process, in the mapping form.")
  static let periodSettings: [Setting<ArrivalForm>] = [
    .duration("on", \.on, SimDuration.us(1)...SimDuration.s(3_600), "Mean on period of onoff (exponential)."),
    .duration(
      "off", \.off, SimDuration.us(1)...SimDuration.s(3_600), "Mean off period of onoff (exponential)."),
  ]
  static let fileSetting = Setting<ArrivalForm>.optionalText(
    "file", \.file, note: "none (required with trace)",
    "Trace file (CSV of timestamps and sizes, or pcap), relative to the scenario file's directory.")
  static let settings = [kindSetting] + periodSettings + [fileSetting]
}

extension SweepSpec {
  static let settings: [Setting<SweepSpec>] = [
    .choice(
      "mode", \.mode,
      "product: every combination (last key fastest); zip: element-wise, lists of equal length."),
    .structure(
      "keys", .sweepKeys, note: "none",
      "Key paths (as for --set, e.g. routers.count, traffic[0].rate) mapped to their values."),
  ]
}

extension SSHTarget {
  /// The keys of a role's `ssh:` mapping.
  static let settings: [Setting<SSHTarget>] = [
    Setting.text("host", \.host, maxLength: 253, "Host name or address.").noting("none (required)"),
    .optionalText("user", \.user, maxLength: 64, note: "ssh's default", "Login name (ssh -l)."),
    .integer("port", \.port, 1...65_535, "TCP port (ssh -p)."),
    .optionalText(
      "identity", \.identity, note: "ssh's default",
      "Private key file (ssh -i), relative to the scenario file's directory."),
    .structure(
      "options", .section, note: "none",
      "ssh options as a mapping NAME: VALUE, each passed as -o NAME=VALUE (e.g. {StrictHostKeyChecking: accept-new})."
    ),
    .optionalText(
      "client_namespace", \.clientNamespace, maxLength: 64, note: "none (the caller's)",
      "A local network namespace the ssh client runs in (ip netns exec NAME ssh ...), when the host is reached through a management network in a namespace."
    ),
  ]
}

extension TestbedRolesSpec {
  /// A role's section and its `ssh:` section.
  static func roleSettings(_ role: TestbedRole) -> [Setting<TestbedRolesSpec>] {
    [
      .structure(role.rawValue, .section, note: "local", "Where the \(role.rawValue) runs."),
      .structure(
        role.rawValue + ".ssh", .section, note: "none (local namespaces)",
        "The remote host the role runs on, over ssh."),
    ]
  }

  /// A role's `ports:` toward each peer role it has a link with.
  static func portSettings(_ role: TestbedRole) -> [Setting<TestbedRolesSpec>] {
    let r = role.rawValue
    let peers = peers(of: role)
    let section: [Setting<TestbedRolesSpec>] =
      peers.isEmpty
      ? []
      : [
        .structure(
          r + ".ports", .section, note: "none (no cables)",
          "Existing interfaces of the \(r)'s host cabled to another role's host, per peer role. Needed only for a link between roles on different hosts; the testbed makes a macvlan on each (it never moves, renames or re-addresses them)."
        )
      ]
    return section
      + peers.map { peer in
        Setting(
          key: "\(r).ports.\(peer.rawValue)", domain: .interfaceList(maxCount: 99),
          doc:
            "Interfaces of the \(r)'s host cabled to the \(peer.rawValue)'s host, in link order: one per link between the two roles (netns-bridge and netns-router: one to or from the dut; netns-direct: one per router; generator to sink: one, the generator-ceiling link). Given only when the two roles run on different hosts.",
          read: { .names($0.ports(role, toward: peer)) },
          write: { roles, v in
            if case .names(let list) = v, !list.isEmpty { roles.ports[role, default: [:]][peer] = list }
          })
      }
  }
}
