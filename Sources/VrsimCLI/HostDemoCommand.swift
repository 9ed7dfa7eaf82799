import ArgumentParser
import Foundation
import HostModel
import ScenarioRun
import SimCore

/// `vrsim host-demo`: CPU-bound domains with given weights on a small host; prints who got how
/// much CPU.
struct HostDemoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "host-demo",
    abstract: "CPU-bound domains with the given weights share a host: print each one's CPU share.",
    discussion: """
      One CPU-bound single-vCPU domain per weight, on --cpus pCPUs at 3.06 GHz, for --duration \
      of simulated time after a 1 s warm-up. Share = CPU time / elapsed time, in percent of one \
      pCPU; 'of total' is the domain's part of all CPU time used.
      """
  )

  @Option(
    name: .long, parsing: .unconditional,
    help: "Comma-separated weights, one domain each (1 ... 65535), e.g. 256,512.")
  var weights: String = "256,512"

  @Option(
    name: .long, parsing: .unconditional,
    help:
      "Comma-separated caps in percent of one pCPU, one per domain (0 = uncapped, at most 100), e.g. 30,0; default: none."
  )
  var caps: String?

  @Option(name: .long, parsing: .unconditional, help: "pCPUs (1 ... 64).")
  var cpus: Int = 1

  @Option(name: .long, parsing: .unconditional, help: "Simulated time, with a unit (1ms ... 1h), e.g. 10s.")
  var duration: String = "10s"

  @Option(
    name: .long, parsing: .unconditional, help: "Scheduler: \(SchedulerConfig.names.joined(separator: ", "))."
  )
  var scheduler: String = "credit"

  @Option(name: .long, parsing: .unconditional, help: "Master seed.")
  var seed: UInt64 = 1

  func parsedWeights() throws -> [Int] {
    let parts = weights.split(separator: ",", omittingEmptySubsequences: false)
    guard !parts.isEmpty else { throw ValidationError("--weights is empty; allowed: e.g. 256,512") }
    return try parts.map { part in
      let t = part.trimmingCharacters(in: .whitespaces)
      guard let w = Int(t), (1...65535).contains(w) else {
        throw ValidationError(
          "--weights '\(weights)': '\(t)' is not a weight; allowed: comma-separated integers 1 ... 65535")
      }
      return w
    }
  }

  func parsedCaps(domains: Int) throws -> [Int] {
    guard let caps else { return Array(repeating: 0, count: domains) }
    let parts = caps.split(separator: ",", omittingEmptySubsequences: false)
    let values = try parts.map { part in
      let t = part.trimmingCharacters(in: .whitespaces)
      guard let c = Int(t), (0...100).contains(c) else {
        throw ValidationError(
          "--caps '\(caps)': '\(t)' is not a cap; allowed: comma-separated percentages 0 ... 100 (0 = uncapped)"
        )
      }
      return c
    }
    guard values.count == domains else {
      throw ValidationError(
        "--caps has \(values.count) values but --weights has \(domains) domains; allowed: one cap per domain")
    }
    return values
  }

  func parsedDuration() throws -> SimDuration {
    let d: SimDuration
    do { d = try SimDuration(parsing: duration) } catch { throw ValidationError("--duration \(error)") }
    guard d >= .ms(1) && d <= .s(3600) else {
      throw ValidationError("--duration \(duration) is out of range; allowed: 1ms ... 1h")
    }
    return d
  }

  func validate() throws {
    _ = try parsedWeights()
    _ = try parsedDuration()
    guard (1...64).contains(cpus) else {
      throw ValidationError("--cpus \(cpus) is out of range; allowed: 1 ... 64")
    }
    guard SchedulerConfig(name: scheduler) != nil else {
      throw ValidationError(
        "--scheduler '\(scheduler)' is unknown; allowed: \(SchedulerConfig.names.joined(separator: ", "))")
    }
    let domains = try parsedWeights().count
    let caps = try parsedCaps(domains: domains)
    if caps.contains(where: { $0 > 0 }) && (scheduler == "none" || scheduler == "credit2") {
      throw ValidationError(
        "--caps needs a scheduler with caps; allowed: credit, cfs or eevdf (quota) or vmware (limit), not \(scheduler)"
      )
    }
    if scheduler == "none" && domains > cpus {
      throw ValidationError(
        "--scheduler none gives every vCPU its own pCPU, but \(domains) domains need \(domains) pCPUs and "
          + "--cpus is \(cpus); allowed: --cpus \(domains) or more, or a sharing scheduler")
    }
  }

  func run() throws {
    let ws = try parsedWeights()
    print(
      HostDemo.report(
        weights: ws, caps: try parsedCaps(domains: ws.count), cpus: cpus, duration: try parsedDuration(),
        scheduler: scheduler, seed: seed), terminator: "")
  }
}
