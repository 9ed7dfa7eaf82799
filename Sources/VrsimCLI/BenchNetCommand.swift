import ArgumentParser
import Foundation
import ScenarioRun
import SimCore

/// `vrsim bench net`: packet-path speed on two reference cases.
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

  func run() throws {
    let xen = try SimDuration(parsing: xenSeconds)
    let native = try SimDuration(parsing: nativeSeconds)
    var cases = [("xen-bridge 4 routers 130 kpps", NetBenchmark.xenSpec(), xen)]
    if growthCosts {
      cases.append(("xen-bridge 4 routers 130 kpps, growth costs on", NetBenchmark.xenGrowthSpec(), xen))
    }
    cases.append(("native 1.4 Mpps", NetBenchmark.nativeSpec(), native))
    var figures: [NetBenchmark.Figure] = []
    for (name, spec, duration) in cases {
      figures.append(try NetBenchmark.measure(name: name, spec: spec, duration: duration, runs: runs))
      if !json { printFigure(figures.last!) }
    }
    if json { print(try BenchCommand.json(figures)) }
  }

  private func printFigure(_ f: NetBenchmark.Figure) {
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
