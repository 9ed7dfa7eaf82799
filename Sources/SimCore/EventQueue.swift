import CSimSupport

/// The pending-event set of a simulation: a 4-ary min-heap of 16-byte keys plus a slot
/// table holding each event's payload.
///
/// Ordering is by (time, sequence number): each key is one `UInt128` whose high 64 bits are
/// the event time (never negative) and whose low 64 bits are `sequence << 24 | slot`, so a
/// single integer comparison orders events by time and, at equal times, by scheduling order
/// (FIFO). The slot (24 bits) indexes the payload table; the sequence (40 bits) is renumbered
/// in order if it ever runs out, which keeps FIFO order intact.
///
/// Design notes (measured with `vrsim bench engine`):
/// - 4-ary rather than binary: half the depth, and the four children of a node share one
///   64-byte cache line (the root is stored at offset 3 and the buffer is 64-byte aligned).
/// - Payloads stay in their slot while keys move, so a sift moves 16 bytes per level. Freed
///   slots are reused LIFO, so a new event's payload is usually still in cache.
/// - Removal takes the hole at the root down to a leaf along the smallest children, then
///   sifts the last key up from there (Floyd's bottom-up heuristic), which saves a comparison
///   per level when, as is usual in simulations, new events land near the bottom.
/// - Cancellation marks the slot; the key stays in the heap and is skipped when it surfaces.
///
/// - Complexity: insert O(log n), remove-min O(log n), cancel O(1). No allocation once the
///   arrays have grown to the peak number of pending events.
public struct EventQueue: ~Copyable {
  /// Payload of one pending event.
  @usableFromInline struct Slot {
    @usableFromInline var key: UInt64  // sequence << 24 | slot; 0 when free
    @usableFromInline var arg: UInt64
    @usableFromInline var handler: UInt32
    @usableFromInline var code: UInt32
    @inlinable init(key: UInt64, arg: UInt64, handler: UInt32, code: UInt32) {
      self.key = key
      self.arg = arg
      self.handler = handler
      self.code = code
    }
  }

  @usableFromInline static let slotBits: UInt64 = 24
  @usableFromInline static let slotMask: UInt64 = (1 << 24) - 1
  /// The most events that can be pending at once (2^24 - 1).
  public static let maxPending = Int((1 << 24) - 1)
  @usableFromInline static let maxSequence: UInt64 = (1 << 40) - 1
  @usableFromInline static let cancelledHandler: UInt32 = .max
  @usableFromInline static let base = 3  // root index, so sibling groups are cache-line aligned

  @usableFromInline var heap: UnsafeMutablePointer<UInt128>
  @usableFromInline var capacity: Int
  /// Number of keys in the heap (including cancelled ones not yet surfaced).
  @usableFromInline var count: Int = 0
  @usableFromInline var slots: UnsafeMutablePointer<Slot>
  @usableFromInline var slotCapacity: Int
  @usableFromInline var slotsUsed: Int = 1  // slot 0 is never used, so key 0 means "free"
  @usableFromInline var freeSlots: UnsafeMutablePointer<UInt32>
  @usableFromInline var freeCount: Int = 0
  @usableFromInline var nextSequence: UInt64 = 1
  /// Number of pending events that have been cancelled but not yet removed.
  @usableFromInline var cancelledPending: Int = 0

  /// Creates an empty queue with room for `initialCapacity` pending events.
  public init(initialCapacity: Int = 1024) {
    let cap = Swift.max(16, initialCapacity)
    capacity = cap
    heap = Self.allocateHeap(cap)
    slotCapacity = cap + 1
    slots = .allocate(capacity: slotCapacity)
    freeSlots = .allocate(capacity: slotCapacity)
  }

  deinit {
    UnsafeMutableRawPointer(heap - Self.base).deallocate()
    slots.deallocate()
    freeSlots.deallocate()
  }

  static func allocateHeap(_ cap: Int) -> UnsafeMutablePointer<UInt128> {
    let raw = UnsafeMutableRawPointer.allocate(
      byteCount: (cap + base + 1) * MemoryLayout<UInt128>.stride, alignment: 64)
    return raw.bindMemory(to: UInt128.self, capacity: cap + base + 1) + base
  }

