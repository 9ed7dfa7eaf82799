import Foundation
import HostModel
import NetModel
import Platforms
import SimCore

/// Turns a resolved scenario into the model's `PlatformSpec`: the only place where scenario
/// keys meet model types (Scenario -> Platforms, never the other way).
extension ScenarioSpec {
  /// The platform spec of this scenario with costs from `profile`.
  /// - Throws: `PlatformError` when a combination cannot be built (e.g. traffic to a router
  ///   that does not exist) or a trace file cannot be read.
  public func platformSpec(profile: CostProfile) throws -> PlatformSpec {
    let clockGHz = Double(host.clockHz) / 1e9
    let sched = scheduler.config
    var nic = Platforms.NICSpec()
    nic.bitsPerSecond = Double(host.nic.rateBitsPerSecond)
    nic.rxRing = host.nic.rxRing
    nic.txRing = host.nic.txRing
    nic.vfs = host.nic.vfs
    let offered = traffic.map { $0.rate.packetsPerSecond(meanFrameBytes: $0.frame.meanBytes) }
    let bytes = zip(traffic, offered).reduce(0.0) { $0 + $1.0.frame.meanBytes * $1.1 }
    let total = offered.reduce(0, +)
    nic.interruptGapNs = host.nic.itr.gap(meanFrameBytes: total > 0 ? bytes / total : 64).nanoseconds
    let cpus = host.cpus
    func affinity(_ pins: [Int]) -> [Int]? { pins.isEmpty ? nil : pins.filter { $0 < cpus } }
    let dom0Kind: DomainKind = platform == .openvz || platform.rawValue.hasPrefix("netns") ? .native : .dom0
    let dom0Name = platform == .vmware ? "vmkernel" : dom0Kind == .native ? "host" : "dom0"
    let dom0Config = DomainConfig(
      name: dom0Name, kind: dom0Kind, vcpus: dom0.vcpus, weight: dom0.weight, cap: dom0.cap,
      affinity: affinity(dom0.pin))
    let guestKind: DomainKind =
      platform == .openvz || platform.rawValue.hasPrefix("netns") ? .container : .guest
    var routerSpecs: [Platforms.RouterSpec] = []
    var tables: [String: RouteTable] = [:]
    for i in 0..<routers.count {
      let r = i < routers.perRouter.count ? routers.perRouter[i] : routers.each
      let fib = r.fib
      let table: RouteTable
      if let file = r.routesFile {
        if let t = tables[file] {
          table = t
        } else {
          table = try Self.loadRouteTable(file, base: source.baseDirectory)
          tables[file] = table
        }
      } else {
        table = .generated(routes: r.routes)
      }
      routerSpecs.append(
        Platforms.RouterSpec(
          domain: DomainConfig(
            name: "vr\(i)", kind: guestKind, vcpus: r.vcpus, weight: r.weight, cap: r.cap,
            affinity: affinity(r.pin)),
          table: table, fib: fib))
    }
    var flows: [FlowSpec] = []
    for t in traffic {
      let frames: FrameSizeLaw
      switch t.frame {
      case .fixed(let b): frames = .fixed(b)
      case .mix(let shares):
        frames = .empirical(
          shares.map { FrameSizeLaw.EmpiricalSize(size: $0.bytes, weight: Double($0.weight)) })
      }
      let arrivals: ArrivalLaw
      switch t.arrival {
      case .cbr: arrivals = .cbr
      case .poisson: arrivals = .poisson
      case .onOff(let on, let off): arrivals = .onOff(on: on, off: off)
      case .trace(let file): arrivals = .trace(try Self.loadTrace(file, base: source.baseDirectory))
      }
      let pps = t.rate.packetsPerSecond(meanFrameBytes: t.frame.meanBytes)
      let targets: [Int]
      let share: Double
      switch t.target {
      case .each:
        targets = Array(0..<routers.count)
        share = pps
      case .all:
        targets = Array(0..<routers.count)
        share = pps / Double(routers.count)
      case .router(let r):
        guard r < routers.count else {
          throw PlatformError(
            "traffic goes to vr\(r), but there are \(routers.count) routers (vr0 ... vr\(routers.count - 1))")
        }
        targets = [r]
        share = pps
      }
      for r in targets {
        flows.append(FlowSpec(router: r, packetsPerSecond: share, frames: frames, arrivals: arrivals))
      }
    }
    var platformSpec = PlatformSpec(
      host: HostConfig(cpus: cpus, clockGHz: clockGHz, contextSwitch: profile.contextSwitch),
      scheduler: sched,
      kind: platform, nic: nic, dom0: dom0Config,
      routers: routerSpecs, flows: flows, profile: profile)
    platformSpec.bridgeStartsLearned = dom0.bridgeLearned
    platformSpec.bridgeAging = dom0.bridgeAging
    return platformSpec
  }

