import SimCore

/// Xen's credit scheduler (credit1), after xen/common/sched_credit.c at 3.2.0, 4.0.1, 4.1.0 and
/// 4.3.0, with the 4.2 rate limit; the rules are those of docs/xen-scheduler-and-netback-notes.md
/// (read from Xen's source), section numbers below refer to it; what each `version` carries is
/// in docs/credit-versions.md, section 4.
///
/// Versions 4.1 and 4.3 change three rules (marked "4.1:" and "4.3:" below): credit halving at
/// active-list exit, per-vCPU weights, one-idler tickling (4.1) and the tickle rework (4.3).
///
/// - Priorities BOOST 0 > UNDER -1 > OVER -2 > IDLE -64; one run queue per pCPU, by priority,
///   FIFO within a priority (`__runq_insert`, §6.3). The idle vCPU is the implicit queue tail.
/// - Tick every tslice/3 (10 ms) per pCPU (`csched_tick`, §2): the running vCPU loses BOOST,
///   is charged (3.2: a flat 100 credits; 4.0: `burn_credits`, 10 credits per ms with the
///   remainder carried), and joins its domain's active list if it was not on it. Ticks never
///   preempt. The pCPU's run queue is re-sorted once per accounting epoch (`csched_runq_sort`).
/// - Accounting every tslice (30 ms) on pCPU 0 (`csched_acct`, §3): pool 300 x pCPUs (+ the
///   previous negative balance) shared among active domains by weight (per domain, as in
///   3.2/4.0), peak and surplus redistribution, caps with parking, OVER/UNDER, floor -300,
///   and credit > 300 leaves the active list with credit reset to 0 (the <= 4.0 rule; 4.1:
///   halved). 4.1: the weight counts once per active vCPU (total weight, fair share and peak
///   scale with the domain's active vCPU count).
/// - Wake (`csched_vcpu_wake`, §4): UNDER and not parked -> BOOST; insert; tickle the vCPU's
///   pCPU if the waker has strictly higher priority than what runs there, and all idle pCPUs if
///   that pCPU is busy, masked by affinity (3.2/4.0 `__runq_tickle`). 4.1: only one idler, the
///   next after the waking pCPU's cursor (`last_tickle_cpu`, `cycle_cpu`). 4.3: an idle own
///   pCPU is tickled; else with no idler anywhere a higher-priority waker preempts its own
///   pCPU; else one idler in the waker's affinity is tickled and nobody is preempted; when
///   no idler is in its affinity a higher-priority waker preempts its own pCPU (Xen also
///   marks the preempted vCPU to migrate; here it is requeued on its pCPU, a departure that
///   only matters with pinning).
/// - Schedule (`csched_schedule`, §5): charge (4.0), optional 4.2 rate-limit rule (keep the
///   current vCPU, slice = the full rate limit: the 4.2-4.7 rule), requeue the current vCPU if
///   runnable, take the head; if it is OVER or IDLE, steal the first vCPU of strictly higher
///   priority from the busy peers in cyclic order (`csched_load_balance`), affinity allowed.
///   Slice: tslice; idle gets no timer in 4.0 and a tslice in 3.2.
///
/// Departures from Xen, all small: ticks of all pCPUs are aligned (Xen's per-pCPU timers only
/// differ by boot skew); the tick's `csched_cpu_pick` migration hint (§2 step 2d) is not
/// modelled, so a running vCPU only moves by being stolen; run-queue locks never fail
/// (no `trylock` misses); `vcpu_migration_delay` is 0 (Xen's default), so nothing is cache-hot.
///
/// Where docs/platform-facts.md is coarser, the notes are followed: BOOST is also lost at accounting
/// for vCPUs on the active list (not only at a tick), the cap is per vCPU, and a vCPU that is
/// not on the active list keeps UNDER (hence BOOST on wake) however negative its 4.0 credit.
final class CreditScheduler: VCPUScheduler {
  static let boost: Int8 = 0
  static let under: Int8 = -1
  static let over: Int8 = -2
  static let idle: Int8 = -64

  unowned(unsafe) let host: Host
  /// `host` for calls without reference counting (the host owns the scheduler).
  let hostRef: Unmanaged<Host>
  /// The host's pCPU table (fixed size, owned and freed by the host).
  let hostPCPUs: PodArray<PCPU>
  let options: CreditOptions
  let exact: Bool
  let tsliceNs: Int64
  let tickNs: Int64
  let ticksPerAcct: Int
  let creditsPerTslice: Int
  let creditsPerTick: Int
  let ratelimitNs: Int64
  let ncpu: Int
  /// 4.1+: credit halved (not reset) at active-list exit.
  let halveAtExit: Bool
  /// 4.1+: weights count once per active vCPU.
  let perVCPUWeight: Bool
  /// 4.1+: tickle one idler (round-robin), not all.
  let tickleOneIdler: Bool
  /// 4.3+: the `__runq_tickle` rework.
  let tickleRework: Bool

