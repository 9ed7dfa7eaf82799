import Foundation
import Report
import Testing

@testable import Testbed

/// The readers of the new per-trial figures, on texts written by hand in the kernel's formats.
@Suite struct WindowReaderTests {
  /// /proc/stat: user nice system idle iowait irq softirq steal. cpu0: 100 + 5 user+nice, 20
  /// system, 3 irq, 7 softirq, 11 steal; busy = all 8 fields (100+5+20+1000+4+3+7+11 = 1150)
  /// minus idle 1000, iowait 4 and steal 11 = 135. ctxt 424242.
  @Test func procStatModesAndSwitches() {
    let stat = "cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 100 5 20 1000 4 3 7 11 0 0\nctxt 424242\n"
    let c = CounterReader.parseCPU(stat: stat, softirqs: "", softnet: "")
    #expect(c.user == [105])
    #expect(c.system == [20])
    #expect(c.irq == [3])
    #expect(c.softirq == [7])
    #expect(c.steal == [11])
    #expect(c.total == [1150])
    #expect(c.busy == [135])
    #expect(c.contextSwitches == 424242)
  }

  /// /proc/PID/schedstat: run ns, wait ns, timeslices; /proc/PID/status: 12 voluntary and 3
  /// involuntary switches = 15.
  @Test func threadSchedstat() {
    let t = ThreadSched.parse(
      schedstat: "123456789 2000 77\n",
      status: "Name:\tnapi/x\nvoluntary_ctxt_switches:\t12\nnonvoluntary_ctxt_switches:\t3\n")
    #expect(t == ThreadSched(runNs: 123_456_789, waitNs: 2000, timeslices: 77, switches: 15))
  }

  /// /proc/PID/stat with a command holding spaces and a parenthesis: ppid 2 (field 4), flags
  /// 0x208040 (field 9, PF_KTHREAD 0x200000 set), utime 31, stime 17 (fields 14, 15).
  @Test func procPidStat() {
    let text = "1234 (napi/a b) c) S 2 0 0 0 -1 2129984 0 0 0 0 31 17 0 0 20 0 1 0 100 0 0\n"
    let s = ForeignCPU.parseStat(text)
    #expect(s?.ppid == 2)
    #expect(s?.utime == 31)
    #expect(s?.stime == 17)
    #expect(s?.kernelThread == true)
    let user = ForeignCPU.parseStat("99 (sh) R 1 0 0 0 -1 4194304 0 0 0 0 5 6 0 0 20 0 1 0 100 0 0\n")
    #expect(user?.kernelThread == false)
  }

  /// The gate's thresholds: 0.2 pCPU of foreign work is over 0.1; steal 0.01 is within
  /// 0.02; load 3 is over 2 only when the load is checked (before a trial).
  @Test func gateThresholds() {
    let g = NoiseGate(maxForeignCPU: 0.1, maxSteal: 0.02, maxLoad: 2)
    let r = NoiseGate.Reading(seconds: 1, foreignCPU: 0.2, steal: 0.01, load: 3)
    #expect(g.violations(r, checkLoad: true).count == 2)
    #expect(g.violations(r, checkLoad: false).count == 1)
    #expect(g.violations(.init(seconds: 1, foreignCPU: 0.05, steal: 0, load: 0.5), checkLoad: true).isEmpty)
  }

  /// CFS weights step by about 1.25 per nice level: weight 512 (2x 256) is nice -3 (1.25^3 =
  /// 1.95), 128 is nice 3, 256 is nice 0.
  @Test func niceLevelsFromWeights() {
    #expect(TopologyBuilder.niceLevel(weight: 256) == 0)
    #expect(TopologyBuilder.niceLevel(weight: 512) == -3)
    #expect(TopologyBuilder.niceLevel(weight: 128) == 3)
  }
}
