import Foundation
import NetModel
import Scenario
import SimCore

/// The three Linux testbed platforms, named as in scenarios.
public enum TestbedPlatform: String, Sendable, CaseIterable {
  /// A dom0-like namespace bridges (two Linux bridges: toward and back from the routers).
  case bridge = "netns-bridge"
  /// A dom0-like namespace routes, with policy routing by input interface.
  case router = "netns-router"
  /// The generator reaches each router namespace directly (no dom0 hop).
  case direct = "netns-direct"
}

/// The traffic generator of a run: the scenario's `host.generator`, the value the model reads
/// too. trafgen (netsniff-ng): raw frames of any size at `--rate` pps, dropped in the sink's
/// route lookup; iperf3: UDP with 1472 B datagrams (1518 B frames; the paper's Fig. 8a), a
/// client per router in the generator namespace, a server per router in the sink (which then
/// delivers 198.18.N.1 locally and returns the control connection over the direct link).
public typealias TestbedGenerator = TrafficGenerator

/// One router namespace's settings.
public struct TestbedRouter: Sendable, Equatable {
  /// vCPUs: how many host CPUs its cpuset holds.
  public var vcpus: Int
  /// Scheduler weight (Xen-style, 256 = default): cpu.shares = 4 x weight.
  public var weight: Int
  /// Cap in percent of one CPU, 0 = none: the CFS quota.
  public var cap: Int
  /// Prefixes in its FIB besides the traffic's own destination: generated ones...
  public var generatedRoutes: Int
  /// ... or the prefixes of `routes_file`, when given.
  public var routePrefixes: [String]?
  /// `routers.each.pin`: the CPUs of its cpuset (empty: spread by router number).
  public var pin: [Int] = []

  /// Creates a router's settings.
  public init(vcpus: Int, weight: Int, cap: Int, generatedRoutes: Int, routePrefixes: [String]?) {
    self.vcpus = vcpus
    self.weight = weight
    self.cap = cap
    self.generatedRoutes = generatedRoutes
    self.routePrefixes = routePrefixes
  }
}

/// One packet stream the generator sends to one router.
public struct TestbedFlow: Sendable, Equatable {
  /// The router it goes to (0-based).
  public var router: Int
  /// Packets per second.
  public var packetsPerSecond: Double
  /// Frame sizes (with FCS) and their relative weights.
  public var frames: [FrameShare]
  /// How its packets are spaced: CBR goes to trafgen (`--rate`); Poisson and on-off to the
  /// testbed's own sender (`ScheduledSender`), which draws them as the simulator does.
  public var arrival: ArrivalLaw

  /// Creates a flow.
  public init(
    router: Int, packetsPerSecond: Double, frames: [FrameShare], arrival: ArrivalLaw = .cbr
  ) {
    self.router = router
    self.packetsPerSecond = packetsPerSecond
    self.frames = frames
    self.arrival = arrival
  }

  /// The flow as the simulator's `FlowSpec`, its frame law made as `PlatformAdapter` makes it
  /// (`FrameSizeLaw(_:)`); one share is a fixed size, which draws the same sizes as a one-share mix.
  public var flowSpec: FlowSpec {
    let frame: FrameSpec = frames.count == 1 ? .fixed(bytes: frames[0].bytes) : .mix(frames)
    return FlowSpec(
      router: router, packetsPerSecond: packetsPerSecond, frames: FrameSizeLaw(frame), arrivals: arrival)
  }
}

/// What the testbed needs of a scenario: the platform, the routers, the flows and the run
/// length. Made from a `ScenarioSpec` (read-only use of its public fields).
public struct TestbedSetup: Sendable, Equatable {
  /// Which topology.
  public var platform: TestbedPlatform
  /// The routers, vr0 ... vr(N-1).
  public var routers: [TestbedRouter]
  /// The offered flows.
  public var flows: [TestbedFlow]
  /// Length of one trial.
  public var duration: SimDuration
  /// Trials per load (replications).
  public var replications: Int
  /// CPUs the cpusets and generator pinning spread over.
  public var hostCPUs: Int
  /// The traffic generator: the scenario's `host.generator` (the value the model reads too).
  public var generator: TestbedGenerator = .trafgen
  /// Where each role runs and the cables between hosts (the scenario's `testbed:` section).
  public var roles = TestbedRolesSpec()
  /// The scenario's `run.seed`: the testbed sender's draws of trial k come from
  /// `RandomStreams(seed: seed, replication: k)`.
  public var seed: UInt64 = 1
  /// The scenario's `host.forwarding` (the value the model reads too): `threaded` makes every
  /// router's ingress hop a NAPI kernel thread.
  public var forwarding: NetnsForwarding = .softirq
  /// The scenario's `dom0.pin`: in threaded mode, the CPUs dom0's NAPI thread (its ingress
  /// bridge or forwarding hop) is pinned to; empty: left where the kernel put it.
  public var dom0Pin: [Int] = []
  /// The CPU the iperf3 servers (the sink's UDP receivers) are pinned to: the scenario's
  /// `host.udp_receiver_cpu` (the CPU the model pins its receivers to) modulo `hostCPUs`.
  public var udpReceiverCPU = 1