  // Per vCPU (indexed by VCPU.id).
  var credit = PodArray<Int>()
  var pri = PodArray<Int8>()
  var parked = PodArray<Bool>()
  var active = PodArray<Bool>()
  var startTime = PodArray<Int64>()
  var processor = PodArray<Int>()
  var onRunq = PodArray<Bool>()
  var next = PodArray<Int32>()
  var prev = PodArray<Int32>()
  var affinity = PodArray<UInt64>()
  var domainOf = PodArray<Int>()
  var vcpuRef = PodArray<Unmanaged<VCPU>>()
  // Per pCPU.
  var runqHead: PodArray<Int32>
  var runqTail: PodArray<Int32>
  var lastSort: PodArray<Int>
  var ticks: PodArray<Int>
  /// 4.1+ `last_tickle_cpu`, per waking pCPU.
  var lastTickle: PodArray<Int>
  var idlers: UInt64
  // Per domain.
  var domWeight: [Int] = []
  var domCap: [Int] = []
  var domActiveCount: [Int] = []
  var domVCPUs: [[Int]] = []
  var activeDomains: [Int] = []
  var scratch: [Int] = []
  var weightTotal = 0
  var creditBalance = 0
  var sortEpoch = 0
  var accountingPasses = 0

  init(host: Host, options: CreditOptions) {
    precondition(
      CreditOptions.tsliceRange.contains(options.tslice),
      "credit tslice \(options.tslice) is outside \(CreditOptions.tsliceRange)")
    if let r = options.ratelimit {
      precondition(
        CreditOptions.ratelimitRange.contains(r), "credit ratelimit \(r) is outside its declared range")
    }
    self.host = host
    hostRef = .passUnretained(host)
    hostPCPUs = host.pcpus
    self.options = options
    exact = options.version != .v3_2
    let since41 = [.v4_1, .v4_2, .v4_3].contains(options.version)
    halveAtExit = since41
    perVCPUWeight = since41
    tickleOneIdler = since41
    tickleRework = options.version == .v4_3
    tsliceNs = options.tslice.nanoseconds
    let ticksPerTslice = tsliceNs < 3_000_000 ? 1 : 3
    tickNs = tsliceNs / Int64(ticksPerTslice)
    ticksPerAcct = ticksPerTslice
    creditsPerTslice = Int(tsliceNs / 100_000)  // 10 credits per ms
    creditsPerTick = creditsPerTslice / ticksPerTslice
    ratelimitNs = options.ratelimit.map { min($0.nanoseconds, options.tslice.nanoseconds) } ?? 0
    ncpu = host.config.cpus
    runqHead = PodArray(repeating: -1, count: ncpu)
    runqTail = PodArray(repeating: -1, count: ncpu)
    lastSort = PodArray(repeating: 0, count: ncpu)
    ticks = PodArray(repeating: 0, count: ncpu)
    lastTickle = PodArray(repeating: 0, count: ncpu)
    idlers = ncpu == 64 ? ~0 : (1 << UInt64(ncpu)) - 1
  }

  deinit {
    credit.deallocate()
    pri.deallocate()
    parked.deallocate()
    active.deallocate()
    startTime.deallocate()
    processor.deallocate()
    onRunq.deallocate()
    next.deallocate()
    prev.deallocate()
    affinity.deallocate()
    domainOf.deallocate()
    vcpuRef.deallocate()
    runqHead.deallocate()
    runqTail.deallocate()
    lastSort.deallocate()
    ticks.deallocate()
    lastTickle.deallocate()
  }

  func vcpuAdded(_ v: VCPU) {
    let d = v.domain.index
    if d == domWeight.count {
      domWeight.append(v.domain.config.weight)
      domCap.append(v.domain.config.cap)
      domActiveCount.append(0)
      domVCPUs.append([])
      activeDomains.reserveCapacity(d + 1)
      scratch.reserveCapacity(d + 1)
    }
    domVCPUs[d].append(v.id)
    credit.append(0)
    pri.append(Self.under)
    parked.append(false)
    active.append(false)
    startTime.append(0)
    processor.append(Self.initialProcessor(v, ncpu: ncpu))
    onRunq.append(false)
    next.append(-1)
    prev.append(-1)
    affinity.append(v.affinityMask)
    domainOf.append(d)
    vcpuRef.append(.passUnretained(v))
  }

