import SimCore

/// The physical side of a host: how many pCPUs, their clock, and what a context switch costs.
///
/// Every cost in the host model is stated in CPU cycles and turned into time with `clockGHz`,
/// so a profile calibrated on one machine can be moved to another (docs/DESIGN.md, "The life of a scheduling decision").
public struct HostConfig: Sendable, Equatable {
  /// Number of physical CPUs (1 ... 64).
  public var cpus: Int
  /// Clock of every pCPU in GHz (cycles per nanosecond), > 0.
  public var clockGHz: Double
  /// What switching a pCPU between vCPUs costs.
  public var contextSwitch: ContextSwitchCosts

  /// A host with `cpus` pCPUs at `clockGHz` GHz.
  public init(cpus: Int, clockGHz: Double, contextSwitch: ContextSwitchCosts = .init()) {
    self.cpus = cpus
    self.clockGHz = clockGHz
    self.contextSwitch = contextSwitch
  }
}

/// The cost of switching a pCPU from one vCPU to another, in CPU cycles, and the scheduling
/// costs that grow with the number of domains sharing the host.
///
/// Model (docs/platform-facts.md, "Linux forwarding on a NIC", context switches): a direct part that occupies the pCPU (state
/// save/restore, CR3 reload, TLB flush of a PV Xen domain switch) plus a cache/TLB warm-up part
/// that is added to the incoming vCPU's next work item (it refills what the previous domain
/// evicted). A switch between two vCPUs of the same domain keeps the address space and costs
/// `sameDomainCycles` only, with no warm-up. Going idle is a lazy switch (free); coming back
/// from idle to the vCPU (or domain) that ran last costs nothing (or the same-domain cost).
///
/// Mechanisms that grow with the number of domains, each off at 0 (the defaults):
/// - working-set refill (`refillCyclesPerByte`, with `DomainConfig.footprintBytes` and
///   `cacheBytes`): when a vCPU of domain d (footprint F_d) starts running while no other vCPU
///   of d runs, the others' footprints S (the sum of F_e over every other domain that has run
///   since d last stopped running, on any pCPU: one cache shared by all pCPUs, as the paper's
///   i7 L3 is) have evicted `evicted = min(F_d, S, max(0, F_d + S - cacheBytes))` bytes of
///   it, and refilling them costs `evicted x refillCyclesPerByte`, added to its next work like
///   the constant warm-up (which stays; set `warmupCycles` to 0 to use the working-set model
///   instead of it);
/// - `decisionCycles`: the scheduler's own time per scheduling decision (Xen's
///   `csched_schedule` and the switch path), on the pCPU before the chosen vCPU progresses;
/// - `ipiLatencyNs`: a wake-up that tickles a pCPU other than the one whose work caused it
///   reaches that pCPU after this delay (an IPI and its exit from idle) instead of at once;
/// - `idleExitCycles`: a pCPU that was idle spends this long busy before the vCPU it switches
///   to progresses (leaving the idle loop: in a guest, the halt's exit and the timer's
///   reprogramming), counted in the pCPU's busy time and in no vCPU's work.
///
/// Defaults, for a 3.06 GHz host (the origin paper's Sec. VI machine):
/// - `crossDomainCycles` 4,300 = 1.4 us, the best VM switch measured by Denali (OSDI 2002);
/// - `warmupCycles` 7,650 = 2.5 us, the extra up to the 3.9 us Denali saw with cache pollution;
/// - `sameDomainCycles` 1,500 ~ 0.5 us, an assumption (no address-space change); calibrate it;
/// - `cacheBytes` 8 MiB, the last-level cache of the paper's i7 (3.06 GHz quad core, 8 MB L3).
public struct ContextSwitchCosts: Sendable, Equatable, Codable {
  /// Direct cost of a switch between vCPUs of different domains (cycles on the pCPU, >= 0).
  public var crossDomainCycles: Int64
  /// Warm-up cost after a cross-domain switch, added to the incoming vCPU's next work (>= 0).
  public var warmupCycles: Int64
  /// Direct cost of a switch between two vCPUs of the same domain (>= 0).
  public var sameDomainCycles: Int64
  /// Cache shared by the pCPUs that domains' footprints compete for, in bytes (> 0).
  public var cacheBytes: Int64
  /// Cycles to refill one byte of a domain's footprint evicted since it last ran (>= 0; 0 = off).
  public var refillCyclesPerByte: Double
  /// Cycles of scheduler time per scheduling decision, on the pCPU (>= 0; 0 = off).
  public var decisionCycles: Int64
  /// Delay before a tickle reaches a pCPU other than the waker's, in ns (>= 0; 0 = instant).
  public var ipiLatencyNs: Int64
  /// Cycles a pCPU spends leaving idle before the vCPU it switches to progresses (>= 0; 0 = off).
  public var idleExitCycles: Int64

