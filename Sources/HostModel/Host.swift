import SimCore

/// A host: physical CPUs, the domains and vCPUs sharing them, and the scheduler that decides
/// which vCPU runs where (docs/DESIGN.md, "The life of a scheduling decision").
///
/// How it runs: each pCPU executes its current vCPU's head work item; the item's remaining
/// time (its cycles at the host clock) survives preemption. A pCPU has one pending "segment"
/// event (the end of the item, or the end of a context switch before a new item begins) and
/// one slice timer; both are cancelled in O(1) when the scheduler changes its mind. Wake-ups
/// tickle pCPUs through a deferred "schedule softirq" event at the same instant, coalesced per
/// pCPU as Xen's SCHEDULE_SOFTIRQ bit is, so a decision never runs inside a model callback.
///
/// Context switches: switching a pCPU to a vCPU of another domain costs
/// `ContextSwitchCosts.crossDomainCycles` on the pCPU (during which the incoming vCPU is
/// `running` but makes no progress) and adds `warmupCycles` to the incoming vCPU's next work;
/// a switch within a domain costs `sameDomainCycles`; going idle and coming back to the vCPU
/// that ran last costs no switch (Xen's lazy context switch), only the exit from idle
/// (`idleExitCycles`, as every switch from idle). The costs that grow with the number of
/// domains (working-set refill, scheduler time per decision, IPI latency) and the exit from
/// idle are described on `ContextSwitchCosts`; each is off at 0 and then costs one branch. A domain with a peer
/// warm-up (`DomainConfig.peerWarmupCycles`) also gets it after a cross-domain switch from
/// another domain that has one.
///
/// Usage: create, `addDomain` for each domain, `start()`, then let workloads `submit` work.
///
/// - Complexity: a scheduling decision is O(run-queue length) for credit and O(vCPUs) for the
///   fair-share schedulers; nothing is allocated per decision or per work item once warm.
public final class Host: EventHandler {
  /// The simulation it lives in (which keeps the host alive: a host must not outlive it).
  public unowned(unsafe) let sim: Simulation
  /// The host configuration.
  public let config: HostConfig
  /// The scheduler configuration.
  public let schedulerConfig: SchedulerConfig
  /// Domains in the order they were added.
  public private(set) var domains: [Domain] = []
  /// All vCPUs, indexed by `VCPU.id`.
  public private(set) var allVCPUs: [VCPU] = []

  /// vCPUs by id, unretained (`allVCPUs` keeps them alive): no reference counting on the hot path.
  var vcpus = VCPUTable()
  var pcpus: PodArray<PCPU>
  /// The scheduler, unretained on the hot path (`schedulerOwner` keeps it alive).
  unowned(unsafe) var scheduler: any VCPUScheduler = NoScheduler.placeholder
  /// The credit scheduler when it is the scheduler: called directly (no dynamic dispatch, no
  /// reference counting; `schedulerOwner` keeps it alive).
  var credit: Unmanaged<CreditScheduler>? = nil
  /// `sim`, for calls without reference counting (the simulation outlives the host).
  let simRef: Unmanaged<Simulation>
  var schedulerOwner: (any VCPUScheduler)?
  var handler = HandlerID(index: 0)
  var started = false
  let crossNs: Int64
  let sameNs: Int64
  let warmupNs: Int64
  /// Scheduler time per decision, ns (0 = off).
  let decisionNs: Int64
  /// Delay of a tickle to a pCPU other than the waker's, ns (0 = instant).
  let ipiNs: Int64
  /// A pCPU's time leaving idle before the vCPU it switches to progresses, ns (0 = off).
  let idleExitNs: Int64
  /// Whether the working-set refill is on (a refill cost and a domain with a footprint).
  var workingSet = false
  /// Per domain (working-set refill): footprint in bytes, running vCPUs, and when its last
  /// running vCPU stopped (ns; `Int64.min` = never ran).
  var footprint: [Int64] = []
  var runningCount: [Int] = []
  var lastOff: [Int64] = []
  /// Per domain: its peer warm-up (`DomainConfig.peerWarmupCycles`), ns (0 = none).
  var peerWarmup: [Int64] = []
  /// The pCPU whose work (a work item's begin or finish) is being executed, or -1 outside
  /// any pCPU's work (device interrupts, timers): the pCPU a wake-up comes from.
  var wakingPCPU = -1
  let nsPerCycle: Double
  var statsStart: Int64 = 0
  var decisions: UInt64 = 0
  var traceLines: [String]?

