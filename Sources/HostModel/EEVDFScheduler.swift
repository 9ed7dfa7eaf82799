import SimCore

/// Linux's EEVDF fair scheduler (kernel/sched/fair.c from 6.6 on; the rules followed are those
/// of 6.18, the testbed's kernel), one run queue per pCPU. The facts and their sources are in
/// docs/eevdf.md; here is what the model does with them.
///
/// Every vCPU is an entity with a weight (the domain's weight x 4, 256 = nice 0 = 1024, divided
/// among its vCPUs), a virtual runtime v that grows by `ran x 1024 / weight`, a virtual
/// deadline and a lag. A run queue's average V is the weighted mean of the v of every entity on
/// it (the running one and the delayed ones included). An entity is eligible when v <= V.
///
/// - Pick (`pick_eevdf`): the running entity while its slice is protected (`RUN_TO_PARITY`:
///   until v reaches the `vprot` set when it was picked, its deadline then); else the eligible
///   entity with the earliest deadline (the running one wins only when strictly earlier).
/// - Slice (`update_deadline`): when v reaches the deadline, deadline = v + slice x 1024 / w
///   and the CPU re-picks. The slice is `baseSlice` x (1 + log2(min(cpus, 8))).
/// - Noticing: the running entity is charged (`update_curr`) at the tick (`tick`) and at a
///   wake-up on its CPU; a slice's end is acted on at the first of these after it (no HRTICK),
///   never between. A tick re-picks only when the running entity's deadline was reached or its
///   protection is over.
/// - Sleep (`dequeue_entity`): a blocking entity's lag V - v is kept, clamped to
///   +-max(2 slices, 1 tick) x 1024 / w; with `delayDequeue` an entity that blocks while not
///   eligible stays queued (it weighs in V) until it is picked, then leaves with its lag
///   clipped to <= 0 (`DELAY_ZERO`); woken meanwhile, it stays with a positive lag dropped to 0.
/// - Wake (`place_entity` with `PLACE_LAG`): v = V - lag x (W + w) / W, where W is the queue's
///   weight before it joins (no lag on an empty queue); deadline = v + slice x 1024 / w. Then
///   (`check_preempt_wakeup_fair`) the running entity is charged and the CPU re-picks when its
///   slice ran out or when the pick, protection included, is the woken entity.
/// - Bandwidth: a domain with `cap` c gets c/100 x `period` per period, as in the CFS model.
///
/// Departures from Linux: group scheduling is flattened to per-vCPU weights; a vCPU allowed on
/// several pCPUs is placed at wake-up on its last pCPU if idle, else on an idle allowed one,
/// else on its last allowed one, and an idle pCPU pulls a waiting one (no periodic balancing
/// between busy pCPUs); a preemption happens at the instant it is decided (the kernel's
/// PREEMPT_NONE waits for the return to user space); no custom slices, so `PREEMPT_SHORT`
/// never applies; `NEXT_BUDDY` is off in Linux and not modelled.
final class EEVDFScheduler: VCPUScheduler {
  unowned(unsafe) let host: Host
  let ncpu: Int
  /// The scaled base slice and the tick, ns.
  let sliceNs: Int64
  /// The base slice before scaling (`normalized_sysctl_sched_base_slice`), ns.
  let normalizedNs: Int64
  let tickNs: Int64
  let runToParity: Bool
  let delayDequeue: Bool
  let periodNs: Int64

  // Per entity (vCPU id).
  var vruntime: [Int64] = []
  var deadline: [Int64] = []
  var vprot: [Int64] = []
  var vlag: [Int64] = []
  var weight: [Int64] = []
  var lastUpdate: [Int64] = []
  var affinity: [UInt64] = []
  var domainOf: [Int] = []
  /// The pCPU whose run queue holds it (or held it last), -1 before its first wake-up.
  var home: [Int] = []
  /// Its place in `members[home]`, -1 when not on a run queue.
  var slot: [Int] = []
  /// Queued while blocked (`DELAY_DEQUEUE`).
  var delayed: [Bool] = []
  /// Enqueue order: ties of deadline go to the earlier one, as in the kernel's tree.
  var seq: [UInt64] = []
  var nextSeq: UInt64 = 0

  /// Per pCPU: every entity on its run queue (running, waiting and delayed), and its last
  /// average (the queue's V when it was last non-empty).
  var members: [[Int]]
  var lastV: [Int64]
  /// Per pCPU: a re-pick was asked for (`resched_curr`) and not yet made.
  var needResched: [Bool]