  /// Xen places vCPU k of a new domain round-robin over the allowed pCPUs; here vCPU id g goes
  /// to the (g mod n)-th allowed pCPU.
  static func initialProcessor(_ v: VCPU, ncpu: Int) -> Int {
    let allowed = (0..<ncpu).filter { v.affinityMask & (1 << UInt64($0)) != 0 }
    return allowed[v.id % allowed.count]
  }

  /// The ticks of all pCPUs are aligned, so one event runs them in pCPU order: the same
  /// order, at the same instants, as one timer per pCPU armed in pCPU order (a tick only ever
  /// schedules events at the current instant or its own next tick, so nothing can come
  /// between the per-pCPU ticks of one instant).
  func start(now: Int64) {
    host.armTimer(after: tickNs, code: Timer.tick.rawValue, arg: 0)
    if exact { host.armTimer(after: tsliceNs, code: Timer.accounting.rawValue, arg: 0) }
  }

  /// The credit scheduler's timers.
  enum Timer: UInt32 {
    /// `csched_tick`, every tslice / 3 for all pCPUs.
    case tick = 0
    /// `csched_acct`, every tslice (4.0; 3.2 accounts inside the master's tick).
    case accounting = 1
  }

  func timer(code: UInt32, arg: UInt64, now: Int64) {
    if code == Timer.tick.rawValue {
      for p in 0..<ncpu { tick(p, now: now) }
      _ = hostRef._withUnsafeGuaranteedRef { $0.armTimer(after: tickNs, code: Timer.tick.rawValue, arg: 0) }
    } else {
      account(now: now)
      host.armTimer(after: tsliceNs, code: Timer.accounting.rawValue, arg: 0)
    }
  }

  func reportFigures() -> [String: Double] {
    [
      "accountingPasses": Double(accountingPasses), "activeDomains": Double(activeDomains.count),
      "weightTotal": Double(weightTotal),
    ]
  }

  /// The vCPU id running on pCPU `p`, or -1 (`Host.current`).
  @inline(__always) func current(_ p: Int) -> Int { hostPCPUs[p].current }

  // MARK: Run queues

  /// `__runq_insert`: after every entry of equal or higher priority.
  @inline(__always) func runqInsert(_ p: Int, _ i: Int) {
    let ip = pri[i]
    var e = runqHead[p]
    while e >= 0 && pri[Int(e)] >= ip { e = next[Int(e)] }
    let i32 = Int32(i)
    if e < 0 {
      prev[i] = runqTail[p]
      next[i] = -1
      if runqTail[p] >= 0 { next[Int(runqTail[p])] = i32 } else { runqHead[p] = i32 }
      runqTail[p] = i32
    } else {
      let pe = prev[Int(e)]
      prev[i] = pe
      next[i] = e
      prev[Int(e)] = i32
      if pe >= 0 { next[Int(pe)] = i32 } else { runqHead[p] = i32 }
    }
    onRunq[i] = true
    processor[i] = p
  }

  @inline(__always) func runqRemove(_ i: Int) {
    let p = processor[i]
    let n = next[i]
    let pv = prev[i]
    if pv >= 0 { next[Int(pv)] = n } else { runqHead[p] = n }
    if n >= 0 { prev[Int(n)] = pv } else { runqTail[p] = pv }
    next[i] = -1
    prev[i] = -1
    onRunq[i] = false
  }

  /// `csched_runq_sort`: UNDER and BOOST entries move ahead of the others, order kept.
  func runqSort(_ p: Int) {
    guard lastSort[p] != sortEpoch else { return }
    lastSort[p] = sortEpoch
    var lastUnder: Int32 = -1
    var e = runqHead[p]
    while e >= 0 {
      let n = next[Int(e)]
      if pri[Int(e)] >= Self.under {
        if prev[Int(e)] != lastUnder {
          runqRemove(Int(e))
          // insert after lastUnder (or at the head)
          let i = Int(e)
          let after = lastUnder >= 0 ? next[Int(lastUnder)] : runqHead[p]
          prev[i] = lastUnder
          next[i] = after
          if lastUnder >= 0 { next[Int(lastUnder)] = e } else { runqHead[p] = e }
          if after >= 0 { prev[Int(after)] = e } else { runqTail[p] = e }
          onRunq[i] = true
        }
        lastUnder = e
      }
      e = n
    }
  }

  // MARK: Charging

  /// `burn_credits` (4.0): round-half-up 0.1 ms units; the remainder carries over.
  @inline(__always) func burn(_ i: Int, now: Int64) {
    let delta = now &- startTime[i]
    guard delta > 0 else { return }
    let credits = (delta &* 10 &+ 500_000) / 1_000_000
    credit[i] -= Int(credits)
    startTime[i] &+= credits &* 100_000
  }

