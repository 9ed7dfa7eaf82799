import HostModel
import NetModel
import Platforms
import SettingText
import SimCore

/// A scenario resolved into base units: what one simulation (or one sweep point) is
/// configured with. Plain data: no state, no behaviour beyond derived values.
///
/// Produced only by `ScenarioLoader` (or `ScenarioDocument.resolve`), so every field is
/// within the range the schema (`ScenarioSchema`) declares.
public struct ScenarioSpec: Codable, Sendable, Equatable {
  /// Short name, used in reports and campaign directories.
  public var name: String
  /// One-line description.
  public var about: String
  /// The physical host.
  public var host: HostSpec
  /// The I/O architecture being simulated.
  public var platform: PlatformKind
  /// The cost profile file the scenario names.
  public var profile: ProfileReference
  /// The costs the models read: the model's defaults, then the profile file, then the
  /// scenario's own `profile.<key>` values (and `--set profile.<key>=...`), in that order.
  public var costs: CostProfile
  /// The CPU scheduler and its settings.
  public var scheduler: SchedulerSpec
  /// The driver domain (Xen dom0); ignored on platforms without one.
  public var dom0: Dom0Spec
  /// The virtual routers.
  public var routers: RoutersSpec
  /// The offered traffic flows, in file order.
  public var traffic: [TrafficSpec]
  /// Run length, replications, seed.
  public var run: RunSpec
  /// The keys varied by a sweep, if any (sweep points have none).
  public var sweep: SweepSpec?
  /// The throughput search, if asked for.
  public var search: SearchSpec?
  /// The `workloads:` section: CPU jobs beside the forwarding routers (nil when absent, so
  /// scenarios without one encode as before).
  public var workloads: [ScenarioJob]? = nil
  /// The `testbed:` section: where each testbed role runs (nil: everything local).
  public var testbed: TestbedRolesSpec? = nil
  /// Where the scenario came from and its canonical hash.
  public var source: ScenarioSource
  /// The resolved sweep points (empty when there is no sweep).
  var points: [SweepPoint]

  /// The jobs of the `workloads:` section, in file order (empty without one).
  public var jobs: [ScenarioJob] { workloads ?? [] }

  /// Every key at its default: the starting point the decoder writes a file's values into.
  static let defaults = ScenarioSpec(
    name: "", about: "", host: HostSpec(), platform: .xenBridge,
    profile: ProfileReference(path: "paper-2012.yaml", candidates: [], resolvedPath: nil),
    costs: CostProfile(),
    scheduler: SchedulerSpec(kind: .credit), dom0: Dom0Spec(),
    routers: RoutersSpec(count: 1, each: RouterSpec(), perRouter: [RouterSpec()]), traffic: [],
    run: RunSpec(),
    sweep: nil, search: nil,
    source: ScenarioSource(fileName: "", baseDirectory: nil, canonicalText: "", hash: ""), points: [])

  /// The points of the sweep, in order: the cartesian product of the axes in the order
  /// written (the last axis varies fastest), or their element-wise zip. Without a sweep,
  /// one point (index 0, no assignments) holding this scenario.
  public func sweepPoints() -> [SweepPoint] {
    if points.isEmpty { return [SweepPoint(index: 0, assignments: [], spec: self)] }
    return points
  }
}

/// Where a scenario came from.
public struct ScenarioSource: Codable, Sendable, Equatable {
  /// The file name as given to the loader.
  public var fileName: String
  /// The directory relative paths (profile, trace files) are resolved against, if known.
  public var baseDirectory: String?
  /// The effective scenario (file plus overrides) in a canonical compact form: comments,
  /// layout and quoting removed, keys in the order written.
  public var canonicalText: String
  /// SHA-256 (lowercase hex) of `canonicalText`: equal for equal scenarios however written.
  public var hash: String
  /// What the load accepted but the user should know (a profile file without a cost that was
  /// declared after it was written). Not part of the scenario's identity: not encoded.
  public var warnings: [String] = []

  enum CodingKeys: String, CodingKey { case fileName, baseDirectory, canonicalText, hash }
}

/// The physical host.
public struct HostSpec: Codable, Sendable, Equatable {
  /// Physical CPUs (cores).
  public var cpus: Int
  /// Core clock in Hz.
  public var clockHz: Int64
  /// The network card.
  public var nic: NICSpec
  /// How the host forwards over veth on the netns platforms (`host.forwarding`): softirq, or
  /// threaded NAPI per router. The model (`PlatformSpec.forwarding`) and the testbed's set-up
  /// (`TestbedSetup.forwarding`) both read this one value.
  public var forwarding: NetnsForwarding = .softirq
  /// The netns platforms' generator and sink (`host.generator`): trafgen frames into a
  /// blackhole route, or iperf3's UDP sockets. The model (`PlatformSpec.generator`) and the
  /// testbed (`TestbedSetup.generator`) both read this one value.
  public var generator: TrafficGenerator = .trafgen
  /// The CPU each UDP receiver (one iperf3 server per router) is pinned to
  /// (`host.udp_receiver_cpu`, below `cpus`; read with `generator` iperf3 only), in the model
  /// and on the testbed.
  public var udpReceiverCPU = 1

