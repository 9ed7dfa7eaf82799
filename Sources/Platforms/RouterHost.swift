import HostModel
import NetModel
import SimCore

/// A simulated virtualized-router host: the host model, the packet path of one platform, the
/// traffic generator and the receiver, wired together in one `Simulation`.
///
/// ```swift
/// let host = try RouterHost(spec: spec, seed: 42, replication: 0)
/// let result = host.run(duration: .s(2), warmup: .ms(200))
/// ```
public final class RouterHost {
  /// The simulation it runs in.
  public let sim: Simulation
  /// The host model.
  public let host: Host
  /// The spec it was built from.
  public let spec: PlatformSpec
  /// Every bounded queue of the path, by name.
  public let rings: [PacketRing]
  /// Every stage of the path.
  public let stages: [Stage]
  /// Transmit rings at the egress.
  public let egress: [EgressPort]
  let ingress: IngressPort
  let metrics: FlowMetrics
  let wire: Wire
  /// The dom0 bridge (xen-bridge only).
  public let bridge: LinuxBridge?
  /// The guests' flood-copy filters (xen-bridge, xen-router).
  public let floodCopyDiscards: [FloodCopyDiscard]
  let path: PathBuilder
  let jobs: JobSet
  private var warmupEnd: SimTime = .zero
  private var started = false

  /// Builds the host for `spec` in a new simulation seeded with (`seed`, `replication`).
  /// - Throws: `PlatformError` for a spec that cannot be built (no routers, more SR-IOV
  ///   routers than VFs, a flow to a router that does not exist), or a traffic error.
  public init(spec: PlatformSpec, seed: UInt64, replication: Int = 0) throws {
    guard !spec.routers.isEmpty else { throw PlatformError("at least one router is needed") }
    if spec.kind == .xenSriov && spec.routers.count > spec.nic.vfs {
      throw PlatformError("xen-sriov: \(spec.routers.count) routers but the NIC has \(spec.nic.vfs) VFs")
    }
    for f in spec.flows where f.router < 0 || f.router >= spec.routers.count {
      throw PlatformError("a flow goes to router \(f.router), but routers are 0 ..< \(spec.routers.count)")
    }
    if spec.kind.hasOwnGenerator {
      // the in-model senders draw frame sizes like the ingress port, which refuses a mix
      // with no positive weight; they are built inside the path, so check it here
      for (i, f) in spec.flows.enumerated() {
        if case .empirical(let e) = f.frames,
          e.isEmpty || e.contains(where: { !($0.weight >= 0) })
            || !e.contains(where: { $0.weight > 0 })
        {
          throw PlatformError("traffic[\(i)]: a frame-size mix needs a positive weight and none negative")
        }
      }
    }
    self.spec = spec
    let sim = Simulation(seed: seed, replication: replication, initialCapacity: 4096)
    self.sim = sim
    var hostConfig = spec.host
    if spec.kind.hasOwnGenerator {
      // Linux tasks, not Xen domains: one direct cost per switch, no warm-up part
      let linux = spec.profile.linuxContextSwitch
      hostConfig.contextSwitch.crossDomainCycles = linux
      hostConfig.contextSwitch.sameDomainCycles = linux
      hostConfig.contextSwitch.warmupCycles = 0
    }
    let host = Host(sim: sim, config: hostConfig, scheduler: spec.scheduler)
    self.host = host
    metrics = FlowMetrics(flows: spec.routers.count)
    let path = PathBuilder(sim: sim, host: host, spec: spec, metrics: metrics)
    spec.kind.pathType.build(into: path)
    wire = path.wire
    rings = path.rings
    stages = path.stages
    egress = path.egress
    bridge = path.bridge
    floodCopyDiscards = path.floodCopyDiscards
    self.path = path
    ingress = try IngressPort(
      sim: sim, flows: spec.kind.hasOwnGenerator ? [] : spec.flows, bitsPerSecond: spec.nic.bitsPerSecond,
      rxRings: path.rxRings,
      ringOfFlow: path.ringOfFlow, ringOfSource: spec.flows.indices.map(path.ringOfSource))
    jobs = try JobSet(spec.jobs, host: host, sim: sim)
  }

  /// The profile keys the host model reads on platform `kind`: the context-switch cost model
  /// (`HostConfig.contextSwitch`, which a scenario takes from its profile). The netns platforms
  /// replace its switch costs by `linux_context_switch` (see `init`). Native's one kernel vCPU
  /// is woken by the NIC only, and has no working set: no same-domain switch, no IPI, no cache
  /// refill. xen-sriov's guests are woken by their VFs' interrupts, never by another pCPU: no IPI.
  static func hostProfileKeys(_ kind: PlatformKind) -> [String] {
    let replaced = ["context_switch", "context_switch_same_domain", "context_switch_warmup"]
    let host = ContextSwitchCosts.settings.map(\.key)
    switch kind {
    case .native: return ["context_switch", "context_switch_warmup", "sched_decision", "idle_exit"]
    case .xenSriov: return host.filter { $0 != "ipi_latency" }
    case .netnsBridge, .netnsRouter, .netnsDirect:
      return host.filter { !replaced.contains($0) } + ["linux_context_switch"]
    case .xenBridge, .xenRouter, .openvz, .vmware: return host
    }
  }

