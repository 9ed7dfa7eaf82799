import Foundation
import Scenario

/// Where cgroups are made: the v1 controllers `cpu` and `cpuset` (mounted apart), or the
/// unified v2 hierarchy with its equivalents (cpu.weight, cpu.max, cpuset.cpus).
public enum CgroupLayout: Sendable, Equatable {
  /// cgroup v1: `<root>/cpu/<name>` and `<root>/cpuset/<name>`.
  case v1(root: String)
  /// cgroup v2: `<root>/<name>` (the cpu and cpuset controllers enabled in the root's subtree).
  case v2(root: String)

  /// The layout this machine offers: v1 when the cpu and cpuset controllers are mounted
  /// under /sys/fs/cgroup, else v2 when /sys/fs/cgroup is the unified hierarchy, else nil.
  public static func detect(root: String = "/sys/fs/cgroup") -> CgroupLayout? {
    let fm = FileManager.default
    if fm.fileExists(atPath: root + "/cpu/cpu.shares") && fm.fileExists(atPath: root + "/cpuset/cpuset.cpus")
    {
      return .v1(root: root)
    }
    if fm.fileExists(atPath: root + "/cgroup.controllers") { return .v2(root: root) }
    return nil
  }

  /// A short name for reports.
  public var label: String {
    switch self {
    case .v1: "v1 (cpu, cpuset)"
    case .v2: "v2 (unified)"
    }
  }
}

/// One cgroup to create and the control files to write, in order.
public struct CgroupStep: Sendable, Equatable {
  /// The directory.
  public var path: String
  /// (file, value) pairs written after mkdir.
  public var settings: [(file: String, value: String)]

  public static func == (a: CgroupStep, b: CgroupStep) -> Bool {
    a.path == b.path && a.settings.map(\.file) == b.settings.map(\.file)
      && a.settings.map(\.value) == b.settings.map(\.value)
  }
}

/// One step of building a topology.
public enum PlanStep: Sendable, Equatable {
  /// `ip netns add NAME`: creates a namespace the run owns.
  case namespace(String)
  /// An external command (an argument vector) with optional stdin (a `-batch -` script).
  case command([String], input: String?)
  /// A cgroup directory the run owns, with its settings.
  case cgroup(CgroupStep)
}

/// A network interface of the topology, with the namespace it lives in.
public struct TopologyPort: Sendable, Equatable {
  /// Namespace name.
  public var namespace: String
  /// Interface name.
  public var name: String
  /// Its MAC address.
  public var mac: String
  /// Its IPv4 address (without length), if any.
  public var address: String?
}

/// One trafgen process: the device it sends on and the frames it cycles through.
public struct GeneratorDevice: Sendable, Equatable {
  /// The port it sends on (in the generator namespace).
  public var port: TopologyPort
  /// The routers whose flows leave through this port.
  public var routers: [Int]
  /// Destination MAC of its frames where one next hop serves every router on the device
  /// (dom0's on the router platform, the router's own on direct); empty on the bridge
  /// platform, whose frames carry each router's MAC: use `TopologyPlan.nextHopMAC(router:)`.
  public var nextHopMAC: String
}