  // Per domain bandwidth.
  var quota: [Int64] = []
  var used: [Int64] = []
  var throttled: [Bool] = []
  var domVCPUs: [[Int]] = []
  var throttles = 0
  var preemptions = 0
  var delayedDequeues = 0

  init(host: Host, options o: EEVDFOptions) {
    self.host = host
    ncpu = host.config.cpus
    sliceNs = o.scaledSlice(cpus: ncpu).nanoseconds
    normalizedNs = o.baseSlice.nanoseconds
    tickNs = o.tick.nanoseconds
    runToParity = o.runToParity
    delayDequeue = o.delayDequeue
    periodNs = o.period.nanoseconds
    precondition(sliceNs > 0 && tickNs > 0 && periodNs > 0, "eevdf slice, tick and period must be > 0")
    members = Array(repeating: [], count: ncpu)
    lastV = Array(repeating: 0, count: ncpu)
    needResched = Array(repeating: false, count: ncpu)
  }

  func vcpuAdded(_ v: VCPU) {
    let d = v.domain.index
    if d == quota.count {
      quota.append(Int64(v.domain.config.cap) * periodNs / 100)
      used.append(0)
      throttled.append(false)
      domVCPUs.append([])
    }
    domVCPUs[d].append(v.id)
    vruntime.append(0)
    deadline.append(0)
    vprot.append(0)
    vlag.append(0)
    weight.append(max(2, Int64(v.domain.config.weight) * 4 / Int64(v.domain.config.vcpus)))
    lastUpdate.append(0)
    affinity.append(v.affinityMask)
    domainOf.append(d)
    home.append(-1)
    slot.append(-1)
    delayed.append(false)
    seq.append(0)
  }

  func start(now: Int64) {
    if quota.contains(where: { $0 > 0 }) {
      host.armTimer(after: periodNs, code: Timer.period.rawValue, arg: 0)
    }
  }

  func reportFigures() -> [String: Double] {
    [
      "throttles": Double(throttles), "wakeup_preemptions": Double(preemptions),
      "delayed_dequeues": Double(delayedDequeues),
    ]
  }

  /// The eevdf scheduler's timers.
  enum Timer: UInt32 {
    /// Bandwidth period refresh (`cfs_period_us`).
    case period = 0
  }

  // MARK: - Run-queue arithmetic

  /// `slice` of entity `i` in its virtual time.
  @inline(__always) func vslice(_ i: Int) -> Int64 { sliceNs &* 1024 / weight[i] }

  /// The weighted sum of (v - base) and the total weight of pCPU `p`'s queue, with its base.
  @inline(__always) func sums(_ p: Int) -> (num: Int64, load: Int64, base: Int64) {
    let m = members[p]
    guard let first = m.first else { return (0, 0, lastV[p]) }
    let base = vruntime[first]
    var num: Int64 = 0
    var load: Int64 = 0
    for i in m {
      num &+= (vruntime[i] &- base) &* weight[i]
      load &+= weight[i]
    }
    return (num, load, base)
  }

  /// The queue's average V (`avg_vruntime`), rounded down; its last value when empty.
  func average(_ p: Int) -> Int64 {
    let s = sums(p)
    guard s.load > 0 else { return lastV[p] }
    var q = s.num / s.load
    if s.num < 0 && q * s.load != s.num { q -= 1 }
    lastV[p] = s.base &+ q
    return lastV[p]
  }

  /// Whether virtual runtime `v` is eligible on pCPU `p`'s queue: (v - base) x W <= sum.
  @inline(__always) func eligible(_ v: Int64, on p: Int) -> Bool {
    let s = sums(p)
    return s.load == 0 || (v &- s.base) &* s.load <= s.num
  }

  /// Charges the running entity of pCPU `p` up to `now` (`update_curr`). Returns true when
  /// the CPU must re-pick: its deadline was reached (and renewed), or its protection is over,
  /// while another entity is queued.
  @discardableResult
  func updateCurr(_ p: Int, now: Int64) -> Bool {
    let c = host.current(p)
    guard c >= 0, home[c] == p, slot[c] >= 0 else { return false }
    let delta = now &- lastUpdate[c]
    var expired = false
    if delta > 0 {
      vruntime[c] &+= delta &* 1024 / weight[c]
      used[domainOf[c]] &+= delta
      lastUpdate[c] = now
    }
    if vruntime[c] >= deadline[c] {
      deadline[c] = vruntime[c] &+ vslice(c)
      expired = true
    }
    if members[p].count <= 1 { return false }
    return expired || vruntime[c] >= vprot[c]
  }

