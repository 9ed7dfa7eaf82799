import SimCore

/// Something that gives work to vCPUs: a network stage, a benchmark, a test workload.
///
/// A client is called back from the event loop: `beginWork` when a vCPU starts executing one of
/// its items (so the cost can depend on the state at that instant, e.g. a batch size), and
/// `finishWork` when the item's cycles have all been executed, possibly after preemptions.
/// Both may submit more work, to any vCPU (including the one calling).
public protocol WorkClient: AnyObject {
  /// Called when a vCPU starts executing a submitted work item; returns its cost in cycles (>= 0).
  func beginWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) -> Int64
  /// Called when all of the item's cycles have been executed (possibly after preemptions).
  func finishWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime)
}

/// The scheduling state of a vCPU.
public enum VCPUState: Int, Sendable, Codable, CaseIterable {
  /// On a pCPU (executing work, or paying the direct cost of the switch that brought it in).
  case running = 0
  /// Has work and may run, waiting for a pCPU.
  case runnable = 1
  /// No work: waits for `submit` (an event channel or an interrupt) to wake it.
  case blocked = 2
  /// Paused by the scheduler (credit cap exceeded, cfs quota or vmware limit used up).
  case parked = 3
}

/// A domain: Xen dom0 or a guest, a container, or the native kernel. Owns its vCPUs.
public final class Domain {
  /// Name given in the configuration.
  public let name: String
  /// Index in `Host.domains`.
  public let index: Int
  /// The configuration it was created with.
  public let config: DomainConfig
  /// Its vCPUs, in order.
  public internal(set) var vcpus: [VCPU] = []

  // Statistics that are per domain rather than per vCPU.
  var latency = LatencyHistogram(highest: .s(60))

  init(config: DomainConfig, index: Int) {
    self.name = config.name
    self.index = index
    self.config = config
  }
}

/// Holds one work client for a vCPU: a `let` existential read from a box that is guaranteed
/// alive needs no reference counting.
final class ClientBox {
  let client: any WorkClient
  init(_ client: any WorkClient) { self.client = client }
}

/// One queued work item. The client is an unretained box (no per-item allocation, no reference
/// counting): the vCPU keeps a box per client it was ever given (`VCPU.clients`).
struct WorkItem {
  var client: Unmanaged<ClientBox>
  var tag: UInt32
  var arg: UInt64
}

/// A virtual CPU: a FIFO of work items executed one at a time on whatever pCPU the scheduler
/// gives it.
///
/// Invariants: `pendingWork == 0` implies the vCPU is blocked (or parked) unless it is running
/// the `finishWork` callback of its last item; an item's remaining time survives preemption;
/// the FIFO is a ring that only grows (no allocation per item once warm).
public final class VCPU {
  /// The domain it belongs to.
  public unowned(unsafe) let domain: Domain
  /// Index within the domain.
  public let index: Int
  /// Index among all vCPUs of the host (reports, traces, scheduler arrays).
  public let id: Int
  unowned(unsafe) let host: Host
  /// `host` and `domain` for calls without reference counting (the host owns both).
  let hostRef: Unmanaged<Host>
  let domainRef: Unmanaged<Domain>
  /// `domain.index`.
  let domainIndex: Int

  // Work FIFO (a ring with power-of-two capacity; slots are trivial values, valid when queued).
  var ring: UnsafeMutablePointer<WorkItem>
  var ringHead = 0
  var ringCount = 0
  var ringMask: Int
  /// Every client ever given work, kept alive for the vCPU's lifetime so that queued items can
  /// hold them unretained; `clientIDs` mirrors it for the look-up, `lastClient` caches the last hit.
  var clients: [ClientBox] = []
  var clientIDs: [ObjectIdentifier] = []
  var lastClient: ObjectIdentifier?
  var lastBox: Unmanaged<ClientBox>?
  /// True once `beginWork` has been called for the head item.
  var itemStarted = false
  /// Remaining execution time of the head item, in ns (valid when `itemStarted`).
  var itemRemaining: Int64 = 0
  /// Cache/TLB warm-up still to be executed before the head item progresses, in ns.
  var warmupRemaining: Int64 = 0
  /// The cost of the last item begun, in cycles and in ns (a cache for `Host.ns(cycles:)`).
  var lastItemCycles: Int64 = -1
  var lastItemNs: Int64 = 0

  /// Paused by the scheduler (parked).
  var paused = false
  /// The pCPU it is running on, or -1.
  var pcpu = -1
  /// Affinity as a bit mask over pCPU indices.
  let affinityMask: UInt64

  /// The part of the head item's cost not yet executed, a fraction from 0 to 1 (1: just begun;
  /// 0: no item begun, or one of no cost). Exact at the instants the host brings its statistics
  /// up to date (`Host.resetStatistics()`, `Host.report()`), before which a running vCPU's
  /// progress since its last switch or item is not yet booked. A client that counts an item's
  /// cycles when it begins reads it to count, over a window, only what ran inside the window.
  public var headItemUnexecuted: Double {
    itemStarted && lastItemNs > 0 ? Double(itemRemaining) / Double(lastItemNs) : 0
  }

