import HostModel
import SimCore
import Testing

@testable import NetModel

/// A sink that keeps what it is given (and when), accepting everything.
final class RecordingSink: PacketSink {
  let name: String
  var packets: [Packet] = []
  var times: [Int64] = []
  init(_ name: String = "sink") { self.name = name }
  func accept(_ packet: Packet, at now: SimTime) -> Bool {
    packets.append(packet)
    times.append(now.nanoseconds)
    return true
  }
}

/// Pushes a packet of flow 0 into a ring at each scheduled instant (event arg = frame size).
final class Pusher: EventHandler {
  let ring: PacketRing
  init(_ ring: PacketRing) { self.ring = ring }
  func handle(_ event: Event, in sim: Simulation) {
    ring.accept(Packet(flow: 0, size: UInt16(event.arg), born: event.time.nanoseconds), at: event.time)
  }
}

/// A one-pCPU host at 1 GHz (1 cycle = 1 ns) with no context-switch costs and one
/// single-vCPU domain (plus, with `guest`, a second one on its own pCPU): time on the manual
/// clock is exactly the stage costs.
func rig(guest: Bool = false) -> (Simulation, VCPU, VCPU?) {
  let sim = Simulation(seed: 1)
  let host = Host(
    sim: sim,
    config: HostConfig(
      cpus: guest ? 2 : 1, clockGHz: 1.0,
      contextSwitch: ContextSwitchCosts(crossDomainCycles: 0, warmupCycles: 0, sameDomainCycles: 0)),
    scheduler: .none)
  let d = host.addDomain(DomainConfig(name: "kernel", kind: .native, vcpus: 1))
  let g = guest ? host.addDomain(DomainConfig(name: "guest", kind: .guest, vcpus: 1)).vcpus[0] : nil
  host.start()
  return (sim, d.vcpus[0], g)
}

func packet(flow: UInt16 = 0, size: UInt16 = 64, born: Int64 = 0) -> Packet {
  Packet(flow: flow, size: size, born: born)
}

@Suite("Packet rings")
struct PacketRingTests {
  /// A 3-slot ring offered 5 packets keeps the first 3 and drops 2, counted under its name and
  /// per flow (flows 0,1,0,1,0: the drops are the 4th (flow 1) and the 5th (flow 0)).
  @Test func boundsAndDropCounts() {
    let r = PacketRing(name: "nic.rx", capacity: 3, flows: 2)
    var ok: [Bool] = []
    for (i, f) in [0, 1, 0, 1, 0].enumerated() {
      ok.append(r.accept(packet(flow: UInt16(f), born: Int64(i)), at: SimTime(nanoseconds: Int64(i))))
    }
    #expect(ok == [true, true, true, false, false])
    #expect(r.count == 3 && r.accepted == 3)
    #expect(r.drops == 2 && r.windowDrops == 2)
    #expect(r.flowDrops == [1, 1])
    // FIFO: born 0, 1, 2 come out in that order; then there is room again (wrap-around).
    #expect([r.pop().born, r.pop().born] == [0, 1])
    #expect(r.accept(packet(born: 9), at: SimTime(nanoseconds: 9)))
    #expect([r.pop().born, r.pop().born] == [2, 9])
    #expect(r.isEmpty)
  }

  /// `limit` bounds the usable slots: with limit 2 of 4, the 3rd packet is dropped; free =
  /// limit - count = 2 - 2 = 0.
  @Test func limitBoundsUsableSlots() {
    let r = PacketRing(name: "vr0.vif.rx", capacity: 4, flows: 1)
    r.limit = 2
    #expect(r.accept(packet(), at: .zero))
    #expect(r.accept(packet(), at: .zero))
    #expect(!r.accept(packet(), at: .zero))
    #expect(r.free == 0 && r.drops == 1)
  }

  /// After a reset from t = 100, a drop of a packet born at 50 counts in the total only; one
  /// born at 150 counts in the window too: drops 2, window 1.
  @Test func warmupDropsCountInTotalsOnly() {
    let r = PacketRing(name: "q", capacity: 1, flows: 1)
    #expect(r.accept(packet(born: 0), at: .zero))
    r.resetStatistics(from: SimTime(nanoseconds: 100))
    #expect(!r.accept(packet(born: 50), at: SimTime(nanoseconds: 100)))
    #expect(!r.accept(packet(born: 150), at: SimTime(nanoseconds: 150)))
    #expect(r.drops == 2 && r.windowDrops == 1 && r.flowDrops == [1])
  }

  /// A flood copy refused by a full ring is not a drop of the ring (the bridge counts it).
  @Test func floodCopyRefusalIsNotARingDrop() {
    let r = PacketRing(name: "vr1.vif.q", capacity: 1, flows: 2)
    #expect(r.accept(packet(), at: .zero))
    var c = packet(flow: 1)
    c.flags |= Packet.floodCopy
    #expect(!r.accept(c, at: .zero))
    #expect(r.drops == 0)
  }
}