  /// The host's own event codes; scheduler timers are offset by `schedulerBase`.
  enum EventCode: UInt32 {
    /// A pCPU's current work segment ends.
    case segment = 0
    /// A pCPU's slice timer fires.
    case slice = 1
    /// A pCPU re-decides after a softirq-style wake-up.
    case softirq = 2
    /// First code of the scheduler's own timers (`SchedulerTimer.rawValue` is added).
    case schedulerBase = 16
  }
  static let codeSegment = EventCode.segment.rawValue
  static let codeSlice = EventCode.slice.rawValue
  static let codeSoftirq = EventCode.softirq.rawValue
  static let codeSchedulerBase = EventCode.schedulerBase.rawValue

  /// Creates a host in `sim`. Preconditions (programmer errors): 1 ... 64 pCPUs, a positive
  /// clock, non-negative switch costs.
  public init(sim: Simulation, config: HostConfig, scheduler: SchedulerConfig) {
    precondition((1...64).contains(config.cpus), "a host has 1 ... 64 pCPUs, not \(config.cpus)")
    precondition(config.clockGHz > 0 && config.clockGHz.isFinite, "clock \(config.clockGHz) GHz must be > 0")
    let cs = config.contextSwitch
    precondition(
      cs.crossDomainCycles >= 0 && cs.warmupCycles >= 0 && cs.sameDomainCycles >= 0,
      "context-switch costs must be >= 0 cycles")
    self.sim = sim
    simRef = .passUnretained(sim)
    self.config = config
    self.schedulerConfig = scheduler
    nsPerCycle = 1 / config.clockGHz
    pcpus = PodArray(repeating: PCPU(), count: config.cpus)
    crossNs = Self.ns(cycles: cs.crossDomainCycles, nsPerCycle: 1 / config.clockGHz)
    sameNs = Self.ns(cycles: cs.sameDomainCycles, nsPerCycle: 1 / config.clockGHz)
    warmupNs = Self.ns(cycles: cs.warmupCycles, nsPerCycle: 1 / config.clockGHz)
    precondition(
      cs.cacheBytes > 0 && cs.refillCyclesPerByte >= 0 && cs.refillCyclesPerByte.isFinite
        && cs.decisionCycles >= 0 && cs.ipiLatencyNs >= 0 && cs.idleExitCycles >= 0,
      "cache must be > 0 bytes; refill, decision, IPI and idle-exit costs must be >= 0")
    decisionNs = Self.ns(cycles: cs.decisionCycles, nsPerCycle: 1 / config.clockGHz)
    ipiNs = cs.ipiLatencyNs
    idleExitNs = Self.ns(cycles: cs.idleExitCycles, nsPerCycle: 1 / config.clockGHz)
    handler = sim.register(self)
    let owner: any VCPUScheduler
    switch scheduler {
    case .credit(let o):
      let c = CreditScheduler(host: self, options: o)
      credit = .passUnretained(c)
      owner = c
    case .credit2(let o): owner = Credit2Scheduler(host: self, options: o)
    case .cfs(let o): owner = FairShareScheduler(host: self, cfs: o)
    case .eevdf(let o): owner = EEVDFScheduler(host: self, options: o)
    case .vmware(let o): owner = FairShareScheduler(host: self, vmware: o)
    case .none: owner = DedicatedScheduler(host: self)
    }
    schedulerOwner = owner
    self.scheduler = owner
    statsStart = sim.now.nanoseconds
  }

  deinit {
    pcpus.deallocate()
    vcpus.deallocate()
  }

