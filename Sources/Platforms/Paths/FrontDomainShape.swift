import HostModel
import NetModel

/// The shape OpenVZ, VMware and the netns testbed share: a front domain (the host kernel, the
/// VMkernel, a bridge or router namespace) between the NIC and the routers, a software link
/// per router (venet, vmxnet, veth) with a backlog queue each way, and nothing else:
///
/// wire -> nic.rx -> front: NAPI + its hop -> vrN.<link>.rx -> router: its hop + IP forward
/// -> vrN.<link>.tx -> front: its hop + driver transmit -> nic.tx -> wire.
///
/// The front domain serves router i's return traffic on vCPU i mod vCPUs (per-CPU backlogs).
enum FrontDomainShape {
  /// What one stage of the shape does and costs per packet (batches cost a NAPI poll,
  /// notifications an interrupt).
  struct Hop {
    /// A few words for the path description.
    var does: String
    /// Cycles per packet.
    var perPacket: Int64
  }

  /// The profile keys `build` reads on platform `kind` (besides those of the hops its caller
  /// passes): the NAPI and interrupt costs, the backlog queues, the front domain's and the
  /// routers' working sets.
  static func profileKeys(_ kind: PlatformKind) -> [String] {
    ["irq", "napi_poll", "napi_weight", "backlog"] + PathBuilder.footprintKeys(kind.front.kind)
      + PathBuilder.footprintKeys(kind.routerKind) + PathBuilder.stageKeys(kind)
  }

  /// Builds the shape with `link` naming the per-router queues (`vr0.venet.rx`).
  static func build(
    into b: PathBuilder, link: String, front: Hop, router: (Int) -> Hop, back: Hop,
    clustering: (Int) -> PacketClustering? = { _ in nil }
  ) {
    let p = b.profile
    let frontDomain = b.domain(b.spec.dom0)
    let guests = b.routerDomains()
    let fv = frontDomain.vcpus
    func cost(_ perPacket: Int64) -> StageCost {
      StageCost(perPacket: perPacket, perBatch: p.napiPoll, perNotification: p.irq)
    }

    // wire -> NIC RX ring
    let rx = b.nicRx()
    let toGuest = b.routerRings("\(link).rx", capacity: p.backlog)
    let fromGuest = b.routerRings("\(link).tx", capacity: p.backlog)
    let nicTx = b.useNicTx()

    // front: NAPI + its hop -> the router's link queue
    b.stage(
      "\(frontDomain.name).nic-rx", does: front.does, on: fv[0], from: [rx], cost: cost(front.perPacket),
      batch: p.napiWeight, to: ByPort(toGuest), moderation: b.moderation)

    // router: its hop + IP forward -> the link's return queue
    for i in 0..<b.routers {
      let hop = router(i)
      b.stage(
        "vr\(i).\(link)", does: hop.does, on: guests[i].vcpus[0], from: [toGuest[i]],
        cost: cost(hop.perPacket),
        batch: p.napiWeight, to: ToSink(fromGuest[i]), clustering: clustering(i))
    }

    // front: its hop + driver transmit -> NIC TX ring -> wire
    for (g, mine) in b.groups(vcpus: fv.count) {
      b.stage(
        "\(frontDomain.name).tx\(fv.count > 1 ? "\(g)" : "")", does: back.does, on: fv[g],
        from: mine.map { fromGuest[$0] }, cost: cost(back.perPacket), batch: p.napiWeight, to: ToSink(nicTx))
    }
  }
}