  /// Costs in cycles; the defaults are explained on the type.
  public init(
    crossDomainCycles: Int64 = 4_300, warmupCycles: Int64 = 7_650, sameDomainCycles: Int64 = 1_500,
    cacheBytes: Int64 = 8 << 20, refillCyclesPerByte: Double = 0, decisionCycles: Int64 = 0,
    ipiLatencyNs: Int64 = 0, idleExitCycles: Int64 = 0
  ) {
    self.crossDomainCycles = crossDomainCycles
    self.warmupCycles = warmupCycles
    self.sameDomainCycles = sameDomainCycles
    self.cacheBytes = cacheBytes
    self.refillCyclesPerByte = refillCyclesPerByte
    self.decisionCycles = decisionCycles
    self.ipiLatencyNs = ipiLatencyNs
    self.idleExitCycles = idleExitCycles
  }

  /// No cost at all (for tests that check pure scheduler arithmetic).
  public static let free = ContextSwitchCosts(crossDomainCycles: 0, warmupCycles: 0, sameDomainCycles: 0)

  /// Bytes of domain d's footprint (`footprint`) that the others' footprints `others` (bytes
  /// brought into the cache since d last ran) evicted from a cache of `cache` bytes:
  /// min(F_d, S, max(0, F_d + S - C)).
  public static func evictedBytes(footprint: Int64, others: Int64, cache: Int64) -> Int64 {
    min(footprint, others, max(0, footprint + others - cache))
  }
}

/// What a domain is; decides nothing in the scheduler, but is reported and used by platforms.
public enum DomainKind: String, Sendable, Codable, CaseIterable {
  /// Xen's control/driver domain (runs netback and the bridge).
  case dom0
  /// A guest virtual machine (a virtual router).
  case guest
  /// A container (OpenVZ, a netns router) scheduled by the host kernel.
  case container
  /// The native kernel (no virtualization).
  case native
}

/// One domain: its vCPUs and scheduling parameters.
public struct DomainConfig: Sendable, Equatable {
  /// Name, unique within the host (used in reports and random-stream names).
  public var name: String
  /// What the domain is.
  public var kind: DomainKind
  /// Number of vCPUs (>= 1).
  public var vcpus: Int
  /// Scheduling weight (credit, credit2, vmware shares) or cgroup share (cfs, 256 = the
  /// default 1024 cpu.shares); 1 ... 65535, default 256 (Xen `CSCHED_DEFAULT_WEIGHT`).
  public var weight: Int
  /// Cap in percent of one pCPU, 0 = none (credit cap, cfs quota, vmware limit). 0 ... 100 x vcpus.
  public var cap: Int
  /// pCPU indices the vCPUs may run on; nil = all.
  public var affinity: [Int]?
  /// VMware reservation in percent of one pCPU (only `vmware` uses it), 0 = none.
  public var reservation: Int
  /// Bytes of cache the domain's work touches (its working set), for the working-set refill
  /// of `ContextSwitchCosts`; 0 = none (the default).
  public var footprintBytes: Int64 = 0
  /// Warm-up, in cycles, added to a vCPU of this domain when it starts on a pCPU whose last vCPU
  /// belonged to another domain with a peer warm-up too: a switch between two tasks of one kind
  /// (the netns platforms' trafgen processes sharing a CPU), after which the incoming one refills
  /// what the other evicted. Charged on top of the host's `warmupCycles`; 0 = none (the default).
  public var peerWarmupCycles: Int64 = 0