  /// Adds a domain with its vCPUs (all blocked, no work). Call before `start()`.
  /// Preconditions: unique name, vcpus >= 1, weight 1 ... 65535, cap >= 0, affinity indices valid.
  @discardableResult
  public func addDomain(_ config: DomainConfig) -> Domain {
    precondition(!started, "add domains before Host.start()")
    precondition(!domains.contains { $0.name == config.name }, "domain name '\(config.name)' is taken")
    precondition(config.vcpus >= 1, "domain '\(config.name)' needs >= 1 vCPU")
    precondition((1...65535).contains(config.weight), "weight \(config.weight) is outside 1 ... 65535")
    precondition(config.cap >= 0 && config.reservation >= 0, "cap and reservation must be >= 0")
    var mask: UInt64 = 0
    if let aff = config.affinity {
      for c in aff {
        precondition(c >= 0 && c < self.config.cpus, "affinity pCPU \(c) does not exist")
        mask |= 1 << UInt64(c)
      }
      precondition(mask != 0, "affinity of '\(config.name)' is empty")
    } else {
      mask = self.config.cpus == 64 ? ~0 : (1 << UInt64(self.config.cpus)) - 1
    }
    precondition(config.footprintBytes >= 0, "footprint of '\(config.name)' must be >= 0 bytes")
    precondition(config.peerWarmupCycles >= 0, "peer warm-up of '\(config.name)' must be >= 0 cycles")
    let d = Domain(config: config, index: domains.count)
    domains.append(d)
    footprint.append(config.footprintBytes)
    runningCount.append(0)
    lastOff.append(.min)
    peerWarmup.append(Self.ns(cycles: config.peerWarmupCycles, nsPerCycle: 1 / self.config.clockGHz))
    if config.footprintBytes > 0 && self.config.contextSwitch.refillCyclesPerByte > 0 { workingSet = true }
    for i in 0..<config.vcpus {
      let v = VCPU(domain: d, index: i, id: vcpus.count, host: self, affinityMask: mask)
      v.stateSince = sim.now.nanoseconds
      d.vcpus.append(v)
      vcpus.append(v)
      allVCPUs.append(v)
      scheduler.vcpuAdded(v)
    }
    return d
  }

  /// Arms the scheduler's ticks and accounting timers. Call once, after adding the domains.
  public func start() {
    precondition(!started, "Host.start() called twice")
    started = true
    scheduler.start(now: sim.now.nanoseconds)
  }

  /// `cycles` at the host clock as a duration (rounded to the nearest ns).
  public func duration(cycles: Int64) -> SimDuration {
    SimDuration(nanoseconds: Self.ns(cycles: cycles, nsPerCycle: nsPerCycle))
  }

  @inline(__always) static func ns(cycles: Int64, nsPerCycle: Double) -> Int64 {
    Int64((Double(cycles) * nsPerCycle).rounded())
  }

  /// Number of scheduling decisions taken since the last statistics reset.
  public var schedulingDecisions: UInt64 { decisions }

  /// Seconds pCPU `p` spent leaving idle (`ContextSwitchCosts.idleExitCycles`) since the
  /// statistics window began: part of its busy time, in no vCPU's (an exit under way at the
  /// window's start or end counts whole in the window it began in).
  public func idleExitSeconds(pcpu p: Int) -> Double { Double(pcpus[p].idleExitNs) * 1e-9 }

  // MARK: - Services for schedulers

  /// The vCPU id running on pCPU `p`, or -1 when it is idle.
  @inline(__always) func current(_ p: Int) -> Int { pcpus[p].current }

  /// Raises the schedule softirq on pCPU `p`: it re-schedules at the current instant, once
  /// however many times it is raised before it runs.
  /// Whether pCPU `p` has a re-scheduling pending (tickled, not yet decided).
  @inline(__always) func softirqPending(_ p: Int) -> Bool { pcpus[p].softirqEvent != nil }

