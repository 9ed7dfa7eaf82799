import Foundation
import Testing

/// `vrsim run` with a cost its platform never reads: the run goes on (exit code 0) with one
/// warning on stderr naming the `--set` place, the key and the platform; a cost the platform
/// reads gives none. Columns counted by hand in the `--set` texts (the value starts after `KEY=`).
@Suite("a cost the platform never reads, on the command line")
struct UnreadCostCLITests {
  static let netns = [
    "--set", "platform=netns-direct", "--set", "scheduler.kind=cfs", "--set", "run.duration=20ms",
    "--set", "run.warmup=5ms", "--set", "run.replications=1",
  ]

  @Test func anUnreadCostRunsAndWarns() throws {
    // override 6; `profile.bridge=` is 15 characters
    let r = try CLIRun(["run", "--format", "csv"] + Self.netns + ["--set", "profile.bridge=9000cycles"])
    #expect(r.status == 0, "\(r.stderr)")
    let warnings = r.stderr.split(separator: "\n").filter { $0.contains("profile.bridge") }
    #expect(
      warnings == [
        "vrsim: warning: --set:6:16: profile.bridge: not read on netns-direct (no stage, host model or result of "
          + "that platform uses this cost), so the value changes nothing; read on xen-bridge, netns-bridge"
      ], "\(r.stderr)")
  }

  @Test func aReadCostDoesNotWarn() throws {
    let r = try CLIRun(["run", "--format", "csv"] + Self.netns + ["--set", "profile.veth_hop=700cycles"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(!r.stderr.contains("not read on"), "\(r.stderr)")
  }
}
