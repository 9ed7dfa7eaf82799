import SimCore

/// Virtual-time proportional share, in two flavours: Linux CFS (`cfs`) and VMware ESX shares
/// (`vmware`).
///
/// Every vCPU has a virtual runtime that grows by `ran x 1024 / weight`, where the weight is
/// the domain's weight x 4 (so weight 256 = cpu.shares 1024 = nice 0) divided among its vCPUs.
/// A pCPU runs the queued vCPU with the least virtual runtime that may run on it.
///
/// CFS (kernel/sched/fair.c): slice = the vCPU's weighted part of the scheduling period
/// (`latency`, or nr x `minGranularity` when crowded), at least `minGranularity`; latency and
/// granularities are scaled by 1 + log2(min(cpus, 8)); a waking vCPU is placed at
/// max(its vruntime, min_vruntime - latency/2) (GENTLE_FAIR_SLEEPERS) and preempts a running
/// vCPU that is more than `wakeupGranularity` (in the waker's virtual time) ahead; bandwidth
/// control: a domain with `cap` c gets quota c/100 x `period` per period for all its vCPUs
/// together, and is throttled (its vCPUs parked) when it is used up, until the next period.
///
/// VMware: fixed `quantum`; a domain with a reservation that it has not yet received in the
/// current `period` window is served first; `cap` is the limit, enforced like the CFS quota;
/// waking vCPUs get at most `wakeBonus` of virtual-time credit and preempt as in CFS with a
/// 1 ms granularity. [lit: VMware "The CPU Scheduler in VMware vSphere 5.1"; approximate]
///
/// SMP: one global run queue that keeps every pCPU busy while runnable vCPUs exist. A waking
/// vCPU tickles an idle pCPU it may run on that is not already about to decide (as Xen
/// tickles one idler per wake-up), else preempts the pCPU whose current vCPU is furthest
/// ahead; after each decision, idle pCPUs that could run a still-queued vCPU are tickled to
/// pull it (Linux's idle balancing). A single-vCPU domain therefore never exceeds one pCPU and
/// the remaining pCPUs are shared by weight (weights 1:2:4 on 2 pCPUs give 1/3, 2/3 and 1).
///
/// Departure from Linux: one global run queue instead of per-CPU queues with periodic load
/// balancing (the perfectly balanced limit of SMP CFS, without migration costs or balancing
/// delay); group scheduling is flattened to per-vCPU weights.
final class FairShareScheduler: VCPUScheduler {
  unowned(unsafe) let host: Host
  let isCFS: Bool
  let latencyNs: Int64
  let minGranNs: Int64
  let wakeGranNs: Int64
  let periodNs: Int64
  let quantumNs: Int64
  let wakeBonusNs: Int64
  let ncpu: Int
  var vruntime: [Int64] = []
  var weight: [Int64] = []
  var lastUpdate: [Int64] = []
  var queuePos: [Int] = []
  var affinity: [UInt64] = []
  var domainOf: [Int] = []
  var queue: ContiguousArray<Int32> = []
  var minV: Int64 = 0
  var totalRunnableWeight: Int64 = 0
  var runnableCount = 0
  // Per domain bandwidth (quota or limit) and reservation.
  var quota: [Int64] = []
  var reserve: [Int64] = []
  var used: [Int64] = []
  var throttled: [Bool] = []
  var domVCPUs: [[Int]] = []
  var throttles = 0

  init(host: Host, cfs o: CFSOptions) {
    self.host = host
    isCFS = true
    ncpu = host.config.cpus
    let factor = Int64(1 + (Int.bitWidth - 1 - min(ncpu, 8).leadingZeroBitCount))  // 1 + ilog2
    latencyNs = o.latency.nanoseconds * factor
    minGranNs = o.minGranularity.nanoseconds * factor
    wakeGranNs = o.wakeupGranularity.nanoseconds * factor
    periodNs = o.period.nanoseconds
    quantumNs = 0
    wakeBonusNs = latencyNs / 2
    precondition(periodNs > 0 && minGranNs > 0, "cfs period and granularity must be > 0")
  }

