import Foundation
import Platforms
import Scenario
import SimCore
import Testing

/// The netns platforms as Linux runs them on veth (issue 20), against figures computed by hand
/// from the paper-2012 profile (scenarios/profiles/paper-2012.yaml):
///
/// generator 300 user + 1200 send call + 700 syscall = 2200 cycles per frame on its CPU;
/// softirq_entry 300 per NET_RX run; veth_hop 600 per crossing; ip_forward 1400 + FIB route
/// cache 120 + 15 = 1535 per IP forward; bridge 4100; sink_blackhole 900. Per frame:
/// - netns-direct: (600 + 1535) + (600 + 900) = 3635 in softirq, 6135 with the generator;
/// - netns-router: 3 x (600 + 1535) + (600 + 900) = 7905 in softirq, 10405 in all;
/// - netns-bridge: 2 x (600 + 4100) + (600 + 1535) + (600 + 900) = 13035 in softirq, 15535.
/// Context switches between Linux tasks cost `linux_context_switch` = 11,600 cycles each (the
/// profile's; no warm-up part: the Xen domain-switch costs are not charged on netns platforms).
@Suite("netns platforms: softirq chains, threaded NAPI, CPU by mode")
struct NetnsSoftirqTests {
  static let clock = 3.06e9
  static let generator = 2_200.0
  static let entry = 300.0
  static let softirqCycles = ["netns-direct": 3_635.0, "netns-router": 7_905.0, "netns-bridge": 13_035.0]

  static func run(
    _ platform: String, rate: String, cpus: Int = 4, extra: [String] = [], duration: String = "300ms"
  )
    throws -> (NetworkResult, RouterHost)
  {
    let spec = try ScenarioLoader.load(
      text: "name: netns\n", fileName: "netns.yaml",
      overrides: [
        "platform=\(platform)", "scheduler.kind=cfs", "host.cpus=\(cpus)", "routers.count=1",
        "traffic[0]={to: all, rate: \(rate), frame: 64B, arrival: cbr}", "run.duration=\(duration)",
        "run.warmup=50ms",
      ] + extra)
    return try simulated(spec)
  }

  @Test(
    "softirq mode below saturation: everything forwarded, CPU 0 = rate x cycles by mode, the other CPUs idle",
    arguments: ["netns-direct", "netns-router", "netns-bridge"])
  func belowSaturation(platform: String) throws {
    // 100 kp/s CBR, well below every saturation (>= 197 kp/s). CPU 0's shares: softirq =
    // 1e5 x (300 + chain) / 3.06e9, system = 1e5 x 1900 / 3.06e9, user = 1e5 x 300 / 3.06e9.
    // Tolerance 0.5%: the 300 ms window holds 30,000 frames, +- 1 frame and one chain's cycles at
    // either edge (< 0.01%), and CBR's random phase.
    let (r, _) = try Self.run(platform, rate: "100kpps")
    let rate = 100_000.0
    #expect(abs(r.aggregate.forwardedPps - rate) / rate < 0.005, "\(r.aggregate.forwardedPps)")
    #expect(r.aggregate.droppedPps == 0)
    let modes = try #require(r.cpuModes)
    let soft = rate * (Self.entry + Self.softirqCycles[platform]!) / Self.clock
    let sys = rate * 1_900 / Self.clock
    let user = rate * 300 / Self.clock
    #expect(abs(modes[0].softirq - soft) / soft < 0.005, "softirq \(modes[0].softirq) vs \(soft)")
    #expect(abs(modes[0].system - sys) / sys < 0.005, "system \(modes[0].system) vs \(sys)")
    #expect(abs(modes[0].user - user) / user < 0.005, "user \(modes[0].user) vs \(user)")
    #expect(abs(modes[0].busy - (soft + sys + user)) / (soft + sys + user) < 0.005, "busy \(modes[0].busy)")
    #expect(abs(modes[0].netRxSoftirqsPerSecond - rate) / rate < 0.005, "one NET_RX run per frame")
    for m in modes.dropFirst() {
      #expect(m.busy == 0 && m.softirq == 0, "\(m.name) must stay idle: \(m)")
    }
    // the testbed's host cpu: busy pCPUs
    #expect(abs(r.cpuShare["host"]! - modes[0].busy) < 1e-12)
  }

