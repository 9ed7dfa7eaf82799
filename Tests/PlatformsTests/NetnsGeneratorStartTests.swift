import Foundation
import Platforms
import Scenario
import Testing

/// `generator_start` (issue 20): a trafgen process's CPU outside its send loop, once per sender
/// and trial, in the CPU rows as the testbed counts them (getrusage of the whole `ip netns exec
/// NS trafgen ...` process over the trial's window). Each test runs one scenario twice with the
/// same seed, at 0 and at the measured 10.9 M cycles (4.37 ms at 2.5 GHz): the key changes no
/// simulated event, so the difference of the two runs' rows is the start-up alone, against a
/// hand figure.
@Suite("netns senders: a trafgen process's start-up CPU per trial")
struct NetnsGeneratorStartTests {
  static let clock = 2.5e9
  static let start = 10_900_000.0

  static func run(_ overrides: [String], start: Double) throws -> NetworkResult {
    let spec = try ScenarioLoader.load(
      text: "name: netns\n", fileName: "netns.yaml",
      overrides: [
        "scheduler.kind=cfs", "host.cpus=2", "host.clock=2.5GHz",
        "profile.generator_start=\(Int(start))cycles",
      ] + overrides)
    return try simulated(spec).result
  }

  @Test("threaded, rows over the send time: 8 senders of 2 s add 8 x 10.9 M / (2.5 GHz x 2 s) to CPU 0")
  func overTheSendTime() throws {
    // fig8b-scheduled's layout: 8 routers' threads on CPU 1, their 8 trafgen senders on CPU 0,
    // 5 kp/s each, trafgen's 1 s windows, one 2 s trial with no counter tail
    // (testbed_window_extra 0): CPU 0 gains 8 x 10.9e6 / (2.5e9 x 2) = 0.01744, in system time;
    // each sender's own row 10.9e6 / (2.5e9 x 2) = 0.00218; CPU 1 and the traffic do not change.
    // Tolerance 1e-9: the two runs are the same events, only the added term differs.
    let layout = [
      "platform=netns-direct", "routers.count=8", "routers.each.pin=[1]", "host.forwarding=threaded",
      "traffic[0]={to: each, rate: 5kpps, frame: 64B, arrival: cbr}", "profile.generator_window=1s",
      "profile.testbed_window_extra=0s", "run.duration=2s", "run.warmup=0s",
    ]
    let without = try Self.run(layout, start: 0)
    let with = try Self.run(layout, start: Self.start)
    let cpu0 = 8 * 10.9e6 / (2.5e9 * 2)
    #expect(abs(cpu0 - 0.01744) < 1e-12)
    #expect(abs(with.pcpuUtilisation[0] - without.pcpuUtilisation[0] - cpu0) < 1e-9)
    let m0 = try #require(with.cpuModes)[0]
    let n0 = try #require(without.cpuModes)[0]
    #expect(abs(m0.busy - n0.busy - cpu0) < 1e-9)
    #expect(abs(m0.system - n0.system - cpu0) < 1e-9, "system \(m0.system) against \(n0.system)")
    #expect(m0.softirq == n0.softirq && m0.user == n0.user && m0.thread == n0.thread)
    #expect(with.pcpuUtilisation[1] == without.pcpuUtilisation[1])
    #expect(with.cpuModes?[1] == without.cpuModes?[1])
    #expect(with.aggregate == without.aggregate)
    for k in 0..<8 {
      let g = try #require(with.cpuShare["gen\(k)"]) - (without.cpuShare["gen\(k)"] ?? .nan)
      #expect(abs(g - 10.9e6 / (2.5e9 * 2)) < 1e-9, "gen\(k) gained \(g)")
    }
    for i in 0..<8 { #expect(with.cpuShare["vr\(i)"] == without.cpuShare["vr\(i)"]) }
    let host = try #require(with.cpuShare["host"]) - (without.cpuShare["host"] ?? .nan)
    #expect(abs(host - cpu0) < 1e-9, "the host's CPU gained \(host)")
  }

  @Test(
    "softirq, rows over the counter window: 1 s of sending and a 400 ms tail spread the start-up over 1.4 s")
  func overTheCounterWindow() throws {
    // netns-router, softirq mode, 100 kp/s (below its saturation): the testbed's 1 s trial sends
    // for 1 s and its counters ran 400 ms longer, so the CPU rows are over 1.4 s and CPU 0 gains
    // 10.9e6 / (2.5e9 x 1.4) = 0.0031143; the sender's own row is over the send time:
    // 10.9e6 / (2.5e9 x 1) = 0.00436. Tolerance 1e-4 relative: the model's send time is
    // 1 s x max(1, target / sent), and the sent count of a 250 ms window of CBR is off the
    // target by at most a frame in 25,000 (4e-5).
    let layout = [
      "platform=netns-router", "routers.count=1",
      "traffic[0]={to: each, rate: 100kpps, frame: 64B, arrival: cbr}",
      "profile.testbed_window_extra=400ms", "profile.testbed_trial=1s", "run.duration=300ms",
      "run.warmup=50ms",
    ]
    let without = try Self.run(layout, start: 0)
    let with = try Self.run(layout, start: Self.start)
    let cpu0 = 10.9e6 / (2.5e9 * 1.4)
    let added = with.pcpuUtilisation[0] - without.pcpuUtilisation[0]
    #expect(abs(added - cpu0) / cpu0 < 1e-4, "CPU 0 gained \(added), hand \(cpu0)")
    let m0 = try #require(with.cpuModes)[0]
    let n0 = try #require(without.cpuModes)[0]
    #expect(abs(m0.system - n0.system - cpu0) / cpu0 < 1e-4)
    #expect(m0.softirq == n0.softirq)
    #expect(with.cpuModes?[1] == without.cpuModes?[1])
    let own = try #require(with.cpuShare["gen0"]) - (without.cpuShare["gen0"] ?? .nan)
    #expect(abs(own - 10.9e6 / 2.5e9) / (10.9e6 / 2.5e9) < 1e-4, "gen0 gained \(own)")
    #expect(with.aggregate == without.aggregate)
  }

  @Test(
    "no start-up for senders that are not trafgen: iperf3 (not measured) and the testbed's Poisson sender")
  func onlyTrafgen() throws {
    for layout in [
      [
        "platform=netns-direct", "routers.count=1", "host.generator=iperf3", "host.udp_receiver_cpu=1",
        "traffic[0]={to: each, rate: 10kpps, frame: 1518B, arrival: cbr}", "run.duration=100ms",
        "run.warmup=10ms",
      ],
      [
        "platform=netns-direct", "routers.count=1",
        "traffic[0]={to: each, rate: 10kpps, frame: 64B, arrival: poisson}",
        "run.duration=100ms", "run.warmup=10ms",
      ],
    ] {
      #expect(try Self.run(layout, start: Self.start) == (try Self.run(layout, start: 0)), "\(layout)")
    }
  }

  @Test("a negative or too large value is refused, naming the key")
  func badValues() {
    for bad in ["-1cycles", "200000000cycles", "lots"] {
      #expect {
        _ = try ScenarioLoader.load(
          text: "name: netns\n", fileName: "netns.yaml", overrides: ["profile.generator_start=\(bad)"])
      } throws: { error in
        "\(error)".contains("profile.generator_start")
      }
    }
  }
}
