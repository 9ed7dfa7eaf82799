import ArgumentParser
import Foundation
import HostModel
import NetModel
import Platforms
import SimCore

/// `vrsim bench net`: packet-path speed on the two reference cases of issue 5.
struct BenchNetCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "net",
    abstract: "Packet-path speed: xen-bridge with 4 routers at 130 kpps, native at 1.4 Mpps.",
    discussion: """
      Case 1: xen-bridge, 4 virtual routers, 130 kpps of 64 B frames in total (the paper's \
      Fig. 8b point), credit 4.0 on 4 pCPUs at 3.06 GHz, --xen-seconds simulated. \
      Case 2: native Linux, 1.4 Mpps of 64 B frames offered, --native-seconds simulated. \
      Reports simulated packets (offered) per wall-clock second, the real-time factor \
      (simulated seconds per wall second), events per second and heap allocations per packet \
      after the first 10% of the run (median of --runs runs).
      """
  )

  @Option(name: .long, parsing: .unconditional, help: "Simulated duration of the xen-bridge case (e.g. 10s).")
  var xenSeconds: String = "10s"

  @Option(name: .long, parsing: .unconditional, help: "Simulated duration of the native case (e.g. 1s).")
  var nativeSeconds: String = "1s"

  @Option(name: .long, parsing: .unconditional, help: "Runs per figure; the median is reported (1...20).")
  var runs: Int = 3

  @Flag(
    name: .long,
    help:
      "Also time case 1 with every cost that grows with the router count on, at the README table's values."
  )
  var growthCosts = false

  @Flag(name: .long, help: "Print JSON instead of text.")
  var json = false

  func validate() throws {
    for (name, text) in [("--xen-seconds", xenSeconds), ("--native-seconds", nativeSeconds)] {
      do {
        let d = try SimDuration(parsing: text)
        guard d.nanoseconds > 0 else {
          throw ValidationError("\(name) must be positive; allowed: a duration > 0 such as 1s")
        }
      } catch let e as QuantityError {
        throw ValidationError("\(name): \(e)")
      }
    }
    guard (1...20).contains(runs) else {
      throw ValidationError("--runs \(runs) is out of range; allowed: 1 ... 20")
    }
  }

  struct Figure: Codable {
    var name: String
    var simulatedSeconds: Double
    var packetsPerWallSecond: Double
    var realTimeFactor: Double
    var eventsPerSecond: Double
    var allocationsPerPacket: Double?
    var forwardedPps: Double
  }

  func run() throws {
    let xen = try SimDuration(parsing: xenSeconds)
    let native = try SimDuration(parsing: nativeSeconds)
    var figures: [Figure] = []
    figures.append(try measure(name: "xen-bridge 4 routers 130 kpps", spec: Self.xenSpec(), duration: xen))
    if !json { printFigure(figures.last!) }
    if growthCosts {
      figures.append(
        try measure(
          name: "xen-bridge 4 routers 130 kpps, growth costs on", spec: Self.xenGrowthSpec(), duration: xen))
      if !json { printFigure(figures.last!) }
    }
    figures.append(try measure(name: "native 1.4 Mpps", spec: Self.nativeSpec(), duration: native))
    if !json { printFigure(figures.last!) }
    if json {
      let enc = JSONEncoder()
      enc.outputFormatting = [.prettyPrinted, .sortedKeys]
      enc.keyEncodingStrategy = .convertToSnakeCase  // like every other JSON vrsim writes
      print(String(decoding: try enc.encode(figures), as: UTF8.self))
    }
  }

  static func xenSpec() -> PlatformSpec {
    let routers = (0..<4).map { RouterSpec(domain: DomainConfig(name: "vr\($0)", kind: .guest)) }
    let flows = (0..<4).map { FlowSpec(router: $0, packetsPerSecond: 32_500) }
    return PlatformSpec(
      host: HostConfig(cpus: 4, clockGHz: 3.06), scheduler: .credit(CreditOptions()), kind: .xenBridge,
      routers: routers, flows: flows)
  }

  /// Case 1 with the working-set refill, per-vif dom0 work, scheduler time per decision, Xen
  /// event delivery and IPI latency all on, at the values of scripts/growth-table.sh.
  static func xenGrowthSpec() -> PlatformSpec {
    var spec = xenSpec()
    spec.profile.vifScan = 200
    spec.profile.eventDelivery = 1_000
    spec.profile.dom0Footprint = 2 << 20
    spec.profile.guestFootprint = 2 << 20
    spec.host.contextSwitch.refillCyclesPerByte = 0.3
    spec.host.contextSwitch.decisionCycles = 2_000
    spec.host.contextSwitch.ipiLatencyNs = 3_000
    return spec
  }

  static func nativeSpec() -> PlatformSpec {
    PlatformSpec(
      host: HostConfig(cpus: 4, clockGHz: 3.06), scheduler: .none, kind: .native,
      routers: [RouterSpec(domain: DomainConfig(name: "vr0", kind: .guest))],
      flows: [FlowSpec(router: 0, packetsPerSecond: 1_400_000)])
  }

  private func measure(name: String, spec: PlatformSpec, duration: SimDuration) throws -> Figure {
    var rates: [Double] = []
    var rtf: [Double] = []
    var eps: [Double] = []
    var alloc: Double? = nil
    var forwarded = 0.0
    for r in 0..<runs {
      let host = try RouterHost(spec: spec, seed: 7 + UInt64(r))
      let warm = SimDuration(nanoseconds: duration.nanoseconds / 10)
      let (result, seconds): (NetworkResult, Double) = ProcessProbes.timed {
        host.run(duration: duration, warmup: .zero)
      }
      let offered = result.aggregate.offeredPps * result.seconds
      rates.append(offered / seconds)
      rtf.append(duration.seconds / seconds)
      eps.append(Double(host.sim.eventsExecuted) / seconds)
      forwarded = result.aggregate.forwardedPps
      if r == 0, ProcessProbes.canCountAllocations {
        let again = try RouterHost(spec: spec, seed: 99)
        _ = again.run(duration: warm)
        let before = again.conservation.offered
        let (_, a) = ProcessProbes.countingAllocations { again.continueRun(for: warm) }
        alloc = Double(a) / Double(max(1, again.conservation.offered - before))
      }
    }
    return Figure(
      name: name, simulatedSeconds: duration.seconds, packetsPerWallSecond: median(rates),
      realTimeFactor: median(rtf), eventsPerSecond: median(eps), allocationsPerPacket: alloc,
      forwardedPps: forwarded)
  }

  private func printFigure(_ f: Figure) {
    let alloc = f.allocationsPerPacket.map { String(format: "%.4f", $0) } ?? "n/a"
    print(
      String(
        format:
          "%@: %.2f M packets/wall-s, %.1fx real time, %.2f M events/s, allocations/packet %@ (%.3g s simulated, forwarded %.0f pps)",
        f.name, f.packetsPerWallSecond / 1e6, f.realTimeFactor, f.eventsPerSecond / 1e6, alloc,
        f.simulatedSeconds,
        f.forwardedPps))
  }
}
