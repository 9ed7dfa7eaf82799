import ArgumentParser
import Foundation
import ScenarioRun
import SimCore

struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure vrsim's speed (build with -c release for meaningful figures).",
    subcommands: [BenchEngineCommand.self, BenchNetCommand.self, BenchHostCommand.self]
  )

  /// `value` as the benches' JSON: pretty-printed, sorted snake_case keys (like every other
  /// JSON vrsim writes).
  static func json(_ value: some Encodable) throws -> String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys]
    enc.keyEncodingStrategy = .convertToSnakeCase
    return String(decoding: try enc.encode(value), as: UTF8.self)
  }
}

/// `vrsim bench engine`: the hold model and the M/D/1/K router micro-model.
struct BenchEngineCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "engine",
    abstract: "Event-list speed: the hold model and an M/D/1/K router micro-model.",
    discussion: """
      Hold model (Vaucher & Duval 1975): N events pending; each event schedules one new event \
      at now + Exp(1us). Reports events per wall-clock second (median of --runs runs), the \
      peak resident memory of the largest run, and heap allocations per event after warm-up. \
      Router micro-model: one server, Poisson arrivals at rho 0.9, deterministic 1us service, \
      room for K = 256 packets; reports simulated packets per wall-clock second.
      """
  )

  @Option(
    name: .long, parsing: .unconditionalSingleValue,
    help: "Pending events in the hold model (>= 1; repeat the option for several sizes).")
  var pending: [Int] = [100, 10_000, 1_000_000]

  @Option(name: .long, parsing: .unconditional, help: "Events executed per measured run (>= 1000).")
  var events: Int = 10_000_000

  @Option(name: .long, parsing: .unconditional, help: "Runs per figure; the median is reported (1...100).")
  var runs: Int = 5

  @Option(
    name: .long, parsing: .unconditional, help: "Packets per router micro-model run (>= 1000; 0 skips it).")
  var packets: Int = 10_000_000

  @Flag(name: .long, help: "Print JSON instead of a table.")
  var json = false

  func validate() throws {
    for n in pending where n < 1 || n > EventQueue.maxPending {
      throw ValidationError(
        "--pending \(n) is out of range; allowed: 1 ... \(EventQueue.maxPending) events")
    }
    guard events >= 1000 else {
      throw ValidationError("--events \(events) is too small; allowed: >= 1000 events")
    }
    guard (1...100).contains(runs) else {
      throw ValidationError("--runs \(runs) is out of range; allowed: 1 ... 100")
    }
    guard packets == 0 || packets >= 1000 else {
      throw ValidationError("--packets \(packets) is too small; allowed: 0 (skip) or >= 1000")
    }
  }

  func run() throws {
    var report = EngineBenchmark.Report(vrsimVersion: VrsimVersion.string)
    for n in pending {
      report.hold.append(EngineBenchmark.hold(pending: n, events: events, runs: runs))
      if !json { printHold(report.hold.last!) }
    }
    if packets > 0 {
      report.router = EngineBenchmark.router(packets: packets, runs: runs)
      if !json { printRouter(report.router!) }
    }
    if json { print(try BenchCommand.json(report)) }
  }

  private func printHold(_ f: EngineBenchmark.HoldFigure) {
    let mem = f.peakResidentBytes.map { String(format: "%.1f MiB", Double($0) / 1_048_576) } ?? "n/a"
    let alloc = f.allocationsPerEvent.map { String(format: "%.4f", $0) } ?? "n/a"
    print(
      String(
        format:
          "hold  pending %9d  %7.2f M events/s (median of %d; min %.2f, max %.2f)  peak RSS %@  allocations/event %@",
        f.pending, f.eventsPerSecondMedian / 1e6, f.runs, f.eventsPerSecondMin / 1e6,
        f.eventsPerSecondMax / 1e6, mem, alloc))
  }

  private func printRouter(_ f: EngineBenchmark.RouterFigure) {
    let alloc = f.allocationsPerPacket.map { String(format: "%.4f", $0) } ?? "n/a"
    print(
      String(
        format:
          "router M/D/1/K (rho 0.9, K 256)  %7.2f M packets/s (median of %d; %.2f M events/s)  loss %.5f  allocations/packet %@",
        f.packetsPerSecondMedian / 1e6, f.runs, f.eventsPerSecondMedian / 1e6, f.lossFraction, alloc
      ))
  }
}