/// The namespaces, links, cgroups and commands of one testbed topology, built from a
/// `TestbedSetup` without touching the machine (pure), so it can be printed (`--plan`),
/// compared with golden files, and executed by `TopologyBuilder`.
///
/// Layout (P = the run prefix):
/// - bridge: P gen [g0] -- [d0] P dom0 {brin: d0, iNd | brout: oNd, s0d} -- [iNr] P vrN [oNr]
///   ... [s0s] P sink
/// - router: the same links without bridges; dom0 routes with `ip rule iif d0 table 100`
///   (toward the routers) and `iif oNd table 200` (toward the sink): it sees every
///   destination twice, once per direction.
/// - direct: P gen [iNg] -- [iNr] P vrN [oNr] -- [oNs] P sink.
/// - always: P gen [cg] -- [cs] P sink, for measuring the generator's own ceiling.
/// The sink forwards into a blackhole route (198.18.0.0/15), so it drops in the route
/// lookup and never answers. Every neighbour and bridge FDB entry is static.
public struct TopologyPlan: Sendable {
  /// The setup it was made from.
  public let setup: TestbedSetup
  /// The run prefix.
  public let prefix: RunPrefix
  /// The steps, in order.
  public private(set) var steps: [PlanStep] = []
  /// Per step (same index): the ssh target of the host it runs on, nil for this machine.
  public private(set) var stepHosts: [SSHTarget?] = []
  /// Namespaces in creation order.
  public private(set) var namespaces: [String] = []
  /// Every port (interface) of the topology.
  public private(set) var ports: [TopologyPort] = []
  /// Generator devices (one trafgen each).
  public private(set) var generators: [GeneratorDevice] = []
  /// The sink ports that count forwarded packets.
  public private(set) var sinkPorts: [TopologyPort] = []
  /// The generator's port straight to the sink, and the sink's end.
  public private(set) var ceilingPorts: (gen: TopologyPort, sink: TopologyPort)
  /// Per router: its inbound and outbound port.
  public private(set) var routerPorts: [(rx: TopologyPort, tx: TopologyPort)] = []
  /// The dom0 port toward the sink (bridge and router platforms).
  public private(set) var dom0SinkPort: TopologyPort?
  /// Threaded mode (`host.forwarding: threaded`): each device whose receive side becomes
  /// a NAPI kernel thread, with the router it belongs to (nil: dom0's ingress) and the cgroup
  /// directories the thread joins (empty: none; a NAPI thread can join a v1 cpu and cpuset
  /// cgroup, which places and weights it as the router's processes).
  public private(set) var threadedDevices: [(port: TopologyPort, router: Int?, cgroups: [String])] = []
  /// The cgroup layout the plan uses.
  public let cgroupLayout: CgroupLayout

  /// The generator, dom0, sink and router namespace names.
  public var generatorNamespace: String { prefix.name("gen") }
  /// The dom0-like namespace (bridge and router platforms only).
  public var dom0Namespace: String { prefix.name("dom0") }
  /// The sink namespace.
  public var sinkNamespace: String { prefix.name("sink") }
  /// Router N's namespace.
  public func routerNamespace(_ n: Int) -> String { prefix.name("vr\(n)") }
  /// Router N's cgroup name (the same in every controller).
  public func routerCgroup(_ n: Int) -> String { prefix.name("vr\(n)") }

  /// The destination address of router N's traffic (RFC 2544 benchmark range).
  public static func destination(router n: Int) -> String { "198.18.\(n).1" }

  /// The role whose host namespace `ns` lives on: the generator, the sink, or the dut
  /// (dom0 and the routers).
  public func role(ofNamespace ns: String) -> TestbedRole {
    ns == generatorNamespace ? .generator : ns == sinkNamespace ? .sink : .dut
  }

  /// The ssh target of the host namespace `ns` lives on; nil: this machine.
  public func host(ofNamespace ns: String) -> SSHTarget? { setup.roles.target(role(ofNamespace: ns)) }

  /// The steps with the host each runs on.
  public var placedSteps: [(step: PlanStep, host: SSHTarget?)] {
    Array(zip(steps, stepHosts)).map { ($0.0, $0.1) }
  }

  /// The commands that make cgroup `c` on a remote host, as argument vectors with stdin:
  /// `mkdir PATH`, then `tee PATH/FILE` with each value on stdin (no shell, no redirection).
  public static func remoteCgroupCommands(_ c: CgroupStep) -> [(argv: [String], input: String?)] {
    [(["mkdir", c.path], nil)] + c.settings.map { (["tee", c.path + "/" + $0.file], $0.value) }
  }