  @inline(__always) func join(_ i: Int, _ p: Int) {
    home[i] = p
    slot[i] = members[p].count
    members[p].append(i)
    seq[i] = nextSeq
    nextSeq &+= 1
  }

  @inline(__always) func leave(_ i: Int) {
    let p = home[i]
    let k = slot[i]
    let last = members[p].removeLast()
    if last != i {
      members[p][k] = last
      slot[last] = k
    }
    slot[i] = -1
    delayed[i] = false
  }

  /// Lag kept by an entity leaving pCPU `p`'s queue: V - v, clamped (`update_entity_lag`).
  func keepLag(_ i: Int, _ p: Int) {
    let limit = max(2 &* sliceNs, tickNs) &* 1024 / weight[i]
    vlag[i] = min(max(average(p) &- vruntime[i], -limit), limit)
  }

  /// Puts a waking entity on pCPU `p`'s queue with its lag (`place_entity`, `PLACE_LAG`).
  func place(_ i: Int, on p: Int) {
    let s = sums(p)
    let v = average(p)
    var lag: Int64 = 0
    if s.load > 0 && vlag[i] != 0 {
      lag = vlag[i] &* (s.load &+ weight[i]) / s.load
    }
    vruntime[i] = v &- lag
    deadline[i] = vruntime[i] &+ vslice(i)
    join(i, p)
  }

  /// Whether deadline of `a` is before `b`'s (ties: the earlier enqueued).
  @inline(__always) func before(_ a: Int, _ b: Int) -> Bool {
    deadline[a] < deadline[b] || (deadline[a] == deadline[b] && seq[a] < seq[b])
  }

  /// The entity pCPU `p` should run (`pick_eevdf`), or -1 when its queue is empty. The running
  /// entity counts only while it is runnable (or delayed) and eligible; `protect` keeps it
  /// while its slice is protected.
  func pick(_ p: Int, protect: Bool) -> Int {
    let m = members[p]
    if m.isEmpty { return -1 }
    if m.count == 1 { return m[0] }
    let s = sums(p)
    func isEligible(_ i: Int) -> Bool { (vruntime[i] &- s.base) &* s.load <= s.num }
    var curr = host.current(p)
    if curr >= 0 && (home[curr] != p || slot[curr] < 0 || !isEligible(curr)) { curr = -1 }
    if curr >= 0 && protect && runToParity && vruntime[curr] < vprot[curr] { return curr }
    var best = -1
    for i in m where i != host.current(p) && isEligible(i) {
      if best < 0 || before(i, best) { best = i }
    }
    if best < 0 || (curr >= 0 && deadline[curr] < deadline[best]) { best = curr }
    if best < 0 {
      // rounding can leave no entity at or below V: the earliest deadline
      for i in m where best < 0 || before(i, best) { best = i }
    }
    return best
  }

  /// Sets the protected slice of entity `i` picked on pCPU `p` (`set_protect_slice`): its
  /// deadline, or less when a queued entity asks for a shorter slice (never, without custom
  /// slices) or when run to parity is off (the normalized base slice).
  func protectSlice(_ i: Int) {
    if runToParity {
      vprot[i] = deadline[i]
    } else {
      vprot[i] = min(deadline[i], vruntime[i] &+ normalizedNs &* 1024 / weight[i])
    }
  }

  // MARK: - Bandwidth

  func timer(code: UInt32, arg: UInt64, now: Int64) {
    for p in 0..<ncpu { updateCurr(p, now: now) }
    for d in 0..<used.count {
      used[d] = 0
      if throttled[d] {
        throttled[d] = false
        for i in domVCPUs[d] { host.unpark(host.vcpus[i]) }
      }
    }
    host.armTimer(after: periodNs, code: Timer.period.rawValue, arg: 0)
  }

  func throttle(_ d: Int) {
    throttled[d] = true
    throttles += 1
    for i in domVCPUs[d] {
      if slot[i] >= 0 && host.vcpus[i].pcpu < 0 {
        keepLag(i, home[i])
        leave(i)
      }
      host.park(host.vcpus[i])
    }
  }

  // MARK: - Wake-ups

  /// The pCPU a waking entity is queued on: its last one while it is idle, else an idle
  /// allowed one, else its last allowed one.
  func target(_ i: Int) -> Int {
    let mask = affinity[i]
    let last = home[i]
    if mask & (mask &- 1) == 0 { return mask.trailingZeroBitCount }
    if last >= 0 && mask & (1 << UInt64(last)) != 0 && host.current(last) < 0 && members[last].isEmpty {
      return last
    }
    for q in 0..<ncpu where mask & (1 << UInt64(q)) != 0 && host.current(q) < 0 && members[q].isEmpty {
      return q
    }
    if last >= 0 && mask & (1 << UInt64(last)) != 0 { return last }
    return mask.trailingZeroBitCount
  }

