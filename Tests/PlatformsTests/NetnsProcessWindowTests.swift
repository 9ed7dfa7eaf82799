import Platforms
import Testing

/// A process's own CPU time (`NetworkResult.processes`, iperf3's getrusage) counts only what ran
/// inside the measured window: a work item that began before the window, or ends after it, counts
/// for its part inside. Before, an item was counted whole when it began, so one datagram of
/// 10^8 cycles (32.7 ms at 3.06 GHz, a cost the key's range allows) made a process busy 6.5 times
/// a 5 ms window when it began in it, and 0 times when it began before it (found by
/// scripts/extremes-sweep.py, validation/extremes-sweep.md).
@Suite("netns processes: CPU time over the window is what ran in it")
struct NetnsProcessWindowTests {
  /// Hand figures: with the datagram's cost at 10^8 cycles the process (alone on its CPU: the
  /// sender on CPU 0, the receiver on CPU 1) stays inside one datagram once it has begun one.
  /// After a 4 ms warm-up the window [4 ms, 9 ms] lies inside the datagram begun at 1 ms,
  /// so the process's user + system time is the whole window: 1 (tolerance 1e-6, the rounding
  /// of the item's parts to whole cycles); the old code gave 0. Without a warm-up the first
  /// datagram is due at 100 us, sent on iperf3's first pacing tick, 1 ms (udp_pacing), so the
  /// process runs from 1 ms (plus the switch to it, 3.8 us, and for the receiver the send and
  /// the chain before the datagram reaches it: under 50 us) to the end: 4 / 5 = 0.8 at most,
  /// 0.79 at least; the old code gave 10^8 / (3.06 GHz x 5 ms) = 6.5.
  @Test(
    "one datagram longer than the window: the sender's and the receiver's time is what ran in it, with and without a warm-up",
    arguments: [
      ("profile.udp_send_user=100000000cycles", "gen0"),
      ("profile.udp_recv_system=100000000cycles", "iperf3-s0"),
    ], ["0s", "4ms"])
  func anItemLongerThanTheWindow(cost: (String, String), warmup: String) throws {
    let (key, process) = cost
    let (r, _) = try simulatedNetnsUDP(
      "process-window", rate: "10kpps", scheduler: "cfs", extra: [key, "run.warmup=\(warmup)"],
      duration: "5ms")
    let p = try #require(r.processes?.first { $0.name == process })
    let time = p.user + p.system
    if warmup == "0s" {
      #expect(
        time > 0.79 && time <= 0.8, "\(process): user \(p.user) + system \(p.system), not in (0.79, 0.8]")
    } else {
      #expect(abs(time - 1) < 1e-6, "\(process): user \(p.user) + system \(p.system), not 1")
    }
    // the 10^8-cycle part dominates the item: the other mode holds at most 10^4 of its 10^8 cycles
    #expect(min(p.user, p.system) < 1e-4 * time, "\(process): \(p)")
  }
}

/// A trafgen process's start-up (`generator_start`) is added to its CPU share over the send
/// time; one thread uses at most one CPU, however long the start-up is against the send time.
@Suite("netns: a trafgen process's CPU share with its start-up stays within one CPU")
struct NetnsGeneratorStartBoundTests {
  /// netns-direct, 1 router, 5 ms at 10 kp/s, `generator_start` at its range's top (10^8
  /// cycles, 32.7 ms at 3.06 GHz, over a 5 ms send time): before, gen0 read about 6.7 CPUs
  /// (found by scripts/extremes-sweep.py); bound: 1 (a single thread), and at least the share it
  /// has without the start-up, which the bound does not cut.
  @Test func atMostOneCPU() throws {
    let (r, _) = try simulatedNetnsUDP(
      "gen-start", rate: "10kpps", scheduler: "cfs",
      extra: ["profile.generator_start=100000000cycles", "run.warmup=0s"], duration: "5ms", generator: [])
    let share = try #require(r.cpuShare["gen0"])
    #expect(share <= 1, "gen0 \(share) CPUs")
    let (plain, _) = try simulatedNetnsUDP(
      "gen-start", rate: "10kpps", scheduler: "cfs", extra: ["run.warmup=0s"], duration: "5ms", generator: [])
    let without = try #require(plain.cpuShare["gen0"])
    #expect(share > without, "gen0 \(share) with the start-up, \(without) without")
  }
}
