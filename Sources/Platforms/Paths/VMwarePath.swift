import NetModel

/// VMware ESX: wire -> NIC -> VMkernel: device emulation -> vmxnet queue, clustered while the
/// VM's packet rate is high -> guest: vmxnet + IP forward -> VMkernel: emulation -> NIC -> wire.
enum VMwarePath: PlatformPath {
  static func profileKeys(_ kind: PlatformKind) -> [String] {
    [
      "driver_rx", "vmk_emulation", "netfront_rx", "ip_forward", "netfront_tx", "guest_forward_penalty",
      "driver_tx", "vmk_cluster_threshold", "vmk_cluster_interval",
    ] + PathBuilder.fibKeys + FrontDomainShape.profileKeys(kind)
  }

  static func build(into b: PathBuilder) {
    let p = b.profile
    FrontDomainShape.build(
      into: b, link: "vmxnet",
      front: .init(does: "NAPI + device emulation", perPacket: p.driverRx + p.vmkEmulation),
      router: {
        .init(
          does: "vmxnet + IP forward",
          perPacket: p.netfrontRx + p.ipForward + b.fibCost(router: $0) + p.netfrontTx + p.guestForwardPenalty
        )
      },
      back: .init(does: "device emulation + driver transmit", perPacket: p.vmkEmulation + p.driverTx),
      // VMkernel clusters packets for a VM only while its packet rate is high.
      clustering: { _ in
        PacketClustering(thresholdPps: p.vmkClusterThresholdPps, interval: .ns(p.vmkClusterIntervalNs))
      })
  }
}