  /// A host; the defaults are the origin paper's Sec. VI machine (4 cores at 3.06 GHz).
  public init(cpus: Int = 4, clockHz: Int64 = 3_060_000_000, nic: NICSpec = NICSpec()) {
    self.cpus = cpus
    self.clockHz = clockHz
    self.nic = nic
  }
}

/// The physical NIC: the platform model's own type.
public typealias NICSpec = Platforms.NICSpec

/// Receive interrupt throttling of the NIC: the platform model's own type.
public typealias InterruptThrottle = Platforms.InterruptThrottle

/// The host's forwarding mode over veth (`host.forwarding`): the platform model's own type.
public typealias NetnsForwarding = Platforms.NetnsForwarding

/// The netns platforms' generator and sink (`host.generator`): the platform model's own type.
public typealias TrafficGenerator = Platforms.TrafficGenerator

/// A reference to a cost profile.
public struct ProfileReference: Codable, Sendable, Equatable {
  /// The path as written.
  public var path: String
  /// Where it is looked for, in order: the scenario file's directory, then the nearest
  /// `scenarios/profiles` directory (by the path, then by its file name).
  public var candidates: [String]
  /// The first candidate that exists at load time, if any (the profile itself is read by
  /// the layer that uses it).
  public var resolvedPath: String?
}

/// The scheduler families: the host model's own enum.
public typealias SchedulerKind = HostModel.SchedulerKind

/// Xen credit1 versions with distinct semantics: the host model's own enum (what each carries,
/// change by change, is in docs/credit-versions.md, section 4).
public typealias CreditVersion = CreditOptions.Version

/// Scheduler settings: the family, the credit1 version, and every family's own options (the
/// host model's option types, so their defaults and ranges are the model's).
public struct SchedulerSpec: Codable, Sendable, Equatable {
  /// Scheduler family.
  public var kind: SchedulerKind
  /// Credit1 version (meaningful for `credit`).
  public var version: CreditVersion = .v4_0
  /// Credit1 options (`scheduler.tslice`, `scheduler.ratelimit`, `scheduler.boost`).
  public var credit = CreditOptions()
  /// Credit2 options (`scheduler.credit2.*`).
  public var credit2 = Credit2Options()
  /// CFS options (`scheduler.cfs.*`).
  public var cfs = CFSOptions()
  /// EEVDF options (`scheduler.eevdf.*`).
  public var eevdf = EEVDFOptions()
  /// VMware options (`scheduler.vmware.*`).
  public var vmware = VMwareOptions()

  /// Settings of family `kind`, everything else at the model's defaults.
  public init(kind: SchedulerKind) { self.kind = kind }

  /// Time slice of credit1.
  public var timeSlice: SimDuration { credit.tslice }
  /// Credit rate limit (4.2+), nil when off.
  public var rateLimit: SimDuration? { credit.ratelimit }
  /// Whether waking vCPUs are BOOSTed.
  public var boost: Bool { credit.boost }

  /// The host model's scheduler configuration.
  public var config: SchedulerConfig {
    switch kind {
    case .credit:
      var o = credit
      o.version = version
      return .credit(o)
    case .credit2: return .credit2(credit2)
    case .cfs: return .cfs(cfs)
    case .eevdf: return .eevdf(eevdf)
    case .vmware: return .vmware(vmware)
    case .none: return .none
    }
  }
}

/// The driver domain.
public struct Dom0Spec: Codable, Sendable, Equatable {
  /// vCPUs.
  public var vcpus: Int = 1
  /// Credit weight (Xen's default 256).
  public var weight: Int = 256
  /// Cap in percent of one pCPU, 0 = uncapped.
  public var cap: Int = 0
  /// pCPUs the vCPUs may run on; empty = any.
  public var pin: [Int] = []
  /// xen-bridge: the bridge's MAC table starts warm (no flooding).
  public var bridgeLearned: Bool = true
  /// xen-bridge: MAC table aging time.
  public var bridgeAging: SimDuration = .s(300)
}

/// The lookup algorithm of a router's FIB: the model's own enum (NetModel).
public typealias FIBAlgorithm = NetModel.FIBAlgorithm

/// One virtual router.
public struct RouterSpec: Codable, Sendable, Equatable {
  /// vCPUs.
  public var vcpus: Int = 1
  /// Scheduler weight.
  public var weight: Int = 256
  /// Cap in percent of one pCPU, 0 = uncapped.
  public var cap: Int = 0
  /// Routes in the FIB (a generated table), unless `routesFile` is given.
  public var routes: Int = 1_000
  /// FIB algorithm.
  public var fib: FIBAlgorithm = .routeCache
  /// pCPUs the router's vCPUs may run on; empty = any.
  public var pin: [Int] = []
  /// Receive queues of the router's VF (xen-sriov), flows spread over them by RSS.
  public var rxQueues: Int = 1
  /// The route table file (`routes_file`) as written, relative to the scenario file's
  /// directory; nil for a generated table of `routes` prefixes.
  public var routesFile: String? = nil
}