  /// Most routers a topology may hold (link names must stay within 15 bytes).
  public static let maxRouters = 99

  /// Creates a setup from its parts.
  public init(
    platform: TestbedPlatform, routers: [TestbedRouter], flows: [TestbedFlow], duration: SimDuration,
    replications: Int, hostCPUs: Int
  ) {
    self.platform = platform
    self.routers = routers
    self.flows = flows
    self.duration = duration
    self.replications = replications
    self.hostCPUs = hostCPUs
  }

  /// The setup of `spec`, with cpusets over `hostCPUs` CPUs (the machine's, not the
  /// simulated host's). Throws (a usage error) for what a Linux testbed cannot run: a
  /// non-netns platform, a trace arrival process, too many routers.
  public init(spec: ScenarioSpec, hostCPUs: Int) throws {
    guard let platform = TestbedPlatform(rawValue: spec.platform.rawValue) else {
      throw TestbedError(
        "platform \(spec.platform.rawValue) has no Linux testbed; allowed: "
          + TestbedPlatform.allCases.map(\.rawValue).joined(separator: ", ")
          + " (e.g. --set platform=netns-bridge)",
        usage: true)
    }
    let count = spec.routers.count
    guard (1...Self.maxRouters).contains(count) else {
      throw TestbedError(
        "routers.count \(count) is out of range for the testbed; allowed: 1 ... 99", usage: true)
    }
    var routers: [TestbedRouter] = []
    var files: [String: [String]] = [:]
    for i in 0..<count {
      let r = i < spec.routers.perRouter.count ? spec.routers.perRouter[i] : spec.routers.each
      var prefixes: [String]? = nil
      if let file = r.routesFile {
        if let cached = files[file] {
          prefixes = cached
        } else {
          let loaded = try Self.readPrefixes(file, base: spec.source.baseDirectory)
          files[file] = loaded
          prefixes = loaded
        }
      }
      var router = TestbedRouter(
        vcpus: r.vcpus, weight: r.weight, cap: r.cap, generatedRoutes: max(0, r.routes - 1),
        routePrefixes: prefixes)
      router.pin = r.pin
      routers.append(router)
    }
    var flows: [TestbedFlow] = []
    for (k, t) in spec.traffic.enumerated() {
      let arrival: ArrivalLaw
      switch t.arrival {
      case .cbr: arrival = .cbr
      case .poisson: arrival = .poisson
      case .onOff(let on, let off): arrival = .onOff(on: on, off: off)
      case .trace:
        throw TestbedError(
          "traffic[\(k)].arrival: the testbed sends cbr (trafgen), poisson and onoff (its own sender), not a trace "
            + "yet; replay the trace with vrsim run, or set traffic[\(k)].arrival=poisson",
          usage: true)
      }
      let frames: [FrameShare]
      switch t.frame {
      case .fixed(let b): frames = [FrameShare(bytes: b, weight: 1)]
      case .mix(let shares): frames = shares
      }
      for f in frames where !(64...1518).contains(f.bytes) {
        throw TestbedError("traffic[\(k)].frame: \(f.bytes) B is outside 64 ... 1518 B", usage: true)
      }
      let pps = t.rate.packetsPerSecond(meanFrameBytes: t.frame.meanBytes)
      switch t.target {
      case .each:
        for i in 0..<count {
          flows.append(TestbedFlow(router: i, packetsPerSecond: pps, frames: frames, arrival: arrival))
        }
      case .all:
        for i in 0..<count {
          flows.append(
            TestbedFlow(router: i, packetsPerSecond: pps / Double(count), frames: frames, arrival: arrival))
        }
      case .router(let i):
        guard i < count else {
          throw TestbedError(
            "traffic[\(k)].to: router \(i) does not exist (routers.count \(count))", usage: true)
        }
        flows.append(TestbedFlow(router: i, packetsPerSecond: pps, frames: frames, arrival: arrival))
      }
    }
    self.init(
      platform: platform, routers: routers, flows: flows, duration: spec.run.duration,
      replications: spec.run.replications, hostCPUs: max(1, hostCPUs))
    seed = spec.run.seed
    dom0Pin = spec.dom0.pin
    forwarding = spec.host.forwarding
    generator = spec.host.generator
    udpReceiverCPU = spec.host.udpReceiverCPU % max(1, hostCPUs)
    if let roles = spec.testbed {
      try Self.checkCables(roles, platform: platform, routers: count)
      if roles.target(.generator) != nil, let k = spec.traffic.firstIndex(where: { $0.arrival != .cbr }) {
        throw TestbedError(
          "traffic[\(k)].arrival: a remote generator (testbed.generator.ssh) sends CBR only (trafgen); Poisson and on-off need the testbed's own sender, which runs with the generator local",
          usage: true)
      }
      self.roles = roles
      if threaded && roles.target(.dut) != nil {
        throw TestbedError(
          "host.forwarding: threaded runs with the dut local (remove testbed.dut.ssh or set host.forwarding=softirq)",
          usage: true)
      }
    }
  }