  /// `__csched_vcpu_acct_start`: joins the domain's active list (head of `active_sdom`).
  func acctStart(_ i: Int) {
    active[i] = true
    let d = domainOf[i]
    domActiveCount[d] += 1
    if domActiveCount[d] == 1 { activeDomains.insert(d, at: 0) }
    // 4.1 "make weight per-vcpu": the weight joins once per active vCPU.
    if domActiveCount[d] == 1 || perVCPUWeight { weightTotal += domWeight[d] }
  }

  /// `__csched_vcpu_acct_stop_locked`.
  func acctStop(_ i: Int) {
    active[i] = false
    let d = domainOf[i]
    domActiveCount[d] -= 1
    if domActiveCount[d] == 0, let k = activeDomains.firstIndex(of: d) { activeDomains.remove(at: k) }
    if domActiveCount[d] == 0 || perVCPUWeight { weightTotal -= domWeight[d] }
  }

  // MARK: Scheduler operations

  func wake(_ v: VCPU, now: Int64) {
    let i = v.id
    guard v.pcpu < 0, !onRunq[i] else { return }
    if pri[i] == Self.under && !parked[i] && options.boost { pri[i] = Self.boost }
    if pri[i] == Self.boost { hostRef._withUnsafeGuaranteedRef { $0.noteBoost(v) } }
    let p = processor[i]
    runqInsert(p, i)
    tickle(p, i)
  }

  /// `__runq_tickle` (3.2/4.0; 4.1 one idler; 4.3 rework).
  @inline(__always) func tickle(_ p: Int, _ i: Int) {
    let cur = current(p)
    let curPri = cur >= 0 ? pri[cur] : Self.idle
    var mask: UInt64 = 0
    if tickleRework {
      mask = tickle43(p, i, curPri)
    } else {
      if pri[i] > curPri { mask |= 1 << UInt64(p) }
      if curPri > Self.idle {
        let idle = idlers & affinity[i]
        if tickleOneIdler {
          if idle != 0 { mask |= 1 << UInt64(nextTickled(idle)) }
        } else {
          mask |= idle
        }
      }
      mask &= affinity[i]
    }
    while mask != 0 {
      let q = mask.trailingZeroBitCount
      mask &= mask &- 1
      hostRef._withUnsafeGuaranteedRef { $0.raiseSoftirq(q) }
    }
  }

  /// 4.3 `__runq_tickle`: the pCPUs to tickle for vCPU `i` woken onto pCPU `p`.
  func tickle43(_ p: Int, _ i: Int, _ curPri: Int8) -> UInt64 {
    if curPri == Self.idle || (idlers == 0 && pri[i] > curPri) { return 1 << UInt64(p) }
    guard idlers != 0 else { return 0 }
    let idle = idlers & affinity[i]
    if idle != 0 { return 1 << UInt64(nextTickled(idle)) }
    return pri[i] > curPri ? 1 << UInt64(p) : 0
  }

  /// `cycle_cpu(this_cpu(last_tickle_cpu), idle)` (4.1+): the first pCPU of `idle` after the
  /// waking pCPU's cursor, wrapping; the cursor moves there. The waking pCPU is the one whose
  /// work caused the wake; wakes from outside any pCPU's work (device interrupts, timers) use
  /// pCPU 0's cursor (Xen routes physical interrupts to pCPU 0 by default).
  @inline(__always) func nextTickled(_ idle: UInt64) -> Int {
    let w = max(0, hostRef._withUnsafeGuaranteedRef { $0.wakingPCPU })
    let last = lastTickle[w]
    let above = last >= 63 ? 0 : idle & ~((2 << UInt64(last)) &- 1)
    let q = above != 0 ? above.trailingZeroBitCount : idle.trailingZeroBitCount
    lastTickle[w] = q
    return q
  }

  func tick(_ p: Int, now: Int64) {
    ticks[p] += 1
    let cur = current(p)
    if cur >= 0 {
      // csched_vcpu_acct
      if pri[cur] == Self.boost { pri[cur] = Self.under }
      if exact { burn(cur, now: now) } else { credit[cur] -= creditsPerTick }
      if !active[cur] { acctStart(cur) }
    }
    if !exact && p == 0 && ticks[p] % ticksPerAcct == 0 { account(now: now) }
    runqSort(p)
  }