@Suite("Stage cost and notifications")
struct StageTests {
  /// Three packets of 64, 100 and 200 B wait when the stage is notified once. One batch:
  /// perBatch 1,000 + 3 × perPacket 100 + perByte 0.5 × (64 + 100 + 200 = 364) = 182
  /// + perNotification 300 = 1,000 + 300 + 182 + 300 = 1,782 cycles; at 1 GHz the packets
  /// leave together at t = 1,782 ns, each having resided 1,782 ns.
  @Test func batchCostArithmetic() {
    let (sim, vcpu, _) = rig()
    let rx = PacketRing(name: "rx", capacity: 8, flows: 1)
    for s in [64, 100, 200] as [UInt16] { rx.accept(packet(size: s), at: .zero) }  // no consumer yet
    let out = RecordingSink()
    let st = Stage(
      name: "s", sim: sim, vcpu: vcpu, inputs: [rx],
      cost: StageCost(perPacket: 100, perByte: 0.5, perBatch: 1_000, perNotification: 300), batchLimit: 64,
      output: ToSink(out))
    st.notify(at: .zero)
    sim.run()
    #expect(st.batches == 1 && st.packets == 3 && st.notifications == 1)
    #expect(st.cycles == 1_782)
    #expect(out.times == [1_782, 1_782, 1_782])
    #expect(st.residenceMax == 1_782 && st.meanResidence == 1_782)
    #expect(st.idle)
  }

  /// Five 64 B packets, batch limit 2: batches of 2, 2, 1, one notification.
  /// Batch 1: 10 + 2 × 20 + 1.0 × 128 + 5 (notification) = 183;
  /// batch 2: 10 + 40 + 128 = 178; batch 3: 10 + 20 + 64 = 94. Total 183 + 178 + 94 = 455;
  /// the last packet leaves at 455 ns.
  @Test func batchLimitSplitsTheBacklog() {
    let (sim, vcpu, _) = rig()
    let rx = PacketRing(name: "rx", capacity: 8, flows: 1)
    for _ in 0..<5 { rx.accept(packet(), at: .zero) }
    let out = RecordingSink()
    let st = Stage(
      name: "s", sim: sim, vcpu: vcpu, inputs: [rx],
      cost: StageCost(perPacket: 20, perByte: 1.0, perBatch: 10, perNotification: 5), batchLimit: 2,
      output: ToSink(out))
    st.notify(at: .zero)
    sim.run()
    #expect(st.batches == 3 && st.packets == 5 && st.notifications == 1)
    #expect(st.cycles == 455)
    #expect(out.times == [183, 183, 361, 361, 455])
  }

  /// Pushes at 0, 100 and 100,000 ns into a stage costing 1,000 cycles per packet (1 µs):
  /// the push at 0 notifies (idle); at 100 the stage is polling (its first batch runs 0 ...
  /// 1,000), so it is suppressed and polled at 1,000 (batch 2, 1,000 ... 2,000); then the
  /// rings are empty and the stage re-arms, so the push at 100,000 notifies again.
  /// Expected: notifications 2, suppressed 1, batches 3, exits at 1,000, 2,000, 101,000.
  @Test func suppressionWhilePollingAndRearmWhenIdle() {
    let (sim, vcpu, _) = rig()
    let rx = PacketRing(name: "rx", capacity: 8, flows: 1)
    let out = RecordingSink()
    let st = Stage(
      name: "s", sim: sim, vcpu: vcpu, inputs: [rx], cost: StageCost(perPacket: 1_000), batchLimit: 64,
      output: ToSink(out))
    let h = sim.register(Pusher(rx))
    for t in [0, 100, 100_000] as [Int64] { sim.schedule(at: SimTime(nanoseconds: t), to: h, arg: 64) }
    sim.run(until: SimTime(nanoseconds: 50_000))
    #expect(st.idle && st.notifications == 1 && st.suppressed == 1)
    sim.run()
    #expect(st.notifications == 2 && st.suppressed == 1 && st.batches == 3)
    #expect(out.times == [1_000, 2_000, 101_000])
  }

