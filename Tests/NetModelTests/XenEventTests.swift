import HostModel
import SimCore
import Testing

@testable import NetModel

/// Pushes `burst` packets into each of `rings`, ring after ring, in one event (the guests'
/// transmissions that reach netback at one instant); event arg = nothing.
final class BurstPusher: EventHandler {
  let rings: [PacketRing]
  let burst: Int
  init(_ rings: [PacketRing], burst: Int) {
    self.rings = rings
    self.burst = burst
  }
  func handle(_ event: Event, in sim: Simulation) {
    for (f, r) in rings.enumerated() {
      for _ in 0..<burst { r.accept(packet(flow: UInt16(f), born: event.time.nanoseconds), at: event.time) }
    }
  }
}

@Suite("Xen event channels per ring, TX completions, netback's queue check")
struct XenEventTests {
  /// Netback's transmit side with N = 4 vifs, each receiving a burst of b = 8 packets at t = 0
  /// and again at t = 1 ms (all drained in between). Per ring, each vif's first packet of a burst
  /// finds its ring armed and raises an upcall: N per burst, 8 in all; one flag for the stage
  /// (the old model, NAPI-like) raises 1 per burst, 2 in all. Cycles (1 GHz, perPacket 1,000,
  /// perNotification 300): per-ring 2 × (32 × 1,000 + 4 × 300) = 66,400; per-stage 2 × (32,000 +
  /// 300) = 64,600.
  @Test(arguments: [NotificationScope.ringAtGather, .stage])
  func upcallsPerRingPerBurst(scope: NotificationScope) {
    let (sim, vcpu, _) = rig()
    let rings = (0..<4).map { PacketRing(name: "vr\($0).vif.tx", capacity: 256, flows: 4) }
    let out = RecordingSink()
    let st = Stage(
      name: "netback-tx", sim: sim, vcpu: vcpu, inputs: rings,
      cost: StageCost(perPacket: 1_000, perNotification: 300),
      batchLimit: 256, output: ToSink(out), scope: scope)
    let h = sim.register(BurstPusher(rings, burst: 8))
    sim.schedule(at: .zero, to: h)
    sim.schedule(at: SimTime(nanoseconds: 1_000_000), to: h)
    sim.run()
    let perRing = scope != .stage
    #expect(st.notifications == (perRing ? 8 : 2))
    #expect(st.cycles == (perRing ? 66_400 : 64_600))
    #expect(out.packets.count == 64)
    #expect(rings.allSatisfy { $0.armed } || !perRing)
  }

  /// A ring re-armed at gather notifies again while the stage is still busy: ring 0 gets one
  /// packet at 0 (upcall 1); the batch takes it and finds ring 0 empty (re-armed); a packet at
  /// 500 ns, while the 1,000-cycle batch runs, raises upcall 2 at once. Re-armed only at the end
  /// of the poll (netfront), the second packet is suppressed: 1 upcall.
  @Test(arguments: [NotificationScope.ringAtGather, .ringAtPollEnd])
  func rearmAtGatherNotifiesDuringTheBatch(scope: NotificationScope) {
    let (sim, vcpu, _) = rig()
    let ring = PacketRing(name: "vr0.vif.tx", capacity: 8, flows: 1)
    let st = Stage(
      name: "s", sim: sim, vcpu: vcpu, inputs: [ring], cost: StageCost(perPacket: 1_000), batchLimit: 64,
      output: ToSink(RecordingSink()), scope: scope)
    let h = sim.register(Pusher(ring))
    for t in [0, 500] as [Int64] { sim.schedule(at: SimTime(nanoseconds: t), to: h, arg: 64) }
    sim.run()
    #expect(st.notifications == (scope == .ringAtGather ? 2 : 1))
    #expect(st.suppressed == (scope == .ringAtGather ? 0 : 1))
    #expect(st.packets == 2)
  }

