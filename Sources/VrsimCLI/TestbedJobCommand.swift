import ArgumentParser
import Foundation
import Testbed

#if canImport(Glibc)
  import Glibc
#endif

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
    // Absolute deadlines every period; the response is deadline -> work done.
    let periodNs = UInt64((period * 1e9).rounded())
    let start = ExternalTimer.monotonicNanoseconds()
    let end = start + UInt64((total * 1e9).rounded())
    var next = start
    var sum = 0.0
    var count = 0
    while next < end {
      var ts = timespec(tv_sec: Int(next / 1_000_000_000), tv_nsec: Int(next % 1_000_000_000))
      while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
      _ = CPULoop.spin(iterations)
      sum += Double(ExternalTimer.monotonicNanoseconds() - next) * 1e-3
      count += 1
      next += periodNs
    }
    print("job_response_us \(count > 0 ? sum / Double(count) : 0)")
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
    do {
      let session = try TestbedSession(tools: ["ip", "sysctl"], log: TestbedCLI.note)
      let router = TestbedRouter(vcpus: 1, weight: 256, cap: 0, generatedRoutes: 0, routePrefixes: nil)
      let bench = try BenchRunner(
        session: session, router: router, selfPath: TestbedBenchCommand.selfPath, startKeeper: false)
      let server = try NamespaceSSHServer(
        session: session, namespace: bench.keeperNamespace, address: BenchRunner.keeperAddress(.host),
        port: 2222, clientNamespace: session.prefix.name("host"))
      FileHandle.standardOutput.write(Data("ready \(server.pid) \(session.prefix)\n".utf8))
      withExtendedLifetime((session, bench, server)) {}
      while true { sleep(60) }
    } catch { throw TestbedCLI.mapped(error) }
  }
}
