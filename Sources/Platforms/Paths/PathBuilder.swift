import HostModel
import NetModel
import SimCore

/// One platform's packet path, as data: a file per platform under Sources/Platforms/Paths
/// builds its rings, stages and connections into a `PathBuilder`, top to bottom in packet
/// order.
protocol PlatformPath {
  /// Adds the platform's domains, rings, stages and connections to `b`.
  static func build(into b: PathBuilder)
  /// The profile keys (`CostProfile.settings` names) the path reads when it builds platform
  /// `kind` in any of its modes: the costs its file reads itself and those of the builder's
  /// helpers it calls (`PathBuilder.fibKeys`, `softirqKeys` ...). `PlatformKind.profileKeys`
  /// adds the host's and the result's; `ProfileKeyUseTests` checks every list against runs.
  static func profileKeys(_ kind: PlatformKind) -> [String]
}

extension PlatformKind {
  /// The file that builds this platform's packet path.
  var pathType: any PlatformPath.Type {
    switch self {
    case .native: NativePath.self
    case .xenBridge, .xenRouter: XenSplitDriverPath.self
    case .xenSriov: XenSriovPath.self
    case .openvz: OpenVZPath.self
    case .vmware: VMwarePath.self
    case .netnsBridge, .netnsRouter, .netnsDirect: NetnsPath.self
    }
  }
}

/// Collects a packet path while a platform's path file builds it: the domains it adds to the
/// host, every bounded queue (whose names are the drop places), the stages with what each
/// does, where the wire delivers each flow, and the components beside the stages (the bridge,
/// guests' flood-copy filters). Cold code: it runs once per host.
public final class PathBuilder {
  /// The simulation the path runs in.
  public let sim: Simulation
  /// The host model (domains are added to it).
  public let host: Host
  /// What is being built.
  public let spec: PlatformSpec
  /// The link behind every egress port.
  public let wire: Wire
  /// The NIC's transmit ring (unused by SR-IOV, whose VFs transmit).
  public let nicTx: EgressPort
  /// Every bounded queue in front of a stage, in the order created.
  public private(set) var rings: [PacketRing] = []
  /// Every stage, in the order created.
  public private(set) var stages: [Stage] = []
  /// The transmit rings the path uses.
  public private(set) var egress: [EgressPort] = []
  /// The rings the wire delivers into.
  public private(set) var rxRings: [PacketRing] = []
  /// `ringOfFlow[f]`: index in `rxRings` of flow f's ring.
  public private(set) var ringOfFlow: [Int]
  /// Receive queues of the NIC spread over by RSS (`nicRxQueues`); 1 = none.
  public private(set) var nicQueues = 1
  /// Per router, the indices in `rxRings` of its own receive queues (`wireDelivers(router:lanes:)`),
  /// empty when it has none.
  public private(set) var laneRings: [[Int]]
  /// The dom0 bridge, if the path has one.
  public private(set) var bridge: LinuxBridge?
  /// The guests' flood-copy filters.
  public private(set) var floodCopyDiscards: [FloodCopyDiscard] = []
  /// Per-router notification counters of the path's event-channel protocols (Xen split driver
  /// only; empty elsewhere, where notifications are not kept per router).
  public private(set) var routerEvents: [any RouterEventCounter] = []
  /// What each stage does, by stage (for the path description).
  private(set) var roles: [ObjectIdentifier: String] = [:]
  /// Each CPU's NET_RX softirq (netns paths; empty elsewhere).
  public private(set) var softirqs: [SoftirqCPU] = []
  /// The generators inside the model (netns paths; empty elsewhere: the wire brings traffic).
  public private(set) var senders: [Sender] = []
  /// Each sender's fixed CPU per trial outside its send loop, cycles, in the order of `senders`:
  /// `generator_start` for a trafgen sender (CBR flows, not iperf3), 0 for the others.
  public private(set) var senderStartCycles: [Int64] = []
  /// How many of `senders` are trafgen senders (every flow of their routers CBR, not iperf3):
  /// the processes whose start-up and exit lengthen the testbed's CPU window
  /// (`testbed_window_per_sender`).
  public private(set) var trafgenSenders = 0
  /// The sink namespace (netns paths).
  public private(set) var sink: SinkPort?
  /// A description the path file wrote itself (paths whose hops are not all stages).
  private var customDescription: String?