  /// With an IPI latency, a pCPU other than the waking one (`wakingPCPU`) is reached after
  /// it; an earlier pending softirq is kept, a later one is brought forward.
  @inline(__always) func raiseSoftirq(_ p: Int) {
    if ipiNs > 0 && wakingPCPU >= 0 && p != wakingPCPU {
      raiseSoftirq(p, after: ipiNs)
      return
    }
    if let e = pcpus[p].softirqEvent {
      guard ipiNs > 0 && pcpus[p].softirqTime > nowNs else { return }
      cancelEvent(e)
    }
    pcpus[p].softirqEvent = post(after: 0, code: Self.codeSoftirq, arg: UInt64(p))
    pcpus[p].softirqTime = nowNs
  }

  /// Raises the schedule softirq on pCPU `p` `after` ns from now (an IPI).
  func raiseSoftirq(_ p: Int, after: Int64) {
    let at = nowNs &+ after
    if let e = pcpus[p].softirqEvent {
      if pcpus[p].softirqTime <= at { return }
      cancelEvent(e)
    }
    if traceLines != nil {
      traceLines!.append("\(nowNs),\(p),ipi,-1,,from pCPU \(wakingPCPU) arriving in \(after) ns")
    }
    pcpus[p].softirqEvent = post(after: after, code: Self.codeSoftirq, arg: UInt64(p))
    pcpus[p].softirqTime = at
  }

  /// Arms a scheduler timer `after` ns from now.
  @inline(__always) @discardableResult
  func armTimer(after: Int64, code: UInt32, arg: UInt64) -> EventID {
    post(after: after, code: Self.codeSchedulerBase + code, arg: arg)
  }

  /// Schedules one of the host's events `after` ns from now (without retaining the simulation).
  @inline(__always) func post(after: Int64, code: UInt32, arg: UInt64) -> EventID {
    let h = handler
    return simRef._withUnsafeGuaranteedRef { $0.schedule(after: .ns(after), to: h, code: code, arg: arg) }
  }

  /// Schedules one of the host's events at `time` ns (without retaining the simulation).
  @inline(__always) func post(at time: Int64, code: UInt32, arg: UInt64) -> EventID {
    let h = handler
    return simRef._withUnsafeGuaranteedRef {
      $0.schedule(at: SimTime(nanoseconds: time), to: h, code: code, arg: arg)
    }
  }

  /// Cancels a pending event (without retaining the simulation).
  @inline(__always) func cancelEvent(_ e: EventID) {
    simRef._withUnsafeGuaranteedRef { _ = $0.cancel(e) }
  }

  /// The current time in ns (without retaining the simulation).
  @inline(__always) var nowNs: Int64 { simRef._withUnsafeGuaranteedRef { $0.now.nanoseconds } }

  /// Pauses a vCPU (parks it). The scheduler must already have removed it from its queues.
  func park(_ v: VCPU) {
    guard !v.paused else { return }
    v.paused = true
    let now = sim.now.nanoseconds
    traceEvent(now, v.pcpu, "park", v, "")
    if v.pcpu >= 0 {
      raiseSoftirq(v.pcpu)
    } else {
      v.setState(.parked, at: now)
    }
  }

  /// Unpauses a parked vCPU; if it has work it goes through the scheduler's wake path.
  func unpark(_ v: VCPU) {
    guard v.paused else { return }
    v.paused = false
    let now = sim.now.nanoseconds
    traceEvent(now, v.pcpu, "unpark", v, "")
    guard v.pcpu < 0 else { return }
    if v.ringCount > 0 {
      v.setState(.runnable, at: now)
      v.wokeAt = now
      schedulerWake(v, now: now)
    } else {
      v.setState(.blocked, at: now)
    }
  }

  /// Counts a BOOST (or other priority) wake-up of `v`.
  @inline(__always) func noteBoost(_ v: VCPU) {
    v.boostWakeups &+= 1
    if traceLines != nil { traceEvent(nowNs, -1, "boost", v, "") }
  }

  // MARK: - Work and wake-ups