  /// `host.forwarding: threaded`: every router's ingress hop is a NAPI kernel thread.
  public var threaded: Bool { forwarding == .threaded }

  /// How many links join roles `a` and `b` on `platform` with `routers` routers: one each
  /// way through dom0 (bridge, router), one per router (direct), one generator-to-sink link
  /// (the generator's ceiling).
  public static func links(_ a: TestbedRole, _ b: TestbedRole, platform: TestbedPlatform, routers: Int) -> Int
  {
    let pair = Set([a, b])
    if pair == [.generator, .sink] { return 1 }
    if pair == [.generator, .dut] || pair == [.dut, .sink] { return platform == .direct ? routers : 1 }
    return 0
  }

  /// Checks that every link between roles on different hosts has a cable end named on both
  /// hosts (`testbed.ROLE.ports.PEER`, exactly one interface per link) and that roles on the
  /// same host name none (their links are veth pairs). Errors name the key.
  public static func checkCables(_ roles: TestbedRolesSpec, platform: TestbedPlatform, routers: Int) throws {
    for role in [TestbedRole.generator, .dut, .sink] {
      for peer in TestbedRolesSpec.peers(of: role) {
        let key = "testbed.\(role.rawValue).ports.\(peer.rawValue)"
        let given = roles.ports(role, toward: peer).count
        if roles.sameHost(role, peer) {
          guard given == 0 else {
            throw TestbedError(
              "\(key): the \(role.rawValue) and the \(peer.rawValue) run on the same host, where their links are veth pairs; give no ports (\(given) given)",
              usage: true)
          }
          continue
        }
        let need = links(role, peer, platform: platform, routers: routers)
        guard given == need else {
          let per =
            Set([role, peer]) == [.generator, .sink]
            ? "the generator-ceiling link" : platform == .direct ? "one per router" : "one link through dom0"
          throw TestbedError(
            "\(key): \(given) interface(s) given; \(platform.rawValue) with \(routers) router(s) has \(need) link(s) between the \(role.rawValue)'s host and the \(peer.rawValue)'s (\(per)): name \(need), one cable end each",
            usage: true)
        }
      }
    }
  }

  /// The same setup with every flow's rate multiplied by `factor` (the throughput search).
  public func scaled(by factor: Double) -> TestbedSetup {
    var s = self
    for i in s.flows.indices { s.flows[i].packetsPerSecond *= factor }
    return s
  }

  /// The offered rate over all flows, packets per second.
  public var offeredPacketsPerSecond: Double { flows.reduce(0) { $0 + $1.packetsPerSecond } }

  /// Reads `a.b.c.d/len` lines (the format of the simulator's `routes_file`).
  static func readPrefixes(_ file: String, base: String?) throws -> [String] {
    let path = file.hasPrefix("/") || base == nil ? file : (base! as NSString).appendingPathComponent(file)
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw TestbedError("\(path): cannot read the route table file (routes_file)", usage: true)
    }
    var out: [String] = []
    for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.isEmpty || line.hasPrefix("#") { continue }
      let parts = line.split(separator: "/")
      let octets = parts.first?.split(separator: ".").compactMap { Int($0) } ?? []
      guard parts.count == 2, let len = Int(parts[1]), (0...32).contains(len), octets.count == 4,
        octets.allSatisfy({ (0...255).contains($0) })
      else {
        throw TestbedError("\(path):\(i + 1): '\(line)' is not an IPv4 prefix a.b.c.d/len", usage: true)
      }
      out.append("\(octets.map(String.init).joined(separator: "."))/\(len)")
    }
    return out
  }
}
