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
      routers: [RouterSpec(domain: DomainConfig(name: "vr0", kind: .guest))], flows: [])
    let sim = Simulation(seed: 0)
    let b = PathBuilder(
      sim: sim, host: Host(sim: sim, config: spec.host, scheduler: spec.scheduler), spec: spec,
      metrics: FlowMetrics(flows: 1))
    pathType.build(into: b)
    return b.description
  }

  /// Whether the path generates its traffic inside the model (the netns platforms' senders,
  /// pinned to CPUs of the host) rather than receiving it from the wire.
  public var hasOwnGenerator: Bool { [.netnsBridge, .netnsRouter, .netnsDirect].contains(self) }

  /// The front domain as scenarios name it (for building a sample path).
  private var sampleFront: DomainConfig {
    switch self {
    case .vmware: DomainConfig(name: "vmkernel", kind: .dom0)
    case .openvz, .netnsBridge, .netnsRouter, .netnsDirect: DomainConfig(name: "host", kind: .native)
    default: DomainConfig(name: "dom0", kind: .dom0)
    }
  }

  /// A scheduler of the kind the platform runs (for building a sample path).
  private var sampleScheduler: SchedulerConfig {
    switch self {
    case .native: .none
    case .xenBridge, .xenRouter, .xenSriov: .credit(CreditOptions())
    case .openvz, .netnsBridge, .netnsRouter, .netnsDirect: .cfs(CFSOptions())
    case .vmware: .vmware(VMwareOptions())
    }
  }
}
