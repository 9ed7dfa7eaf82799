import HostModel
import NetModel

/// Xen with SR-IOV: wire -> NIC L2 sorter (destination MAC) -> VF RX ring -> Xen interrupt
/// injection -> domU: VF driver NAPI + IP forward -> VF TX ring -> wire. dom0 exists on the
/// host but no packet passes through it.
enum XenSriovPath: PlatformPath {
  static func build(into b: PathBuilder) {
    let p = b.profile
    b.domain(b.spec.dom0)
    let guests = b.routerDomains()
    for i in 0..<b.routers {
      // wire -> L2 sorter -> the router's VF RX ring
      let vfRx = b.ring("vf\(i).rx", capacity: b.spec.nic.rxRing)
      b.wireDelivers(router: i, to: vfRx)
      let vfTx = b.egressPort("vf\(i).tx", capacity: b.spec.nic.txRing)
      // Xen injects the VF interrupt -> domU: VF driver (igbvf) NAPI + IP forward -> VF TX ring -> wire
      b.stage(
        "vr\(i).vf", does: "interrupt injection + VF driver + IP forward", on: guests[i].vcpus[0],
        from: [vfRx],
        cost: StageCost(
          perPacket: p.vfDriverRx + p.ipForward + b.fibCost(router: i) + p.vfDriverTx,
          perBatch: p.napiPoll, perNotification: p.sriovInjection + p.irq),
        batch: p.napiWeight, to: ToSink(vfTx), moderation: b.moderation)
    }
  }
}
