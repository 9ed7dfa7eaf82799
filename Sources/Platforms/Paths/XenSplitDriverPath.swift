import HostModel
import NetModel

/// Xen's split driver with dom0 in the path, bridging (xen-bridge) or routing (xen-router):
///
/// wire -> NIC RX queue(s) -> dom0: NAPI + bridge (or FIB lookup) -> vif start_xmit: a posted
/// guest buffer free? claim it and join the group's rx_queue, else the vif's qdisc (32, drop
/// place `vrN.vif.qdisc`) -> netback grant copy (in rx_queue order) -> vrN.vif.rx (the posted
/// buffers) -> event channel -> domU: netfront NAPI + IP forward -> vrN.vif.tx (256) -> event
/// channel -> dom0: netback (grant map, 72 B copy) + bridge (or FIB lookup) -> NIC TX -> wire;
/// TX responses -> event channel -> domU.
///
/// Notifications are kept per ring, as event channels and ring event indices are: netback
/// re-arms each vif's `req_event` when it finds that vif's TX ring empty, netfront re-arms its
/// RX ring's `rsp_event` at the end of each poll and asks for a TX completion event at half its
/// outstanding requests (`TxCompletionEvents`), and a stopped vif queue is woken by the guest's
/// buffer refill (`NetbackVifQueue`). Each notification costs its sender an event-channel send
/// and its receiver an upcall.
///
/// Placement: one netback group per dom0 vCPU (Linux 2.6.32 netback: one group per online CPU;
/// a vif joins the group with the fewest vifs when it comes up, which for vifs brought up in
/// order is router i -> group i mod vCPUs); the NIC's receive queues (`host.nic.rx_queues`,
/// RSS by flow) each have their own NAPI context on dom0 vCPU q mod vCPUs.
enum XenSplitDriverPath: PlatformPath {
  static func profileKeys(_ kind: PlatformKind) -> [String] {
    [
      "driver_rx", "vif_xmit", "napi_poll", "irq", "napi_weight", "vif_scan", "vif_queue",
      "event_channel_upcall",
      "event_channel_send", "netback_rx_per_packet", "netback_rx_per_byte", "netback_rx_per_batch",
      "netback_rx_batch", "netfront_rx", "ip_forward", "guest_forward_penalty", "netfront_tx",
      "netfront_rx_target_min", "netback_tx_per_packet", "netback_tx_per_batch", "netback_tx_batch",
      "driver_tx",
    ] + (kind == .xenBridge ? ["bridge", "bridge_flood_copy"] : []) + PathBuilder.fibKeys
      + PathBuilder.footprintKeys(.dom0) + PathBuilder.footprintKeys(kind.routerKind)
      + PathBuilder.stageKeys(kind)
  }

