import HostModel
import NetModel
import SimCore

/// The virtualization platforms vrsim assembles, each a named packet path (docs/DESIGN.md, "The life of a packet").
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

  /// One-line description of the path, generated from the graph its path file (under
  /// Sources/Platforms/Paths) builds for one router: every queue and stage from the wire back
  /// to the wire, router numbers read `N`.
  public var path: String {
    let spec = PlatformSpec(
      host: HostConfig(cpus: 4, clockGHz: 3.06), scheduler: sampleScheduler, kind: self, dom0: sampleFront,
      routers: [RouterConfig(domain: DomainConfig(name: "vr0", kind: .guest))], flows: [])
    let sim = Simulation(seed: 0)
    let b = PathBuilder(
      sim: sim, host: Host(sim: sim, config: spec.host, scheduler: spec.scheduler), spec: spec,
      metrics: FlowMetrics(flows: 1))
    pathType.build(into: b)
    return b.description
  }

  /// The cost keys (`CostProfile.settings` names, in their order) that a run of this platform
  /// reads in any of its modes (forwarding, generator, bridge or route): those of its path file
  /// (`PlatformPath.profileKeys`), of the host model and of the result. A key not listed changes
  /// nothing on this platform (`ProfileKeyUseTests` checks both ways); a scenario that sets one
  /// gets a warning.
  public var profileKeys: [String] {
    let read = Set(
      pathType.profileKeys(self) + RouterHost.hostProfileKeys(self) + RouterHost.resultProfileKeys(self))
    return CostProfile.settings.map(\.key).filter(read.contains)
  }

  /// Xen platforms: the credit or credit2 scheduler, dom0, event channels on the path.
  public var isXen: Bool { [.xenBridge, .xenRouter, .xenSriov].contains(self) }

  /// Whether the path generates its traffic inside the model (the netns platforms' senders,
  /// pinned to CPUs of the host) rather than receiving it from the wire.
  public var hasOwnGenerator: Bool { [.netnsBridge, .netnsRouter, .netnsDirect].contains(self) }

  /// Whether the path forwards over veth and so reads the host's forwarding mode
  /// (`PlatformSpec.forwarding`: softirq or threaded NAPI): the netns platforms.
  public var forwardsOverVeth: Bool { hasOwnGenerator }

  /// Whether the routers are containers of the host kernel (OpenVZ, netns) rather than guests.
  public var hasContainers: Bool { self == .openvz || hasOwnGenerator }

  /// The scheduler families that fit this platform; the first is the default.
  public var schedulerKinds: [SchedulerKind] {
    switch self {
    case .native: [.none]
    case .xenBridge, .xenRouter, .xenSriov: [.credit, .credit2]
    case .openvz: [.cfs]
    case .netnsBridge, .netnsRouter, .netnsDirect: [.cfs, .eevdf]
    case .vmware: [.vmware]
    }
  }

  /// The front domain's name and kind: dom0 on Xen (and native), the host kernel on OpenVZ and
  /// netns, the VMkernel on VMware.
  public var front: (name: String, kind: DomainKind) {
    switch self {
    case .vmware: ("vmkernel", .dom0)
    case .openvz, .netnsBridge, .netnsRouter, .netnsDirect: ("host", .native)
    default: ("dom0", .dom0)
    }
  }

  /// The domain kind of a router: a container or a guest.
  public var routerKind: DomainKind { hasContainers ? .container : .guest }

  /// Whether dom0's NIC driver may spread flows over several receive queues (RSS).
  public var hasDom0ReceiveQueues: Bool { self == .xenBridge || self == .xenRouter }

  /// Whether each router owns an SR-IOV virtual function (with its own receive queues).
  public var hasVirtualFunctions: Bool { self == .xenSriov }

  /// The front domain as scenarios name it (for building a sample path).
  private var sampleFront: DomainConfig { DomainConfig(name: front.name, kind: front.kind) }

  /// A scheduler of the kind the platform runs (for building a sample path).
  private var sampleScheduler: SchedulerConfig { SchedulerConfig(kind: schedulerKinds[0]) }
}
