import ArgumentParser
import Foundation
import ScenarioRun
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

  func run() throws {
    let report = HostBenchmark.run(
      domains: domains, ioDomains: ioDomains, cpus: cpus, total: try parse(duration, "--duration"),
      period: try parse(ioPeriod, "--io-period"), work: try parse(ioWork, "--io-work"), seed: seed,
      version: VrsimVersion.string)
    if json {
      print(try BenchCommand.json(report))
      return
    }
    let alloc = report.allocationsPerDecision.map { String(format: "%.4f", $0) } ?? "n/a"
    print(
      "host  credit 4.0, \(domains) domains (\(ioDomains) I/O every \(ioPeriod) for \(ioWork)) on \(cpus) pCPUs, seed \(seed)"
    )
    print(
      String(
        format: "      %.0f s simulated in %.3f s wall: %.0fx real time", report.simulatedSeconds,
        report.wallSeconds,
        report.simulatedSecondsPerWallSecond))
    print(
      String(
        format: "      %.2f M events/s, %.2f M decisions/s, allocations/decision %@",
        report.eventsPerSecond / 1e6, report.decisionsPerSecond / 1e6, alloc))
    print(
      String(
        format: "      %.0f switches/s simulated, Jain index of CPU-bound domains %.4f, I/O wake p99 %.1f us",
        report.switchesPerSimulatedSecond, report.weightedFairnessCPUBound, report.ioWakeLatencyP99Ns / 1e3))
  }
}
