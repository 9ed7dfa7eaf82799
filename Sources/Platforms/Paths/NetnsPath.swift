import HostModel
import NetModel

/// The Linux testbed's own platforms, as Linux runs them on veth: a generator namespace
/// (trafgen, pinned to a CPU), a bridge namespace (netns-bridge), a router namespace
/// (netns-router) or nothing (netns-direct) in front of the router namespaces, and a sink
/// namespace whose blackhole route drops every frame. No NIC: no driver, interrupt or NAPI
/// batch costs.
///
/// Each hop is one veth crossing (`veth_hop`: transmit, `netif_rx`, the backlog dequeue,
/// receive) and the work of the namespace it enters:
/// - netns-direct: veth -> vrN: IP forward (FIB) -> veth -> sink: blackhole route;
/// - netns-router: veth -> dom0: IP forward (FIB) -> veth -> vrN: IP forward (FIB) -> veth ->
///   dom0: IP forward (FIB) -> veth -> sink: blackhole route;
/// - netns-bridge: the same with dom0 bridging (`bridge`) instead of forwarding.
///
/// netns-router's dom0 hops also pay `fib_rules` (0 by default): dom0 routes by policy rules,
/// so each of its lookups walks the rule list and validates the source through it.
///
/// Each crossing also costs `veth_per_byte` cycles per frame byte (0 by default), charged per
/// frame on its own size wherever the crossing runs.
///
/// Execution contexts (the scenario's `host.forwarding`, `PlatformSpec.forwarding`):
/// - softirq (default): every hop runs inline in the NET_RX softirq of the sending CPU, one
///   run-to-completion chain per frame before the sender's next send (`SoftirqCPU`): the
///   rate is clock / (generator + Σ hops + sink + softirq entry), the other CPUs stay idle.
/// - threaded: each router's ingress veth is polled by a kernel thread of its own (threaded
///   NAPI), a ring of `veth_ring` frames in front of it, placed and weighted as the router
///   (`routers.each.pin`, `weight`, `cap`) under the host's scheduler; the hops before it run
///   in the sender's softirq, those after it in the softirq of the thread's CPU. A poll takes
///   up to `napi_weight` frames, and so does the softirq run after it: each crossing pays its
///   poll set-up (`veth_poll`, a part of `veth_hop`) once per poll, not per frame.
///
/// Routers as the testbed places them: router N's cgroup (its kernel thread, its jobs) on CPUs
/// N x vCPUs ... mod CPUs unless pinned; generators as the testbed pins them, on the CPUs no
/// router is pinned to (every CPU if the pins cover them all): netns-direct has one per router
/// (router N's on the N-th of those CPUs, mod their count), the others one for all routers on
/// the first of them; but a trafgen generator (CBR flows) runs on CPU 0, where trafgen pins its
/// worker itself. Senders that share a CPU pay `linux_switch_refill` after a switch from another.
///
/// UDP sockets (the scenario's `host.generator: iperf3`, `PlatformSpec.generator`, which the
/// testbed reads too and runs iperf3 for): the generator is an iperf3 client per router, pinned as the testbed pins them
/// (client N on CPU N mod CPUs), one sendto per datagram paced on iperf3's timer ticks; the
/// sink's last hop is the UDP delivery into the router's socket (`udp_deliver`, in the softirq
/// that runs the chain), whose buffer (`sink.rcvbuf`, a drop place) a receiver process per
/// router (`iperf3-sN`, pinned to `host.udp_receiver_cpu`) drains one recvmsg at a time.
enum NetnsPath: PlatformPath {
  static func profileKeys(_ kind: PlatformKind) -> [String] {
    let front: [String] =
      switch kind {
      case .netnsBridge: ["bridge"]
      case .netnsRouter: ["fib_rules"]
      default: []
      }
    return [
      "veth_hop", "ip_forward", "sink_blackhole", "udp_deliver", "veth_ring", "veth_poll", "veth_per_byte",
    ]
      + ["napi_weight"] + front + PathBuilder.fibKeys + PathBuilder.softirqKeys + PathBuilder.senderKeys
      + PathBuilder.udpSocketKeys + PathBuilder.footprintKeys(kind.routerKind) + PathBuilder.stageKeys(kind)
  }