  func wake(_ v: VCPU, now: Int64) {
    let i = v.id
    guard v.pcpu < 0 else { return }
    let p: Int
    if slot[i] >= 0 {
      // delayed: requeued where it is, a positive lag dropped (DELAY_ZERO)
      p = home[i]
      guard delayed[i] else { return }
      let resched = updateCurr(p, now: now)
      delayed[i] = false
      keepLag(i, p)
      if vlag[i] > 0 {
        leave(i)
        vlag[i] = 0
        place(i, on: p)
      }
      check(i, on: p, resched: resched)
      return
    }
    p = target(i)
    let resched = updateCurr(p, now: now)
    place(i, on: p)
    check(i, on: p, resched: resched)
  }

  /// Decides whether entity `i`, just queued (or woken while queued) on pCPU `p`, makes `p`
  /// re-pick (`check_preempt_wakeup_fair`).
  func check(_ i: Int, on p: Int, resched: Bool) {
    if host.current(p) < 0 {
      if !host.softirqPending(p) { host.raiseSoftirq(p) }
      return
    }
    if host.softirqPending(p) { return }
    if resched || pick(p, protect: true) == i {
      if !resched { preemptions += 1 }
      needResched[p] = true
      host.raiseSoftirq(p)
    }
  }

  // MARK: - Decisions

  func schedule(pcpu p: Int, now: Int64) -> SchedDecision {
    let cur = host.current(p)
    let asked = needResched[p]
    needResched[p] = false
    if cur >= 0 && slot[cur] >= 0 && home[cur] == p {
      let resched = updateCurr(p, now: now)
      let d = domainOf[cur]
      if quota[d] > 0 && used[d] >= quota[d] && !throttled[d] {
        keepLag(cur, p)
        leave(cur)
        throttle(d)
      } else if !host.vcpus[cur].isRunnable {
        // it blocked: delayed while not eligible, else it leaves with its lag
        if delayDequeue && !host.vcpus[cur].paused && !eligible(vruntime[cur], on: p) {
          delayed[cur] = true
          delayedDequeues += 1
          keepLag(cur, p)
        } else {
          keepLag(cur, p)
          leave(cur)
        }
      } else if !resched && !asked {
        // a tick that finds the slice neither used up nor unprotected: no re-pick
        return SchedDecision(vcpu: cur, slice: timeSlice(cur, on: p, now: now))
      }
    }
    var next = -1
    while true {
      next = pick(p, protect: true)
      guard next >= 0, delayed[next] else { break }
      // a delayed entity picked leaves now, its lag at most 0 (DELAY_ZERO)
      keepLag(next, p)
      if vlag[next] > 0 { vlag[next] = 0 }
      leave(next)
    }
    if next < 0 { next = pull(p, now: now) }
    guard next >= 0 else { return SchedDecision(vcpu: -1, slice: -1) }
    if next != cur {
      lastUpdate[next] = now
      protectSlice(next)
    }
    return SchedDecision(vcpu: next, slice: timeSlice(next, on: p, now: now))
  }

  /// When pCPU `p`, running `next`, must decide again: the next tick, or sooner when the
  /// domain's quota runs out.
  func timeSlice(_ next: Int, on p: Int, now: Int64) -> Int64 {
    var slice = nextTick(now)
    let d = domainOf[next]
    if quota[d] > 0 {
      var running: Int64 = 1
      for q in 0..<ncpu where q != p {
        let c = host.current(q)
        if c >= 0 && domainOf[c] == d {
          updateCurr(q, now: now)
          running += 1
        }
      }
      slice = min(slice, max(1_000, (quota[d] &- used[d]) / running))
    }
    return slice
  }

  /// The time to the next tick: where a slice's end is noticed when no wake-up comes first.
  @inline(__always) func nextTick(_ now: Int64) -> Int64 { (now / tickNs + 1) &* tickNs &- now }

  /// An idle pCPU `p` takes a waiting entity of another queue that may run on it (idle
  /// balancing), or -1.
  func pull(_ p: Int, now: Int64) -> Int {
    guard ncpu > 1 else { return -1 }
    let bit: UInt64 = 1 << UInt64(p)
    for q in 0..<ncpu where q != p {
      for i in members[q] where i != host.current(q) && !delayed[i] && affinity[i] & bit != 0 {
        keepLag(i, q)
        leave(i)
        place(i, on: p)
        return i
      }
    }
    return -1
  }
}