  /// Builds the plan of `setup` with names under `prefix` and cgroups in `cgroups`.
  public init(setup: TestbedSetup, prefix: RunPrefix, cgroups: CgroupLayout) {
    self.setup = setup
    self.prefix = prefix
    self.cgroupLayout = cgroups
    let p = prefix
    let gen = p.name("gen")
    let dom0 = p.name("dom0")
    let sink = p.name("sink")
    let n = setup.routers.count
    let hasDom0 = setup.platform != .direct
    namespaces = [gen] + (hasDom0 ? [dom0] : []) + (0..<n).map { p.name("vr\($0)") } + [sink]

    var macCounter = 0
    func port(_ ns: String, _ role: String, _ address: String?) -> TopologyPort {
      macCounter += 1
      let mac = String(format: "02:76:74:00:%02x:%02x", macCounter >> 8, macCounter & 0xff)
      return TopologyPort(namespace: ns, name: p.name(role), mac: mac, address: address)
    }
    // Batches per namespace: link creation first (every namespace), then configuration.
    var create: [String: [String]] = [:]
    var config: [String: [String]] = [:]
    var fdb: [String] = []
    var allPorts: [TopologyPort] = []
    let roles = setup.roles
    func roleOf(_ ns: String) -> TestbedRole { ns == gen ? .generator : ns == sink ? .sink : .dut }
    func hostKey(_ t: SSHTarget?) -> String { t.map { "\($0.host):\($0.port)" } ?? "" }
    // Cables: macvlans made on named parents, one `ip -batch -` per host, in first-use order.
    var macvlanHosts: [(key: String, target: SSHTarget?)] = []
    var macvlans: [String: [String]] = [:]
    var cablesUsed: [Set<TestbedRole>: Int] = [:]
    /// Links `a` and `b`: a veth pair when their namespaces are on one host, else two
    /// macvlans on the cable's ends. `bReceivesForeign`: b must receive frames addressed to
    /// other MACs (dom0's bridge port toward the generator).
    func veth(_ a: TopologyPort, _ b: TopologyPort, prefixLength: Int = 24, bReceivesForeign: Bool = false) {
      let (ra, rb) = (roleOf(a.namespace), roleOf(b.namespace))
      if ra == rb || roles.sameHost(ra, rb) {
        create[a.namespace, default: []].append(
          "link add \(a.name) address \(a.mac) type veth peer name \(b.name) address \(b.mac) netns \(b.namespace)"
        )
      } else {
        let k = cablesUsed[[ra, rb], default: 0]
        cablesUsed[[ra, rb]] = k + 1
        for (end, role, peer, foreign) in [(a, ra, rb, false), (b, rb, ra, bReceivesForeign)] {
          let parents = roles.ports(role, toward: peer)
          // `checkCables` made sure of one parent per link; a plan made without it names the key.
          let parent =
            k < parents.count ? parents[k] : "MISSING-testbed.\(role.rawValue).ports.\(peer.rawValue)"
          let target = roles.target(role)
          let key = hostKey(target)
          if macvlans[key] == nil { macvlanHosts.append((key, target)) }
          // Mode bridge receives the frames addressed to its own MAC (and broadcasts). dom0's
          // bridge port toward the generator must also take frames addressed to the routers'
          // MACs: mode source delivers every frame from the listed source MAC (the generator's
          // port) whatever its destination (verified live: a bridge behind it forwards them),
          // and as a bridge port it is promiscuous, which the macvlan passes on to its parent
          // as a counted reference (so a NIC's unicast filter lets the frames in), dropped
          // when the macvlan goes. Passthru would take the parent's MAC (the plan would not
          // be static) and the whole parent.
          let mode = foreign ? "source macaddr add \(a.mac)" : "bridge"
          macvlans[key, default: []].append(
            "link add link \(parent) name \(end.name) address \(end.mac) netns \(end.namespace) type macvlan mode \(mode)"
          )
        }
      }
      for e in [a, b] {
        if let addr = e.address {
          config[e.namespace, default: []].append("addr add \(addr)/\(prefixLength) dev \(e.name)")
        }
        config[e.namespace, default: []].append("link set dev \(e.name) up")
      }
      allPorts += [a, b]
    }
    func neigh(_ at: TopologyPort, _ to: TopologyPort) {
      config[at.namespace, default: []].append(
        "neigh replace \(to.address!) lladdr \(to.mac) dev \(at.name) nud permanent")
    }
    var routeNextHop: [(TopologyPort, String)] = []  // per router: out port, next-hop address

    switch setup.platform {
    case .bridge:
      let g0 = port(gen, "g0", "10.1.0.1")
      let d0 = port(dom0, "d0", nil)
      veth(g0, d0, bReceivesForeign: true)
      create[dom0, default: []].append("link add \(p.name("brin")) type bridge stp_state 0")
      create[dom0, default: []].append("link add \(p.name("brout")) type bridge stp_state 0")
      config[dom0, default: []].append("link set dev \(p.name("brin")) up")
      config[dom0, default: []].append("link set dev \(p.name("brout")) up")
      config[dom0, default: []].append("link set dev \(d0.name) master \(p.name("brin"))")
      let s0d = port(dom0, "s0d", nil)
      let s0s = port(sink, "s0s", "10.2.0.1")
      veth(s0d, s0s)
      config[dom0, default: []].append("link set dev \(s0d.name) master \(p.name("brout"))")
      fdb.append("fdb add \(s0s.mac) dev \(s0d.name) master static")
      fdb.append("fdb add \(g0.mac) dev \(d0.name) master static")
      var rxMACs: [String] = []
      for i in 0..<n {
        let vr = p.name("vr\(i)")
        let ind = port(dom0, "i\(i)d", nil)
        let inr = port(vr, "i\(i)r", "10.1.0.\(10 + i)")
        let outr = port(vr, "o\(i)r", "10.2.0.\(10 + i)")
        let outd = port(dom0, "o\(i)d", nil)
        veth(ind, inr)
        veth(outr, outd)
        config[dom0, default: []].append("link set dev \(ind.name) master \(p.name("brin"))")
        config[dom0, default: []].append("link set dev \(outd.name) master \(p.name("brout"))")
        fdb.append("fdb add \(inr.mac) dev \(ind.name) master static")
        fdb.append("fdb add \(outr.mac) dev \(outd.name) master static")
        neigh(outr, s0s)
        routeNextHop.append((outr, s0s.address!))
        routerPorts.append((inr, outr))
        rxMACs.append(inr.mac)
      }
      generators = [GeneratorDevice(port: g0, routers: Array(0..<n), nextHopMAC: "")]
      sinkPorts = [s0s]
      dom0SinkPort = s0d
    case .router:
      let g0 = port(gen, "g0", "10.1.0.1")
      let d0 = port(dom0, "d0", "10.1.0.2")
      veth(g0, d0)
      let s0d = port(dom0, "s0d", "10.2.0.2")
      let s0s = port(sink, "s0s", "10.2.0.1")
      veth(s0d, s0s)
      neigh(s0d, s0s)
      config[dom0, default: []].append("rule add iif \(d0.name) table 100 pref 100")
      config[dom0, default: []].append("route add default via \(s0s.address!) dev \(s0d.name) table 200")
      for i in 0..<n {
        let vr = p.name("vr\(i)")
        let ind = port(dom0, "i\(i)d", "10.3.\(i).1")
        let inr = port(vr, "i\(i)r", "10.3.\(i).2")
        let outr = port(vr, "o\(i)r", "10.4.\(i).2")
        let outd = port(dom0, "o\(i)d", "10.4.\(i).1")
        veth(ind, inr)
        veth(outr, outd)
        neigh(ind, inr)
        neigh(outr, outd)
        config[dom0, default: []].append(
          "route add 198.18.\(i).0/24 via \(inr.address!) dev \(ind.name) table 100")
        config[dom0, default: []].append("rule add iif \(outd.name) table 200 pref 200")
        routeNextHop.append((outr, outd.address!))
        routerPorts.append((inr, outr))
      }
      generators = [GeneratorDevice(port: g0, routers: Array(0..<n), nextHopMAC: d0.mac)]
      sinkPorts = [s0s]
      dom0SinkPort = s0d
    case .direct:
      for i in 0..<n {
        let vr = p.name("vr\(i)")
        let ig = port(gen, "i\(i)g", "10.3.\(i).1")
        let inr = port(vr, "i\(i)r", "10.3.\(i).2")
        let outr = port(vr, "o\(i)r", "10.4.\(i).2")
        let outs = port(sink, "o\(i)s", "10.4.\(i).1")
        veth(ig, inr)
        veth(outr, outs)
        neigh(outr, outs)
        routeNextHop.append((outr, outs.address!))
        routerPorts.append((inr, outr))
        generators.append(GeneratorDevice(port: ig, routers: [i], nextHopMAC: inr.mac))
        sinkPorts.append(outs)
      }
    }
    let cg = port(gen, "cg", "10.5.0.1")
    let cs = port(sink, "cs", "10.5.0.2")
    veth(cg, cs)
    ceilingPorts = (cg, cs)
    config[sink, default: []].append("route add blackhole 198.18.0.0/15")
    if setup.generator == .iperf3 {
      // iperf3 needs a server at each destination and a way back for its control
      // connection: 198.18.N.1 is local in the sink, whose replies to the generator take the
      // direct link (the generator accepts them there: rp_filter is off).
      neigh(cs, cg)
      config[sink, default: []].append("route add 10.0.0.0/8 via \(cg.address!) dev \(cs.name)")
      for i in 0..<n {
        config[sink, default: []].append("addr add \(Self.destination(router: i))/32 dev lo")
        let (rx, _) = routerPorts[i]
        switch setup.platform {
        case .bridge, .direct:
          let dev = setup.platform == .bridge ? generators[0].port : generators[i].port
          config[gen, default: []].append(
            "neigh replace \(rx.address!) lladdr \(rx.mac) dev \(dev.name) nud permanent")
          config[gen, default: []].append("route add 198.18.\(i).0/24 via \(rx.address!) dev \(dev.name)")
        case .router:
          let g0 = generators[0].port
          if i == 0 {
            config[gen, default: []].append(
              "neigh replace 10.1.0.2 lladdr \(generators[0].nextHopMAC) dev \(g0.name) nud permanent")
          }
          config[gen, default: []].append("route add 198.18.\(i).0/24 via 10.1.0.2 dev \(g0.name)")
        }
      }
      config[sink, default: []].append("link set dev lo up")
    }
    ports = allPorts

    func add(_ step: PlanStep, on host: SSHTarget?) {
      steps.append(step)
      stepHosts.append(host)
    }
    func hostOf(_ ns: String) -> SSHTarget? { roles.target(roleOf(ns)) }
    // 1. Namespaces.
    for ns in namespaces { add(.namespace(ns), on: hostOf(ns)) }
    // 2. Sysctls before any link exists, so new interfaces inherit them: IPv6 off (no
    //    router solicitations or MLD on the links), rp_filter off, forwarding where packets
    //    are routed, bridge-nf-call-* off in dom0 only (-e: absent without br_netfilter).
    for ns in namespaces {
      var keys = [
        "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1",
        "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
      ]
      let forwards = ns == sink || ns.hasPrefix(p.name("vr")) || (ns == dom0 && setup.platform == .router)
      keys.append("net.ipv4.ip_forward=\(forwards ? 1 : 0)")
      if ns == dom0 {
        keys += [
          "net.bridge.bridge-nf-call-iptables=0", "net.bridge.bridge-nf-call-ip6tables=0",
          "net.bridge.bridge-nf-call-arptables=0",
        ]
      }
      add(
        .command(["ip", "netns", "exec", ns, "sysctl", "-q", "-e", "-w"] + keys, input: nil), on: hostOf(ns))
    }
    // 3. Links, created from the namespace that owns the first end (the peer is created
    //    directly in its own namespace: nothing ever appears in the host's namespace).
    for ns in namespaces {
      if let lines = create[ns] {
        add(.command(["ip", "-n", ns, "-batch", "-"], input: Self.script(lines)), on: hostOf(ns))
      }
    }
    //    Cables: a macvlan on each named parent, made in the host's own namespace and moved
    //    into the role's namespace as it is created (the parent itself is never changed;
    //    deleting the namespace deletes the macvlan).
    for h in macvlanHosts {
      add(.command(["ip", "-batch", "-"], input: Self.script(macvlans[h.key]!)), on: h.target)
    }
    // 4. Addresses, links up, static neighbours, policy rules.
    for ns in namespaces {
      if let lines = config[ns] {
        add(.command(["ip", "-n", ns, "-batch", "-"], input: Self.script(lines)), on: hostOf(ns))
      }
    }
    if !fdb.isEmpty {
      add(.command(["bridge", "-n", dom0, "-batch", "-"], input: Self.script(fdb)), on: hostOf(dom0))
    }
    // 5. Route tables, in bulk.
    for (i, r) in setup.routers.enumerated() {
      let (out, via) = routeNextHop[i]
      var lines = ["route add 198.18.\(i).0/24 via \(via) dev \(out.name)"]
      if let prefixes = r.routePrefixes {
        for pfx in prefixes { lines.append("route replace \(pfx) via \(via) dev \(out.name)") }
      } else {
        for k in 0..<r.generatedRoutes {
          lines.append(
            "route add \(16 + (k >> 16)).\((k >> 8) & 0xff).\(k & 0xff).0/24 via \(via) dev \(out.name)")
        }
      }
      add(
        .command(["ip", "-n", p.name("vr\(i)"), "-batch", "-"], input: Self.script(lines)),
        on: roles.target(.dut))
    }
    // 6. cgroups: weight, cap, pinning for whatever runs in a router namespace.
    for (i, r) in setup.routers.enumerated() {
      let name = p.name("vr\(i)")
      // routers.each.pin places the router (and in threaded mode its NAPI thread); without
      // it the routers spread over the CPUs.
      let cpus =
        r.pin.isEmpty
        ? Self.cpuList(router: i, vcpus: r.vcpus, hostCPUs: setup.hostCPUs)
        : r.pin.map { String($0 % max(1, setup.hostCPUs)) }.joined(separator: ",")
      switch cgroups {
      case .v1(let root):
        var cpu: [(file: String, value: String)] = [("cpu.shares", String(max(2, 4 * r.weight)))]
        if r.cap > 0 {
          cpu.append(("cpu.cfs_period_us", "100000"))
          cpu.append(("cpu.cfs_quota_us", String(r.cap * 1000)))
        }
        add(.cgroup(CgroupStep(path: "\(root)/cpu/\(name)", settings: cpu)), on: roles.target(.dut))
        add(
          .cgroup(
            CgroupStep(
              path: "\(root)/cpuset/\(name)", settings: [("cpuset.mems", "0"), ("cpuset.cpus", cpus)])),
          on: roles.target(.dut))
      case .v2(let root):
        var s: [(file: String, value: String)] = [
          ("cpu.weight", String(min(10_000, max(1, r.weight * 100 / 256))))
        ]
        s.append(("cpu.max", r.cap > 0 ? "\(r.cap * 1000) 100000" : "max 100000"))
        s.append(("cpuset.cpus", cpus))
        add(.cgroup(CgroupStep(path: "\(root)/\(name)", settings: s)), on: roles.target(.dut))
      }
    }
    // 7. Threaded mode: each router's ingress veth (and dom0's) receives in a NAPI kernel
    //    thread. GRO on the receiving veth gives it a NAPI instance, TSO/GSO off on the
    //    sending peer keeps frames as sent, `threaded` = 1 makes the kernel start
    //    napi/DEV-N; `TopologyBuilder` then moves the thread into the router's cgroups.
    if setup.threaded {
      var devices: [(TopologyPort, Int?, [String])] = []
      if hasDom0, let d0 = allPorts.first(where: { $0.name == p.name("d0") }) {
        devices.append((d0, nil, []))
      }
      for (i, ports) in routerPorts.enumerated() {
        let name = p.name("vr\(i)")
        let groups: [String] =
          switch cgroups {
          case .v1(let root): ["\(root)/cpu/\(name)", "\(root)/cpuset/\(name)"]
          case .v2: []  // kernel threads stay in the root of the unified hierarchy
          }
        devices.append((ports.rx, i, groups))
      }
      for (port, router, groups) in devices {
        let peerName =
          router.map { p.name(setup.platform == .direct ? "i\($0)g" : "i\($0)d") } ?? p.name("g0")
        guard let peer = allPorts.first(where: { $0.name == peerName }) else { continue }
        add(
          .command(
            ["ip", "netns", "exec", port.namespace, "ethtool", "-K", port.name, "gro", "on"], input: nil),
          on: hostOf(port.namespace))
        add(
          .command(
            ["ip", "netns", "exec", peer.namespace, "ethtool", "-K", peer.name, "tso", "off", "gso", "off"],
            input: nil),
          on: hostOf(peer.namespace))
        add(
          .command(
            ["ip", "netns", "exec", port.namespace, "tee", Self.threadedFile(port.name)], input: "1\n"),
          on: hostOf(port.namespace))
        threadedDevices.append((port, router, groups))
      }
    }
  }