  /// netfront asks for a TX completion event at half its outstanding requests plus one:
  /// 8 requests outstanding, rsp_event = 0 + 8 / 2 + 1 = 5. Netback answers 3 (no event: 5 is
  /// not in (0, 3]) then 5 more (5 is in (3, 8]: one event, the guest's upcall of 2,000 cycles,
  /// netback owes its send of 1,500); the guest's handler reaps everything: rsp_event = 8 + 0 + 1
  /// = 9. Then 16 requests in one go: rsp_event = 8 + 16 / 2 + 1 = 17; netback answering all 16
  /// in one batch crosses it once. Two events for 24 packets.
  @Test func txCompletionAtHalfTheOutstandingRequests() {
    let (sim, vcpu, _) = rig()
    let tx = PacketRing(name: "vr0.vif.tx", capacity: 256, flows: 1)
    let guestRing = PacketRing(name: "vr0.vif.rx", capacity: 256, flows: 1)
    let guest = Stage(
      name: "vr0.netfront", sim: sim, vcpu: vcpu, inputs: [guestRing], cost: StageCost(perPacket: 1),
      batchLimit: 64, output: ToSink(RecordingSink()))
    let events = TxCompletionEvents(rings: [tx], upcallCycles: 2_000, sendCycles: 1_500)
    events.guests = [StageRef(guest)]
    for _ in 0..<8 { tx.accept(packet(), at: .zero) }
    events.guestTransmitted(router: 0)
    #expect(events.responseEvent(router: 0) == 5)
    for _ in 0..<3 { _ = tx.pop() }
    #expect(events.responded(routers: [0]) == 0)
    for _ in 0..<5 { _ = tx.pop() }
    #expect(events.responded(routers: [0]) == 1_500)
    #expect(events.responseEvent(router: 0) == 9)
    for _ in 0..<16 { tx.accept(packet(), at: .zero) }
    events.guestTransmitted(router: 0)
    #expect(events.responseEvent(router: 0) == 17)
    for _ in 0..<16 { _ = tx.pop() }
    #expect(events.responded(routers: [0]) == 1_500)
    #expect(events.notifications(router: 0) == 2)
    sim.run()
    #expect(
      guest.notifications == 2 && guest.cycles == 4_000, "two upcalls of 2,000 cycles on the guest's vCPU")
  }

  /// netback's queue check before the copy: the guest posted 4 buffers, the vif's qdisc holds 2.
  /// Of 8 packets, 4 claim a buffer and join the rx_queue (the 4th claim stops the queue), 2 wait
  /// in the qdisc and 2 are dropped there, before any copy. The copy stage (100 cycles per
  /// packet, 1,000 per batch) copies only the 4: 1,000 + 4 × 100 = 1,400 cycles. When the guest
  /// has consumed its 4 packets and posts buffers again, the refill wakes the queue (one upcall of
  /// 2,000 cycles in dom0, one send of 1,500 owed by the guest) and the 2 queued packets are
  /// claimed and copied: 1,000 + 2 × 100 = 1,200 more, plus the upcall.
  @Test func droppedPacketsCostNoCopy() {
    let (sim, vcpu, _) = rig()
    let qdisc = PacketRing(name: "vr0.vif.qdisc", capacity: 2, flows: 1)
    let guestRing = PacketRing(name: "vr0.vif.rx", capacity: 256, flows: 1)
    guestRing.limit = 4
    let rxq = PacketRing(name: "dom0.netback.rx_queue", capacity: 256, flows: 1)
    let vifs = NetbackVifQueue(
      qdiscs: [qdisc], guestRings: [guestRing], rxQueues: [rxq], upcallCycles: 2_000, sendCycles: 1_500)
    let copy = Stage(
      name: "dom0.netback-rx", sim: sim, vcpu: vcpu, inputs: [rxq],
      cost: StageCost(perPacket: 100, perBatch: 1_000),
      batchLimit: 238, output: ByPort(vifs.copied))
    vifs.wakeStages = [StageRef(copy)]
    let accepted = (0..<8).map { _ in vifs.admit[0].accept(packet(), at: .zero) }
    #expect(accepted == [true, true, true, true, true, true, false, false])
    #expect(vifs.isStopped(0) && qdisc.count == 2 && qdisc.drops == 2 && rxq.count == 4)
    #expect(guestRing.reserved == 4 && guestRing.free == 0)
    sim.run()
    #expect(copy.packets == 4 && copy.cycles == 1_400)
    #expect(guestRing.count == 4 && guestRing.reserved == 0 && guestRing.drops == 0)
    #expect(vifs.buffersPosted(router: 0, at: sim.now) == 0, "no free buffer yet: no wake")
    for _ in 0..<4 { _ = guestRing.pop() }
    #expect(vifs.buffersPosted(router: 0, at: sim.now) == 1_500)
    #expect(!vifs.isStopped(0) && qdisc.isEmpty && vifs.notifications(router: 0) == 1)
    sim.run()
    #expect(copy.packets == 6 && copy.cycles == 1_400 + 2_000 + 1_200)
  }
}