  /// Starts an empty path for `spec` on `host`; the wire reports into `metrics`.
  public init(sim: Simulation, host: Host, spec: PlatformSpec, metrics: FlowMetrics) {
    self.sim = sim
    self.host = host
    self.spec = spec
    wire = Wire(bitsPerSecond: spec.nic.bitsPerSecond, metrics: metrics)
    nicTx = EgressPort(name: "nic.tx", capacity: spec.nic.txRing, wire: wire)
    ringOfFlow = Array(repeating: 0, count: spec.routers.count)
    laneRings = Array(repeating: [], count: spec.routers.count)
  }

  /// The index in `rxRings` of the ring that receives the frames of `spec.flows[i]`: the k-th
  /// flow of its router goes to that router's queue k mod queues (RSS over the router's own
  /// queues), else flow i to the NIC's queue i mod queues (RSS over dom0's NIC queues), else to
  /// its router's ring. Departure: RSS hashes each flow's headers into an indirection table;
  /// here the flows are spread evenly, as the table does on average.
  public func ringOfSource(_ i: Int) -> Int {
    let r = spec.flows[i].router
    let lanes = laneRings[r]
    if !lanes.isEmpty {
      let k = spec.flows[..<i].filter { $0.router == r }.count
      return lanes[k % lanes.count]
    }
    return nicQueues > 1 ? i % nicQueues : ringOfFlow[r]
  }

  /// The stage costs.
  public var profile: CostProfile { spec.profile }
  /// Number of virtual routers.
  public var routers: Int { spec.routers.count }
  /// The NIC's interrupt throttling gap.
  public var moderation: SimDuration { .ns(spec.nic.interruptGapNs) }

  /// The profile keys `fibCost` reads: the FIB lookup cost model's.
  static let fibKeys = FIBCostModel.settings.map(\.key)

  /// Cycles of router r's FIB lookup (its algorithm and table).
  public func fibCost(router r: Int) -> Int64 {
    profile.fib.cycles(spec.routers[r].fib, spec.routers[r].table)
  }

  /// The profile keys `domain` reads for a domain of kind `kind`: its working set.
  static func footprintKeys(_ kind: DomainKind) -> [String] {
    switch kind {
    case .dom0: ["dom0_footprint"]
    case .guest, .container: ["guest_footprint"]
    case .native: []
    }
  }

  /// Adds a domain to the host, with its working set from the profile (`dom0_footprint` for
  /// a dom0-kind domain, `guest_footprint` for a guest or container).
  @discardableResult
  public func domain(_ config: DomainConfig) -> Domain {
    var c = config
    switch c.kind {
    case .dom0: c.footprintBytes = profile.dom0Footprint
    case .guest, .container: c.footprintBytes = profile.guestFootprint
    case .native: break
    }
    return host.addDomain(c)
  }

  /// Adds every router's domain, in router order.
  public func routerDomains() -> [Domain] { spec.routers.map { domain($0.domain) } }

  /// Whether notifications go through Xen (its event delivery is charged on them).
  var throughXen: Bool { spec.kind.isXen }

  /// A bounded queue named `name` (a drop place) of `capacity` packets.
  public func ring(_ name: String, capacity: Int) -> PacketRing {
    let r = PacketRing(name: name, capacity: capacity, flows: routers)
    rings.append(r)
    return r
  }

  /// One ring per router, named `vr<i>.<suffix>`.
  public func routerRings(_ suffix: String, capacity: Int) -> [PacketRing] {
    (0..<routers).map { ring("vr\($0).\(suffix)", capacity: capacity) }
  }

  /// Counts `counter`'s notifications per router.
  public func countsRouterEvents(_ counter: any RouterEventCounter) { routerEvents.append(counter) }

