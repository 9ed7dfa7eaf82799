import HostModel
import NetModel
import SimCore

/// The NIC of the host.
public struct NICSpec: Sendable, Codable, Equatable {
  /// Line rate in bits per second.
  public var bitsPerSecond: Double = 1e9
  /// RX descriptors (igb default 256).
  public var rxRing = 256
  /// TX descriptors.
  public var txRing = 256
  /// SR-IOV virtual functions per port (82576: 7).
  public var vfs = 7
  /// Receive queues dom0's NIC driver spreads flows over by receive-side scaling (Xen
  /// split-driver paths only), each with its own NAPI context on dom0 vCPU q mod vCPUs.
  public var rxQueues = 1
  /// Minimum gap between RX interrupts (interrupt throttling, ITR), in ns; 0 = none.
  public var interruptGapNs: Int64 = 0
  /// Creates the default NIC: 1 Gb/s, 256/256 descriptors, 7 VFs, no throttling.
  public init() {}
}

/// One virtual router.
public struct RouterSpec: Sendable {
  /// Its domain (vCPUs, weight, cap, affinity).
  public var domain: DomainConfig
  /// Its routing table.
  public var table: RouteTable
  /// Its lookup algorithm.
  public var fib: FIBAlgorithm
  /// Receive queues of its VF (xen-sriov), flows spread over them by RSS.
  public var rxQueues: Int
  /// Creates a router.
  public init(
    domain: DomainConfig, table: RouteTable = .generated(routes: 1_000), fib: FIBAlgorithm = .routeCache,
    rxQueues: Int = 1
  ) {
    self.domain = domain
    self.table = table
    self.fib = fib
    self.rxQueues = rxQueues
  }
}

/// Everything needed to build one virtualized-router host: hardware, scheduler, platform,
/// domains, traffic and costs.
public struct PlatformSpec: Sendable {
  /// pCPUs, clock and context-switch costs.
  public var host: HostConfig
  /// The hypervisor's (or kernel's) scheduler.
  public var scheduler: SchedulerConfig
  /// Which packet path.
  public var kind: PlatformKind
  /// The NIC.
  public var nic: NICSpec
  /// dom0 (Xen), the host kernel (OpenVZ, netns) or the VMkernel (VMware).
  public var dom0: DomainConfig
  /// The virtual routers.
  public var routers: [RouterSpec]
  /// Offered traffic.
  public var flows: [FlowSpec]
  /// Stage costs.
  public var profile: CostProfile
  /// The dom0 bridge's table is warm at the start (as after ARP), so nothing is flooded; when
  /// false, frames to not-yet-learned MACs are flooded to every vif until learned.
  public var bridgeStartsLearned = true
  /// Bridge table aging time (Linux default 300 s).
  public var bridgeAging: SimDuration = .s(300)

  /// Creates a spec.
  public init(
    host: HostConfig, scheduler: SchedulerConfig, kind: PlatformKind, nic: NICSpec = NICSpec(),
    dom0: DomainConfig = DomainConfig(name: "dom0", kind: .dom0), routers: [RouterSpec], flows: [FlowSpec],
    profile: CostProfile = .paper2012
  ) {
    self.host = host
    self.scheduler = scheduler
    self.kind = kind
    self.nic = nic
    self.dom0 = dom0
    self.routers = routers
    self.flows = flows
    self.profile = profile
  }
}

/// A platform spec that cannot be built.
public struct PlatformError: Error, CustomStringConvertible, Equatable {
  /// What is wrong.
  public var message: String
  /// Creates an error.
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
