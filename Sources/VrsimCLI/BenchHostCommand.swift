import ArgumentParser
import Foundation
import HostModel
import SimCore

/// `vrsim bench host`: speed of the host model under the Xen credit scheduler.
struct BenchHostCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "host",
    abstract: "Host-model speed: many CPU-bound and periodic I/O domains under Xen credit.",
    discussion: """
      Builds a host of --cpus pCPUs at 3.06 GHz with --domains single-vCPU domains under the \
      credit scheduler (Xen 4.0 rules, default context-switch costs): the first --io-domains \
      wake every --io-period for --io-work of CPU (staggered phases), the rest are CPU-bound. \
      After 10 s of simulated warm-up, counts heap allocations over 60 s simulated (reported \
      per scheduling decision), then times the rest of --duration. Reports simulated seconds \
      per wall-clock second, events and decisions per wall-clock second.
      """
  )

  @Option(name: .long, parsing: .unconditional, help: "Domains in all (1 ... 4096).")
  var domains: Int = 64

  @Option(name: .long, parsing: .unconditional, help: "Of which periodic I/O domains (0 ... --domains).")
  var ioDomains: Int = 32

  @Option(name: .long, parsing: .unconditional, help: "pCPUs (1 ... 64).")
  var cpus: Int = 8

  @Option(
    name: .long, parsing: .unconditional, help: "Simulated time to run, with a unit (>= 2min), e.g. 1h.")
  var duration: String = "1h"

  @Option(
    name: .long, parsing: .unconditional,
    help: "Wake-up period of the I/O domains, with a unit (100us ... 10s).")
  var ioPeriod: String = "20ms"

  @Option(
    name: .long, parsing: .unconditional, help: "CPU time per I/O wake-up, with a unit (1us ... the period).")
  var ioWork: String = "200us"

  @Option(name: .long, parsing: .unconditional, help: "Master seed.")
  var seed: UInt64 = 1

  @Flag(name: .long, help: "Print JSON instead of a table.")
  var json = false

  func validate() throws {
    guard (1...4096).contains(domains) else {
      throw ValidationError("--domains \(domains) is out of range; allowed: 1 ... 4096")
    }
    guard (0...domains).contains(ioDomains) else {
      throw ValidationError(
        "--io-domains \(ioDomains) is out of range; allowed: 0 ... \(domains) (--domains)")
    }
    guard (1...64).contains(cpus) else {
      throw ValidationError("--cpus \(cpus) is out of range; allowed: 1 ... 64")
    }
    let d = try parse(duration, "--duration")
    guard d >= .s(120) else {
      throw ValidationError(
        "--duration \(duration) is too short; allowed: >= 2min (10 s warm-up + 60 s counted + timed part)")
    }
    let p = try parse(ioPeriod, "--io-period")
    guard p >= .us(100) && p <= .s(10) else {
      throw ValidationError("--io-period \(ioPeriod) is out of range; allowed: 100us ... 10s")
    }
    let w = try parse(ioWork, "--io-work")
    guard w >= .us(1) && w <= p else {
      throw ValidationError(
        "--io-work \(ioWork) is out of range; allowed: 1us ... the I/O period (\(ioPeriod))")
    }
  }

  private func parse(_ text: String, _ option: String) throws -> SimDuration {
    do { return try SimDuration(parsing: text) } catch {
      throw ValidationError("\(option) \(error)")
    }
  }

  struct Report: Codable {
    var vrsimVersion: String
    var scheduler: String
    var cpus: Int
    var domains: Int
    var ioDomains: Int
    var seed: UInt64
    var simulatedSeconds: Double
    var wallSeconds: Double
    var simulatedSecondsPerWallSecond: Double
    var eventsPerSecond: Double
    var decisionsPerSecond: Double
    var allocationsPerDecision: Double?
    var switchesPerSimulatedSecond: Double
    var weightedFairnessCPUBound: Double
    var ioWakeLatencyP99Ns: Double
  }

  func run() throws {
    let total = try parse(duration, "--duration")
    let period = try parse(ioPeriod, "--io-period")
    let work = try parse(ioWork, "--io-work")
    let sim = Simulation(seed: seed, initialCapacity: 4 * domains + 64)
    let host = Host(
      sim: sim, config: HostConfig(cpus: cpus, clockGHz: 3.06), scheduler: .credit(CreditOptions()))
    let hog = CPUBoundWorkload()
    for k in 0..<domains {
      let d = host.addDomain(DomainConfig(name: k < ioDomains ? "io\(k)" : "cpu\(k)"))
      if k < ioDomains {
        let phase = SimDuration.ns(period.nanoseconds * Int64(k) / Int64(max(1, ioDomains)))
        _ = PeriodicIOWorkload(
          sim: sim, vcpu: d.vcpus[0], period: period,
          cycles: Int64((Double(work.nanoseconds) * 3.06).rounded()), phase: phase)
      } else {
        hog.attach(to: d)
      }
    }
    host.start()
    sim.run(until: SimTime(nanoseconds: 10_000_000_000))
    host.resetStatistics()
    var allocationsPerDecision: Double? = nil
    let countedEnd = sim.now + .s(60)
    if ProcessProbes.canCountAllocations {
      let (_, a) = ProcessProbes.countingAllocations { sim.run(until: countedEnd) }
      allocationsPerDecision = Double(a) / Double(max(1, host.schedulingDecisions))
    } else {
      sim.run(until: countedEnd)
    }
    let start = sim.now
    let e0 = sim.eventsExecuted
    let d0 = host.schedulingDecisions
    let (_, wall) = ProcessProbes.timed { sim.run(until: SimTime(nanoseconds: total.nanoseconds)) }
    let simulated = (sim.now - start).seconds
    let r = host.report()
    let cpuBound = r.domains.filter { $0.name.hasPrefix("cpu") }.map(\.cpuSeconds)
    let ioP99 = r.domains.filter { $0.name.hasPrefix("io") }.map(\.wakeLatency.p99Ns).max() ?? 0
    let report = Report(
      vrsimVersion: VrsimVersion.string, scheduler: "credit 4.0", cpus: cpus, domains: domains,
      ioDomains: ioDomains, seed: seed, simulatedSeconds: simulated, wallSeconds: wall,
      simulatedSecondsPerWallSecond: simulated / wall,
      eventsPerSecond: Double(sim.eventsExecuted - e0) / wall,
      decisionsPerSecond: Double(host.schedulingDecisions - d0) / wall,
      allocationsPerDecision: allocationsPerDecision, switchesPerSimulatedSecond: r.switchesPerSecond,
      weightedFairnessCPUBound: jainFairnessIndex(cpuBound), ioWakeLatencyP99Ns: ioP99)
    if json {
      let enc = JSONEncoder()
      enc.outputFormatting = [.prettyPrinted, .sortedKeys]
      enc.keyEncodingStrategy = .convertToSnakeCase  // like every other JSON vrsim writes
      print(String(decoding: try enc.encode(report), as: UTF8.self))
      return
    }
    let alloc = allocationsPerDecision.map { String(format: "%.4f", $0) } ?? "n/a"
    print(
      "host  credit 4.0, \(domains) domains (\(ioDomains) I/O every \(ioPeriod) for \(ioWork)) on \(cpus) pCPUs, seed \(seed)"
    )
    print(
      String(
        format: "      %.0f s simulated in %.3f s wall: %.0fx real time", simulated, wall,
        report.simulatedSecondsPerWallSecond))
    print(
      String(
        format: "      %.2f M events/s, %.2f M decisions/s, allocations/decision %@",
        report.eventsPerSecond / 1e6, report.decisionsPerSecond / 1e6, alloc))
    print(
      String(
        format: "      %.0f switches/s simulated, Jain index of CPU-bound domains %.4f, I/O wake p99 %.1f us",
        report.switchesPerSimulatedSecond, report.weightedFairnessCPUBound, ioP99 / 1e3))
  }
}
