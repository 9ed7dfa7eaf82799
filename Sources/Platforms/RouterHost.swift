import HostModel
import NetModel
import SimCore

/// A simulated virtualized-router host: the host model, the packet path of one platform, the
/// traffic generator and the receiver, wired together in one `Simulation`.
///
/// ```swift
/// let host = try RouterHost(spec: spec, seed: 42, replication: 0)
/// let result = host.run(duration: .s(2), warmup: .ms(200))
/// ```
public final class RouterHost {
  /// The simulation it runs in.
  public let sim: Simulation
  /// The host model.
  public let host: Host
  /// The spec it was built from.
  public let spec: PlatformSpec
  /// Every bounded queue of the path, by name.
  public private(set) var rings: [PacketRing] = []
  /// Every stage of the path.
  public private(set) var stages: [Stage] = []
  /// Transmit rings at the egress.
  public private(set) var egress: [EgressPort] = []
  let ingress: IngressPort
  let metrics: FlowMetrics
  let wire: Wire
  /// The dom0 bridge (xen-bridge only).
  public private(set) var bridge: LinuxBridge?
  private var warmupEnd: SimTime = .zero
  private var started = false

  /// Builds the host for `spec` in a new simulation seeded with (`seed`, `replication`).
  /// - Throws: `PlatformError` for a spec that cannot be built (no routers, more SR-IOV
  ///   routers than VFs, a flow to a router that does not exist), or a traffic error.
  public init(spec: PlatformSpec, seed: UInt64, replication: Int = 0) throws {
    guard !spec.routers.isEmpty else { throw PlatformError("at least one router is needed") }
    if spec.kind == .xenSriov && spec.routers.count > spec.nic.vfs {
      throw PlatformError("xen-sriov: \(spec.routers.count) routers but the NIC has \(spec.nic.vfs) VFs")
    }
    for f in spec.flows where f.router < 0 || f.router >= spec.routers.count {
      throw PlatformError("a flow goes to router \(f.router), but routers are 0 ..< \(spec.routers.count)")
    }
    self.spec = spec
    let sim = Simulation(seed: seed, replication: replication, initialCapacity: 4096)
    self.sim = sim
    let host = Host(sim: sim, config: spec.host, scheduler: spec.scheduler)
    self.host = host
    let n = spec.routers.count
    metrics = FlowMetrics(flows: n)
    wire = Wire(bitsPerSecond: spec.nic.bitsPerSecond, metrics: metrics)
    let p = spec.profile
    let moderation = SimDuration.ns(spec.nic.interruptGapNs)
    func fibCost(_ r: RouterSpec) -> Int64 { p.fib.cycles(r.fib, r.table) }
    func ring(_ name: String, _ capacity: Int) -> PacketRing {
      PacketRing(name: name, capacity: capacity, flows: n)
    }
    var rings: [PacketRing] = []
    var stages: [Stage] = []
    var egress: [EgressPort] = []
    var rxRings: [PacketRing] = []
    var ringOfFlow = Array(repeating: 0, count: n)
    let nicTx = EgressPort(name: "nic.tx", capacity: spec.nic.txRing, wire: wire)

    switch spec.kind {
    case .native:
      let kernel = host.addDomain(DomainConfig(name: "kernel", kind: .native, vcpus: 1))
      let rx = ring("nic.rx", spec.nic.rxRing)
      // One RX queue, one core; the routers' tables are one kernel's table (the first router's).
      let cost = StageCost(
        perPacket: p.driverRx + p.ipForward + fibCost(spec.routers[0]) + p.driverTx, perBatch: p.napiPoll,
        perNotification: p.irq)
      stages.append(
        Stage(
          name: "kernel.napi", sim: sim, vcpu: kernel.vcpus[0], inputs: [rx], cost: cost,
          batchLimit: p.napiWeight, routing: .one(nicTx), moderation: moderation))
      rings.append(rx)
      rxRings = [rx]
      egress = [nicTx]

    case .xenBridge, .xenRouter:
      let dom0 = host.addDomain(spec.dom0)
      let guests = spec.routers.map { host.addDomain($0.domain) }
      let rx = ring("nic.rx", spec.nic.rxRing)
      let vifQ = (0..<n).map { ring("vr\($0).vif.q", p.vifQueue) }
      let vifRx = (0..<n).map { ring("vr\($0).vif.rx", 256) }
      let vifTx = (0..<n).map { ring("vr\($0).vif.tx", 256) }
      let dom0Hop =
        spec.kind == .xenBridge ? p.bridge : p.ipForward + fibCost(spec.routers[0])
      let d0 = dom0.vcpus
      let lb =
        spec.kind == .xenBridge
        ? LinuxBridge(routers: n, aging: spec.bridgeAging, startsLearned: spec.bridgeStartsLearned) : nil
      bridge = lb
      let inbound: Routing = lb.map { .bridgeFromUplink($0, vifs: vifQ) } ?? .byFlow(vifQ)
      let outbound: Routing = lb.map { .bridgeFromRouter($0, uplink: nicTx, vifs: vifQ) } ?? .one(nicTx)
      let nicRx = Stage(
        name: "dom0.nic-rx", sim: sim, vcpu: d0[0], inputs: [rx],
        cost: StageCost(
          perPacket: p.driverRx + dom0Hop + p.vifXmit, perBatch: p.napiPoll, perNotification: p.irq),
        batchLimit: p.napiWeight, routing: inbound, moderation: moderation)
      nicRx.floodCopyCost = p.bridgeFloodCopy
      stages.append(nicRx)
      // One netback group per dom0 vCPU; router i is served by group i mod vCPUs.
      for g in 0..<d0.count {
        let mine = (0..<n).filter { $0 % d0.count == g }
        guard !mine.isEmpty else { continue }
        stages.append(
          Stage(
            name: "dom0.netback-rx\(d0.count > 1 ? "\(g)" : "")", sim: sim, vcpu: d0[g],
            inputs: mine.map { vifQ[$0] },
            cost: StageCost(
              perPacket: p.netbackRxPerPacket, perByte: p.netbackRxPerByte, perBatch: p.netbackRxPerBatch),
            batchLimit: p.netbackRxBatch, routing: .byFlow(vifRx), notifySendCost: p.eventChannelSend))
        stages.append(
          Stage(
            name: "dom0.netback-tx\(d0.count > 1 ? "\(g)" : "")", sim: sim, vcpu: d0[g],
            inputs: mine.map { vifTx[$0] },
            cost: StageCost(
              perPacket: p.netbackTxPerPacket + dom0Hop + p.driverTx, perBatch: p.netbackTxPerBatch,
              perNotification: p.eventChannelUpcall),
            batchLimit: p.netbackTxBatch, routing: outbound))
        stages.last!.floodCopyCost = p.bridgeFloodCopy
      }
      for i in 0..<n {
        stages.append(
          Stage(
            name: "vr\(i).netfront", sim: sim, vcpu: guests[i].vcpus[0], inputs: [vifRx[i]],
            cost: StageCost(
              perPacket: p.netfrontRx + p.ipForward + fibCost(spec.routers[i]) + p.guestForwardPenalty
                + p.netfrontTx,
              perBatch: p.napiPoll, perNotification: p.eventChannelUpcall),
            batchLimit: p.napiWeight, routing: .one(vifTx[i]), notifySendCost: p.eventChannelSend))
      }
      for s in stages where s.name.hasSuffix(".netfront") {
        s.discardsFloodCopies = true
        s.rxRefill = Stage.RxRefill(minimum: p.netfrontRxTargetMin, maximum: 256)
      }
      rings = [rx] + vifQ + vifRx + vifTx
      rxRings = [rx]
      egress = [nicTx]

    case .xenSriov:
      // dom0 exists on an SR-IOV host too, but no packet passes through it.
      host.addDomain(spec.dom0)
      let guests = spec.routers.map { host.addDomain($0.domain) }
      for i in 0..<n {
        let vfRx = ring("vf\(i).rx", spec.nic.rxRing)
        let vfTx = EgressPort(name: "vf\(i).tx", capacity: spec.nic.txRing, wire: wire)
        stages.append(
          Stage(
            name: "vr\(i).vf", sim: sim, vcpu: guests[i].vcpus[0], inputs: [vfRx],
            cost: StageCost(
              perPacket: p.vfDriverRx + p.ipForward + fibCost(spec.routers[i]) + p.vfDriverTx,
              perBatch: p.napiPoll, perNotification: p.sriovInjection + p.irq),
            batchLimit: p.napiWeight, routing: .one(vfTx), moderation: moderation))
        rings.append(vfRx)
        rxRings.append(vfRx)
        ringOfFlow[i] = i
        egress.append(vfTx)
      }

    case .openvz, .vmware, .netnsBridge, .netnsRouter, .netnsDirect:
      let front = host.addDomain(spec.dom0)
      let guests = spec.routers.map { host.addDomain($0.domain) }
      let rx = ring("nic.rx", spec.nic.rxRing)
      let prefix: String
      let frontCost: Int64
      let guestCost: (Int) -> Int64
      let backCost: Int64
      var clustering: Stage.Clustering? = nil
      switch spec.kind {
      case .openvz:
        prefix = "venet"
        frontCost = p.driverRx + p.ipForward + fibCost(spec.routers[0]) + p.venetHop
        guestCost = { p.ipForward + fibCost(spec.routers[$0]) + p.venetHop }
        backCost = p.ipForward + p.driverTx
      case .vmware:
        prefix = "vmxnet"
        frontCost = p.driverRx + p.vmkEmulation
        guestCost = {
          p.netfrontRx + p.ipForward + fibCost(spec.routers[$0]) + p.netfrontTx + p.guestForwardPenalty
        }
        backCost = p.vmkEmulation + p.driverTx
        // VMkernel clusters packets for a VM only while its packet rate is high.
        clustering = Stage.Clustering(
          thresholdPps: p.vmkClusterThresholdPps, interval: .ns(p.vmkClusterIntervalNs))
      case .netnsBridge:
        prefix = "veth"
        frontCost = p.driverRx + p.bridge + p.vethHop
        guestCost = { p.vethHop + p.ipForward + fibCost(spec.routers[$0]) }
        backCost = p.bridge + p.vethHop + p.driverTx
      case .netnsRouter:
        prefix = "veth"
        frontCost = p.driverRx + p.ipForward + fibCost(spec.routers[0]) + p.vethHop
        guestCost = { p.vethHop + p.ipForward + fibCost(spec.routers[$0]) }
        backCost = p.ipForward + p.vethHop + p.driverTx
      default:  // netns-direct: the front hop is only the driver handing to the veth
        prefix = "veth"
        frontCost = p.driverRx + p.vethHop
        guestCost = { p.vethHop + p.ipForward + fibCost(spec.routers[$0]) }
        backCost = p.driverTx
      }
      let toGuest = (0..<n).map { ring("vr\($0).\(prefix).rx", p.backlog) }
      let fromGuest = (0..<n).map { ring("vr\($0).\(prefix).tx", p.backlog) }
      let fv = front.vcpus
      stages.append(
        Stage(
          name: "\(front.name).nic-rx", sim: sim, vcpu: fv[0], inputs: [rx],
          cost: StageCost(perPacket: frontCost, perBatch: p.napiPoll, perNotification: p.irq),
          batchLimit: p.napiWeight, routing: .byFlow(toGuest), moderation: moderation))
      for g in 0..<fv.count {
        let mine = (0..<n).filter { $0 % fv.count == g }
        guard !mine.isEmpty else { continue }
        stages.append(
          Stage(
            name: "\(front.name).tx\(fv.count > 1 ? "\(g)" : "")", sim: sim, vcpu: fv[g],
            inputs: mine.map { fromGuest[$0] },
            cost: StageCost(perPacket: backCost, perBatch: p.napiPoll, perNotification: p.irq),
            batchLimit: p.napiWeight, routing: .one(nicTx)))
      }
      for i in 0..<n {
        let guest = Stage(
          name: "vr\(i).\(prefix)", sim: sim, vcpu: guests[i].vcpus[0], inputs: [toGuest[i]],
          cost: StageCost(perPacket: guestCost(i), perBatch: p.napiPoll, perNotification: p.irq),
          batchLimit: p.napiWeight, routing: .one(fromGuest[i]))
        guest.clustering = clustering
        stages.append(guest)
      }
      rings = [rx] + toGuest + fromGuest
      rxRings = [rx]
      egress = [nicTx]
    }
    self.rings = rings
    self.stages = stages
    self.egress = egress
    ingress = try IngressPort(
      sim: sim, flows: spec.flows, bitsPerSecond: spec.nic.bitsPerSecond, rxRings: rxRings,
      ringOfFlow: ringOfFlow)
  }

