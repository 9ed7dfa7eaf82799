import NetModel

/// OpenVZ containers: wire -> NIC -> host kernel: NAPI + route to venet (an extra hop) ->
/// container: IP forward -> venet -> host kernel: route -> NIC -> wire; the two-level
/// scheduler is the host's (cfs).
enum OpenVZPath: PlatformPath {
  static func profileKeys(_ kind: PlatformKind) -> [String] {
    ["driver_rx", "ip_forward", "venet_hop", "driver_tx"] + PathBuilder.fibKeys
      + FrontDomainShape.profileKeys(kind)
  }

  static func build(into b: PathBuilder) {
    let p = b.profile
    FrontDomainShape.build(
      into: b, link: "venet",
      front: .init(
        does: "NAPI + route to venet", perPacket: p.driverRx + p.ipForward + b.fibCost(router: 0) + p.venetHop
      ),
      router: {
        .init(does: "IP forward + venet", perPacket: p.ipForward + b.fibCost(router: $0) + p.venetHop)
      },
      back: .init(does: "route + driver transmit", perPacket: p.ipForward + p.driverTx))
  }
}