  @Test(
    "threaded mode: N equal routers on one CPU below saturation use N x their cost plus the counted switches")
  func threadedBelowSaturation() throws {
    // netns-direct, threaded, on 5 CPUs, 4 routers all pinned to CPU 4, 20 kp/s each; the
    // generators are trafgen (CBR), all on CPU 0 where trafgen pins its worker, and in threaded
    // netns-direct a send puts the frame straight into the router's veth ring (no softirq on
    // the sender's CPU). CPU 4 per frame: the thread's veth + IP forward 600 + 1535 = 2135 and,
    // after it, the softirq on CPU 4: its veth to the sink + blackhole 600 + 900 = 1500, plus 300
    // per NET_RX run; the test counts the runs and CPU 4's context switches (each a Linux
    // switch: 11,600 cycles). Expected busy = (R x 3635 + runs x 300 + switches x 11600) / clock,
    // within 1% (window edges: a batch that straddles one).
    let (r, host) = try Self.run(
      "netns-direct", rate: "80kpps", cpus: 5,
      extra: [
        "routers.count=4", "routers.each.pin=[4]",
        "traffic[0]={to: each, rate: 20kpps, frame: 64B, arrival: cbr}",
        "host.forwarding=threaded",
      ])
    let total = 80_000.0
    #expect(abs(r.aggregate.forwardedPps - total) / total < 0.005, "\(r.aggregate.forwardedPps)")
    #expect(r.aggregate.droppedPps == 0)
    let modes = try #require(r.cpuModes)
    let cpu4 = modes[4]
    // switches: CPU 4's own (the four senders on CPU 0 switch too, on CPU 0)
    let report = host.host.report()
    let switches = Double(report.pcpus[4].switches) / report.elapsedSeconds
    let expected = (total * 3_635 + cpu4.netRxSoftirqsPerSecond * 300 + switches * 11_600) / Self.clock
    #expect(abs(cpu4.busy - expected) / expected < 0.01, "CPU 4 busy \(cpu4.busy), hand \(expected)")
    #expect(switches > 0, "four threads on one CPU switch")
    #expect(
      abs(cpu4.softirq - (total * 1_500 + cpu4.netRxSoftirqsPerSecond * 300) / Self.clock) < 0.002,
      "softirq on the threads' CPU: the part after the thread")
    for i in 0..<4 {
      #expect(abs(r.routers[i].forwardedPps - 20_000) / 20_000 < 0.005, "vr\(i) \(r.routers[i].forwardedPps)")
    }
  }

  @Test(
    "threaded mode above saturation: two threads on one CPU share it by weight (2:1); full rings refuse, senders retry"
  )
  func threadedSharesByWeight() throws {
    // netns-direct, threaded, 2 routers pinned to CPU 2, weights 512 and 256 (vr0, vr1), each
    // offered 1 Mp/s (Poisson: the testbed's own sender, which stays where taskset puts it) by
    // its own generator (CPUs 0 and 1: 2200 cycles per frame, 1.39 Mp/s possible; two trafgen
    // would both run on CPU 0, which then limits them). CPU 2 can forward at most
    // 3.06e9 / 3635 = 842 kp/s: saturated, CFS gives the
    // two threads CPU time 2:1, so vr0 forwards twice vr1's rate, within 5% (switch costs are
    // equal for both, slices are per-slice rounded).
    // A full ring refuses the send (ENOBUFS) and trafgen calls again: nothing is lost, the
    // senders slow down to what the threads take.
    let (r, host) = try Self.run(
      "netns-direct", rate: "2Mpps",
      extra: [
        "routers.count=2", "routers.each.pin=[2]",
        "traffic[0]={to: each, rate: 1Mpps, frame: 64B, arrival: poisson}",
        "host.forwarding=threaded", "routers.overrides=[{index: 0, weight: 512}]",
      ])
    let ratio = r.routers[0].forwardedPps / r.routers[1].forwardedPps
    #expect(abs(ratio - 2) / 2 < 0.05, "vr0 \(r.routers[0].forwardedPps) vs vr1 \(r.routers[1].forwardedPps)")
    #expect(r.dropsByPlace.isEmpty, "refused, not dropped: \(r.dropsByPlace)")
    #expect(host.senders.allSatisfy { $0.refusals > 0 }, "both senders found their ring full")
    let cap = Self.clock / 3_635
    #expect(r.aggregate.forwardedPps < cap * 1.002, "no more than CPU 2 can do")
  }

  @Test("Poisson sends through the softirq chain on one CPU wait as in M/D/1 (Pollaczek-Khinchine)")
  func softirqChainIsMD1() throws {
    // netns-direct: each frame costs 6135 cycles on CPU 0 (send + chain, no per-batch part:
    // one frame per send, one NET_RX run per frame), S = 6135 / 3.06e9 = 2.00490 us. Poisson
    // departures at rho = 0.8 (399,022 p/s): a departure that finds the CPU busy waits, the
    // sender being closed-loop; the mean wait is Wq = rho S / (2 (1 - rho)) = 2 S = 4.0098 us.
    // Tolerance 3%: 4 replications of 0.5 s (800 k frames; busy-period correlation time
    // S / (1 - rho)^2 = 50 us) give a standard error of the mean of about 1%.
    let s = 6_135 / Self.clock
    let lambda = 0.8 / s
    var sum = 0.0
    for i in 0..<4 {
      let spec = try ScenarioLoader.load(
        text: "name: md1\n", fileName: "md1.yaml",
        overrides: [
          "platform=netns-direct", "scheduler.kind=cfs", "host.cpus=2", "routers.count=1",
          "traffic[0]={to: all, rate: \(Int(lambda.rounded()))pps, frame: 64B, arrival: poisson}",
          "run.duration=500ms", "run.warmup=50ms",
        ])
      let host = try RouterHost(spec: try spec.platformSpec(profile: spec.costs), seed: 7, replication: i)
      _ = host.run(duration: spec.run.duration, warmup: spec.run.warmup)
      sum += host.senders[0].meanLateness
    }
    let wq = 0.8 * s / (2 * 0.2) * 1e9
    let got = sum / 4
    #expect(abs(got - wq) / wq < 0.03, "mean wait \(got) ns, M/D/1 \(wq) ns")
  }

  @Test(
    "a TX_RING burst above the softirq budget is squeezed, deferred to ksoftirqd, and overflows the backlog")
  func budgetAndBacklog() throws {
    // netns-router (4 veth crossings = 4 backlog entries per frame), offered far above capacity
    // with bursts of 1000 frames: a run takes at most ceil(300 / 64) x 64 = 320 entries = 80
    // frames, so each burst leaves work for ksoftirqd (squeezed), which shares CPU 0 with the
    // generator under CFS; the generator keeps filling the 1000-frame backlog, whose drops are
    // counted under cpu0.backlog.
    let (r, host) = try Self.run(
      "netns-router", rate: "1Mpps", extra: ["profile.generator_burst=1000"], duration: "200ms")
    let modes = try #require(r.cpuModes)
    #expect(modes[0].squeezedPerSecond > 0)
    #expect((r.dropsByPlace["cpu0.backlog"] ?? 0) > 0, "\(r.dropsByPlace)")
    #expect(host.softirqs[0].deferred > 0)
    let c = host.conservation
    #expect(c.offered == c.forwarded + c.dropped + UInt64(c.inside), "\(c)")
  }

  @Test("generators as the testbed pins them: on the CPUs no router is pinned to")
  func sendersAvoidPinnedCPUs() throws {
    // netns-direct, threaded, 2 CPUs, 2 routers pinned to CPU 1 (fig8b-scheduled's layout), 30
    // kp/s each: both generators go to CPU 0 (trafgen pins itself there: Trafgen.workerCPU), so
    // CPU 0's user time is 60,000 x 300 / 3.06e9 (generator_user 300) and
    // CPU 1 has none. Tolerance 0.5%: the 300 ms window's edges and CBR's phase.
    let (r, _) = try Self.run(
      "netns-direct", rate: "60kpps", cpus: 2,
      extra: [
        "routers.count=2", "routers.each.pin=[1]",
        "traffic[0]={to: each, rate: 30kpps, frame: 64B, arrival: cbr}",
        "host.forwarding=threaded",
      ])
    let modes = try #require(r.cpuModes)
    let user = 60_000 * 300 / Self.clock
    #expect(abs(modes[0].user - user) / user < 0.005, "CPU 0 user \(modes[0].user), hand \(user)")
    #expect(modes[1].user == 0 && modes[1].system == 0, "no sender on the routers' CPU: \(modes[1])")
  }

  @Test(
    "the testbed's CPU window: busy time over (send time + testbed_window_extra), the send time stretched at saturation"
  )
  func testbedWindow() throws {
    // netns-direct, each frame 6135 cycles on CPU 0 (saturation 3.06e9 / 6135 = 498,778 p/s), a
    // testbed trial of 1 s (it sends target x 1 s frames) whose CPU counters ran 0.5 s longer,
    // idle. Below saturation (100 kp/s): the send time is the trial, 1 s, so CPU 0's busy share
    // is 1e5 x 6135 / 3.06e9 x 1 / 1.5 = 0.13366. At saturation (1 Mp/s asked): 1e6 frames take
    // 1e6 / 498,778 = 2.00490 s at 100% busy, so CPU 0 reads 2.00490 / 2.50490 = 0.80039, the
    // host the same, and softirq its share (3935 / 6135) of that. Tolerance 0.5% (the window
    // edges and CBR's phase below saturation; at saturation the simulated rate is within 0.05%
    // of the hand figure, CapacityTests).
    let extra = ["profile.testbed_window_extra=500ms", "profile.testbed_trial=1s"]
    let (below, _) = try Self.run("netns-direct", rate: "100kpps", extra: extra)
    let b = try #require(below.cpuModes)[0]
    let handBelow = 1e5 * 6_135 / Self.clock / 1.5
    #expect(abs(b.busy - handBelow) / handBelow < 0.005, "busy \(b.busy), hand \(handBelow)")
    #expect(abs(below.pcpuUtilisation[0] - b.busy) < 1e-12)
    let (sat, _) = try Self.run("netns-direct", rate: "1Mpps", extra: extra)
    let m = try #require(sat.cpuModes)
    let send = 1e6 / (Self.clock / 6_135)
    let handSat = send / (send + 0.5)
    #expect(abs(m[0].busy - handSat) / handSat < 0.005, "busy \(m[0].busy), hand \(handSat)")
    #expect(abs(sat.cpuShare["host"]! - handSat) / handSat < 0.005)
    let soft = handSat * (Self.entry + Self.softirqCycles["netns-direct"]!) / 6_135
    #expect(abs(m[0].softirq - soft) / soft < 0.005, "softirq \(m[0].softirq), hand \(soft)")
    // the rate is not touched, and without the key the CPU is the send time's (1.0 at saturation)
    #expect(abs(sat.aggregate.forwardedPps - Self.clock / 6_135) / (Self.clock / 6_135) < 0.005)
    let (plain, _) = try Self.run("netns-direct", rate: "1Mpps")
    #expect(try #require(plain.cpuModes)[0].busy > 0.999)
  }

  @Test("two senders on one CPU time-share it: each gets half of clock / (generator + chain)")
  func sendersTimeShareTheirCPU() throws {
    // netns-direct, 2 routers on a 1-CPU host: both generators (router N's on CPU N mod 1 = 0)
    // and both chains run on CPU 0, each frame 6135 cycles: together 3.06e9 / 6135 = 498.8 kp/s,
    // each offered 1 Mp/s, so CFS (equal weights) gives each half: 249.4 kp/s each, within 2%
    // (the switches between the two senders, 11,600 cycles each, cost the rest). Nothing is
    // dropped: a closed-loop sender slows down instead.
    let (r, _) = try Self.run(
      "netns-direct", rate: "2Mpps", cpus: 1,
      extra: ["routers.count=2", "traffic[0]={to: each, rate: 1Mpps, frame: 64B, arrival: cbr}"])
    let each = Self.clock / 6_135 / 2
    for i in 0..<2 {
      #expect(
        r.routers[i].forwardedPps <= each * 1.002 && r.routers[i].forwardedPps > each * 0.98,
        "vr\(i) \(r.routers[i].forwardedPps), hand \(each)")
    }
    #expect(r.aggregate.droppedPps == 0)
  }

  @Test("trafgen's shaper window: each window's frames leave back to back from its start")
  func shaperWindow() throws {
    // netns-direct, softirq mode, 100 kp/s CBR, window 100 ms: each window's 10,000 frames leave
    // from its start, one every 6135 / 3.06e9 s = 2.0049 us (send + chain, closed loop), so the
    // k-th frame of a window waits k x 2.0049 us: mean (9,999 / 2) x 2.0049 us = 10.023 ms, where
    // the paced sender waits 0. The window's average is unchanged: forwarded 100 kp/s and CPU 0
    // busy 1e5 x 6135 / 3.06e9 = 0.20049 over the 2 whole windows measured. Tolerance 0.5%
    // (CBR's random phase moves a frame or two across a window's edge).
    let (r, host) = try Self.run(
      "netns-direct", rate: "100kpps",
      extra: ["profile.generator_window=100ms", "run.warmup=100ms"])
    #expect(abs(r.aggregate.forwardedPps - 1e5) / 1e5 < 0.005, "\(r.aggregate.forwardedPps)")
    let busy = 1e5 * 6_135 / Self.clock
    let m = try #require(r.cpuModes)
    #expect(abs(m[0].busy - busy) / busy < 0.005, "busy \(m[0].busy), hand \(busy)")
    let wait = 9_999.0 / 2 * 6_135 / Self.clock * 1e9
    let lateness = try #require(host.senders.first).meanLateness
    #expect(abs(lateness - wait) / wait < 0.005, "mean wait \(lateness) ns, hand \(wait)")
    let (paced, pacedHost) = try Self.run("netns-direct", rate: "100kpps", extra: ["run.warmup=100ms"])
    #expect(try #require(pacedHost.senders.first).meanLateness < 1, "a paced sender is never late here")
    #expect(abs(paced.aggregate.forwardedPps - r.aggregate.forwardedPps) / 1e5 < 0.005)
  }

  @Test(
    "threaded, trafgen windows: 4 routers on one CPU cost 4 x their frames plus the switches counted, switched per slice"
  )
  func threadedWindowsSwitchPerSlice() throws {
    // fig8b-scheduled's layout: 2 CPUs, 4 routers' threads pinned to CPU 1, their 4 generators on
    // CPU 0, 20 kp/s each, trafgen's 1 s window, one whole window measured. Per frame: generator
    // 2200 cycles on CPU 0; thread 600 + 1535 and its softirq 600 + 900 on CPU 1 (3635), plus
    // 300 per NET_RX run. The thread is slower than its sender, so during a window's burst the
    // ring fills and the sender calls again (700 cycles a try, counted). The test counts runs,
    // tries and switches (11,600 cycles each); hand: busy CPU 0 + CPU 1 =
    // (R x (2200 + 3635) + runs x 300 + tries x 700 + switches x 11600) / clock, within 1% (a
    // batch or switch straddling the window's end). Switches come per scheduler slice or
    // ring-empty wake-up, not per frame: fewer than one per 20 frames.
    let (r, host) = try Self.run(
      "netns-direct", rate: "80kpps", cpus: 2,
      extra: [
        "routers.count=4", "routers.each.pin=[1]",
        "traffic[0]={to: each, rate: 20kpps, frame: 64B, arrival: cbr}",
        "host.forwarding=threaded", "profile.generator_window=1s", "run.warmup=0s",
      ], duration: "1s")
    let total = 80_000.0
    #expect(abs(r.aggregate.forwardedPps - total) / total < 0.005, "\(r.aggregate.forwardedPps)")
    #expect(r.dropsByPlace.isEmpty, "\(r.dropsByPlace)")
    let m = try #require(r.cpuModes)
    let tries = Double(host.senders.reduce(UInt64(0)) { $0 + $1.refusals })
    #expect(tries > 0, "the burst fills the rings")
    let hand =
      (total * (2_200 + 3_635) + m[1].netRxSoftirqsPerSecond * 300 + tries * 700 + r.switchesPerSecond
        * 11_600)
      / Self.clock
    #expect(abs(m[0].busy + m[1].busy - hand) / hand < 0.01, "busy \(m[0].busy) + \(m[1].busy), hand \(hand)")
    #expect(r.switchesPerSecond < total / 20, "switches \(r.switchesPerSecond) per second")
    for i in 0..<4 {
      #expect(abs(r.routers[i].forwardedPps - 20_000) / 20_000 < 0.005, "vr\(i) \(r.routers[i].forwardedPps)")
    }
  }

  @Test(
    "threaded, veth_poll: each crossing's poll part is paid once per NAPI poll and per softirq run, not per frame"
  )
  func threadedPollPart() throws {
    // The layout of threadedWindowsSwitchPerSlice with veth_poll = 400 of veth_hop's 600: a frame
    // pays 2200 on CPU 0 and 3635 - 2 x 400 on CPU 1; each NAPI poll of a thread pays 400 (its
    // ring crossing) and each NET_RX run after it 300 + 400 (the crossing to the sink). The test
    // counts polls (the threads' batches), runs, tries (700 each) and switches (11,600 each); hand:
    // busy CPU 0 + CPU 1 = (R x (2200 + 3635 - 800) + polls x 400 + runs x 700 + tries x 700 +
    // switches x 11600) / clock, within 1% (a batch or switch straddling the window's end). The
    // burst fills the rings, so polls take more than one frame and the CPU is below the same run
    // with veth_poll = 0 (same seed, simulated time: not a wall-time comparison).
    func run(_ poll: Int) throws -> (NetworkResult, RouterHost) {
      try Self.run(
        "netns-direct", rate: "80kpps", cpus: 2,
        extra: [
          "routers.count=4", "routers.each.pin=[1]",
          "traffic[0]={to: each, rate: 20kpps, frame: 64B, arrival: cbr}",
          "host.forwarding=threaded", "profile.generator_window=1s", "run.warmup=0s",
          "profile.veth_poll=\(poll)cycles",
        ], duration: "1s")
    }
    let (r, host) = try run(400)
    let total = 80_000.0
    #expect(abs(r.aggregate.forwardedPps - total) / total < 0.005, "\(r.aggregate.forwardedPps)")
    #expect(r.dropsByPlace.isEmpty, "\(r.dropsByPlace)")
    let m = try #require(r.cpuModes)
    let tries = Double(host.senders.reduce(UInt64(0)) { $0 + $1.refusals })
    let napi = host.stages.filter { $0.name.hasSuffix(".napi") }
    #expect(napi.count == 4)
    let polls = Double(napi.reduce(UInt64(0)) { $0 + $1.batches })  // over the 1 s window
    #expect(polls > 0 && polls < total / 2, "\(polls) polls: more than one frame each")
    let hand =
      (total * (2_200 + 3_635 - 800) + polls * 400 + m[1].netRxSoftirqsPerSecond * 700 + tries * 700
        + r.switchesPerSecond * 11_600) / Self.clock
    #expect(abs(m[0].busy + m[1].busy - hand) / hand < 0.01, "busy \(m[0].busy) + \(m[1].busy), hand \(hand)")
    let (r0, _) = try run(0)
    let m0 = try #require(r0.cpuModes)
    #expect(m[1].busy < m0[1].busy, "CPU 1 \(m[1].busy) with veth_poll, \(m0[1].busy) without")
  }

  @Test("background work: every CPU's idle time carries cpu_background, the host counts it on each CPU")
  func cpuBackground() throws {
    // netns-direct, softirq, 100 kp/s, 4 CPUs, cpu_background 4%: CPU 0's modelled busy
    // B = 1e5 x 6135 / 3.06e9 = 0.20049 reads B + 0.04 x (1 - B) = 0.23247, the idle CPUs 0.04,
    // the host 0.23247 + 3 x 0.04 = 0.35247. Tolerance 0.5% (as belowSaturation).
    let (r, _) = try Self.run("netns-direct", rate: "100kpps", extra: ["profile.cpu_background=4%"])
    let b = 1e5 * 6_135 / Self.clock
    let cpu0 = b + 0.04 * (1 - b)
    let m = try #require(r.cpuModes)
    #expect(abs(m[0].busy - cpu0) / cpu0 < 0.005, "CPU 0 \(m[0].busy), hand \(cpu0)")
    #expect(abs(r.pcpuUtilisation[0] - m[0].busy) < 1e-12)
    for k in 1..<4 { #expect(abs(m[k].busy - 0.04) < 1e-12, "\(m[k].name) \(m[k].busy)") }
    let host = cpu0 + 3 * 0.04
    #expect(abs(r.cpuShare["host"]! - host) / host < 0.005, "host \(r.cpuShare["host"]!), hand \(host)")
    // the softirq share is the modelled work's alone
    let soft = 1e5 * (Self.entry + Self.softirqCycles["netns-direct"]!) / Self.clock
    #expect(abs(m[0].softirq - soft) / soft < 0.005)
  }

  @Test("the path description names each hop's execution context")
  func descriptions() throws {
    // one line per platform and mode for the report (`swift test --filter NetnsSoftirqTests`)
    for kind in [PlatformKind.netnsDirect, .netnsRouter, .netnsBridge] {
      print("path \(kind.rawValue): \(kind.path)")
    }
    let direct = PlatformKind.netnsDirect.path
    #expect(direct.contains("softirq of the sending CPU"), "\(direct)")
    #expect(!direct.contains("NAPI") && !direct.contains("driver"), "no NIC on veth: \(direct)")
    #expect(PlatformKind.netnsRouter.path.contains("veth -> host: IP forward (FIB) -> veth -> vrN"))
    #expect(PlatformKind.netnsBridge.path.contains("host: bridge"))
    let (_, threaded) = try Self.run(
      "netns-router", rate: "1kpps", extra: ["host.forwarding=threaded"], duration: "100ms")
    print("path netns-router threaded: \(threaded.pathDescription)")
    #expect(threaded.pathDescription.contains("vrN.napi [kernel thread"), "\(threaded.pathDescription)")
    #expect(threaded.pathDescription.contains("softirq of the thread's CPU"))
  }
}