  /// Number of events pending (not counting cancelled ones).
  @inlinable public var pending: Int { count - cancelledPending }

  /// True when no live event is pending.
  @inlinable public var isEmpty: Bool { pending == 0 }

  /// Inserts an event and returns its identity (for `cancel`).
  @inlinable @inline(__always)
  public mutating func insert(time: Int64, handler: UInt32, code: UInt32, arg: UInt64) -> EventID {
    precondition(time >= 0, "events cannot be scheduled before time zero")
    if nextSequence > Self.maxSequence { renumber() }
    let slot: UInt32
    if freeCount > 0 {
      freeCount &-= 1
      slot = freeSlots[freeCount]
    } else {
      if slotsUsed == slotCapacity { growSlots() }
      slot = UInt32(truncatingIfNeeded: slotsUsed)
      slotsUsed &+= 1
    }
    let low = nextSequence << Self.slotBits | UInt64(slot)
    nextSequence &+= 1
    slots[Int(slot)] = Slot(key: low, arg: arg, handler: handler, code: code)
    if count == capacity { growHeap() }
    siftUp(UInt128(UInt64(bitPattern: time)) << 64 | UInt128(low), from: count)
    count &+= 1
    return EventID(raw: low)
  }

  /// Marks a pending event as cancelled. Returns false if it already ran or was cancelled.
  @inlinable
  public mutating func cancel(_ id: EventID) -> Bool {
    let slot = Int(id.raw & Self.slotMask)
    guard slot > 0, slot < slotsUsed, slots[slot].key == id.raw,
      slots[slot].handler != Self.cancelledHandler
    else { return false }
    slots[slot].handler = Self.cancelledHandler
    cancelledPending &+= 1
    return true
  }

  /// The time of the earliest live event, or nil when none is pending.
  @inlinable @inline(__always)
  public mutating func peekTime() -> Int64? {
    if count == 0 { return nil }
    if cancelledPending == 0 { return Int64(bitPattern: UInt64(heap[0] >> 64)) }
    return peekTimeSkippingCancelled()
  }

  /// `peekTime` when cancelled events may be at the top: removes them first.
  @usableFromInline
  mutating func peekTimeSkippingCancelled() -> Int64? {
    while count > 0 {
      let top = heap[0]
      let slot = Int(UInt64(truncatingIfNeeded: top) & Self.slotMask)
      if slots[slot].handler != Self.cancelledHandler { return Int64(bitPattern: UInt64(top >> 64)) }
      _ = removeTop()
      freeSlot(slot)
      cancelledPending &-= 1
    }
    return nil
  }

  /// Removes the earliest live event. Precondition: `peekTime()` returned non-nil just before.
  @inlinable @inline(__always)
  public mutating func popEarliest() -> Event {
    let top = removeTop()
    let low = UInt64(truncatingIfNeeded: top)
    let slot = Int(low & Self.slotMask)
    let s = slots[slot]
    freeSlot(slot)
    return Event(
      time: SimTime(nanoseconds: Int64(bitPattern: UInt64(top >> 64))), id: EventID(raw: low),
      handler: s.handler, code: s.code, arg: s.arg)
  }

  @inlinable @inline(__always)
  mutating func freeSlot(_ slot: Int) {
    slots[slot].key = 0
    freeSlots[freeCount] = UInt32(truncatingIfNeeded: slot)
    freeCount &+= 1
  }

  @inlinable @inline(__always)
  mutating func siftUp(_ key: UInt128, from start: Int) {
    var i = start
    while i > 0 {
      let parent = (i &- 1) >> 2
      let p = heap[parent]
      if p <= key { break }
      heap[i] = p
      i = parent
    }
    heap[i] = key
  }

