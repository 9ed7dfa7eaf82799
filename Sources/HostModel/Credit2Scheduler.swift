import SimCore

/// Xen's credit2 scheduler, after xen/common/sched_credit2.c (4.12, notes §8), for a host that
/// is one socket (so one run queue shared by all pCPUs).
///
/// - Credit is in ns. A running vCPU burns `delta x maxWeight / weight` (the heaviest burns
///   1 per ns), with the division remainder kept (4.12 `t2c_update`).
/// - The run queue is sorted by credit, descending, FIFO among equals. A pCPU takes the first
///   entry allowed on it; the current vCPU keeps running unless that entry has strictly more
///   credit. When the chosen vCPU has credit <= 0, every vCPU gets m x `creditInit` (m = 1, or
///   more if it is below -creditInit) and is clipped to `creditInit + carryoverMax` (4.12 reset).
/// - Slice: until the chosen vCPU's credit falls to the queue head's (if positive) or to 0,
///   converted back to time and clamped to [minTimer, maxTimer]; idle gets no timer.
/// - Wake: no BOOST; insert by credit and tickle: an idle allowed pCPU (the vCPU's last one
///   first), else the pCPU running the lowest-credit vCPU if the waker has at least
///   `migrateResist` more credit.
///
/// Departures: one run queue (one socket); no credit2 rate limit, caps or soft affinity.
final class Credit2Scheduler: VCPUScheduler {
  unowned(unsafe) let host: Host
  let options: Credit2Options
  let initNs: Int64
  let clipNs: Int64
  let minNs: Int64
  let maxNs: Int64
  let resistNs: Int64
  let ncpu: Int
  var credit: [Int64] = []
  var residual: [Int64] = []
  var weight: [Int64] = []
  var lastBurn: [Int64] = []
  var onRunq: [Bool] = []
  var processor: [Int] = []
  var affinity: [UInt64] = []
  var maxWeight: Int64 = 1
  /// Queued vCPU ids, by credit descending.
  var runq: ContiguousArray<Int32> = []
  var resets = 0

  init(host: Host, options: Credit2Options) {
    precondition(
      options.minTimer.nanoseconds > 0 && options.minTimer <= options.maxTimer, "credit2 timers invalid")
    precondition(options.creditInit.nanoseconds > 0, "credit2 creditInit must be > 0")
    self.host = host
    self.options = options
    initNs = options.creditInit.nanoseconds
    clipNs = initNs + options.carryoverMax.nanoseconds
    minNs = options.minTimer.nanoseconds
    maxNs = options.maxTimer.nanoseconds
    resistNs = options.migrateResist.nanoseconds
    ncpu = host.config.cpus
  }

  func vcpuAdded(_ v: VCPU) {
    credit.append(initNs)
    residual.append(0)
    weight.append(Int64(v.domain.config.weight))
    maxWeight = max(maxWeight, Int64(v.domain.config.weight))
    lastBurn.append(0)
    onRunq.append(false)
    processor.append(CreditScheduler.initialProcessor(v, ncpu: ncpu))
    affinity.append(v.affinityMask)
    runq.reserveCapacity(credit.count)
  }

  func start(now: Int64) {}
  func timer(code: UInt32, arg: UInt64, now: Int64) {}
  func reportFigures() -> [String: Double] { ["resets": Double(resets)] }

  @inline(__always) func burn(_ i: Int, now: Int64) {
    let delta = now &- lastBurn[i]
    guard delta > 0 else { return }
    let val = delta &* maxWeight &+ residual[i]
    credit[i] &-= val / weight[i]
    residual[i] = val % weight[i]
    lastBurn[i] = now
  }

  @inline(__always) func insert(_ i: Int) {
    let c = credit[i]
    var k = 0
    while k < runq.count && credit[Int(runq[k])] >= c { k += 1 }
    runq.insert(Int32(i), at: k)
    onRunq[i] = true
  }

  func wake(_ v: VCPU, now: Int64) {
    let i = v.id
    guard v.pcpu < 0, !onRunq[i] else { return }
    insert(i)
    tickle(i, now: now)
  }

  func tickle(_ i: Int, now: Int64) {
    let home = processor[i]
    for k in 0..<ncpu {
      let q = (home + k) % ncpu
      if affinity[i] & (1 << UInt64(q)) != 0 && host.current(q) < 0 {
        host.raiseSoftirq(q)
        return
      }
    }
    var lowest = Int64.max
    var target = -1
    for q in 0..<ncpu where affinity[i] & (1 << UInt64(q)) != 0 {
      let c = host.current(q)
      guard c >= 0 else { continue }
      burn(c, now: now)
      if credit[c] < lowest {
        lowest = credit[c]
        target = q
      }
    }
    if target >= 0 && lowest &+ resistNs <= credit[i] { host.raiseSoftirq(target) }
  }

  func schedule(pcpu p: Int, now: Int64) -> SchedDecision {
    let cur = host.current(p)
    if cur >= 0 { burn(cur, now: now) }
    let bit: UInt64 = 1 << UInt64(p)
    var k = 0
    while k < runq.count && affinity[Int(runq[k])] & bit == 0 { k += 1 }
    var snext = -1
    if cur >= 0 && host.vcpus[cur].isRunnable {
      if k < runq.count && credit[Int(runq[k])] > credit[cur] {
        snext = Int(runq.remove(at: k))
        onRunq[snext] = false
        insert(cur)
      } else {
        snext = cur
      }
    } else if k < runq.count {
      snext = Int(runq.remove(at: k))
      onRunq[snext] = false
    }
    guard snext >= 0 else { return SchedDecision(vcpu: -1, slice: -1) }
    if snext != cur { lastBurn[snext] = now }
    processor[snext] = p
    if credit[snext] <= 0 { reset(snext, now: now) }
    // csched2_runtime
    var rt = credit[snext]
    if let h = runq.first, credit[Int(h)] > 0 { rt = credit[snext] - credit[Int(h)] }
    var time = rt > 0 ? rt &* weight[snext] / maxWeight : 0
    time = min(max(time, minNs), maxNs)
    return SchedDecision(vcpu: snext, slice: time)
  }

  /// `reset_credit` (4.12).
  func reset(_ snext: Int, now: Int64) {
    resets += 1
    for q in 0..<ncpu {
      let c = host.current(q)
      if c >= 0 && c != snext { burn(c, now: now) }
    }
    let m: Int64 = credit[snext] < -initNs ? 1 + (-credit[snext]) / initNs : 1
    for i in 0..<credit.count {
      credit[i] = min(credit[i] &+ m &* initNs, clipNs)
    }
    // Keep the queue sorted (insertion sort: stable, in place).
    if runq.count > 1 {
      for a in 1..<runq.count {
        let x = runq[a]
        var b = a
        while b > 0 && credit[Int(runq[b - 1])] < credit[Int(x)] {
          runq[b] = runq[b - 1]
          b -= 1
        }
        runq[b] = x
      }
    }
  }
}