  /// `submit` to a vCPU that is not on a pCPU and had no work.
  func wake(_ v: VCPU) {
    let now = nowNs
    v.wakeups &+= 1
    if traceLines != nil { traceEvent(now, -1, "wake", v, "") }
    if v.paused { return }
    v.setState(.runnable, at: now)
    v.wokeAt = now
    schedulerWake(v, now: now)
  }

  @inline(__always) func schedulerWake(_ v: VCPU, now: Int64) {
    if let c = credit {
      c._withUnsafeGuaranteedRef { $0.wake(v, now: now) }
    } else {
      scheduler.wake(v, now: now)
    }
  }

  /// Handles the host's own events: segment ends, slice timers, softirqs, scheduler timers.
  public func handle(_ event: Event, in sim: Simulation) {
    let p = Int(truncatingIfNeeded: event.arg)
    switch event.code {
    case Self.codeSegment:
      pcpus[p].segmentEvent = nil
      segmentEnd(p, now: event.time.nanoseconds)
    case Self.codeSlice:
      pcpus[p].sliceEvent = nil
      let now = event.time.nanoseconds
      let deadline = pcpus[p].sliceDeadline
      if deadline < 0 { return }
      if deadline <= now {
        reschedule(p, now: now)
      } else {
        armSlice(p, at: deadline)
      }
    case Self.codeSoftirq:
      pcpus[p].softirqEvent = nil
      reschedule(p, now: event.time.nanoseconds)
    default:
      if let c = credit {
        c._withUnsafeGuaranteedRef {
          $0.timer(code: event.code - Self.codeSchedulerBase, arg: event.arg, now: event.time.nanoseconds)
        }
        return
      }
      scheduler.timer(code: event.code - Self.codeSchedulerBase, arg: event.arg, now: event.time.nanoseconds)
    }
  }

  func segmentEnd(_ p: Int, now: Int64) {
    vcpus.with(pcpus[p].current) { segmentEnd(p, $0, now: now) }
  }

  @inline(__always) func segmentEnd(_ p: Int, _ v: VCPU, now: Int64) {
    if pcpus[p].phase == .starting {
      beginItem(p, v, now: now)
      return
    }
    // The head item is complete.
    v.usefulNs &+= v.itemRemaining
    v.warmupNs &+= v.warmupRemaining
    v.itemRemaining = 0
    v.warmupRemaining = 0
    pcpus[p].execStart = now
    let item = v.popItem()
    v.completed &+= 1
    let time = SimTime(nanoseconds: now)
    wakingPCPU = p
    item.client._withUnsafeGuaranteedRef {
      $0.client.finishWork(tag: item.tag, arg: item.arg, on: v, at: time)
    }
    wakingPCPU = -1
    if v.ringCount > 0 {
      beginItem(p, v, now: now)
    } else {
      if traceLines != nil { traceEvent(now, p, "block", v, "") }
      reschedule(p, now: now)
    }
  }

  @inline(__always) func beginItem(_ p: Int, _ v: VCPU, now: Int64) {
    pcpus[p].phase = .executing
    pcpus[p].execStart = now
    v.itemStarted = true
    let item = v.ring[v.ringHead]
    let time = SimTime(nanoseconds: now)
    let outer = wakingPCPU
    wakingPCPU = p
    let cycles = item.client._withUnsafeGuaranteedRef {
      $0.client.beginWork(tag: item.tag, arg: item.arg, on: v, at: time)
    }
    wakingPCPU = outer
    precondition(cycles >= 0, "beginWork returned a negative cost (\(cycles) cycles)")
    // Most clients give a vCPU items of one cost: reuse the last conversion (same value).
    if cycles != v.lastItemCycles {
      v.lastItemCycles = cycles
      v.lastItemNs = Self.ns(cycles: cycles, nsPerCycle: nsPerCycle)
    }
    v.itemRemaining = v.lastItemNs
    pcpus[p].segmentEvent = post(
      after: v.warmupRemaining &+ v.itemRemaining, code: Self.codeSegment, arg: UInt64(p))
  }