/// The virtual routers.
public struct RoutersSpec: Codable, Sendable, Equatable {
  /// How many routers (vr0 ... vr(count-1)).
  public var count: Int
  /// The settings every router starts from.
  public var each: RouterSpec
  /// The settings of each router after `overrides`, indexed by router number.
  public var perRouter: [RouterSpec]
}

/// One offered flow.
public struct TrafficSpec: Codable, Sendable, Equatable {
  /// Which routers the flow goes to (`each`, `all`, or one router).
  public var target: TrafficTarget
  /// Offered rate, in packets or bits per second.
  public var rate: TrafficRate
  /// Frame sizes.
  public var frame: FrameSpec
  /// Arrival process.
  public var arrival: ArrivalSpec
}

/// Run length and replications.
public struct RunSpec: Codable, Sendable, Equatable {
  /// Simulated time per replication, warm-up included.
  public var duration: SimDuration = .s(2)
  /// Initial time whose statistics are deleted.
  public var warmup: SimDuration = .ms(200)
  /// Replications (the minimum when `ciTarget` is set).
  public var replications: Int = 5
  /// Stopping rule: relative CI half-width target as a fraction (0.02 = 2%), nil = off.
  public var ciTarget: Double?
  /// Most replications the stopping rule may run.
  public var maxReplications: Int = 100
  /// Master seed.
  public var seed: UInt64 = 42

  /// A run at the defaults: 2 s with 200 ms of warm-up, 5 replications, seed 42.
  public init() {}

  enum CodingKeys: String, CodingKey {
    case durationNs, warmupNs, replications, ciTarget, maxReplications, seed
  }

  init(
    duration: SimDuration, warmup: SimDuration, replications: Int, ciTarget: Double?, maxReplications: Int,
    seed: UInt64
  ) {
    self.duration = duration
    self.warmup = warmup
    self.replications = replications
    self.ciTarget = ciTarget
    self.maxReplications = maxReplications
    self.seed = seed
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    duration = SimDuration(nanoseconds: try c.decode(Int64.self, forKey: .durationNs))
    warmup = SimDuration(nanoseconds: try c.decode(Int64.self, forKey: .warmupNs))
    replications = try c.decode(Int.self, forKey: .replications)
    ciTarget = try c.decodeIfPresent(Double.self, forKey: .ciTarget)
    maxReplications = try c.decode(Int.self, forKey: .maxReplications)
    seed = try c.decode(UInt64.self, forKey: .seed)
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(duration.nanoseconds, forKey: .durationNs)
    try c.encode(warmup.nanoseconds, forKey: .warmupNs)
    try c.encode(replications, forKey: .replications)
    try c.encodeIfPresent(ciTarget, forKey: .ciTarget)
    try c.encode(maxReplications, forKey: .maxReplications)
    try c.encode(seed, forKey: .seed)
  }
}

/// How sweep axes combine.
public enum SweepMode: String, Codable, Sendable, CaseIterable {
  /// Cartesian product.
  case product
  /// Element-wise; all axes have the same length.
  case zip
}

/// One varied key and its values (canonical texts, as they would be given to `--set`).
public struct SweepAxis: Codable, Sendable, Equatable {
  /// Key path, e.g. `routers.count` or `traffic[0].rate`.
  public var keyPath: String
  /// Values in order.
  public var values: [String]
}

/// The sweep as written.
public struct SweepSpec: Codable, Sendable, Equatable {
  /// Cartesian product or element-wise zip of the axes.
  public var mode: SweepMode
  /// The varied keys with their values, in the order written.
  public var axes: [SweepAxis]
}

/// One point of a sweep.
public struct SweepPoint: Codable, Sendable, Equatable {
  /// 0-based position in `sweepPoints()`.
  public var index: Int
  /// The values given to the varied keys, in axis order: (key path, value text).
  public var assignments: [SweepAssignment]
  /// The scenario at this point (without a sweep).
  public var spec: ScenarioSpec
}

/// A key set to a value at a sweep point.
public struct SweepAssignment: Codable, Sendable, Equatable {
  /// The key path set at this point, e.g. `routers.count`.
  public var keyPath: String
  /// The value as YAML text.
  public var value: String
}

/// RFC 2544-style throughput search: the highest offered rate with loss <= `maxLoss`.
public struct SearchSpec: Codable, Sendable, Equatable {
  /// The metric bounded (only `loss`).
  public var metric: String
  /// Largest acceptable loss fraction (0 = no loss).
  public var maxLoss: Double
  /// Stop when the bracket is narrower than this.
  public var resolution: SearchResolution
  /// Lowest aggregate rate tried.
  public var low: TrafficRate
  /// Highest aggregate rate tried.
  public var high: TrafficRate

  /// The lowest aggregate rate a search tries when nothing says otherwise (`search.low`'s
  /// default, and `vrsim search`'s and `vrsim testbed search`'s without a `search:` section).
  public static let defaultLow = TrafficRate.packetsPerSecond(1_000)
}
