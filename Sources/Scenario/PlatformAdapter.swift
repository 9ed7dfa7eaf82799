import Foundation
import HostModel
import NetModel
import Platforms
import SimCore
import Yams

/// Turns a resolved scenario into the model's `PlatformSpec`: the only place where scenario
/// keys meet model types (Scenario -> Platforms, never the other way).
extension ScenarioSpec {
  /// The platform spec of this scenario with costs from `profile`.
  /// - Throws: `PlatformError` when a combination cannot be built (e.g. traffic to a router
  ///   that does not exist) or a trace file cannot be read.
  public func platformSpec(profile: CostProfile) throws -> PlatformSpec {
    let clockGHz = Double(host.clockHz) / 1e9
    let sched: SchedulerConfig
    switch scheduler.kind {
    case .credit:
      var o = CreditOptions()
      o.version = scheduler.version == .v3_2 ? .v3_2 : .v4_0
      o.tslice = scheduler.timeSlice
      o.ratelimit = scheduler.version == .v4_2 ? (scheduler.rateLimit ?? .ms(1)) : scheduler.rateLimit
      o.boost = scheduler.boost
      sched = .credit(o)
    case .credit2: sched = .credit2(Credit2Options())
    case .cfs: sched = .cfs(CFSOptions())
    case .vmware: sched = .vmware(VMwareOptions())
    case .none: sched = .none
    }
    var nic = Platforms.NICSpec()
    nic.bitsPerSecond = Double(host.nic.rateBitsPerSecond)
    nic.rxRing = host.nic.rxRing
    nic.txRing = host.nic.txRing
    nic.vfs = host.nic.vfs
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
          domain: DomainConfig(name: "vr\(i)", kind: guestKind, vcpus: r.vcpus, weight: r.weight, cap: r.cap),
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
      host: HostConfig(cpus: cpus, clockGHz: clockGHz), scheduler: sched,
      kind: platform, nic: nic, dom0: dom0Config,
      routers: routerSpecs, flows: flows, profile: profile)
    platformSpec.bridgeStartsLearned = dom0.bridgeLearned
    platformSpec.bridgeAging = dom0.bridgeAging
    return platformSpec
  }
}

/// Cost profiles in YAML (scenarios/profiles/*.yaml).
public enum ProfileLoader {
  /// Loads a profile; keys are the fields of `CostProfile` (every one required, so a profile
  /// never silently falls back to a default).
  /// - Throws: `PlatformError` naming the file and the key.
  public static func load(path: String) throws -> CostProfile {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw PlatformError("\(path): cannot read the profile")
    }
    do {
      return try YAMLDecoder().decode(CostProfile.self, from: text)
    } catch let DecodingError.keyNotFound(key, ctx) {
      let p = (ctx.codingPath + [key]).map(\.stringValue).joined(separator: ".")
      throw PlatformError(
        "\(path): \(p): missing; every profile key is required (see scenarios/profiles/paper-2012.yaml)")
    } catch let DecodingError.typeMismatch(_, ctx) {
      throw PlatformError(
        "\(path): \(ctx.codingPath.map(\.stringValue).joined(separator: ".")): \(ctx.debugDescription)")
    } catch let DecodingError.dataCorrupted(ctx) {
      throw PlatformError(
        "\(path): \(ctx.codingPath.map(\.stringValue).joined(separator: ".")): \(ctx.debugDescription)")
    } catch {
      throw PlatformError("\(path): \(error)")
    }
  }

  /// The YAML text of `profile` (used to write scenarios/profiles/paper-2012.yaml).
  public static func yaml(_ profile: CostProfile) throws -> String {
    try YAMLEncoder().encode(profile)
  }
}
