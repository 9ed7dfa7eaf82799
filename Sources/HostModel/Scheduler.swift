import SimCore

/// What a scheduler decided for one pCPU: the vCPU to run (-1 = idle) and the time until the
/// pCPU must be re-scheduled (-1 = no slice timer).
struct SchedDecision {
  var vcpu: Int
  var slice: Int64
}

/// The protocol every scheduler implements (docs/DESIGN.md, "Recipe: add a scheduler": wake, block, pick next, timers).
///
/// The host calls `schedule(pcpu:now:)` whenever a pCPU must decide (slice end, the current
/// vCPU blocked or was parked, a tickle); the current vCPU is `host.current(p)` and may no
/// longer be runnable (`VCPU.isRunnable`). Blocking needs no separate call: a blocked vCPU is
/// simply not runnable at its pCPU's next `schedule`, as in Xen (`do_block` only raises the
/// schedule softirq). Ticks and accounting are the scheduler's own timers, armed with
/// `Host.armTimer` and delivered to `timer(code:arg:now:)`. A scheduler allocates nothing per
/// decision: its queues are preallocated arrays indexed by vCPU id.
protocol VCPUScheduler: AnyObject {
  /// Called once per vCPU when its domain is added, in id order, before `start`.
  func vcpuAdded(_ v: VCPU)
  /// Arms periodic timers. Called by `Host.start()`.
  func start(now: Int64)
  /// A vCPU became runnable (it was blocked and got work, or was unparked).
  func wake(_ v: VCPU, now: Int64)
  /// Picks what pCPU `p` runs next.
  func schedule(pcpu p: Int, now: Int64) -> SchedDecision
  /// One of the scheduler's timers fired.
  func timer(code: UInt32, arg: UInt64, now: Int64)
  /// Scheduler-specific figures for the report (name -> value).
  func reportFigures() -> [String: Double]
}

/// Integer ceiling division of non-negative values, as Xen writes `(x + y - 1) / y`.
@inline(__always) func ceilDiv(_ x: Int, _ y: Int) -> Int { (x + y - 1) / y }

/// A growable array of trivial values addressed through a raw pointer, for the per-vCPU and
/// per-pCPU state of the host and its schedulers: no reference counting, uniqueness check or
/// bounds check on the hot path (indices are the host's own vCPU ids and pCPU numbers). The
/// owner frees it with `deallocate()` in its `deinit`.
struct PodArray<Element> {
  private(set) var base: UnsafeMutablePointer<Element>
  private(set) var count = 0
  private var capacity: Int

  init(capacity: Int = 16) {
    self.capacity = max(1, capacity)
    base = .allocate(capacity: self.capacity)
  }

  init(repeating value: Element, count: Int) {
    self.init(capacity: count)
    for _ in 0..<count { append(value) }
  }

  mutating func append(_ x: Element) {
    if count == capacity {
      let bigger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
      bigger.moveInitialize(from: base, count: count)
      base.deallocate()
      base = bigger
      capacity *= 2
    }
    (base + count).initialize(to: x)
    count += 1
  }

  subscript(i: Int) -> Element {
    @inline(__always) get { base[i] }
    @inline(__always) nonmutating set { base[i] = newValue }
  }

  func deallocate() {
    base.deinitialize(count: count)
    base.deallocate()
  }
}

/// The scheduler a host holds until its own is created (never called).
final class NoScheduler: VCPUScheduler, Sendable {
  static let placeholder = NoScheduler()
  func vcpuAdded(_ v: VCPU) {}
  func start(now: Int64) {}
  func wake(_ v: VCPU, now: Int64) {}
  func schedule(pcpu p: Int, now: Int64) -> SchedDecision { SchedDecision(vcpu: -1, slice: -1) }
  func timer(code: UInt32, arg: UInt64, now: Int64) {}
  func reportFigures() -> [String: Double] { [:] }
}
