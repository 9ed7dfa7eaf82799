/// The virtualization platforms vrsim assembles, each a named packet path (DESIGN.md).
public enum PlatformKind: String, Sendable, Codable, CaseIterable {
  /// Linux forwarding on the bare host: NIC -> NAPI + IP forward -> NIC.
  case native
  /// Xen, dom0 bridges frames to the guests' vifs; the guest routes.
  case xenBridge = "xen-bridge"
  /// Xen, dom0 routes (a FIB lookup) instead of bridging.
  case xenRouter = "xen-router"
  /// Xen with SR-IOV: each guest owns a VF; no dom0 on the path.
  case xenSriov = "xen-sriov"
  /// OpenVZ containers: host kernel + venet hop to each container.
  case openvz
  /// VMware ESX: VMkernel device emulation, vmxnet guests.
  case vmware
  /// Linux testbed: a bridge namespace between veths and router namespaces.
  case netnsBridge = "netns-bridge"
  /// Linux testbed: a router namespace in front of the router namespaces.
  case netnsRouter = "netns-router"
  /// Linux testbed: router namespaces reached directly (no dom0-like hop).
  case netnsDirect = "netns-direct"

  /// One-line description of the path.
  public var path: String {
    switch self {
    case .native: return "wire -> nic.rx -> kernel: NAPI + IP forward (FIB) -> nic.tx -> wire"
    case .xenBridge:
      return "wire -> nic.rx -> dom0: NAPI + bridge -> vrN.vif.q -> netback grant copy -> vrN.vif.rx "
        + "-> evtchn -> vrN: netfront + IP forward -> vrN.vif.tx -> evtchn -> dom0: netback grant map "
        + "+ bridge -> nic.tx -> wire"
    case .xenRouter: return "as xen-bridge, with a dom0 FIB lookup instead of the bridge"
    case .xenSriov:
      return
        "wire -> L2 sorter -> vfN.rx -> Xen interrupt injection -> vrN: VF driver + IP forward -> vfN.tx -> wire"
    case .openvz:
      return "wire -> nic.rx -> host: NAPI + route -> vrN.venet -> container: IP forward + venet -> nic.tx"
    case .vmware:
      return
        "wire -> nic.rx -> VMkernel: emulation (+ clustering) -> vrN.vmxnet.rx -> guest: vmxnet + IP forward -> VMkernel -> nic.tx"
    case .netnsBridge: return "veth -> bridge ns -> vrN.veth -> router ns: IP forward -> bridge ns -> veth"
    case .netnsRouter:
      return "veth -> router ns (FIB) -> vrN.veth -> router ns: IP forward -> router ns -> veth"
    case .netnsDirect: return "veth -> vrN.veth -> router ns: IP forward -> veth"
    }
  }
}
