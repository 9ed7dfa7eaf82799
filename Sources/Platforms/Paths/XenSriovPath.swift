import HostModel
import NetModel

/// Xen with SR-IOV: wire -> NIC L2 sorter (destination MAC) -> VF RX ring -> Xen interrupt
/// injection -> domU: VF driver NAPI + IP forward -> VF TX ring -> wire. dom0 exists on the
/// host but no packet passes through it.
///
/// A router with `rxQueues` > 1 has that many VF receive queues, its flows spread over them by
/// RSS, each queue's NAPI on the router's vCPU q mod vCPUs (so a multi-vCPU router forwards in
/// parallel); the 82576's VFs have one queue pair (igbvf), the default.
enum XenSriovPath: PlatformPath {
  static func profileKeys(_ kind: PlatformKind) -> [String] {
    ["vf_driver_rx", "ip_forward", "vf_driver_tx", "napi_poll", "sriov_injection", "irq", "napi_weight"]
      + PathBuilder.fibKeys + PathBuilder.footprintKeys(.dom0) + PathBuilder.footprintKeys(kind.routerKind)
      + PathBuilder.stageKeys(kind)
  }

  static func build(into b: PathBuilder) {
    let p = b.profile
    b.domain(b.spec.dom0)
    let guests = b.routerDomains()
    for i in 0..<b.routers {
      let queues = b.spec.routers[i].rxQueues
      let vcpus = guests[i].vcpus
      let suffix = { (q: Int) in queues > 1 ? "\(q)" : "" }
      // wire -> L2 sorter -> the router's VF RX ring(s)
      let vfRx = (0..<queues).map { b.ring("vf\(i).rx\(suffix($0))", capacity: b.spec.nic.rxRing) }
      b.wireDelivers(router: i, lanes: vfRx)
      let vfTx = b.egressPort("vf\(i).tx", capacity: b.spec.nic.txRing)
      // Xen injects the VF interrupt -> domU: VF driver (igbvf) NAPI + IP forward -> VF TX ring -> wire
      for q in 0..<queues {
        b.stage(
          "vr\(i).vf\(suffix(q))", does: "interrupt injection + VF driver + IP forward",
          on: vcpus[q % vcpus.count],
          from: [vfRx[q]],
          cost: StageCost(
            perPacket: p.vfDriverRx + p.ipForward + b.fibCost(router: i) + p.vfDriverTx,
            perBatch: p.napiPoll, perNotification: p.sriovInjection + p.irq),
          batch: p.napiWeight, to: ToSink(vfTx), moderation: b.moderation)
      }
    }
  }
}