  /// Runs the traffic for `warmup + duration` and returns what happened after the warm-up.
  public func run(duration: SimDuration, warmup: SimDuration = .zero) -> NetworkResult {
    precondition(duration.nanoseconds > 0, "duration must be positive")
    if !started {
      host.start()
      started = true
    }
    let end = SimTime.zero + warmup + duration
    ingress.start(in: sim, until: end)
    warmupEnd = .zero + warmup
    if warmup.nanoseconds > 0 {
      sim.onWarmupEnd(at: warmupEnd) { [unowned self] _ in self.resetStatistics() }
    }
    sim.run(until: end)
    return result(window: duration)
  }

  /// Runs `extra` more simulated time after `run` returned (traffic keeps flowing), for
  /// benchmarks that measure a warmed-up model.
  public func continueRun(for extra: SimDuration) {
    let end = sim.now + extra
    ingress.extend(until: end, in: sim)
    sim.run(until: end)
  }

  /// Forgets all windowed statistics (warm-up deletion).
  public func resetStatistics() {
    host.resetStatistics()
    let start = sim.now
    for r in rings { r.resetStatistics(from: start) }
    for s in stages { s.resetStatistics() }
    for e in egress { e.resetStatistics() }
    ingress.resetStatistics()
    metrics.resetStatistics(from: start)
  }

  /// Packets inside the host at this instant (rings and batches being processed).
  public var packetsInside: Int {
    rings.reduce(0) { $0 + $1.count } + stages.reduce(0) { $0 + $1.batchInProgress }
  }

  /// Whole-run packet accounting: offered = forwarded + dropped + inside, exactly.
  public var conservation: (offered: UInt64, forwarded: UInt64, dropped: UInt64, inside: Int) {
    let dropped = rings.reduce(UInt64(0)) { $0 + $1.drops } + egress.reduce(UInt64(0)) { $0 + $1.drops }
    return (ingress.offeredTotal, metrics.total, dropped, packetsInside - floodCopiesInside)
  }

  /// Bridge flood copies still inside (in rings or batches) at this instant: a copy made but
  /// not yet discarded by the wrong guest nor dropped.
  public var floodCopiesInside: Int {
    guard let b = bridge else { return 0 }
    let discarded = stages.reduce(UInt64(0)) { $0 + $1.discardedCopies }
    return Int(b.floodCopies) - Int(discarded) - Int(b.droppedCopies)
  }
}