  /// The sysfs file that makes `device`'s NAPI threaded (read inside its namespace).
  public static func threadedFile(_ device: String) -> String { "/sys/class/net/\(device)/threaded" }

  /// The device whose `threaded` file `step` writes, if it does.
  public static func threadedDevice(of step: PlanStep) -> String? {
    guard case .command(let argv, _) = step, argv.count == 6, argv[4] == "tee",
      argv[5].hasPrefix("/sys/class/net/"), argv[5].hasSuffix("/threaded")
    else { return nil }
    return argv[5].split(separator: "/")[3].description
  }

  /// The MAC the generator's frames for router `n` carry: the router's own inbound port
  /// (bridge, direct) or dom0's (router).
  public func nextHopMAC(router n: Int) -> String {
    switch setup.platform {
    case .bridge, .direct: routerPorts[n].rx.mac
    case .router: generators[0].nextHopMAC
    }
  }

  /// CPUs of router N's cpuset: `vcpus` consecutive CPUs starting at N x vcpus, modulo the
  /// host's CPUs (a list like `0-1` or `1`).
  static func cpuList(router n: Int, vcpus: Int, hostCPUs: Int) -> String {
    let v = max(1, min(vcpus, hostCPUs))
    let cpus = Set((0..<v).map { (n * v + $0) % hostCPUs }).sorted()
    return cpus.map(String.init).joined(separator: ",")
  }