  /// The NIC's receive queues with receive-side scaling: `queues` rings (`nic.rx` when one,
  /// else `nic.rx0` ...), router r's flow hashed onto queue r mod `queues` (the flows' hashes
  /// spread evenly over the indirection table).
  public func nicRxQueues(_ queues: Int) -> [PacketRing] {
    guard queues > 1 else { return [nicRx()] }
    let qs = (0..<queues).map { ring("nic.rx\($0)", capacity: spec.nic.rxRing) }
    rxRings = qs
    nicQueues = queues
    for f in ringOfFlow.indices { ringOfFlow[f] = f % queues }
    return qs
  }

  /// The NIC's receive ring, into which the wire delivers every flow.
  public func nicRx() -> PacketRing {
    let rx = ring("nic.rx", capacity: spec.nic.rxRing)
    rxRings = [rx]
    for f in ringOfFlow.indices { ringOfFlow[f] = 0 }
    return rx
  }

  /// The wire delivers router r's flow into `ring` (the NIC's layer-2 sorter, SR-IOV).
  public func wireDelivers(router r: Int, to ring: PacketRing) {
    ringOfFlow[r] = rxRings.count
    rxRings.append(ring)
  }

  /// The wire delivers router r's flows into its queues `lanes` by RSS (the layer-2 sorter to
  /// the router's VF, then the VF's RSS over its queues): see `ringOfSource`.
  public func wireDelivers(router r: Int, lanes: [PacketRing]) {
    precondition(!lanes.isEmpty, "a router needs a receive queue")
    ringOfFlow[r] = rxRings.count
    laneRings[r] = lanes.indices.map { rxRings.count + $0 }
    rxRings += lanes
  }

  /// Uses the NIC's transmit ring; returns it.
  public func useNicTx() -> EgressPort {
    if !egress.contains(where: { $0 === nicTx }) { egress.append(nicTx) }
    return nicTx
  }

  /// A transmit ring of its own on the wire (an SR-IOV VF's).
  public func egressPort(_ name: String, capacity: Int) -> EgressPort {
    let e = EgressPort(name: name, capacity: capacity, wire: wire)
    egress.append(e)
    return e
  }

  /// The dom0 bridge of the path.
  public func addBridge() -> LinuxBridge {
    let b = LinuxBridge(routers: routers, aging: spec.bridgeAging, startsLearned: spec.bridgeStartsLearned)
    bridge = b
    return b
  }

  /// A guest's flood-copy filter in front of `sink`.
  public func discardingFloodCopies(then sink: any PacketSink) -> FloodCopyDiscard {
    let d = FloodCopyDiscard(then: sink)
    floodCopyDiscards.append(d)
    return d
  }

  /// The profile keys `stage` reads on platform `kind`: Xen's event delivery on a Xen platform.
  static func stageKeys(_ kind: PlatformKind) -> [String] { kind.isXen ? ["event_delivery"] : [] }

  /// A stage named `name` doing `does` (a few words for the path description) on `vcpu`,
  /// draining `inputs` in batches of at most `batch` into `output`.
  @discardableResult
  public func stage(
    _ name: String, does: String, on vcpu: VCPU, from inputs: [PacketRing], cost: StageCost, batch: Int,
    to output: any StageOutput, moderation: SimDuration = .zero, notifySendCost: Int64 = 0,
    refill: RxBufferRefill? = nil, clustering: PacketClustering? = nil, scope: NotificationScope = .stage
  ) -> Stage {
    var cost = cost
    // Xen delivers every notification a Xen platform's stage takes (`event_delivery`).
    if throughXen && cost.perNotification > 0 { cost.perNotification += profile.eventDelivery }
    let s = Stage(
      name: name, sim: sim, vcpu: vcpu, inputs: inputs, cost: cost, batchLimit: batch, output: output,
      moderation: moderation, notifySendCost: notifySendCost, refill: refill, clustering: clustering,
      scope: scope)
    stages.append(s)
    roles[ObjectIdentifier(s)] = does
    return s
  }

  /// The profile keys `softirqCPUs` reads.
  static let softirqKeys = ["backlog", "netdev_budget", "dev_weight", "netdev_budget_time", "softirq_entry"]

