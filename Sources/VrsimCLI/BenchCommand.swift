import ArgumentParser
import Foundation
import SimCore

struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure vrsim's speed (build with -c release for meaningful figures).",
    subcommands: [BenchEngineCommand.self, BenchNetCommand.self, BenchHostCommand.self]
  )
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

  struct HoldFigure: Codable {
    var pending: Int
    var events: Int
    var runs: Int
    var eventsPerSecondMedian: Double
    var eventsPerSecondMin: Double
    var eventsPerSecondMax: Double
    var peakResidentBytes: Int?
    var allocationsPerEvent: Double?
  }

  struct RouterFigure: Codable {
    var packets: Int
    var runs: Int
    var packetsPerSecondMedian: Double
    var eventsPerSecondMedian: Double
    var allocationsPerPacket: Double?
    var lossFraction: Double
  }

  struct Report: Codable {
    var vrsimVersion: String
    var hold: [HoldFigure]
    var router: RouterFigure?
  }

  func run() throws {
    var report = Report(vrsimVersion: VrsimVersion.string, hold: [], router: nil)
    for n in pending {
      report.hold.append(hold(pending: n))
      if !json { printHold(report.hold.last!) }
    }
    if packets > 0 {
      report.router = router()
      if !json { printRouter(report.router!) }
    }
    if json {
      let enc = JSONEncoder()
      enc.outputFormatting = [.prettyPrinted, .sortedKeys]
      enc.keyEncodingStrategy = .convertToSnakeCase  // like every other JSON vrsim writes
      print(String(decoding: try enc.encode(report), as: UTF8.self))
    }
  }

  private func hold(pending n: Int) -> HoldFigure {
    var rates: [Double] = []
    var allocations: UInt64? = nil
    ProcessProbes.resetPeakResident()
    for r in 0..<runs {
      let sim = Simulation(seed: 1 + UInt64(r), initialCapacity: n)
      let model = HoldModel(in: sim)
      model.prime(sim, pending: n)
      // Warm-up: every slot and heap position has been touched once.
      runEvents(sim, count: Swift.max(n, 100_000))
      let (_, seconds) = ProcessProbes.timed { runEvents(sim, count: events) }
      rates.append(Double(events) / seconds)
      if r == 0, ProcessProbes.canCountAllocations {
        let (_, a) = ProcessProbes.countingAllocations { runEvents(sim, count: 1_000_000) }
        allocations = a
      }
    }
    return HoldFigure(
      pending: n, events: events, runs: runs, eventsPerSecondMedian: median(rates),
      eventsPerSecondMin: rates.min()!, eventsPerSecondMax: rates.max()!,
      peakResidentBytes: ProcessProbes.peakResidentBytes(),
      allocationsPerEvent: allocations.map { Double($0) / 1_000_000 })
  }

  private func runEvents(_ sim: Simulation, count: Int) {
    let target = sim.eventsExecuted + UInt64(count)
    // The hold model never runs dry, so run in slices of simulated time until enough events ran.
    while sim.eventsExecuted < target {
      let remaining = target - sim.eventsExecuted
      // About 1 event per (1us / pending) of simulated time: aim slightly short.
      let span = Swift.max(1, Int64(remaining) * 1000 / Int64(sim.pendingEvents) * 9 / 10)
      sim.run(until: sim.now + .ns(span))
      if remaining < 64 { break }
    }
  }

  private func router() -> RouterFigure {
    var rates: [Double] = []
    var eventRates: [Double] = []
    var allocationsPerPacket: Double? = nil
    var loss = 0.0
    for r in 0..<runs {
      let sim = Simulation(seed: 100 + UInt64(r))
      let station = QueueingStation(
        in: sim, name: "router", arrivals: .exponential(mean: .ns(1111)),
        service: .deterministic(.us(1)), servers: 1, capacity: 256)
      station.start(in: sim)
      sim.run(until: SimTime(nanoseconds: 10_000_000))  // warm-up: 10 ms
      station.resetStatistics(at: sim.now)
      let horizon = sim.now + .ns(Int64(Double(packets) * 1111))
      let e0 = sim.eventsExecuted
      let (_, seconds) = ProcessProbes.timed { sim.run(until: horizon) }
      rates.append(Double(station.arrived) / seconds)
      eventRates.append(Double(sim.eventsExecuted - e0) / seconds)
      loss = Double(station.blocked) / Double(Swift.max(1, station.arrived))
      if r == 0, ProcessProbes.canCountAllocations {
        let before = station.arrived
        let (_, a) = ProcessProbes.countingAllocations { sim.run(until: sim.now + .ms(100)) }
        allocationsPerPacket = Double(a) / Double(Swift.max(1, station.arrived - before))
      }
    }
    return RouterFigure(
      packets: packets, runs: runs, packetsPerSecondMedian: median(rates),
      eventsPerSecondMedian: median(eventRates),
      allocationsPerPacket: allocationsPerPacket, lossFraction: loss)
  }

  private func printHold(_ f: HoldFigure) {
    let mem = f.peakResidentBytes.map { String(format: "%.1f MiB", Double($0) / 1_048_576) } ?? "n/a"
    let alloc = f.allocationsPerEvent.map { String(format: "%.4f", $0) } ?? "n/a"
    print(
      String(
        format:
          "hold  pending %9d  %7.2f M events/s (median of %d; min %.2f, max %.2f)  peak RSS %@  allocations/event %@",
        f.pending, f.eventsPerSecondMedian / 1e6, f.runs, f.eventsPerSecondMin / 1e6,
        f.eventsPerSecondMax / 1e6, mem, alloc))
  }

  private func printRouter(_ f: RouterFigure) {
    let alloc = f.allocationsPerPacket.map { String(format: "%.4f", $0) } ?? "n/a"
    print(
      String(
        format:
          "router M/D/1/K (rho 0.9, K 256)  %7.2f M packets/s (median of %d; %.2f M events/s)  loss %.5f  allocations/packet %@",
        f.packetsPerSecondMedian / 1e6, f.runs, f.eventsPerSecondMedian / 1e6, f.lossFraction, alloc
      ))
  }
}