  /// Moderation 10 µs: a push at 0 notifies; the stage is idle again at 1,000 ns, and a push
  /// at 2,000 must wait for 0 + 10,000 = 10,000 ns: one timer, then notification 2; its
  /// packet leaves at 10,000 + 1,000 = 11,000 ns.
  @Test func moderationDefersTheNextNotification() {
    let (sim, vcpu, _) = rig()
    let rx = PacketRing(name: "rx", capacity: 8, flows: 1)
    let out = RecordingSink()
    let st = Stage(
      name: "s", sim: sim, vcpu: vcpu, inputs: [rx], cost: StageCost(perPacket: 1_000), batchLimit: 64,
      output: ToSink(out), moderation: .us(10))
    let h = sim.register(Pusher(rx))
    for t in [0, 2_000] as [Int64] { sim.schedule(at: SimTime(nanoseconds: t), to: h, arg: 64) }
    sim.run()
    #expect(st.notifications == 2 && st.suppressed == 0)
    #expect(out.times == [1_000, 11_000])
  }

  /// A producer with notifySendCost 50 feeding a consumer stage: its batch notifies the idle
  /// consumer once, so its next batch owes 50 more cycles. Producer batches: 100 (the packet
  /// at 0), then 100 + 50 = 150 (the packet at 10,000).
  @Test func senderPaysForTheNotificationsItCauses() {
    let (sim, vcpu, guest) = rig(guest: true)
    let other = guest!
    let rx = PacketRing(name: "rx", capacity: 8, flows: 1)
    let mid = PacketRing(name: "mid", capacity: 8, flows: 1)
    let out = RecordingSink()
    let producer = Stage(
      name: "p", sim: sim, vcpu: vcpu, inputs: [rx], cost: StageCost(perPacket: 100), batchLimit: 64,
      output: ToSink(mid), notifySendCost: 50)
    let consumer = Stage(
      name: "c", sim: sim, vcpu: other, inputs: [mid], cost: StageCost(perPacket: 10), batchLimit: 64,
      output: ToSink(out))
    let h = sim.register(Pusher(rx))
    for t in [0, 10_000] as [Int64] { sim.schedule(at: SimTime(nanoseconds: t), to: h, arg: 64) }
    sim.run()
    #expect(producer.notificationsSent == 2 && consumer.notifications == 2)
    #expect(producer.cycles == 100 + 150)
  }
}

@Suite("Linux bridge")
struct BridgeTests {
  /// A cold 3-port bridge with 10 µs aging. A frame for router 1 at t = 0 floods copies to
  /// vifs 0 and 2 (2 copies, marked, port = the vif); router 1 transmits at 1,000 (next hop
  /// unknown: flooded too, 2 more copies) and is learned, and again at 2,000 (nothing
  /// flooded: the next hop is known now). At 5,000 and 12,000 (12,000 - 2,000 = 10,000 <=
  /// aging) its entry holds; at 12,001 it has aged out: 2 more. Floods 3, copies 6.
  @Test func learningAgingAndFlooding() {
    let b = LinuxBridge(routers: 3, aging: .us(10), startsLearned: false)
    let vifs = [RecordingSink("vr0"), RecordingSink("vr1"), RecordingSink("vr2")]
    let uplink = RecordingSink("nic.tx")
    #expect(b.fromUplink(packet(flow: 1), to: vifs, at: .zero) == 2)
    #expect(vifs.map(\.packets.count) == [1, 1, 1])
    #expect(vifs[0].packets[0].flags & Packet.floodCopy != 0 && vifs[0].packets[0].port == 0)
    #expect(vifs[1].packets[0].flags == 0 && vifs[1].packets[0].port == 1)
    #expect(b.fromRouter(packet(flow: 1), uplink: uplink, vifs: vifs, at: SimTime(nanoseconds: 1_000)) == 2)
    #expect(uplink.packets.count == 1)
    #expect(b.fromRouter(packet(flow: 1), uplink: uplink, vifs: vifs, at: SimTime(nanoseconds: 2_000)) == 0)
    #expect(b.fromUplink(packet(flow: 1), to: vifs, at: SimTime(nanoseconds: 5_000)) == 0)
    #expect(b.fromUplink(packet(flow: 1), to: vifs, at: SimTime(nanoseconds: 12_000)) == 0)
    #expect(b.fromUplink(packet(flow: 1), to: vifs, at: SimTime(nanoseconds: 12_001)) == 2)
    #expect(b.floods == 3 && b.floodCopies == 6 && b.droppedCopies == 0)
  }

  /// A warm bridge floods nothing; a flood copy refused by a full vif queue is counted as a
  /// dropped copy by the bridge (not by the ring).
  @Test func warmTableAndDroppedCopies() {
    let warm = LinuxBridge(routers: 2)
    #expect(warm.fromUplink(packet(flow: 0), to: [RecordingSink(), RecordingSink()], at: .zero) == 0)
    let cold = LinuxBridge(routers: 2, startsLearned: false)
    let full = PacketRing(name: "vr1.vif.q", capacity: 1, flows: 2)
    full.accept(packet(flow: 1), at: .zero)
    #expect(cold.fromUplink(packet(flow: 0), to: [RecordingSink(), full], at: .zero) == 1)
    #expect(cold.droppedCopies == 1 && full.drops == 0)
  }