  /// One NET_RX softirq per pCPU, each with its backlog (`backlog`, a drop place) and its
  /// ksoftirqd thread (a domain `ksoftirqd/k` pinned to CPU k, weight 256), bounded by the
  /// profile's `netdev_budget`, `dev_weight`, `netdev_budget_time` and costing `softirq_entry`
  /// per run.
  public func softirqCPUs() -> [SoftirqCPU] {
    // the keys read here: `softirqKeys`
    if !softirqs.isEmpty { return softirqs }
    let p = profile
    let limit = Int64((Double(p.netdevBudgetTimeNs) * spec.host.clockGHz).rounded())
    softirqs = (0..<spec.host.cpus).map { k in
      let d = domain(DomainConfig(name: "ksoftirqd/\(k)", kind: .native, vcpus: 1, affinity: [k]))
      let s = SoftirqCPU(
        cpu: k, backlog: p.backlog, routers: routers, budget: p.netdevBudget, devWeight: p.devWeight,
        timeLimitCycles: Swift.max(1, limit), entryCycles: p.softirqEntry, ksoftirqd: d.vcpus[0])
      rings.append(s.backlog)
      return s
    }
    return softirqs
  }

  /// The sink namespace: frames reaching it count as forwarded.
  public func sinkPort() -> SinkPort {
    if let s = sink { return s }
    let s = SinkPort(metrics: wire.metrics)
    sink = s
    return s
  }

  /// The profile keys `sender` reads, trafgen's and iperf3's (the result charges `generator_start`).
  static let senderKeys = [
    "linux_switch_refill", "generator_burst", "generator_user", "generator_system", "generator_syscall",
    "generator_window", "generator_start", "udp_send_user", "udp_send_system", "udp_pacing", "udp_wakeup",
  ]

  /// A generator `name` pinned to `cpu` (a domain of its own, weight 256) sending the flows of
  /// `routers` into segment `segment` of the CPU's softirq, with the profile's generator costs
  /// and send mode (`generator_burst`, `generator_window`).
  /// With the scenario's `host.generator: iperf3` (`PlatformSpec.generator`) the sender is an
  /// iperf3 client instead: one sendto per datagram (`udp_send_user`, `udp_send_system`),
  /// paced on ticks of `udp_pacing`, each wake-up on a tick `udp_wakeup`.
  /// A trafgen sender (every flow of its routers CBR, not iperf3) also has `generator_start`, its
  /// process's CPU outside the send loop per trial (`senderStartCycles`; the result charges it).
  public func sender(_ name: String, cpu: Int, routers r: Set<Int>, segment: Int) {
    // the keys read here: `senderKeys`
    let p = profile
    var config = DomainConfig(name: name, kind: .native, vcpus: 1, affinity: [cpu])
    config.peerWarmupCycles = p.linuxSwitchRefill  // a switch from another sender: the refill
    let d = domain(config)
    let udp = spec.generator == .iperf3
    do {
      senders.append(
        try Sender(
          name: name, sim: sim, vcpu: d.vcpus[0], cpu: cpu, softirq: softirqCPUs()[cpu], segment: segment,
          flows: spec.flows, routers: r, routerCount: routers,
          mode: udp ? .udp : p.generatorBurst > 1 ? .txRing(burst: p.generatorBurst) : .perPacket,
          userCycles: udp ? p.udpSendUser : p.generatorUser,
          systemCycles: udp ? p.udpSendSystem : p.generatorSystem,
          syscallCycles: udp ? 0 : p.generatorSyscall,
          windowNs: udp ? 0 : p.generatorWindowNs, tickNs: udp ? p.udpPacingNs : 0,
          wakeCycles: udp ? p.udpWakeup : 0))
    } catch {
      // The scenario decoder checks frame mixes; a mix with no positive weight cannot reach here.
      preconditionFailure("\(name): \(error)")
    }
    let trafgen = !udp && spec.flows.filter { r.contains($0.router) }.allSatisfy { $0.arrivals == .cbr }
    senderStartCycles.append(trafgen ? p.generatorStart : 0)
    if trafgen { trafgenSenders += 1 }
  }

  /// The profile keys `udpSockets` reads.
  static let udpSocketKeys = [
    "udp_rcvbuf", "udp_truesize", "udp_recv_user", "udp_recv_system", "udp_recv_wakeup", "udp_wake_remote",
  ]

