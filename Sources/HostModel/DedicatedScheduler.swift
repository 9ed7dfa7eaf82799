import SimCore

/// The `none` scheduler (native): every vCPU is bound to one pCPU (the (id mod n)-th allowed
/// pCPU) and runs until it blocks; vCPUs sharing a pCPU run in wake order. With at most one vCPU
/// per pCPU, as on a native host, there is no scheduling at all.
final class DedicatedScheduler: VCPUScheduler {
  unowned(unsafe) let host: Host
  var home: [Int] = []
  var next: [Int32] = []
  var head: [Int32]
  var tail: [Int32]
  var queued: [Bool] = []

  init(host: Host) {
    self.host = host
    head = Array(repeating: -1, count: host.config.cpus)
    tail = Array(repeating: -1, count: host.config.cpus)
  }

  func vcpuAdded(_ v: VCPU) {
    home.append(CreditScheduler.initialProcessor(v, ncpu: host.config.cpus))
    next.append(-1)
    queued.append(false)
  }

  func start(now: Int64) {}
  func timer(code: UInt32, arg: UInt64, now: Int64) {}
  func reportFigures() -> [String: Double] { [:] }

  func wake(_ v: VCPU, now: Int64) {
    let i = v.id
    guard v.pcpu < 0, !queued[i] else { return }
    let p = home[i]
    next[i] = -1
    if tail[p] >= 0 { next[Int(tail[p])] = Int32(i) } else { head[p] = Int32(i) }
    tail[p] = Int32(i)
    queued[i] = true
    if host.current(p) < 0 { host.raiseSoftirq(p) }
  }

  func schedule(pcpu p: Int, now: Int64) -> SchedDecision {
    let cur = host.current(p)
    if cur >= 0 && host.vcpus[cur].isRunnable { return SchedDecision(vcpu: cur, slice: -1) }
    let h = head[p]
    guard h >= 0 else { return SchedDecision(vcpu: -1, slice: -1) }
    head[p] = next[Int(h)]
    if head[p] < 0 { tail[p] = -1 }
    queued[Int(h)] = false
    return SchedDecision(vcpu: Int(h), slice: -1)
  }
}