  static func script(_ lines: [String]) -> String { lines.joined(separator: "\n") + "\n" }

  /// The plan as text: one command per line (`$ argv`), stdin scripts indented below it
  /// (at most `maxInputLines` lines each, then a count), cgroups as mkdir and writes.
  public func render(maxInputLines: Int = 40) -> String {
    var out =
      "# testbed plan: \(setup.platform.rawValue), \(setup.routers.count) router(s), prefix \(prefix)\n"
    func command(_ argv: [String], _ input: String?, on host: SSHTarget?) {
      // A remote step is shown as the local argument vector that runs it (ssh ... -- HOST
      // 'word' ...); a host ssh cannot take was refused when the scenario was read.
      let shown = host.map { (try? RemoteLauncher(target: $0).argv(argv)) ?? argv } ?? argv
      out += "$ " + shown.joined(separator: " ") + "\n"
      if let input {
        let lines = input.split(separator: "\n")
        for l in lines.prefix(maxInputLines) { out += "    \(l)\n" }
        if lines.count > maxInputLines { out += "    ... (\(lines.count - maxInputLines) more lines)\n" }
      }
    }
    for (step, host) in placedSteps {
      switch step {
      case .namespace(let ns):
        if let host {
          command(["ip", "netns", "add", ns], nil, on: host)
        } else {
          out += "$ ip netns add \(ns)\n"
        }
      case .command(let argv, let input): command(argv, input, on: host)
      case .cgroup(let c):
        if let host {
          for (argv, input) in Self.remoteCgroupCommands(c) { command(argv, input, on: host) }
        } else {
          out += "mkdir \(c.path)\n"
          for s in c.settings { out += "write \(c.path)/\(s.file) = \(s.value)\n" }
        }
      }
    }
    return out
  }
}