  /// The sink's UDP sockets (`host.generator: iperf3`): one per router, as the testbed runs one
  /// iperf3 server per router, each read by a receiver `iperf3-sN` (a domain of its own,
  /// weight 256) pinned to the scenario's `host.udp_receiver_cpu` (`PlatformSpec.udpReceiverCPU`,
  /// below the host's CPUs), with a buffer of `udp_rcvbuf`
  /// bytes of `udp_truesize`-byte datagrams. Returns them (also in `sink.sockets`).
  @discardableResult
  public func udpSockets() -> [UDPSocket] {
    // the keys read here: `udpSocketKeys`
    let p = profile
    let cpu = spec.udpReceiverCPU
    let capacity = UDPSocket.capacity(rcvbuf: p.udpRcvbuf, truesize: p.udpTruesize)
    let sockets = (0..<routers).map { r in
      let d = domain(DomainConfig(name: "iperf3-s\(r)", kind: .native, vcpus: 1, affinity: [cpu]))
      return UDPSocket(
        name: "sink.udp\(r)", capacity: capacity, flows: routers, vcpu: d.vcpus[0], cpu: cpu,
        userCycles: p.udpRecvUser, systemCycles: p.udpRecvSystem, wakeCycles: p.udpRecvWakeup)
    }
    let sink = sinkPort()
    sink.sockets = sockets
    // the wake-up of a reader on another CPU, in the softirq that queues its first datagram
    // (the chains ending at the sink are registered before the sockets)
    if p.udpWakeRemote > 0 {
      for s in softirqCPUs() { s.chargeRemoteWakes(cycles: p.udpWakeRemote, sink: sink) }
    }
    return sockets
  }

  /// Sets the path description (paths whose inline hops are not stages write their own,
  /// from the same hops they build).
  public func describe(_ text: String) { customDescription = text }

  /// How a domain with `vcpus` vCPUs splits the routers between per-vCPU stages: router i
  /// goes to group i mod `vcpus` (netback groups, per-CPU backlogs). Returns (group, its
  /// routers) for every group that serves at least one router.
  public func groups(vcpus: Int) -> [(group: Int, routers: [Int])] {
    (0..<vcpus).compactMap { g in
      let mine = (0..<routers).filter { $0 % vcpus == g }
      return mine.isEmpty ? nil : (g, mine)
    }
  }

  /// One-line description of the built path, as router 0's packets see it: every queue and
  /// stage from the wire back to the wire, with what each stage does and its input and
  /// notification policies; router numbers read `N` (`vrN.vif.rx`).
  public var description: String {
    if let d = customDescription { return d }
    var parts = ["wire"]
    guard !rxRings.isEmpty, !ringOfFlow.isEmpty else { return "wire" }
    var sink: any PacketSink = rxRings[ringOfFlow[0]]
    for _ in 0..<64 {
      if let f = sink as? any ForwardingSink {
        if let label = f.pathLabel { parts.append(Self.generic(label)) }
        sink = f.next
        continue
      }
      parts.append(Self.generic(sink.name))
      guard let ring = sink as? PacketRing, let stage = ring.consumer else { break }
      var does = roles[ObjectIdentifier(stage)].map { [$0] } ?? []
      if stage.refill != nil { does.append("rx buffer refill") }
      if stage.clustering != nil { does.append("packet clustering") }
      let role = does.isEmpty ? "" : " [" + does.joined(separator: "; ") + "]"
      parts.append(Self.generic(stage.name) + role)
      sink = stage.output.target(forPort: 0)
    }
    if sink is EgressPort { parts.append("wire") }
    return parts.joined(separator: " -> ")
  }

  /// `vr0.vif.rx` -> `vrN.vif.rx`, `vf0.rx` -> `vfN.rx`.
  static func generic(_ name: String) -> String {
    for prefix in ["vr0.", "vf0."] where name.hasPrefix(prefix) {
      return String(prefix.prefix(2)) + "N." + name.dropFirst(prefix.count)
    }
    return name
  }
}
