/// Netfront's receive-buffer refill, an input-side policy of a guest's receive stage: the
/// guest posts `target` buffers into its vif RX ring (so netback can copy at most that many
/// packets ahead of the guest); after each poll the target doubles when fewer than a quarter
/// of the posted buffers are left free, and shrinks by one when more than three quarters are
/// free, within `minimum ... maximum`. The target is the ring's `limit`; it never shrinks
/// below the buffers filled or claimed (`PacketRing.reserved`), which netfront cannot take back.
///
/// Models Linux 2.6.32 drivers/net/xen-netfront.c: `xennet_alloc_rx_buffers` (rx_target
/// doubled when the ring runs low) and `xennet_poll` (rx_target decremented when mostly idle).
/// - Complexity: O(1) per poll.
public final class RxBufferRefill {
  /// The vif RX ring whose usable slots are the posted buffers.
  public let ring: PacketRing
  /// Lowest target (netfront's default target: 64 in mainline).
  public let minimum: Int
  /// Highest target (the ring size, 256).
  public let maximum: Int

  /// Starts `ring` at `minimum` posted buffers (at most its capacity).
  public init(ring: PacketRing, minimum: Int, maximum: Int) {
    precondition(minimum >= 1 && minimum <= maximum, "refill needs 1 <= minimum <= maximum")
    self.ring = ring
    self.minimum = minimum
    self.maximum = maximum
    ring.limit = Swift.min(ring.capacity, minimum)
  }

  /// The posted-buffer target now.
  public var target: Int { ring.limit }

  /// Adjusts the target after a poll of the ring.
  @inline(__always) public func afterPoll() {
    let freeBuffers = ring.limit - ring.count
    if freeBuffers * 4 < ring.limit {
      ring.limit = Swift.min(maximum, ring.limit * 2)
    } else if freeBuffers * 4 > ring.limit * 3 && ring.limit > minimum
      && ring.limit > ring.count + ring.reserved
    {
      ring.limit -= 1
    }
  }
}