  /// A domain; defaults: 1 vCPU, weight 256, no cap, no affinity restriction, no reservation.
  public init(
    name: String, kind: DomainKind = .guest, vcpus: Int = 1, weight: Int = 256, cap: Int = 0,
    affinity: [Int]? = nil, reservation: Int = 0
  ) {
    self.name = name
    self.kind = kind
    self.vcpus = vcpus
    self.weight = weight
    self.cap = cap
    self.affinity = affinity
    self.reservation = reservation
  }
}

/// The scheduler families: the one enum the scenario layer, the CLI and reports name them by.
public enum SchedulerKind: String, Sendable, Codable, CaseIterable {
  /// Xen credit1.
  case credit
  /// Xen credit2.
  case credit2
  /// Linux CFS shares and quota.
  case cfs
  /// Linux EEVDF (6.6 and later): eligibility, virtual deadlines, slice protection.
  case eevdf
  /// VMware ESX proportional shares.
  case vmware
  /// No scheduler (native: one vCPU per pCPU).
  case none
}

/// Which scheduler shares the pCPUs among vCPUs, with its options.
public enum SchedulerConfig: Sendable, Equatable {
  /// Xen credit1 (xen/common/sched_credit.c), see `CreditScheduler`.
  case credit(CreditOptions)
  /// Xen credit2 (xen/common/sched_credit2.c), see `Credit2Scheduler`.
  case credit2(Credit2Options)
  /// Linux CFS with cgroup shares and bandwidth quota, see `FairShareScheduler`.
  case cfs(CFSOptions)
  /// Linux EEVDF (kernel/sched/fair.c from 6.6 on), see `EEVDFScheduler`.
  case eevdf(EEVDFOptions)
  /// VMware ESX proportional shares with reservation and limit, see `FairShareScheduler`.
  case vmware(VMwareOptions)
  /// No scheduler: every vCPU is bound to one pCPU and runs until it blocks (native).
  case none

  /// The scheduler's family.
  public var kind: SchedulerKind {
    switch self {
    case .credit: .credit
    case .credit2: .credit2
    case .cfs: .cfs
    case .eevdf: .eevdf
    case .vmware: .vmware
    case .none: .none
    }
  }

  /// The scheduler's name as used on the command line and in reports.
  public var name: String { kind.rawValue }

  /// Names accepted by `init?(name:)`.
  public static let names = SchedulerKind.allCases.map(\.rawValue)

  /// The scheduler of family `kind` with default options.
  public init(kind: SchedulerKind) {
    switch kind {
    case .credit: self = .credit(CreditOptions())
    case .credit2: self = .credit2(Credit2Options())
    case .cfs: self = .cfs(CFSOptions())
    case .eevdf: self = .eevdf(EEVDFOptions())
    case .vmware: self = .vmware(VMwareOptions())
    case .none: self = .none
    }
  }

  /// The scheduler called `name` with default options, or nil for an unknown name.
  public init?(name: String) {
    guard let kind = SchedulerKind(rawValue: name) else { return nil }
    self.init(kind: kind)
  }
}

/// Options of the Xen credit1 scheduler. Defaults are Xen 4.0's (the origin paper's Sec. VI).
public struct CreditOptions: Sendable, Equatable, Codable {
  /// Which Xen release's charging and accounting rules to follow.
  public enum Version: String, Sendable, Codable, CaseIterable {
    /// Xen 3.2: the vCPU running at a tick pays 100 credits (sampling); accounting runs inside
    /// the master pCPU's tick every third tick; idle pCPUs re-schedule every 30 ms.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    case v3_2 = "3.2"
    /// Xen 4.0: exact charging (`burn_credits`, 10 credits per ms run, at every schedule and
    /// tick); accounting on its own 30 ms timer; idle pCPUs have no slice timer.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    case v4_0 = "4.0"
    /// Xen 4.1: 4.0 plus the three changes of 4.1
    /// that alter schedules (docs/credit-versions.md 4.1-a/b/c): a vCPU leaving the active list
    /// keeps half its credit instead of 0 (c92d5f4e0f); weights count per active vCPU
    /// (3a37d430ce); a wake onto a busy pCPU tickles one idler, round-robin from the waking
    /// pCPU's cursor, instead of all (e4434634c4, `tickle_one_idle_cpu` default on).
    // swift-format-ignore: AlwaysUseLowerCamelCase
    case v4_1 = "4.1"
    /// Xen 4.2: 4.1's schedules plus the rate limit (`ratelimit`, 1 ms unless set).
    // swift-format-ignore: AlwaysUseLowerCamelCase
    case v4_2 = "4.2"
    /// Xen 4.3 to 4.17: 4.1 plus the `__runq_tickle` rework (ebce2d836c, 4.3-a): a waker onto
    /// a busy pCPU goes to one idler in its affinity and never preempts while such an idler
    /// exists; it preempts (higher priority) only when no pCPU is idle, or none in its affinity.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    case v4_3 = "4.3"

