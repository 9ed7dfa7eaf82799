import Foundation
import Testing

@testable import Testbed

/// Reading iperf3's JSON report: the values expected are the report's own fields, written here
/// by hand (an abridged `iperf3 -c ... -u -J` report of iperf 3.12 on this machine kind).
@Suite struct IperfReportTests {
  static let report = """
    {"start": {"version": "iperf 3.12"},
     "end": {"sum": {"bits_per_second": 999476331.6, "lost_packets": 10379, "packets": 85025,
                     "lost_percent": 12.206997941781829, "sender": false},
             "sum_sent": {"bits_per_second": 999476331.6, "lost_packets": 0, "packets": 85025,
                          "lost_percent": 0, "sender": true},
             "sum_received": {"bits_per_second": 875130369.502216, "lost_packets": 10379,
                              "packets": 84820, "lost_percent": 12.206997941781829, "sender": false}}}
    """

  @Test func theReceiversFiguresAreRead() throws {
    let r = try IperfReport.parse(Self.report)
    #expect(r.goodputBitsPerSecond == 875_130_369.502216)
    // 12.206997941781829% as a fraction.
    #expect(abs(r.loss - 0.12206997941781829) < 1e-15)
  }

  /// iperf3 before 3.7 has no sum_received: end.sum is the receiver's then.
  @Test func olderReportsUseEndSum() throws {
    let old = #"{"end": {"sum": {"bits_per_second": 1.5e8, "lost_percent": 2.5}}}"#
    #expect(try IperfReport.parse(old) == IperfReport(goodputBitsPerSecond: 1.5e8, loss: 0.025))
  }

  @Test(arguments: [
    (#"{"error": "unable to connect to server: Connection refused"}"#, "iperf3: unable to connect"),
    ("warning: not json", "iperf3 printed no JSON report"),
    (#"{"start": {}}"#, "no end.sum_received or end.sum"),
    (#"{"end": {"sum_received": {"bits_per_second": 9.4e8}}}"#, "lacks bits_per_second or lost_percent"),
  ])
  func badReportsAreNamed(json: String, message: String) {
    #expect {
      _ = try IperfReport.parse(json)
    } throws: { error in
      "\(error)".contains(message)
    }
  }
}

/// The two benchmarks of the paper that are external tools, run for real in the serialized
/// live suite (live runs take the testbed lock).
extension LiveTestbedTests {
  /// The value of `metric` in a testbed CSV for the row whose note holds `note`.
  static func value(_ csv: String, _ metric: String, note: String) -> Double? {
    for line in csv.split(separator: "\n") {
      let f = line.split(separator: ",", omittingEmptySubsequences: false)
      if f.count == 13 && f[5] == Substring(metric) && f[12].contains(note) { return Double(f[7]) }
    }
    return nil
  }

  /// iperf3 at 100 Mbit/s each way between the host environment and the time-keeper over
  /// one veth pair: what the receiver got and what it lost add up to the 100 Mbit/s sent,
  /// within 5% (iperf3's -b paces the payload bits to well under 1% over 2 s), both figures
  /// from the same test. The loss alone is no test on a loaded machine: 8,500 datagrams/s are
  /// far below what one veth carries, but a receiver that waits for a CPU overflows its
  /// socket buffer (1.1% lost, seen with a CPU hog beside the parallel suite). The external
  /// time covers the 2 s test.
  @Test(.enabled(if: Live.available, "needs root, network namespaces, veth and trafgen"))
  func iperf3BenchReportsTheReceiversRate() throws {
    let (status, output) = try Live.run([
      "testbed", "bench", "iperf3", "--repeats", "1", "--where-run", "host", "--iperf-rate", "100M",
    ])
    #expect(status == 0, "\(output.suffix(600))")
    for way in ["out", "in"] {
      let goodput = try #require(
        Self.value(output, "udp_goodput_bps", note: "direction=\(way)"), "\(output.suffix(600))")
      let loss = try #require(Self.value(output, "udp_loss", note: "direction=\(way)"))
      let time = try #require(Self.value(output, "benchmark_time", note: "direction=\(way)"))
      #expect(
        abs(goodput / max(1 - loss, 1e-9) - 100e6) / 100e6 < 0.05, "\(way): \(goodput) bit/s, loss \(loss)")
      #expect(loss >= 0 && loss < 1, "\(way): loss \(loss)")
      #expect(time >= 2.0, "\(way): external \(time) s for a 2 s test")
    }
  }