  /// One hop: a veth crossing into `place` and the work done there.
  struct Hop {
    var place: String
    var does: String
    var cycles: Int64
  }

  static func build(into b: PathBuilder) {
    let p = b.profile
    let front = b.domain(b.spec.dom0).name  // the host: jobs may run in it; no hop does
    // the routers' cgroups as the testbed makes them: cpuset router N x vCPUs ... mod CPUs
    // unless `routers.each.pin` says otherwise, weight and cap as given
    let guests = b.spec.routers.enumerated().map { (i, r) in
      var d = r.domain
      if d.affinity == nil {
        let cpus = b.spec.host.cpus
        d.affinity = Set((0..<min(d.vcpus, cpus)).map { (i * d.vcpus + $0) % cpus }).sorted()
      }
      return b.domain(d)
    }
    let n = b.routers
    let threaded = b.spec.forwarding == .threaded
    let cpus = b.softirqCPUs()
    let sink = b.sinkPort()

    func fwd(_ r: Int) -> Int64 { p.vethHop + p.ipForward + b.fibCost(router: r) }
    // dom0 routes by policy rules (`ip rule iif ...`): each lookup there walks the rules and
    // validates the source through them (`fib_rules`, 0 by default)
    let dom0Fwd = Hop(place: front, does: "IP forward (FIB)", cycles: fwd(0) + p.fibRules)
    let dom0Bridge = Hop(place: front, does: "bridge", cycles: p.vethHop + p.bridge)
    let udp = b.spec.generator == .iperf3
    let toSink =
      udp
      ? Hop(place: "sink", does: "UDP receive: queue to socket", cycles: p.vethHop + p.udpDeliver)
      : Hop(place: "sink", does: "blackhole route", cycles: p.vethHop + p.sinkBlackhole)
    // Every router's hops in packet order, and the index of the router's own hop.
    func hops(_ r: Int) -> (hops: [Hop], router: Int) {
      let mine = Hop(place: "vrN", does: "IP forward (FIB)", cycles: fwd(r))
      switch b.spec.kind {
      case .netnsBridge: return ([dom0Bridge, mine, dom0Bridge, toSink], 1)
      case .netnsRouter: return ([dom0Fwd, mine, dom0Fwd, toSink], 1)
      default: return ([mine, toSink], 0)
      }
    }
    // threaded mode: each crossing's poll set-up once per poll (`veth_poll`, at most a hop)
    let poll = threaded ? min(max(0, p.vethPoll), p.vethHop) : 0
    func segment(_ name: String, _ part: (Int) -> ArraySlice<Hop>, ends: [any PacketSink]) -> SoftirqSegment {
      SoftirqSegment(
        name: name, cycles: (0..<n).map { part($0).reduce(0) { $0 + $1.cycles - poll } },
        units: (0..<n).map { part($0).count }, ends: ends,
        hops: part(0).map { InlineHop($0.place, $0.does) }, perRun: Int64(part(0).count) * poll,
        perByte: Double(part(0).count) * p.vethPerByte)
    }

    let first: SoftirqSegment
    if threaded {
      // sender's softirq up to the router's veth -> vrN.veth.rx -> kernel thread: the router's
      // hop -> the thread CPU's backlog -> its softirq: the rest -> sink
      let rings = b.routerRings("veth.rx", capacity: p.vethRing)
      first = segment("to-thread", { hops($0).hops[..<hops($0).router] }, ends: rings)
      let after = segment(
        "after-thread", { hops($0).hops[(hops($0).router + 1)...] }, ends: (0..<n).map { _ in sink })
      let afterIndex = cpus.map { $0.add(after) }
      _ = cpus.map { $0.add(first) }
      for r in 0..<n {
        let thread = guests[r].vcpus[0]
        b.stage(
          "vr\(r).napi", does: "kernel thread: veth + IP forward (FIB)", on: thread, from: [rings[r]],
          cost: StageCost(
            perPacket: hops(r).hops[hops(r).router].cycles - poll, perByte: p.vethPerByte, perBatch: poll),
          batch: p.napiWeight,
          to: RaiseSoftirq(thread: thread, cpus: cpus, segmentIndex: afterIndex))
      }
    } else {
      first = segment("chain", { hops($0).hops[...] }, ends: (0..<n).map { _ in sink })
      _ = cpus.map { $0.add(first) }
    }
    let firstIndex = cpus[0].segments.firstIndex { $0 === first }!

    // the generators, pinned as the testbed pins trafgen: on the CPUs no router is pinned to
    // (all of them when the pins cover every CPU), router N's on the N-th of those mod their count
    let pinned = Set(b.spec.routers.compactMap(\.domain.affinity).joined().map { $0 % cpus.count })
    let free = (0..<cpus.count).filter { !pinned.contains($0) }
    let senderCPUs = free.isEmpty ? Array(0..<cpus.count) : free
    // A CBR group is sent by trafgen 0.6.8 with `--cpus 1`, which forks its one worker and pins
    // it to CPU 0 itself (trafgen.c: worker i on CPU i), whatever taskset the testbed started it
    // under: every trafgen runs on CPU 0 (measured: a trafgen started with `taskset -c 1` kept
    // CPU 1 idle and CPU 0 busy). The testbed's own sender (Poisson, on-off) stays where it is put.
    func placed(_ cpu: Int, _ routers: Set<Int>) -> (cpu: Int, routers: Set<Int>) {
      let trafgen = b.spec.flows.filter { routers.contains($0.router) }.allSatisfy { $0.arrivals == .cbr }
      return (cpu: trafgen ? 0 : cpu, routers: routers)
    }
    // UDP: an iperf3 client per router, pinned as the testbed pins them (client N on CPU N mod
    // CPUs; iperf3 keeps the taskset it is started under)
    let groups: [(cpu: Int, routers: Set<Int>)] =
      udp
      ? (0..<n).map { (cpu: $0 % cpus.count, routers: [$0]) }
      : b.spec.kind == .netnsDirect
        ? (0..<n).map { placed(senderCPUs[$0 % senderCPUs.count], [$0]) }
        : [placed(senderCPUs[0], Set(0..<n))]
    for (k, g) in groups.enumerated() {
      b.sender("gen\(k)", cpu: g.cpu, routers: g.routers, segment: firstIndex)
    }
    let sockets = udp ? b.udpSockets() : []

    // the path description, router 0's frames (router numbers read N)
    let sends =
      udp
      ? "gen0 [UDP sender on CPU \(groups[0].cpu): user + sendto, paced]"
      : "gen0 [sender on CPU \(groups[0].cpu): user + send call]"
    func chain(_ s: SoftirqSegment, _ context: String) -> String {
      let text = s.hops.map { "veth -> \($0.place): \($0.does)" }.joined(separator: " -> ")
      return "\(context) [" + text + "]"
    }
    var parts = [sends]
    if threaded {
      if first.units[0] > 0 {
        parts += ["cpu\(groups[0].cpu).backlog", chain(first, "softirq of the sending CPU")]
      }
      let after = cpus[0].segments[0]
      parts += ["vr0.veth.rx", "vr0.napi [kernel thread on vrN's CPU: veth + IP forward (FIB)]"]
      parts += ["cpuK.backlog", chain(after, "softirq of the thread's CPU")]
    } else {
      parts += ["cpu\(groups[0].cpu).backlog", chain(first, "softirq of the sending CPU")]
    }
    parts.append("sink")
    if let s = sockets.first {
      parts += [s.buffer.name, "iperf3-sN [UDP receiver on CPU \(s.cpu): recvmsg]"]
    }
    b.describe(parts.map(PathBuilder.generic).joined(separator: " -> "))
  }
}