    /// Whether the version has the rate limit (4.2 and later).
    public var hasRatelimit: Bool { self == .v4_2 || self == .v4_3 }
  }
  /// Charging/accounting variant, default `.v4_0`.
  public var version: Version
  /// Time slice; also the accounting period, with a tick of a third of it (Xen 4.2
  /// `sched_credit_tslice_ms`). 1 ms ... 1 s, default 30 ms (the only value before 4.2).
  public var tslice: SimDuration
  /// Xen 4.2+ rate limit (`sched_ratelimit_us`): a vCPU that has run less than this keeps its
  /// pCPU at a schedule event. nil = off (Xen 3.2-4.1 behaviour). 100 us ... 500 ms, clamped to
  /// `tslice`; Xen's default when on is `defaultRatelimit` (1 ms).
  public var ratelimit: SimDuration?
  /// Whether a vCPU waking in UNDER gets BOOST priority (always true in Xen; false is a what-if).
  public var boost: Bool

  /// Xen's default rate limit, 1 ms (`SCHED_DEFAULT_RATELIMIT_US`).
  public static let defaultRatelimit = SimDuration.ms(1)

  /// Options; see each property for its default.
  public init(
    version: Version = .v4_0, tslice: SimDuration = .ms(30), ratelimit: SimDuration? = nil, boost: Bool = true
  ) {
    self.version = version
    self.tslice = tslice
    self.ratelimit = ratelimit
    self.boost = boost
  }
}

/// Options of the Xen credit2 scheduler. Defaults follow Xen 4.12 (sched_credit2.c).
public struct Credit2Options: Sendable, Equatable, Codable {
  /// Credit given at each reset (`CSCHED2_CREDIT_INIT`), default 10 ms.
  public var creditInit: SimDuration
  /// Shortest slice (`CSCHED2_MIN_TIMER`), default 500 us.
  public var minTimer: SimDuration
  /// Longest slice (`CSCHED2_MAX_TIMER`): 2 ms in Xen 4.2-4.7, 10 ms from 4.8; default 10 ms.
  public var maxTimer: SimDuration
  /// Credit kept above `creditInit` at a reset (`CSCHED2_CARRYOVER_MAX`), default 500 us.
  public var carryoverMax: SimDuration
  /// Credit margin a waking vCPU needs to preempt a running one (`CSCHED2_MIGRATE_RESIST`), 500 us.
  public var migrateResist: SimDuration

  /// Options; see each property for its default.
  public init(
    creditInit: SimDuration = .ms(10), minTimer: SimDuration = .us(500), maxTimer: SimDuration = .ms(10),
    carryoverMax: SimDuration = .us(500), migrateResist: SimDuration = .us(500)
  ) {
    self.creditInit = creditInit
    self.minTimer = minTimer
    self.maxTimer = maxTimer
    self.carryoverMax = carryoverMax
    self.migrateResist = migrateResist
  }
}