  /// Reads a route table file (`routers.each.routes_file`): one prefix `a.b.c.d/len` per line.
  /// - Throws: `PlatformError` naming the file (and the line of a malformed prefix).
  static func loadRouteTable(_ file: String, base: String?) throws -> RouteTable {
    let path = file.hasPrefix("/") || base == nil ? file : (base! as NSString).appendingPathComponent(file)
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw PlatformError("\(path): cannot read the route table file (routes_file)")
    }
    do {
      return try RouteTable.parse(text, file: path)
    } catch let e as RouteTableError {
      throw PlatformError(e.description)
    }
  }

  /// Reads a trace CSV: `timestamp,size[,flow]` per line, timestamps with units or in seconds.
  static func loadTrace(_ file: String, base: String?) throws -> TrafficTrace {
    let path = file.hasPrefix("/") || base == nil ? file : (base! as NSString).appendingPathComponent(file)
    if path.hasSuffix(".pcap") {
      guard let data = FileManager.default.contents(atPath: path) else {
        throw PlatformError("\(path): cannot read the trace file")
      }
      return try PcapTrace.parse([UInt8](data), file: path)
    }
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw PlatformError("\(path): cannot read the trace file")
    }
    var offsets: [Int64] = []
    var sizes: [Int] = []
    for (i, line) in text.split(separator: "\n").enumerated() {
      let l = line.trimmingCharacters(in: .whitespaces)
      if l.isEmpty || l.hasPrefix("#") || (i == 0 && l.lowercased().hasPrefix("timestamp")) { continue }
      let f = l.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
      guard f.count >= 2, let size = Int(f[1]), (64...9000).contains(size) else {
        throw PlatformError("\(path):\(i + 1): expected 'timestamp,size[,flow]' with a size of 64 ... 9000 B")
      }
      let t: Int64
      if let d = try? SimDuration(parsing: f[0]) {
        t = d.nanoseconds
      } else if let s = Double(f[0]), s >= 0 {
        t = Int64((s * 1e9).rounded())
      } else {
        throw PlatformError(
          "\(path):\(i + 1): '\(f[0])' is not a timestamp (seconds, or a duration with a unit)")
      }
      if let last = offsets.last, t < last {
        throw PlatformError("\(path):\(i + 1): timestamps must not decrease")
      }
      offsets.append(t)
      sizes.append(size)
    }
    guard !offsets.isEmpty else { throw PlatformError("\(path): the trace has no packets") }
    return TrafficTrace(offsets: offsets.map { $0 - offsets[0] }, sizes: sizes)
  }
}

/// Reads classic libpcap files (not pcapng): microsecond or nanosecond timestamps, either byte
/// order. Each record's original length plus the 4-byte FCS is its frame size on the wire
/// (at least 64 B); timestamps become offsets from the first packet.
enum PcapTrace {
  static func parse(_ b: [UInt8], file: String) throws -> TrafficTrace {
    func fail(_ why: String) -> PlatformError { PlatformError("\(file): \(why)") }
    guard b.count >= 24 else { throw fail("too short for a pcap header (24 bytes)") }
    func u32(_ i: Int, _ little: Bool) -> UInt32 {
      let v = UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
      return little ? v : v.byteSwapped
    }
    let magic = u32(0, true)
    let little: Bool
    let nanos: Bool
    switch magic {
    case 0xa1b2_c3d4: (little, nanos) = (true, false)
    case 0xd4c3_b2a1: (little, nanos) = (false, false)
    case 0xa1b2_3c4d: (little, nanos) = (true, true)
    case 0x4d3c_b2a1: (little, nanos) = (false, true)
    default: throw fail("not a pcap file (magic \(String(magic, radix: 16))); pcapng is not supported")
    }
    var offsets: [Int64] = []
    var sizes: [Int] = []
    var i = 24
    var record = 0
    while i + 16 <= b.count {
      record += 1
      let sec = Int64(u32(i, little))
      let frac = Int64(u32(i + 4, little))
      let incl = Int(u32(i + 8, little))
      let orig = Int(u32(i + 12, little))
      let t = sec * 1_000_000_000 + (nanos ? frac : frac * 1_000)
      if let last = offsets.last, t < last { throw fail("record \(record): timestamps must not decrease") }
      guard i + 16 + incl <= b.count else { throw fail("record \(record) is truncated") }
      offsets.append(t)
      sizes.append(min(9_000, max(64, orig + 4)))
      i += 16 + incl
    }
    guard !offsets.isEmpty else { throw fail("the trace has no packets") }
    return TrafficTrace(offsets: offsets.map { $0 - offsets[0] }, sizes: sizes)
  }
}
