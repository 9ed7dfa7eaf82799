import Foundation
import HostModel
import NetModel
import Platforms
import SettingText
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
    var nic = host.nic
    let offered = traffic.map { $0.rate.packetsPerSecond(meanFrameBytes: $0.frame.meanBytes) }
    let bytes = zip(traffic, offered).reduce(0.0) { $0 + $1.0.frame.meanBytes * $1.1 }
    let total = offered.reduce(0, +)
    nic.interruptGapNs = host.nic.itr.gap(meanFrameBytes: total > 0 ? bytes / total : 64).nanoseconds
    let cpus = host.cpus
    func affinity(_ pins: [Int]) -> [Int]? { pins.isEmpty ? nil : pins.filter { $0 < cpus } }
    let dom0Name = platform.front.name
    let dom0Config = DomainConfig(
      name: dom0Name, kind: platform.front.kind, vcpus: dom0.vcpus, weight: dom0.weight, cap: dom0.cap,
      affinity: affinity(dom0.pin))
    var routerSpecs: [RouterConfig] = []
    var tables: [String: RouteTable] = [:]
    for i in 0..<routers.count {
      let r = i < routers.perRouter.count ? routers.perRouter[i] : routers.each
      let fib = r.fib
      let table: RouteTable
      if let file = r.routesFile {
        if let t = tables[file] {
          table = t
        } else {
          table = try ModelInputFile.loadRouteTable(file, base: source.baseDirectory)
          tables[file] = table
        }
      } else {
        table = .generated(routes: r.routes)
      }
      routerSpecs.append(
        RouterConfig(
          domain: DomainConfig(
            name: "vr\(i)", kind: platform.routerKind, vcpus: r.vcpus, weight: r.weight, cap: r.cap,
            affinity: affinity(r.pin)),
          table: table, fib: fib, rxQueues: r.rxQueues))
    }
    var flows: [FlowSpec] = []
    for t in traffic {
      let frames = FrameSizeLaw(t.frame)
      let arrivals: ArrivalLaw
      switch t.arrival {
      case .cbr: arrivals = .cbr
      case .poisson: arrivals = .poisson
      case .onOff(let on, let off): arrivals = .onOff(on: on, off: off)
      case .trace(let file): arrivals = .trace(try ModelInputFile.loadTrace(file, base: source.baseDirectory))
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
    platformSpec.forwarding = host.forwarding
    platformSpec.generator = host.generator
    platformSpec.udpReceiverCPU = host.udpReceiverCPU
    platformSpec.jobs = jobs.map { j in
      let work: JobSpec.Work =
        j.totalCycles(clockHz: host.clockHz).map { .cycles($0) }
        ?? .periodic(period: j.period, cycles: j.cyclesPerPeriod)
      return JobSpec(name: j.name, domain: j.place == "dom0" ? dom0Name : j.place, work: work, start: j.start)
    }
    return platformSpec
  }
}
