import ArgumentParser
import Foundation
import Testbed

/// `vrsim testbed bench NAME`: the paper's benchmarks timed externally.
struct TestbedBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Run a benchmark in a router namespace and cgroup, timed externally by ICMP echo.",
    discussion: """
      The paper's method (Sec. III): the benchmark's namespace sends an ICMP echo request to a \
      time-keeper namespace at start and at end; the time-keeper timestamps both on its own \
      clock (an AF_PACKET socket) and the difference is reported beside the benchmark's own time.
      """
  )

  @Argument(help: "Benchmark: sleep.")
  var name: String

  func run() throws {
    throw RunError("testbed bench '\(name)' is not available in this build; see docs/testbed.md", exitCode: 2)
  }
}
