import Foundation
import Platforms
import Scenario
import Testing

/// `testbed_window_per_sender` (issue 20): the testbed's CPU window runs from before the senders
/// start until the last one exits, so each trafgen process's start-up and exit lengthen it while
/// the frames are counted over the send time. Each test runs one scenario twice with the same
/// seed, with and without the window; the key changes no simulated event, so the rows' ratio is
/// the window's alone, against a hand figure.
@Suite("netns CPU rows: the testbed's window grows with each trafgen process")
struct NetnsWindowPerSenderTests {
  static func run(_ overrides: [String]) throws -> NetworkResult {
    let spec = try ScenarioLoader.load(
      text: "name: netns\n", fileName: "netns.yaml",
      overrides: ["scheduler.kind=cfs", "host.cpus=2", "host.clock=2.5GHz"] + overrides)
    return try simulated(spec).result
  }

  /// fig8b-scheduled's layout: 8 routers' threads on CPU 1, their 8 trafgen senders on CPU 0,
  /// 5 kp/s each, one 2 s trial.
  static let threaded = [
    "platform=netns-direct", "routers.count=8", "routers.each.pin=[1]", "host.forwarding=threaded",
    "traffic[0]={to: each, rate: 5kpps, frame: 64B, arrival: cbr}", "profile.generator_window=1s",
    "run.duration=2s", "run.warmup=0s", "profile.testbed_trial=2s",
  ]

  @Test("8 trafgen senders: the CPU rows are over 2 s + 6.1 ms + 8 x 15.2 ms, the senders' own rows over 2 s")
  func eightSenders() throws {
    let without = try Self.run(Self.threaded + ["profile.testbed_window_extra=0s"])
    let with = try Self.run(
      Self.threaded + ["profile.testbed_window_extra=6.1ms", "profile.testbed_window_per_sender=15.2ms"])
    // hand figure: busy time over the send time x 2 / (2 + 0.0061 + 8 x 0.0152) = 2 / 2.1277
    let f = 2.0 / (2.0 + 0.0061 + 8 * 0.0152)
    #expect(abs(f - 0.939982) < 1e-6)
    // Tolerance 1e-4 relative: with a window the model takes the send time as the trial's
    // 2 s x max(1, target / sent), and 2 s of CBR at 40 kp/s is off its target by at most a
    // frame in 80,000 (1.25e-5).
    for k in 0..<2 {
      let expected = without.pcpuUtilisation[k] * f
      #expect(
        abs(with.pcpuUtilisation[k] - expected) <= 1e-4 * expected,
        "CPU \(k): \(with.pcpuUtilisation[k]) against \(expected)")
      let m = try #require(with.cpuModes)[k]
      let n = try #require(without.cpuModes)[k]
      #expect(abs(m.busy - n.busy * f) <= 1e-4 * n.busy)
      #expect(abs(m.system - n.system * f) <= 1e-4 * max(n.system, 1e-12))
      #expect(abs(m.thread - n.thread * f) <= 1e-4 * max(n.thread, 1e-12))
    }
    #expect(without.pcpuUtilisation[1] > 0.01, "the threads keep CPU 1 busy: \(without.pcpuUtilisation[1])")
    for k in 0..<8 { #expect(with.cpuShare["gen\(k)"] == without.cpuShare["gen\(k)"], "gen\(k)") }
    #expect(with.aggregate == without.aggregate)
  }

  @Test("one trafgen sender: 15 ms per sender is the same window as 15 ms of testbed_window_extra")
  func oneSenderIsAFixedExtra() throws {
    // netns-router in softirq mode, one router, so one trafgen process: its window is
    // send + 0 + 1 x 15 ms either way, and every row must agree exactly.
    let layout = [
      "platform=netns-router", "routers.count=1",
      "traffic[0]={to: each, rate: 100kpps, frame: 64B, arrival: cbr}", "profile.testbed_trial=1s",
      "run.duration=300ms", "run.warmup=50ms",
    ]
    let perSender = try Self.run(
      layout + ["profile.testbed_window_extra=0s", "profile.testbed_window_per_sender=15ms"])
    let fixed = try Self.run(layout + ["profile.testbed_window_extra=15ms"])
    let none = try Self.run(layout + ["profile.testbed_window_extra=0s"])
    #expect(perSender == fixed)
    #expect(perSender.pcpuUtilisation[0] < none.pcpuUtilisation[0], "the window must lower CPU 0's row")
  }

  @Test("no window growth for senders that are not trafgen: iperf3 and the testbed's Poisson sender")
  func onlyTrafgen() throws {
    for layout in [
      [
        "platform=netns-direct", "routers.count=1", "host.generator=iperf3", "host.udp_receiver_cpu=1",
        "traffic[0]={to: each, rate: 10kpps, frame: 1518B, arrival: cbr}", "run.duration=100ms",
        "run.warmup=10ms", "profile.testbed_window_extra=0s",
      ],
      [
        "platform=netns-direct", "routers.count=1",
        "traffic[0]={to: each, rate: 10kpps, frame: 64B, arrival: poisson}",
        "run.duration=100ms", "run.warmup=10ms", "profile.testbed_window_extra=0s",
      ],
    ] {
      let with = try Self.run(layout + ["profile.testbed_window_per_sender=15ms"])
      #expect(with == (try Self.run(layout)), "\(layout)")
    }
  }

  @Test("a negative or too large value is refused, naming the key")
  func badValues() {
    for bad in ["-1ms", "100s", "lots"] {
      #expect {
        _ = try ScenarioLoader.load(
          text: "name: netns\n", fileName: "netns.yaml",
          overrides: ["profile.testbed_window_per_sender=\(bad)"])
      } throws: { error in
        "\(error)".contains("profile.testbed_window_per_sender")
      }
    }
  }
}