  func schedule(pcpu p: Int, now: Int64) -> SchedDecision {
    let cur = current(p)
    if cur >= 0 {
      if exact {
        burn(cur, now: now)
        startTime[cur] &-= now
      }
      let runnable = vcpuRef[cur]._withUnsafeGuaranteedRef { $0.isRunnable }
      if ratelimitNs > 0 && runnable
        && now &- vcpuRef[cur]._withUnsafeGuaranteedRef({ $0.runningSince }) < ratelimitNs
      {
        if exact { startTime[cur] &+= now }
        return SchedDecision(vcpu: cur, slice: ratelimitNs)
      }
      if runnable { runqInsert(p, cur) }
    }
    var snext = Int(runqHead[p])
    let snextPri = snext >= 0 ? pri[snext] : Self.idle
    if snextPri > Self.over {
      runqRemove(snext)
    } else {
      let stolen = loadBalance(p, snextPri)
      if stolen >= 0 {
        snext = stolen
      } else if snext >= 0 {
        runqRemove(snext)
      }
    }
    let bit: UInt64 = 1 << UInt64(p)
    if snext < 0 {
      idlers |= bit
      return SchedDecision(vcpu: -1, slice: exact ? -1 : tsliceNs)
    }
    idlers &= ~bit
    if exact { startTime[snext] &+= now }
    return SchedDecision(vcpu: snext, slice: tsliceNs)
  }

  /// `csched_load_balance` + `csched_runq_steal`: busy peers in cyclic order; the first
  /// queued vCPU of strictly higher priority than `minPri` allowed to run on `p`.
  @inline(__always) func loadBalance(_ p: Int, _ minPri: Int8) -> Int {
    var k = 1
    while k < ncpu {
      var q = p + k
      if q >= ncpu { q -= ncpu }
      k += 1
      if idlers & (1 << UInt64(q)) != 0 || current(q) < 0 { continue }
      var e = runqHead[q]
      while e >= 0 {
        let i = Int(e)
        if pri[i] <= minPri { break }
        if affinity[i] & (1 << UInt64(p)) != 0 {
          runqRemove(i)
          processor[i] = p
          return i
        }
        e = next[i]
      }
    }
    return -1
  }

  /// `csched_acct` (3.2/4.0), step numbers of notes §3.
  func account(now: Int64) {
    accountingPasses += 1
    let weightTotal = self.weightTotal
    var creditTotal = creditsPerTslice * ncpu
    let previousBalance = creditBalance
    if previousBalance < 0 { creditTotal += -previousBalance }
    guard weightTotal > 0 else {
      creditBalance = 0
      return
    }
    var weightLeft = weightTotal
    var balance = 0
    var extra = false
    scratch.removeAll(keepingCapacity: true)
    scratch.append(contentsOf: activeDomains)
    for d in scratch {
      let count = domActiveCount[d]
      guard count > 0 else { continue }
      // 4.1: the domain's weight times its active vCPUs in every share term.
      let w = perVCPUWeight ? domWeight[d] * count : domWeight[d]
      weightLeft -= w
      var peak = count * creditsPerTslice
      if previousBalance < 0 { peak += ceilDiv(-previousBalance * w, weightTotal) }
      var capPerVCPU = 0
      if domCap[d] != 0 {
        let capCredits = ceilDiv(domCap[d] * creditsPerTslice, 100)
        if capCredits < peak { peak = capCredits }
        capPerVCPU = ceilDiv(capCredits, count)
      }
      var fair = ceilDiv(creditTotal * w, weightTotal)
      if fair < peak {
        extra = true
      } else {
        if weightLeft != 0 { creditTotal += ceilDiv((fair - peak) * weightTotal, weightLeft) }
        if extra, let k = activeDomains.firstIndex(of: d) {
          activeDomains.remove(at: k)
          activeDomains.insert(d, at: 0)
        }
        fair = peak
      }
      fair = ceilDiv(fair, count)
      for i in domVCPUs[d] where active[i] {
        credit[i] += fair
        if credit[i] < 0 {
          pri[i] = Self.over
          if domCap[d] != 0 && credit[i] < -capPerVCPU && !parked[i] {
            parked[i] = true
            if onRunq[i] { runqRemove(i) }
            host.park(host.vcpus[i])
          }
          if credit[i] < -creditsPerTslice { credit[i] = -creditsPerTslice }
        } else {
          pri[i] = Self.under
          if parked[i] {
            host.unpark(host.vcpus[i])  // the wake still sees PARKED: no BOOST
            parked[i] = false
          }
          if credit[i] > creditsPerTslice {
            acctStop(i)
            credit[i] = halveAtExit ? credit[i] / 2 : 0
          }
        }
        balance += credit[i]
      }
    }
    creditBalance = balance
    sortEpoch += 1
  }
}