  /// bonnie++ on 16 MB in the virtual environment finishes, and the external timer agrees
  /// with the timed process's clock within the round's own bound (`Live.timerBound`, as for
  /// the sleep).
  @Test(.enabled(if: Live.available, "needs root, network namespaces, veth and trafgen"))
  func bonnieBenchIsTimedExternally() throws {
    let (status, output) = try Live.run([
      "testbed", "bench", "bonnie", "--repeats", "1", "--where-run", "virtual", "--bytes", "16777216",
    ])
    #expect(status == 0, "\(output.suffix(600))")
    let external = try #require(
      Self.value(output, "benchmark_time", note: "env=virtual"), "\(output.suffix(600))")
    let wall = try #require(Self.value(output, "benchmark_wall_time", note: "env=virtual"))
    let sends = try #require(Self.value(output, "timer_send_time", note: "env=virtual"))
    #expect(external > 0)
    #expect(
      abs(external - wall) <= Live.timerBound(wall: wall, sends: sends),
      "external \(external) s, wall \(wall) s, sends \(sends) s")
  }
}

/// `--paper-size` and the memory cgroup, without running the paper's sizes (never in CI).
@Suite struct PaperSizeTests {
  /// The paper's sizes (Sec. III): Super Pi with 2^22 digits, MASR over 2 GB, ZFG ten 2 GB
  /// files, Bonnie++ on a file the page cache cannot hold: 2 GiB in 512 MiB of memory.
  @Test func paperSizeSetsThePapersSizes() {
    for name in TestbedBenchmark.allCases {
      var c = TestbedBench(name: name)
      c.paperSize = true
      let p = c.paperSized
      #expect(p.digitsLog2 == 22)
      #expect(p.bytes == 2_147_483_648)
      #expect(p.rounds == 10)
      #expect(p.memoryLimit == (name == .bonnie ? 536_870_912 : nil))
    }
    // Without the flag nothing changes; a memory limit given explicitly is kept.
    #expect(TestbedBench(name: .superpi).paperSized.digitsLog2 == 16)
    var b = TestbedBench(name: .bonnie)
    (b.paperSize, b.memoryLimit) = (true, 256 << 20)
    #expect(b.paperSized.memoryLimit == 268_435_456)
  }

  /// The memory cgroup around a benchmark: its own directory under the run's prefix, limited
  /// to the bytes asked for (v1: memory and page cache in memory.limit_in_bytes; v2: memory.max).
  @Test func memoryCgroupIsPlannedUnderTheRunsPrefix() {
    let p = RunPrefix(tag: "0")
    let v1 = BenchRunner.memoryCgroup(prefix: p, bytes: 33_554_432, cgroups: .v1(root: "/sys/fs/cgroup"))
    #expect(v1.path == "/sys/fs/cgroup/memory/vrt0-mem")
    #expect(v1.settings.map(\.file) == ["memory.limit_in_bytes"] && v1.settings.map(\.value) == ["33554432"])
    let v2 = BenchRunner.memoryCgroup(prefix: p, bytes: 33_554_432, cgroups: .v2(root: "/sys/fs/cgroup"))
    #expect(v2.path == "/sys/fs/cgroup/vrt0-mem")
    #expect(v2.settings.map(\.file) == ["memory.max"] && v2.settings.map(\.value) == ["33554432"])
  }

  @Test func dropCachesIsForZFGOnlyAndLimitsAreChecked() {
    var c = TestbedBench(name: .masr)
    c.dropCaches = true
    #expect(throws: TestbedError.self) { try c.validate() }
    c = TestbedBench(name: .bonnie)
    c.memoryLimit = 1 << 20
    #expect(throws: TestbedError.self) { try c.validate() }
  }
}

extension LiveTestbedTests {
  /// bonnie++ on 32 MiB inside a 16 MiB memory cgroup, in both environments, at small size:
  /// it finishes, its rows record the limit, and the cgroup (recorded in the ledger before it
  /// was made) is gone afterwards.
  @Test(.enabled(if: Live.available, "needs root, network namespaces, veth and trafgen"))
  func bonnieRunsInsideAMemoryCgroupThatIsRemoved() throws {
    func memoryGroups() -> Set<String> {
      Set(
        ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup/memory")) ?? []).filter {
          $0.hasPrefix("vrt") && $0.hasSuffix("-mem")
        })
    }
    let before = memoryGroups()
    let (status, output) = try Live.run([
      "testbed", "bench", "bonnie", "--repeats", "1", "--bytes", "33554432", "--memory-limit", "16777216",
    ])
    #expect(status == 0, "\(output.suffix(600))")
    for env in ["virtual", "host"] {
      #expect(Self.value(output, "benchmark_time", note: "env=\(env)") != nil, "\(output.suffix(600))")
    }
    #expect(output.contains("memory_limit_bytes=16777216"))
    #expect(memoryGroups().subtracting(before).isEmpty, "a memory cgroup of this run is left")
  }
}