  /// Arms pCPU `p`'s slice timer at `deadline`, replacing a pending one.
  @inline(__always) func armSlice(_ p: Int, at deadline: Int64) {
    if let e = pcpus[p].sliceEvent { cancelEvent(e) }
    pcpus[p].sliceEvent = post(at: deadline, code: Self.codeSlice, arg: UInt64(p))
    pcpus[p].sliceEventTime = deadline
  }

  /// Brings the running vCPU's progress on pCPU `p` up to `now` (warm-up is executed first).
  @inline(__always) func syncProgress(_ p: Int, now: Int64) {
    guard pcpus[p].phase == .executing, now > pcpus[p].execStart else { return }
    vcpus.with(pcpus[p].current) { syncProgress(p, $0, now: now) }
  }

  @inline(__always) func syncProgress(_ p: Int, _ v: VCPU, now: Int64) {
    let elapsed = now &- pcpus[p].execStart
    let w = min(elapsed, v.warmupRemaining)
    v.warmupRemaining &-= w
    v.warmupNs &+= w
    let rest = elapsed &- w
    v.itemRemaining &-= rest
    v.usefulNs &+= rest
    pcpus[p].execStart = now
  }

  /// Runs the scheduler for pCPU `p` and carries out its decision.
  func reschedule(_ p: Int, now: Int64) {
    if let e = pcpus[p].softirqEvent {
      cancelEvent(e)
      pcpus[p].softirqEvent = nil
    }
    let cur = pcpus[p].current
    let d: SchedDecision
    if let c = credit {
      d = c._withUnsafeGuaranteedRef { $0.schedule(pcpu: p, now: now) }
    } else {
      d = scheduler.schedule(pcpu: p, now: now)
    }
    decisions &+= 1
    if decisionNs > 0 && d.vcpu >= 0 && d.vcpu == cur { chargeDecision(p, now: now) }
    if d.slice >= 0 {
      let deadline = now &+ d.slice
      pcpus[p].sliceDeadline = deadline
      // Lazy slice timer: a pending timer that fires no later than the new deadline is kept
      // (when it fires early it re-arms itself), so most decisions touch no event.
      if pcpus[p].sliceEvent == nil || pcpus[p].sliceEventTime > deadline { armSlice(p, at: deadline) }
    } else {
      pcpus[p].sliceDeadline = -1
    }
    if d.vcpu == cur { return }
    if cur >= 0 { vcpus.with(cur) { switchOut(p, $0, now: now) } }
    if d.vcpu < 0 {
      pcpus[p].current = -1
      pcpus[p].phase = .idle
      pcpus[p].busyNs &+= now &- pcpus[p].busySince
      if traceLines != nil { traceSwitch(now, p, cur, -1) }
      return
    }
    if cur < 0 { pcpus[p].busySince = now }
    vcpus.with(d.vcpu) { switchIn(p, $0, from: cur, now: now) }
  }

  /// The scheduler's time for a decision that kept the running vCPU: its work on pCPU `p`
  /// ends `decisionNs` later (counted as its warm-up, or as switch time while one is paid).
  func chargeDecision(_ p: Int, now: Int64) {
    guard let e = pcpus[p].segmentEvent else { return }
    cancelEvent(e)
    if pcpus[p].phase == .starting {
      pcpus[p].execStart &+= decisionNs
      pcpus[p].switchEnd &+= decisionNs
      pcpus[p].switchNs &+= decisionNs
      pcpus[p].segmentEvent = post(at: pcpus[p].execStart, code: Self.codeSegment, arg: UInt64(p))
      return
    }
    vcpus.with(pcpus[p].current) { v in
      if now > pcpus[p].execStart { syncProgress(p, v, now: now) }
      v.warmupRemaining &+= decisionNs
      pcpus[p].segmentEvent = post(
        at: pcpus[p].execStart &+ v.warmupRemaining &+ v.itemRemaining, code: Self.codeSegment, arg: UInt64(p)
      )
    }
  }