  init(host: Host, vmware o: VMwareOptions) {
    self.host = host
    isCFS = false
    ncpu = host.config.cpus
    latencyNs = 0
    minGranNs = 0
    wakeGranNs = 1_000_000
    periodNs = o.period.nanoseconds
    quantumNs = o.quantum.nanoseconds
    wakeBonusNs = o.wakeBonus.nanoseconds
    precondition(periodNs > 0 && quantumNs > 0, "vmware period and quantum must be > 0")
  }

  func vcpuAdded(_ v: VCPU) {
    let d = v.domain.index
    if d == quota.count {
      quota.append(Int64(v.domain.config.cap) * periodNs / 100)
      reserve.append(isCFS ? 0 : Int64(v.domain.config.reservation) * periodNs / 100)
      used.append(0)
      throttled.append(false)
      domVCPUs.append([])
    }
    domVCPUs[d].append(v.id)
    vruntime.append(0)
    weight.append(max(2, Int64(v.domain.config.weight) * 4 / Int64(v.domain.config.vcpus)))
    lastUpdate.append(0)
    queuePos.append(-1)
    affinity.append(v.affinityMask)
    domainOf.append(d)
    queue.reserveCapacity(vruntime.count)
  }

  func start(now: Int64) {
    if quota.contains(where: { $0 > 0 }) || reserve.contains(where: { $0 > 0 }) {
      host.armTimer(after: periodNs, code: Timer.period.rawValue, arg: 0)
    }
  }

  func reportFigures() -> [String: Double] { ["throttles": Double(throttles)] }

  @inline(__always) func enqueue(_ i: Int) {
    queuePos[i] = queue.count
    queue.append(Int32(i))
  }

  @inline(__always) func dequeue(_ i: Int) {
    let k = queuePos[i]
    let last = queue.removeLast()
    if Int(last) != i {
      queue[k] = last
      queuePos[Int(last)] = k
    }
    queuePos[i] = -1
  }

  /// Charges the running vCPU `i` up to `now`.
  @inline(__always) func update(_ i: Int, now: Int64) {
    let delta = now &- lastUpdate[i]
    guard delta > 0 else { return }
    vruntime[i] &+= delta &* 1024 / weight[i]
    used[domainOf[i]] &+= delta
    lastUpdate[i] = now
  }

  /// The fair-share scheduler's timers.
  enum Timer: UInt32 {
    /// Bandwidth period refresh (cfs `cfs_period_us`, vmware's enforcement window).
    case period = 0
  }

  func timer(code: UInt32, arg: UInt64, now: Int64) {
    // Period refresh: charge running vCPUs to the old period, then refill.
    for p in 0..<ncpu {
      let c = host.current(p)
      if c >= 0 { update(c, now: now) }
    }
    for d in 0..<used.count {
      used[d] = 0
      if throttled[d] {
        throttled[d] = false
        for i in domVCPUs[d] { host.unpark(host.vcpus[i]) }
      }
    }
    host.armTimer(after: periodNs, code: Timer.period.rawValue, arg: 0)
    // A new window may change reservation priorities or end a quota clip: re-decide busy pCPUs.
    if reserve.contains(where: { $0 > 0 }) { for p in 0..<ncpu { host.raiseSoftirq(p) } }
  }

  func throttle(_ d: Int) {
    throttled[d] = true
    throttles += 1
    for i in domVCPUs[d] {
      if queuePos[i] >= 0 { dequeue(i) }
      host.park(host.vcpus[i])
    }
  }