  /// The bridge outputs charge their stage copyCycles per copy: a cold 4-port bridge floods
  /// 3 copies per frame, so two frames owe 2 × 3 × 1,000 = 6,000 cycles; the second frame
  /// from a router (next hop now known) owes nothing.
  @Test func bridgeOutputsChargeFloodCopies() {
    let b = LinuxBridge(routers: 4, startsLearned: false)
    let vifs = (0..<4).map { RecordingSink("vr\($0)") }
    let inbound = BridgeFromUplink(b, vifs: vifs, copyCycles: 1_000)
    let frames = [packet(flow: 0), packet(flow: 1)]
    #expect(frames.withUnsafeBufferPointer { inbound.deliver($0, at: .zero) } == 6_000)
    let outbound = BridgeFromRouters(b, uplink: RecordingSink(), vifs: vifs, copyCycles: 1_000)
    let two = [packet(flow: 2), packet(flow: 2)]
    #expect(two.withUnsafeBufferPointer { outbound.deliver($0, at: .zero) } == 3_000)
  }

  /// A guest's filter discards flood copies and passes its own packets on.
  @Test func guestsDiscardFloodCopies() {
    let out = RecordingSink()
    let d = FloodCopyDiscard(then: out)
    var copy = packet(flow: 1)
    copy.flags |= Packet.floodCopy
    let batch = [packet(flow: 0), copy, packet(flow: 0)]
    #expect(batch.withUnsafeBufferPointer { d.deliver($0, at: .zero) } == 0)
    #expect(d.discarded == 1 && out.packets.count == 2)
  }
}

@Suite("Stage input and notification policies")
struct PolicyTests {
  /// 256-slot vif RX ring, target 64 ... 256.
  /// - 50 waiting, limit 64: free 14, 14 × 4 = 56 < 64: doubles to 128.
  /// - 50 waiting, limit 128: free 78, 312 is neither < 128 nor > 3 × 128 = 384: stays 128.
  /// - 100 waiting, limit 128: free 28, 112 < 128: doubles to 256.
  /// - 250 waiting, limit 256: free 6, 24 < 256: min(256, 512) = 256 (capped).
  /// - 0 waiting, limit 256: free 256, 1,024 > 768: shrinks by one to 255.
  @Test func refillTargetDoublesAndShrinks() {
    let ring = PacketRing(name: "vr0.vif.rx", capacity: 256, flows: 1)
    let refill = RxBufferRefill(ring: ring, minimum: 64, maximum: 256)
    #expect(refill.target == 64)
    func fill(_ n: Int) {
      while ring.count > n { _ = ring.pop() }
      while ring.count < n { ring.accept(packet(), at: .zero) }
    }
    fill(50)
    refill.afterPoll()
    #expect(refill.target == 128)
    refill.afterPoll()
    #expect(refill.target == 128)
    fill(100)
    refill.afterPoll()
    #expect(refill.target == 256)
    fill(250)
    refill.afterPoll()
    #expect(refill.target == 256)
    fill(0)
    refill.afterPoll()
    #expect(refill.target == 255)
  }

  /// At the minimum an idle ring does not shrink further: limit 64, 0 waiting, free 64,
  /// 256 > 192 but 64 is the minimum: stays 64. The 65th packet is dropped.
  @Test func refillStopsAtTheMinimum() {
    let ring = PacketRing(name: "vr0.vif.rx", capacity: 256, flows: 1)
    let refill = RxBufferRefill(ring: ring, minimum: 64, maximum: 256)
    refill.afterPoll()
    #expect(refill.target == 64)
    for _ in 0..<65 { ring.accept(packet(), at: .zero) }
    #expect(ring.count == 64 && ring.drops == 1)
  }

  /// Threshold 20,000 pps = a mean gap of 1e9 / 20,000 = 50,000 ns; interval 100 µs.
  /// - first arrival (t = 0): no estimate yet, gap = base 0;
  /// - t = 10,000: first gap 10,000 becomes the estimate, < 50,000: gap = 100,000;
  /// - t = 1,010,000: gap 1,000,000, estimate 10,000 + (1,000,000 - 10,000) / 16 = 71,875
  ///   > 50,000: back to base, here 5,000.
  @Test func clusteringFollowsTheRate() {
    let c = PacketClustering(thresholdPps: 20_000, interval: .us(100))
    #expect(c.gap(arrivalAt: 0, base: 0) == 0)
    #expect(c.gap(arrivalAt: 10_000, base: 0) == 100_000)
    #expect(c.isClustering)
    #expect(c.gap(arrivalAt: 1_010_000, base: 5_000) == 5_000)
    #expect(!c.isClustering)
  }
}
