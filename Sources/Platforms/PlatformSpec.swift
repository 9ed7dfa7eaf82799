import HostModel
import NetModel
import SimCore

/// The physical NIC (one port): what a scenario's `host.nic` keys set, and what the paths read.
public struct NICSpec: Codable, Sendable, Equatable {
  /// Line rate in bits per second.
  public var rateBitsPerSecond: Int64
  /// RX descriptor ring size (packets).
  public var rxRing: Int
  /// TX descriptor ring size (packets).
  public var txRing: Int
  /// SR-IOV virtual functions available.
  public var vfs: Int
  /// Receive interrupt throttling.
  public var itr: InterruptThrottle = .off
  /// Receive queues dom0's NIC driver spreads flows over by receive-side scaling (Xen
  /// split-driver paths only), each with its own NAPI context on dom0 vCPU q mod vCPUs.
  public var rxQueues: Int = 1
  /// Minimum gap between RX interrupts in ns (0 = none): `itr` resolved for the offered
  /// traffic's mean frame size when the platform is built; not part of a scenario.
  public var interruptGapNs: Int64 = 0

  /// Line rate in bits per second, as the wire takes it.
  public var bitsPerSecond: Double { Double(rateBitsPerSecond) }

  /// A NIC; the defaults are the paper's Intel 82576 (1 Gb/s, igb's 256 descriptors, 7 VFs),
  /// without throttling.
  public init(rateBitsPerSecond: Int64 = 1_000_000_000, rxRing: Int = 256, txRing: Int = 256, vfs: Int = 7) {
    self.rateBitsPerSecond = rateBitsPerSecond
    self.rxRing = rxRing
    self.txRing = txRing
    self.vfs = vfs
  }

  enum CodingKeys: String, CodingKey { case rateBitsPerSecond, rxRing, txRing, vfs, itr, rxQueues }
}

/// Receive interrupt throttling of the NIC (igb's `InterruptThrottleRate`).
public enum InterruptThrottle: Codable, Sendable, Equatable {
  /// Every packet that finds the receive stage idle raises an interrupt at once.
  case off
  /// igb's default mode (dynamic conservative, InterruptThrottleRate=3): at most 20,000
  /// interrupts per second for small frames and 4,000 for bulk traffic. Departure: igb moves
  /// between the two by the bytes and packets it sees per interrupt (igb_update_itr); vrsim
  /// picks one from the offered flows' mean frame size (below 1200 B: 50 us, else 250 us).
  case dynamic
  /// At most one interrupt per interval.
  case interval(SimDuration)

  /// The least gap between interrupts for traffic of mean frame size `meanFrameBytes`.
  public func gap(meanFrameBytes: Double) -> SimDuration {
    switch self {
    case .off: .zero
    case .dynamic: meanFrameBytes < 1_200 ? .us(50) : .us(250)
    case .interval(let d): d
    }
  }
}

/// One virtual router as the model builds it: its domain, its loaded route table and its lookup
/// (the scenario's declared `RouterSpec` is what `routers.each` and the overrides set; the
/// scenario adapter resolves it into this, loading a `routes_file` once).
public struct RouterConfig: Sendable {
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
  public var routers: [RouterConfig]
  /// Offered traffic.
  public var flows: [FlowSpec]
  /// Stage costs.
  public var profile: CostProfile
  /// The dom0 bridge's table is warm at the start (as after ARP), so nothing is flooded; when
  /// false, frames to not-yet-learned MACs are flooded to every vif until learned.
  public var bridgeStartsLearned = true
  /// Bridge table aging time (Linux default 300 s).
  public var bridgeAging: SimDuration = .s(300)
  /// CPU jobs run beside the routers (the scenario's `workloads:`), none by default.
  public var jobs: [JobSpec] = []
  /// How the host forwards over veth (the scenario's `host.forwarding`; read by the netns
  /// paths only): in the softirq of the sending CPU, or threaded NAPI per router.
  public var forwarding: NetnsForwarding = .softirq
  /// The netns generator and sink (the scenario's `host.generator`; read by the netns paths
  /// only): trafgen frames into a blackhole route, or iperf3-like UDP sockets.
  public var generator: TrafficGenerator = .trafgen
  /// The CPU each UDP receiver (one iperf3 server per router) is pinned to (the scenario's
  /// `host.udp_receiver_cpu`; read with `generator` iperf3 only).
  public var udpReceiverCPU = 1

  /// Creates a spec.
  public init(
    host: HostConfig, scheduler: SchedulerConfig, kind: PlatformKind, nic: NICSpec = NICSpec(),
    dom0: DomainConfig = DomainConfig(name: "dom0", kind: .dom0), routers: [RouterConfig], flows: [FlowSpec],
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

/// The netns platforms' generator and sink: the scenario's `host.generator`, which the model
/// (`PathBuilder.sender`, `NetnsPath`) and the testbed (`TestbedSetup.generator`) both read. A
/// setting of the run, not a cost: a profile holds no generator.
public enum TrafficGenerator: String, Sendable, Codable, CaseIterable {
  /// trafgen (netsniff-ng): frames on a packet socket, into the sink's blackhole route.
  case trafgen
  /// iperf3: UDP datagrams, a client per router flow, a server per router reading its socket.
  case iperf3
}

/// How the host forwards over veth (the netns platforms): the scenario's `host.forwarding`,
/// which the model (`NetnsPath`) and the testbed's set-up (`TestbedSetup`) both read. A host
/// setting, not a cost: a profile holds no mode.
public enum NetnsForwarding: String, Sendable, Codable, CaseIterable {
  /// The whole chain in the NET_RX softirq of the sending CPU (the kernel's default).
  case softirq
  /// Each router's ingress veth polled by its own kernel thread (threaded NAPI), the rest of
  /// the chain in the softirq of the CPU each part runs on.
  case threaded
}

/// A platform spec that cannot be built.
public struct PlatformError: Error, CustomStringConvertible, Equatable {
  /// What is wrong.
  public var message: String
  /// Creates an error.
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