  @inlinable @inline(__always)
  mutating func removeTop() -> UInt128 {
    let top = heap[0]
    count &-= 1
    let n = count
    if n == 0 { return top }
    let last = heap[n]
    // Bottom-up: walk the hole down along the smallest children to a leaf.
    var i = 0
    while true {
      let c = (i << 2) &+ 1
      if c &+ 3 < n {
        // The next level's four sibling groups (one cache line each): start loading them
        // before the comparisons decide which one the hole moves to.
        let g = (c << 2) &+ 1
        if g < n {
          vrsim_prefetch(heap + g)
          vrsim_prefetch(heap + (g &+ 4))
          vrsim_prefetch(heap + (g &+ 8))
          vrsim_prefetch(heap + (g &+ 12))
        }
        var m = c
        var mk = heap[c]
        let k1 = heap[c &+ 1]
        if k1 < mk {
          mk = k1
          m = c &+ 1
        }
        let k2 = heap[c &+ 2]
        if k2 < mk {
          mk = k2
          m = c &+ 2
        }
        let k3 = heap[c &+ 3]
        if k3 < mk {
          mk = k3
          m = c &+ 3
        }
        heap[i] = mk
        i = m
      } else {
        if c < n {
          var m = c
          var mk = heap[c]
          var j = c &+ 1
          while j < n {
            let kj = heap[j]
            if kj < mk {
              mk = kj
              m = j
            }
            j &+= 1
          }
          heap[i] = mk
          i = m
        }
        break
      }
    }
    siftUp(last, from: i)
    return top
  }

  @usableFromInline mutating func growHeap() {
    let newCap = capacity * 2
    let newHeap = Self.allocateHeap(newCap)
    newHeap.update(from: heap, count: count)
    UnsafeMutableRawPointer(heap - Self.base).deallocate()
    heap = newHeap
    capacity = newCap
  }

  @usableFromInline mutating func growSlots() {
    precondition(slotCapacity <= Self.maxPending, "more than \(Self.maxPending) pending events")
    let newCap = Swift.min(slotCapacity * 2, Self.maxPending + 1)
    let newSlots = UnsafeMutablePointer<Slot>.allocate(capacity: newCap)
    newSlots.update(from: slots, count: slotsUsed)
    slots.deallocate()
    slots = newSlots
    let newFree = UnsafeMutablePointer<UInt32>.allocate(capacity: newCap)
    newFree.update(from: freeSlots, count: freeCount)
    freeSlots.deallocate()
    freeSlots = newFree
    slotCapacity = newCap
  }

  /// Gives every pending event a new, smaller sequence number in the same order.
  @usableFromInline mutating func renumber() {
    var buffer = UnsafeMutableBufferPointer(start: heap, count: count)
    buffer.sort()  // a sorted array is a valid heap
    for i in 0..<count {
      let low = UInt64(truncatingIfNeeded: heap[i])
      let slot = low & Self.slotMask
      let newLow = UInt64(i + 1) << Self.slotBits | slot
      heap[i] = (heap[i] >> 64) << 64 | UInt128(newLow)
      slots[Int(slot)].key = newLow
    }
    nextSequence = UInt64(count + 1)
  }
}

/// The identity of a scheduled event, returned by `schedule` and accepted by `cancel`.
public struct EventID: Hashable, Sendable {
  /// Sequence number and slot, packed.
  public let raw: UInt64
  @inlinable init(raw: UInt64) { self.raw = raw }
  /// The event's sequence number: its rank in scheduling order.
  public var sequence: UInt64 { raw >> 24 }
}

/// An event as delivered to its handler.
public struct Event: Sendable {
  /// When it happens.
  public var time: SimTime
  /// Its identity.
  public var id: EventID
  /// The handler it was addressed to (index returned by `Simulation.register`).
  public var handler: UInt32
  /// A handler-defined code, e.g. which of the handler's timers fired.
  public var code: UInt32
  /// A handler-defined argument, e.g. a packet slot or a vCPU index.
  public var arg: UInt64

  /// Creates an event value (used by tests and tracing).
  @inlinable public init(time: SimTime, id: EventID, handler: UInt32, code: UInt32, arg: UInt64) {
    self.time = time
    self.id = id
    self.handler = handler
    self.code = code
    self.arg = arg
  }
}