  func wake(_ v: VCPU, now: Int64) {
    let i = v.id
    guard v.pcpu < 0, queuePos[i] < 0 else { return }
    let floor = minV &- wakeBonusNs
    if vruntime[i] < floor { vruntime[i] = floor }
    enqueue(i)
    // Wake-up preemption: an idle allowed pCPU not already tickled, else the one whose current
    // is furthest ahead.
    var target = -1
    var worst = Int64.min
    for q in 0..<ncpu where affinity[i] & (1 << UInt64(q)) != 0 {
      let c = host.current(q)
      if c < 0 {
        if host.softirqPending(q) { continue }
        host.raiseSoftirq(q)
        return
      }
      update(c, now: now)
      if vruntime[c] > worst {
        worst = vruntime[c]
        target = q
      }
    }
    if target >= 0 && worst &- vruntime[i] > wakeGranNs &* 1024 / weight[i] { host.raiseSoftirq(target) }
  }

  /// Tickles every idle pCPU (other than `p`, not already tickled) that may run a queued vCPU,
  /// so none stays idle while work waits (idle balancing).
  func pullToIdle(except p: Int) {
    var waiting: UInt64 = 0
    for k in 0..<queue.count { waiting |= affinity[Int(queue[k])] }
    var pulled = 0
    for q in 0..<ncpu where q != p && waiting & (1 << UInt64(q)) != 0 {
      guard host.current(q) < 0, !host.softirqPending(q) else { continue }
      host.raiseSoftirq(q)
      pulled += 1
      if pulled == queue.count { return }
    }
  }

  func schedule(pcpu p: Int, now: Int64) -> SchedDecision {
    let cur = host.current(p)
    if cur >= 0 {
      update(cur, now: now)
      let d = domainOf[cur]
      if quota[d] > 0 && used[d] >= quota[d] && !throttled[d] { throttle(d) }
      if host.vcpus[cur].isRunnable { enqueue(cur) }
    }
    let bit: UInt64 = 1 << UInt64(p)
    var best = -1
    var bestKey = Int64.max
    var bestReserved = false
    var least = Int64.max
    var totalW: Int64 = 0
    for k in 0..<queue.count {
      let i = Int(queue[k])
      totalW &+= weight[i]
      let v = vruntime[i]
      if v < least { least = v }
      guard affinity[i] & bit != 0 else { continue }
      let reserved = reserve[domainOf[i]] > used[domainOf[i]]
      if (reserved && !bestReserved) || (reserved == bestReserved && v < bestKey) {
        best = i
        bestKey = v
        bestReserved = reserved
      }
    }
    if least != Int64.max && least > minV { minV = least }
    guard best >= 0 else { return SchedDecision(vcpu: -1, slice: -1) }
    dequeue(best)
    lastUpdate[best] = now
    if !queue.isEmpty && ncpu > 1 { pullToIdle(except: p) }
    var slice: Int64
    if isCFS {
      var running = 0
      for q in 0..<ncpu where q != p && host.current(q) >= 0 {
        running += 1
        totalW &+= weight[host.current(q)]
      }
      let nr = Int64(queue.count + running + 1)
      let perCPU = (nr + Int64(ncpu) - 1) / Int64(ncpu)
      let nrLatency = max(1, latencyNs / minGranNs)
      let period = perCPU > nrLatency ? perCPU &* minGranNs : latencyNs
      let load = max(weight[best], totalW / Int64(ncpu))
      slice = max(minGranNs, period &* weight[best] / load)
    } else {
      slice = quantumNs
    }
    let d = domainOf[best]
    if quota[d] > 0 {
      // The quota is the domain's, shared by its vCPUs running in parallel: each may use its
      // part of what is left, so together they stop at the quota (Linux hands runtime to each
      // CPU from the group's pool in small slices, sched_cfs_bandwidth_slice).
      var running: Int64 = 1
      for q in 0..<ncpu where q != p {
        let c = host.current(q)
        if c >= 0 && domainOf[c] == d {
          update(c, now: now)
          running += 1
        }
      }
      slice = min(slice, max(1_000, (quota[d] &- used[d]) / running))
    }
    if reserve[d] > used[d] { slice = min(slice, max(1_000, reserve[d] &- used[d])) }
    return SchedDecision(vcpu: best, slice: slice)
  }
}