  /// Working-set refill of a vCPU of domain `d` starting to run at `now`: ns of refilling
  /// what the other domains' footprints evicted since `d` last ran (`ContextSwitchCosts`).
  func refillNs(domain d: Int) -> Int64 {
    guard runningCount[d] == 0, footprint[d] > 0 else { return 0 }
    let since = lastOff[d]
    var others: Int64 = 0
    for e in footprint.indices where e != d && (runningCount[e] > 0 || lastOff[e] > since) {
      others &+= footprint[e]
    }
    let evicted = ContextSwitchCosts.evictedBytes(
      footprint: footprint[d], others: others, cache: config.contextSwitch.cacheBytes)
    return Self.ns(
      cycles: Int64((Double(evicted) * config.contextSwitch.refillCyclesPerByte).rounded()),
      nsPerCycle: nsPerCycle)
  }

  /// Takes the running vCPU `v` off pCPU `p` at `now`.
  @inline(__always) func switchOut(_ p: Int, _ v: VCPU, now: Int64) {
    if pcpus[p].phase == .executing && now > pcpus[p].execStart { syncProgress(p, v, now: now) }
    if let e = pcpus[p].segmentEvent {
      cancelEvent(e)
      pcpus[p].segmentEvent = nil
    }
    if now < pcpus[p].switchEnd {
      pcpus[p].switchNs &-= pcpus[p].switchEnd &- now
      pcpus[p].switchEnd = now
    }
    v.pcpu = -1
    if workingSet {
      runningCount[v.domainIndex] -= 1
      if runningCount[v.domainIndex] == 0 { lastOff[v.domainIndex] = now }
    }
    v.setState(v.paused ? .parked : (v.ringCount > 0 ? .runnable : .blocked), at: now)
  }

  /// Puts `v` on pCPU `p` (which ran vCPU `cur`, or was idle) at `now`.
  @inline(__always) func switchIn(_ p: Int, _ v: VCPU, from cur: Int, now: Int64) {
    precondition(v.pcpu < 0 && v.isRunnable, "scheduler picked vCPU \(v.id), which cannot run")
    if traceLines != nil { traceSwitch(now, p, cur, v.id) }
    v.pcpu = p
    v.setState(.running, at: now)
    v.runningSince = now
    v.switchesIn &+= 1
    if v.wokeAt >= 0 {
      let wait = SimDuration.ns(now &- v.wokeAt)
      v.domainRef._withUnsafeGuaranteedRef { $0.latency.record(wait) }
      v.wokeAt = -1
    }
    var cost: Int64 = decisionNs
    if cur < 0 && idleExitNs > 0 {
      cost &+= idleExitNs
      v.idleExitNs &+= idleExitNs
      pcpus[p].idleExitNs &+= idleExitNs
    }
    if workingSet {
      v.warmupRemaining &+= refillNs(domain: v.domainIndex)
      runningCount[v.domainIndex] += 1
    }
    if pcpus[p].lastVCPU != v.id {
      pcpus[p].switches &+= 1
      if pcpus[p].lastDomain == v.domainIndex {
        cost &+= sameNs
      } else {
        cost &+= crossNs
        v.warmupRemaining &+= warmupNs
        let last = pcpus[p].lastDomain
        if last >= 0 && peerWarmup[last] > 0 { v.warmupRemaining &+= peerWarmup[v.domainIndex] }
      }
      pcpus[p].lastVCPU = v.id
      pcpus[p].lastDomain = v.domainIndex
    }
    pcpus[p].current = v.id
    pcpus[p].switchNs &+= cost
    pcpus[p].switchEnd = now &+ cost
    let start = now &+ cost
    if v.itemStarted {
      pcpus[p].phase = .executing
      pcpus[p].execStart = start
      pcpus[p].segmentEvent = post(
        at: start &+ v.warmupRemaining &+ v.itemRemaining, code: Self.codeSegment, arg: UInt64(p))
    } else if cost > 0 {
      pcpus[p].phase = .starting
      pcpus[p].execStart = start
      pcpus[p].segmentEvent = post(at: start, code: Self.codeSegment, arg: UInt64(p))
    } else {
      beginItem(p, v, now: now)
    }
  }
}
