import SimCore

/// vCPUs by id without reference counting: entries are unretained (the host's `allVCPUs`
/// keeps them alive). The host frees it with `deallocate()` in its `deinit`.
struct VCPUTable {
  var entries = PodArray<Unmanaged<VCPU>>()

  /// The vCPU with id `i` (retained: for cold paths).
  subscript(i: Int) -> VCPU { entries[i].takeUnretainedValue() }

  /// Calls `body` with the vCPU with id `i`, without reference counting.
  @inline(__always) func with<R>(_ i: Int, _ body: (VCPU) -> R) -> R {
    entries[i]._withUnsafeGuaranteedRef(body)
  }

  var count: Int { entries.count }

  mutating func append(_ v: VCPU) { entries.append(.passUnretained(v)) }

  func deallocate() { entries.deallocate() }
}

/// The state of one physical CPU.
struct PCPU {
  enum Phase: UInt8 {
    /// Nothing to run.
    case idle
    /// Paying a switch's direct cost; the head item has not begun (segment event = its start).
    case starting
    /// Executing work from `execStart` on (which may lie in the future while a switch to a
    /// vCPU with an item in progress is paid).
    case executing
  }
  var current = -1
  var lastVCPU = -1
  var lastDomain = -1
  var phase = Phase.idle
  var execStart: Int64 = 0
  var switchEnd: Int64 = 0
  var segmentEvent: EventID?
  var sliceEvent: EventID?
  /// When the pending slice event fires (valid when `sliceEvent` is set).
  var sliceEventTime: Int64 = 0
  /// When the current slice ends, or -1 for none.
  var sliceDeadline: Int64 = -1
  var softirqEvent: EventID?
  /// When the pending softirq event fires (valid when `softirqEvent` is set).
  var softirqTime: Int64 = 0
  // Statistics.
  var busySince: Int64 = 0
  var busyNs: Int64 = 0
  var switchNs: Int64 = 0
  /// Time spent leaving idle (`idleExitCycles`) since the statistics window began.
  var idleExitNs: Int64 = 0
  var switches = 0
}
