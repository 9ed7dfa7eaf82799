import Foundation
import Testing

/// `host.forwarding` at the command line: refused with exit code 2 where it means nothing, its
/// old spelling runs with a warning on stderr, two disagreeing spellings exit 2. Columns counted
/// by hand in the `--set` texts (the value starts after `KEY=`).
@Suite("host.forwarding on the command line")
struct ForwardingCLITests {
  @Test func threadedOnXenIsAnInputError() throws {
    // the built-in default scenario is xen-bridge; `host.forwarding=` is 16 characters
    let r = try CLIRun(["run", "--set", "host.forwarding=threaded"])
    #expect(r.status == 2)
    #expect(
      r.stderr
        == "vrsim: error: --set:1:17: host.forwarding: threaded is threaded NAPI on the veth hops of the "
        + "netns platforms; xen-bridge has no veth hop and would ignore it; allowed: softirq (the default) "
        + "on xen-bridge; threaded on netns-bridge, netns-router or netns-direct\n")
  }

  static let netns = [
    "--set", "platform=netns-direct", "--set", "scheduler.kind=cfs", "--set", "run.duration=20ms",
    "--set", "run.warmup=5ms", "--set", "run.replications=1",
  ]

  @Test func theOldSpellingRunsAndWarns() throws {
    // override 6; `testbed.forwarding=` is 19 characters
    let r = try CLIRun(["run", "--format", "csv"] + Self.netns + ["--set", "testbed.forwarding=threaded"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(
      r.stderr.contains(
        "vrsim: warning: --set:6:20: testbed.forwarding: the old spelling of host.forwarding (the forwarding "
          + "mode is the host's, read by the model and the testbed alike); write host: {forwarding: threaded} "
          + "(--set host.forwarding=threaded) instead\n"), "\(r.stderr)")
  }

  @Test func disagreeingSpellingsAreAnInputError() throws {
    let r = try CLIRun(
      ["run"] + Self.netns + ["--set", "host.forwarding=softirq", "--set", "testbed.forwarding=threaded"])
    #expect(r.status == 2)
    #expect(
      r.stderr.hasPrefix(
        "vrsim: error: --set:7:20: testbed.forwarding: 'threaded' disagrees with host.forwarding ('softirq' at --set:6:17)"
      ),
      "\(r.stderr)")
  }
}
