import NetModel

/// The Linux testbed's own analogues, so the simulator can be calibrated and validated
/// against it: veth pairs, a bridge namespace (netns-bridge) or a router namespace
/// (netns-router) in front of the per-router namespaces, or none (netns-direct: the front hop
/// is only the driver handing to the veth), and CFS.
enum NetnsPath: PlatformPath {
  static func build(into b: PathBuilder) {
    let p = b.profile
    let router = { (i: Int) in
      FrontDomainShape.Hop(
        does: "veth + IP forward", perPacket: p.vethHop + p.ipForward + b.fibCost(router: i))
    }
    switch b.spec.kind {
    case .netnsBridge:
      FrontDomainShape.build(
        into: b, link: "veth",
        front: .init(does: "NAPI + bridge + veth", perPacket: p.driverRx + p.bridge + p.vethHop),
        router: router,
        back: .init(does: "bridge + veth + driver transmit", perPacket: p.bridge + p.vethHop + p.driverTx))
    case .netnsRouter:
      FrontDomainShape.build(
        into: b, link: "veth",
        front: .init(
          does: "NAPI + IP forward (FIB) + veth",
          perPacket: p.driverRx + p.ipForward + b.fibCost(router: 0) + p.vethHop),
        router: router,
        back: .init(
          does: "IP forward + veth + driver transmit", perPacket: p.ipForward + p.vethHop + p.driverTx))
    default:  // netns-direct
      FrontDomainShape.build(
        into: b, link: "veth", front: .init(does: "NAPI + veth", perPacket: p.driverRx + p.vethHop),
        router: router, back: .init(does: "driver transmit", perPacket: p.driverTx))
    }
  }
}