  static func build(into b: PathBuilder) {
    let p = b.profile
    let n = b.routers
    let bridged = b.spec.kind == .xenBridge
    let dom0 = b.domain(b.spec.dom0)
    let guests = b.routerDomains()
    let d0 = dom0.vcpus
    let group = { (g: Int) in d0.count > 1 ? "\(g)" : "" }
    let groups = b.groups(vcpus: d0.count)
    var groupOf = Array(repeating: 0, count: n)
    for (g, mine) in groups { for i in mine { groupOf[i] = g } }
    let dom0Hop = bridged ? p.bridge : p.ipForward + b.fibCost(router: 0)
    let hopName = bridged ? "bridge" : "FIB lookup"
    // dom0 work per vif a stage serves, per batch (`vif_scan`, 0 = off)
    let scan = { (vifs: Int) in p.vifScan * Int64(vifs) }

    // wire -> NIC RX queue(s)
    let rxQueues = b.nicRxQueues(b.spec.nic.rxQueues)
    let qdisc = b.routerRings("vif.qdisc", capacity: p.vifQueue)
    var rxq: [Int: PacketRing] = [:]
    for (g, mine) in groups {
      rxq[g] = b.ring("dom0.netback\(group(g)).rx_queue", capacity: 256 * mine.count)
    }
    let vifRx = b.routerRings("vif.rx", capacity: 256)
    let vifTx = b.routerRings("vif.tx", capacity: 256)
    let nicTx = b.useNicTx()
    let bridge = bridged ? b.addBridge() : nil
    let vifs = NetbackVifQueue(
      qdiscs: qdisc, guestRings: vifRx, rxQueues: (0..<n).map { rxq[groupOf[$0]]! },
      upcallCycles: p.eventChannelUpcall, sendCycles: p.eventChannelSend)
    let completions = TxCompletionEvents(
      rings: vifTx, upcallCycles: p.eventChannelUpcall, sendCycles: p.eventChannelSend)

    // dom0: NAPI + bridge (or route) -> the vif's start_xmit (queue check before any copy)
    for (q, ring) in rxQueues.enumerated() {
      b.stage(
        "dom0.nic-rx\(rxQueues.count > 1 ? "\(q)" : "")", does: "NAPI + \(hopName)", on: d0[q % d0.count],
        from: [ring],
        cost: StageCost(
          perPacket: p.driverRx + dom0Hop + p.vifXmit, perBatch: p.napiPoll + scan(n), perNotification: p.irq),
        batch: p.napiWeight,
        to: bridge.map { BridgeFromUplink($0, vifs: vifs.admit, copyCycles: p.bridgeFloodCopy) }
          ?? ByPort(vifs.admit),
        moderation: b.moderation)
    }

    // dom0: netback grant-copies the group's rx_queue in order into the guests' posted buffers
    // (net_rx_action, one multicall per batch), then notifies each guest whose ring's rsp_event
    // the batch crossed, once per batch
    var copyStage: [Int: Stage] = [:]
    for (g, mine) in groups {
      copyStage[g] = b.stage(
        "dom0.netback-rx\(group(g))", does: "netback grant copy", on: d0[g], from: [rxq[g]!],
        cost: StageCost(
          perPacket: p.netbackRxPerPacket, perByte: p.netbackRxPerByte,
          perBatch: p.netbackRxPerBatch + scan(mine.count)),
        batch: p.netbackRxBatch, to: ByPort(vifs.copied), notifySendCost: p.eventChannelSend)
    }
    vifs.wakeStages = (0..<n).map { StageRef(copyStage[groupOf[$0]]!) }

    // domU: netfront NAPI (xen-netfront.c: xennet_poll, with its receive-buffer refill), flood
    // copies for other guests discarded, IP forward -> vif TX ring, kick over the event channel
    var netfronts: [Stage] = []
    for i in 0..<n {
      let s = b.stage(
        "vr\(i).netfront", does: "netfront + IP forward", on: guests[i].vcpus[0], from: [vifRx[i]],
        cost: StageCost(
          perPacket: p.netfrontRx + p.ipForward + b.fibCost(router: i) + p.guestForwardPenalty + p.netfrontTx,
          perBatch: p.napiPoll, perNotification: p.eventChannelUpcall),
        batch: p.napiWeight, to: b.discardingFloodCopies(then: vifTx[i]), notifySendCost: p.eventChannelSend,
        refill: RxBufferRefill(ring: vifRx[i], minimum: p.netfrontRxTargetMin, maximum: 256),
        scope: .ringAtPollEnd)
      s.hook = NetfrontEvents(router: i, tx: completions, rx: vifs)
      netfronts.append(s)
    }
    completions.guests = netfronts.map(StageRef.init)

    // dom0: netback grant map + 72 B copy (netback.c: net_tx_action, one vif per turn, each
    // vif re-armed when found empty), bridge (or route) -> NIC TX ring -> wire; TX responses
    for (g, mine) in groups {
      let s = b.stage(
        "dom0.netback-tx\(group(g))", does: "netback grant map + \(hopName)", on: d0[g],
        from: mine.map { vifTx[$0] },
        cost: StageCost(
          perPacket: p.netbackTxPerPacket + dom0Hop + p.driverTx,
          perBatch: p.netbackTxPerBatch + scan(mine.count),
          perNotification: p.eventChannelUpcall),
        batch: p.netbackTxBatch,
        to: bridge.map {
          BridgeFromRouters($0, uplink: nicTx, vifs: vifs.admit, copyCycles: p.bridgeFloodCopy)
        }
          ?? ToSink(nicTx),
        scope: .ringAtGather)
      s.hook = NetbackTxEvents(routers: mine, tx: completions)
    }
    b.countsRouterEvents(RingEvents(vifRx))
    b.countsRouterEvents(RingEvents(vifTx))
    b.countsRouterEvents(completions)
    b.countsRouterEvents(vifs)
  }
}