  /// One-line description of the path, generated from the built graph (see
  /// `PathBuilder.description`).
  public var pathDescription: String { path.description }

  /// Notifications caused for or by router `r`'s vif since the last reset (every ring and
  /// event protocol of the path that keeps them per router); nil on paths that do not.
  public func notifications(router r: Int) -> UInt64? {
    path.routerEvents.isEmpty ? nil : path.routerEvents.reduce(UInt64(0)) { $0 + $1.notifications(router: r) }
  }

  /// The places packets can be dropped at, generated from the built graph: every bounded
  /// queue and transmit ring, in the order the path created them; then the open-loop
  /// generator's (frames it could not put on the wire, on the platforms whose traffic comes
  /// from the wire) and the sink's UDP receive buffers (with UDP sockets). A result lists a
  /// place only where the model dropped; these are every place it could drop at.
  public var dropPlaces: [String] {
    rings.map(\.name) + egress.map(\.name) + (spec.kind.hasOwnGenerator ? [] : [Self.generatorDropPlace])
      + ((path.sink?.sockets.isEmpty ?? true) ? [] : [Self.receiveBufferDropPlace])
  }

  /// The drop place of the frames the open-loop generator could not put on the wire (line
  /// rate exceeded).
  public static let generatorDropPlace = "generator (line rate)"
  /// The drop place of the datagrams the sink's UDP sockets dropped with a full receive buffer.
  public static let receiveBufferDropPlace = "sink.rcvbuf"

  /// Runs the traffic for `warmup + duration` and returns what happened after the warm-up.
  public func run(duration: SimDuration, warmup: SimDuration = .zero) -> NetworkResult {
    precondition(duration.nanoseconds > 0, "duration must be positive")
    if !started {
      host.start()
      started = true
    }
    let end = SimTime.zero + warmup + duration
    ingress.start(in: sim, until: end)
    for s in path.senders { s.start(until: end, now: sim.now, in: sim) }
    warmupEnd = .zero + warmup
    if warmup.nanoseconds > 0 {
      sim.onWarmupEnd(at: warmupEnd) { [unowned self] _ in self.resetStatistics() }
    }
    sim.run(until: end)
    return result(window: duration)
  }

  /// Runs `extra` more simulated time after `run` returned (traffic keeps flowing), for
  /// benchmarks that measure a warmed-up model.
  public func continueRun(for extra: SimDuration) {
    let end = sim.now + extra
    ingress.extend(until: end, in: sim)
    for s in path.senders { s.extend(until: end, now: sim.now, in: sim) }
    sim.run(until: end)
  }

  /// Forgets all windowed statistics (warm-up deletion).
  public func resetStatistics() {
    host.resetStatistics()
    let start = sim.now
    for r in rings { r.resetStatistics(from: start) }
    for s in stages { s.resetStatistics() }
    for e in egress { e.resetStatistics() }
    for c in path.routerEvents { c.resetStatistics() }
    ingress.resetStatistics()
    for s in path.senders { s.resetStatistics() }
    for c in path.softirqs { c.resetStatistics(from: start) }
    for u in path.sink?.sockets ?? [] { u.resetStatistics(from: start) }
    metrics.resetStatistics(from: start)
    jobs.resetStatistics(at: start)
  }

  /// Packets inside the host at this instant (rings and batches being processed).
  public var packetsInside: Int {
    rings.reduce(0) { $0 + $1.count } + stages.reduce(0) { $0 + $1.batchInProgress }
      + path.softirqs.reduce(0) { $0 + $1.inside - $1.backlog.count }

  }

  /// The generators inside the model (netns platforms; empty elsewhere).
  public var senders: [Sender] { path.senders }

  /// Each CPU's NET_RX softirq (netns platforms; empty elsewhere).
  public var softirqs: [SoftirqCPU] { path.softirqs }

  /// Whole-run packet accounting: offered = forwarded + dropped + inside, exactly.
  public var conservation: (offered: UInt64, forwarded: UInt64, dropped: UInt64, inside: Int) {
    let dropped = rings.reduce(UInt64(0)) { $0 + $1.drops } + egress.reduce(UInt64(0)) { $0 + $1.drops }
    let offered =
      path.senders.isEmpty ? ingress.offeredTotal : path.senders.reduce(UInt64(0)) { $0 + $1.sentTotal }
    return (offered, metrics.total, dropped, packetsInside - floodCopiesInside)
  }

  /// Flood copies the guests received and discarded, whole run.
  public var discardedFloodCopies: UInt64 { floodCopyDiscards.reduce(UInt64(0)) { $0 + $1.discarded } }

  /// Bridge flood copies still inside (in rings or batches) at this instant: a copy made but
  /// not yet discarded by the wrong guest nor dropped.
  public var floodCopiesInside: Int {
    guard let b = bridge else { return 0 }
    return Int(b.floodCopies) - Int(discardedFloodCopies) - Int(b.droppedCopies)
  }
}