  // Statistics.
  var schedState: VCPUState = .blocked
  var stateSince: Int64 = 0
  var stateTime: (Int64, Int64, Int64, Int64) = (0, 0, 0, 0)
  var usefulNs: Int64 = 0
  var warmupNs: Int64 = 0
  /// Time its pCPUs spent leaving idle before it ran (`idleExitCycles`): running, but not its own.
  var idleExitNs: Int64 = 0
  var switchesIn: Int = 0
  var wakeups: Int = 0
  var boostWakeups: Int = 0
  var completed: Int = 0
  /// When it was woken and not yet run (ns), or -1.
  var wokeAt: Int64 = -1
  /// When it last became running (ns): Xen's `runstate.state_entry_time`.
  var runningSince: Int64 = 0

  init(domain: Domain, index: Int, id: Int, host: Host, affinityMask: UInt64) {
    self.domain = domain
    self.index = index
    self.id = id
    self.host = host
    hostRef = .passUnretained(host)
    domainRef = .passUnretained(domain)
    domainIndex = domain.index
    self.affinityMask = affinityMask
    ring = .allocate(capacity: 16)
    ringMask = 15
  }

  deinit { ring.deallocate() }

  /// Queues a work item (FIFO). A blocked vCPU is woken through the scheduler's wake path
  /// (credit: BOOST when UNDER, tickle); a parked one becomes runnable when unparked.
  /// - Complexity: O(1) amortized; no allocation once the ring has grown to the peak backlog.
  ///   A client is kept alive as long as the vCPU (which lives as long as its host).
  public func submit(_ client: any WorkClient, tag: UInt32, arg: UInt64) {
    let id = ObjectIdentifier(client)
    let box: Unmanaged<ClientBox>
    if id == lastClient, let b = lastBox { box = b } else { box = own(client, id) }
    if ringCount &- 1 == ringMask { growRing() }
    (ring + ((ringHead &+ ringCount) & ringMask)).initialize(to: WorkItem(client: box, tag: tag, arg: arg))
    ringCount &+= 1
    if ringCount == 1 && pcpu < 0 { hostRef._withUnsafeGuaranteedRef { $0.wake(self) } }
  }

  /// Items queued or in progress.
  public var pendingWork: Int { ringCount }

  /// The current scheduling state: running, runnable, blocked or parked.
  public var state: VCPUState { schedState }

  /// The clock of the host it runs on, GHz (cycles per ns).
  public var clockGHz: Double { host.config.clockGHz }

  /// The pCPU it is running on now, or -1 when it is not running.
  public var currentPCPU: Int { pcpu }

  /// The lowest pCPU its affinity allows (where a pinned vCPU always runs).
  public var firstAllowedPCPU: Int { affinityMask.trailingZeroBitCount }

  /// True when it has work and is not parked.
  @inline(__always) var isRunnable: Bool { ringCount > 0 && !paused }

  /// Keeps `client` alive for the vCPU's lifetime (once per distinct client).
  func own(_ client: any WorkClient, _ id: ObjectIdentifier) -> Unmanaged<ClientBox> {
    let box: ClientBox
    if let k = clientIDs.firstIndex(of: id) {
      box = clients[k]
    } else {
      box = ClientBox(client)
      clientIDs.append(id)
      clients.append(box)
    }
    lastClient = id
    lastBox = .passUnretained(box)
    return .passUnretained(box)
  }

  func growRing() {
    let capacity = (ringMask &+ 1) * 2
    let bigger = UnsafeMutablePointer<WorkItem>.allocate(capacity: capacity)
    for i in 0..<ringCount { (bigger + i).initialize(to: ring[(ringHead + i) & ringMask]) }
    ring.deallocate()
    ring = bigger
    ringHead = 0
    ringMask = capacity - 1
  }

  /// Removes the head item and returns it.
  @inline(__always) func popItem() -> WorkItem {
    let item = ring[ringHead]
    ringHead = (ringHead &+ 1) & ringMask
    ringCount &-= 1
    itemStarted = false
    return item
  }

  /// Moves to `newState` at `now`, accumulating the time spent in the old one.
  @inline(__always) func setState(_ newState: VCPUState, at now: Int64) {
    accumulate(at: now)
    schedState = newState
  }

  @inline(__always) func accumulate(at now: Int64) {
    let d = now &- stateSince
    switch schedState {
    case .running: stateTime.0 &+= d
    case .runnable: stateTime.1 &+= d
    case .blocked: stateTime.2 &+= d
    case .parked: stateTime.3 &+= d
    }
    stateSince = now
  }
}