/// Options of the Linux CFS model (kernel/sched/fair.c defaults).
public struct CFSOptions: Sendable, Equatable, Codable {
  /// Targeted scheduling latency (`sysctl_sched_latency`), default 6 ms, multiplied by
  /// 1 + log2(min(cpus, 8)) as the kernel does (`SCHED_TUNABLESCALING_LOG`).
  public var latency: SimDuration
  /// Smallest slice (`sysctl_sched_min_granularity`), default 0.75 ms (scaled like `latency`).
  public var minGranularity: SimDuration
  /// Wake-up preemption granularity (`sysctl_sched_wakeup_granularity`), default 1 ms (scaled).
  public var wakeupGranularity: SimDuration
  /// Bandwidth period (`cpu.cfs_period_us`), default 100 ms. A domain's `cap` (percent of one
  /// pCPU) becomes the quota `cap / 100 x period` for the whole domain.
  public var period: SimDuration

  /// Options; see each property for its default.
  public init(
    latency: SimDuration = .ms(6), minGranularity: SimDuration = .us(750),
    wakeupGranularity: SimDuration = .ms(1), period: SimDuration = .ms(100)
  ) {
    self.latency = latency
    self.minGranularity = minGranularity
    self.wakeupGranularity = wakeupGranularity
    self.period = period
  }
}

/// Options of the Linux EEVDF model (kernel/sched/fair.c and features.h of Linux 6.6 to 6.18;
/// docs/eevdf.md).
public struct EEVDFOptions: Sendable, Equatable, Codable {
  /// Requested slice of every task (`sysctl_sched_base_slice`, normalized), default 0.75 ms,
  /// multiplied by 1 + log2(min(cpus, 8)) as the kernel does (`SCHED_TUNABLESCALING_LOG`):
  /// 1.5 ms on 2 CPUs.
  public var baseSlice: SimDuration
  /// Scheduler tick (1 / CONFIG_HZ), default 4 ms (HZ = 250). Without a high-resolution tick
  /// (the `HRTICK` feature is off by default) a slice's end is noticed at the next tick or
  /// wake-up on the CPU, not when it happens.
  public var tick: SimDuration
  /// `RUN_TO_PARITY` (on by default): a picked task keeps its CPU against wake-ups until its
  /// protected slice is used up.
  public var runToParity: Bool
  /// `DELAY_DEQUEUE` with `DELAY_ZERO` (on by default): a task that blocks while not eligible
  /// stays queued until it is picked or woken, and its positive lag is then dropped.
  public var delayDequeue: Bool
  /// Bandwidth period (`cpu.cfs_period_us`), default 100 ms. A domain's `cap` (percent of one
  /// pCPU) becomes the quota `cap / 100 x period` for the whole domain.
  public var period: SimDuration

  /// Options; see each property for its default.
  public init(
    baseSlice: SimDuration = .us(750), tick: SimDuration = .ms(4), runToParity: Bool = true,
    delayDequeue: Bool = true, period: SimDuration = .ms(100)
  ) {
    self.baseSlice = baseSlice
    self.tick = tick
    self.runToParity = runToParity
    self.delayDequeue = delayDequeue
    self.period = period
  }

  /// The slice every task requests on a host of `cpus` pCPUs: `baseSlice` x (1 + log2(min(cpus,
  /// 8))), rounded down, as the kernel scales its tunables (`get_update_sysctl_factor`).
  public func scaledSlice(cpus: Int) -> SimDuration {
    let factor = 1 + (Int.bitWidth - 1 - min(max(cpus, 1), 8).leadingZeroBitCount)
    return SimDuration(nanoseconds: baseSlice.nanoseconds * Int64(factor))
  }
}

/// Options of the VMware ESX proportional-share model.
public struct VMwareOptions: Sendable, Equatable, Codable {
  /// Scheduling quantum, default 50 ms (ESX's documented default quantum) [lit].
  public var quantum: SimDuration
  /// Window over which reservations and limits (`cap`) are enforced, default 100 ms.
  public var period: SimDuration
  /// Virtual-time credit a waking vCPU may keep below the least runnable one, default 0 (none).
  public var wakeBonus: SimDuration

  /// Options; see each property for its default.
  public init(quantum: SimDuration = .ms(50), period: SimDuration = .ms(100), wakeBonus: SimDuration = .zero)
  {
    self.quantum = quantum
    self.period = period
    self.wakeBonus = wakeBonus
  }
}
