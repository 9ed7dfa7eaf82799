import ArgumentParser
import Foundation
import Testbed

/// `vrsim testbed _cpuloop`: the calibrated CPU loop of `cpu` and `periodic` jobs (run by
/// testbed run inside a router's namespace and cgroup, under `_timed`).
struct TestbedCPULoopCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "_cpuloop", abstract: "Internal: the calibrated CPU loop of a workloads: job.",
    shouldDisplay: false)

  @Option(name: .long, parsing: .unconditional, help: "Loop iterations (per period when periodic).")
  var iterations: Int64
  @Option(name: .long, parsing: .unconditional, help: "Period in seconds (periodic jobs).")
  var period: Double?
  @Option(name: .customLong("for"), parsing: .unconditional, help: "Run periodic work this many seconds.")
  var total: Double = 0

  func validate() throws {
    if iterations < 0 { throw ValidationError("--iterations must be >= 0") }
    if let period, !(period > 0) { throw ValidationError("--period must be > 0") }
  }

  func run() throws {
    guard let period else {
      _ = CPULoop.spin(iterations)
      return
    }
    print("job_response_us \(CPULoop.periodic(iterations: iterations, period: period, seconds: total))")
  }
}

/// `vrsim testbed _sshd`: starts the bench topology with an OpenSSH server in the
/// time-keeper's namespace (as the ssh tests do), prints `ready <pid>` and waits until killed;
/// the SIGKILL test of `vrsim testbed clean` uses it.
struct TestbedSSHDCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "_sshd", abstract: "Internal: an sshd in a testbed namespace until killed (clean's test).",
    shouldDisplay: false)

  func run() throws {
    do { try NamespaceSSHServer.serveUntilKilled() } catch { throw TestbedCommon.mapped(error) }
  }
}
