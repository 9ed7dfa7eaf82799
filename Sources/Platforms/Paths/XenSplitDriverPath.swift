import HostModel
import NetModel

/// Xen's split driver with dom0 in the path, bridging (xen-bridge) or routing (xen-router):
///
/// wire -> NIC RX -> dom0: NAPI + bridge (or FIB lookup) -> vrN.vif.q -> netback grant copy
/// -> vrN.vif.rx (256) -> event channel -> domU: netfront NAPI + IP forward -> vrN.vif.tx
/// (256) -> event channel -> dom0: netback (grant map, 72 B copy) + bridge (or FIB lookup)
/// -> NIC TX -> wire.
///
/// One netback group per dom0 vCPU: router i is served by group i mod vCPUs (Linux 2.6.32
/// drivers/xen/netback: one tasklet pair per group).
enum XenSplitDriverPath: PlatformPath {
  static func build(into b: PathBuilder) {
    let p = b.profile
    let n = b.routers
    let bridged = b.spec.kind == .xenBridge
    let dom0 = b.domain(b.spec.dom0)
    let guests = b.routerDomains()
    let d0 = dom0.vcpus
    let group = { (g: Int) in d0.count > 1 ? "\(g)" : "" }
    let dom0Hop = bridged ? p.bridge : p.ipForward + b.fibCost(router: 0)
    let hopName = bridged ? "bridge" : "FIB lookup"
    // dom0 work per vif a stage serves, per batch (`vif_scan`, 0 = off)
    let scan = { (vifs: Int) in p.vifScan * Int64(vifs) }

    // wire -> NIC RX ring
    let rx = b.nicRx()
    let vifQ = b.routerRings("vif.q", capacity: p.vifQueue)
    let vifRx = b.routerRings("vif.rx", capacity: 256)
    let vifTx = b.routerRings("vif.tx", capacity: 256)
    let nicTx = b.useNicTx()
    let bridge = bridged ? b.addBridge() : nil

    // dom0: NAPI + bridge (or route) -> the router's vif queue
    b.stage(
      "dom0.nic-rx", does: "NAPI + \(hopName)", on: d0[0], from: [rx],
      cost: StageCost(
        perPacket: p.driverRx + dom0Hop + p.vifXmit, perBatch: p.napiPoll + scan(n), perNotification: p.irq),
      batch: p.napiWeight,
      to: bridge.map { BridgeFromUplink($0, vifs: vifQ, copyCycles: p.bridgeFloodCopy) } ?? ByPort(vifQ),
      moderation: b.moderation)

    // dom0: netback grant-copies into the guests' posted buffers (netback.c: net_rx_action, one
    // multicall per batch), then notifies each guest it filled over its event channel
    for (g, mine) in b.groups(vcpus: d0.count) {
      b.stage(
        "dom0.netback-rx\(group(g))", does: "netback grant copy", on: d0[g], from: mine.map { vifQ[$0] },
        cost: StageCost(
          perPacket: p.netbackRxPerPacket, perByte: p.netbackRxPerByte,
          perBatch: p.netbackRxPerBatch + scan(mine.count)),
        batch: p.netbackRxBatch, to: ByPort(vifRx), notifySendCost: p.eventChannelSend)
    }

    // domU: netfront NAPI (xen-netfront.c: xennet_poll, with its receive-buffer refill), flood
    // copies for other guests discarded, IP forward -> vif TX ring, kick over the event channel
    for i in 0..<n {
      b.stage(
        "vr\(i).netfront", does: "netfront + IP forward", on: guests[i].vcpus[0], from: [vifRx[i]],
        cost: StageCost(
          perPacket: p.netfrontRx + p.ipForward + b.fibCost(router: i) + p.guestForwardPenalty + p.netfrontTx,
          perBatch: p.napiPoll, perNotification: p.eventChannelUpcall),
        batch: p.napiWeight, to: b.discardingFloodCopies(then: vifTx[i]), notifySendCost: p.eventChannelSend,
        refill: RxBufferRefill(ring: vifRx[i], minimum: p.netfrontRxTargetMin, maximum: 256))
    }

    // dom0: netback grant map + 72 B copy (netback.c: net_tx_action, one vif per turn), bridge
    // (or route) -> NIC TX ring -> wire
    for (g, mine) in b.groups(vcpus: d0.count) {
      b.stage(
        "dom0.netback-tx\(group(g))", does: "netback grant map + \(hopName)", on: d0[g],
        from: mine.map { vifTx[$0] },
        cost: StageCost(
          perPacket: p.netbackTxPerPacket + dom0Hop + p.driverTx,
          perBatch: p.netbackTxPerBatch + scan(mine.count),
          perNotification: p.eventChannelUpcall),
        batch: p.netbackTxBatch,
        to: bridge.map { BridgeFromRouters($0, uplink: nicTx, vifs: vifQ, copyCycles: p.bridgeFloodCopy) }
          ?? ToSink(nicTx))
    }
  }
}
