import Foundation
import NetModel
import Platforms
import Scenario
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// This thread's CPU time, seconds (CLOCK_THREAD_CPUTIME_ID), which other processes on a
/// loaded machine do not add to.
private func threadCPUSeconds() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// Trace and route files are validated where they are read: every hostile content is a
/// located `PlatformError` (`file:line[:column]: what; allowed: ...`), never a trap. The
/// expected texts are written out by hand.
@Suite("hostile trace and route files")
struct HostileInputFileTests {
  /// A scenario in a fresh directory whose one flow replays `trace` (file name `name`).
  static func traceError(_ name: String, _ contents: Data) throws -> String? {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vrsim-hostile-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try contents.write(to: dir.appendingPathComponent(name))
    let scenario = """
      platform: native
      traffic: [ { to: all, rate: 1kpps, frame: 64B, arrival: { kind: trace, file: \(name) } } ]

      """
    try scenario.write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
    let spec = try ScenarioLoader.load(path: dir.appendingPathComponent("s.yaml").path)
    do {
      _ = try spec.platformSpec(profile: .paper2012)
      return nil
    } catch {
      let text = "\(error)"
      return text.replacingOccurrences(of: dir.path + "/", with: "")
    }
  }

  static func csv(_ text: String) throws -> String? { try traceError("t.csv", Data(text.utf8)) }

  @Test(arguments: [
    (
      "0,64\n1e10,64\n",
      "t.csv:2:1: timestamp '1e10' is out of range; allowed: seconds (0 ... 1000000) or a duration with a unit (e.g. 12.5us)"
    ),
    (
      "0,64\ninf,64\n",
      "t.csv:2:1: 'inf' is not a timestamp; allowed: seconds (0 ... 1000000) or a duration with a unit (e.g. 12.5us)"
    ),
    (
      "0,64\nnan,64\n",
      "t.csv:2:1: 'nan' is not a timestamp; allowed: seconds (0 ... 1000000) or a duration with a unit (e.g. 12.5us)"
    ),
    (
      "-1,64\n0,64\n",
      "t.csv:1:1: '-1' is not a timestamp; allowed: seconds (0 ... 1000000) or a duration with a unit (e.g. 12.5us)"
    ),
    (
      "0,64\n2000000s,64\n",
      "t.csv:2:1: timestamp '2000000s' is later than 1000000 s; allowed: seconds (0 ... 1000000) or a duration with a unit (e.g. 12.5us)"
    ),
    (
      "0,64\n1, 63\n",
      "t.csv:2:3: size '63' is not a frame size; allowed: an integer number of bytes, 64 ... 9000"
    ),
    (
      "0,64\n1,99999999999999999999\n",
      "t.csv:2:3: size '99999999999999999999' is not a frame size; allowed: an integer number of bytes, 64 ... 9000"
    ),
    ("0,64\n1\n", "t.csv:2:1: '1' has 1 field; allowed: timestamp,size[,flow]"),
    (
      "1,64\n0,64\n",
      "t.csv:2:1: timestamp '0' is earlier than the line before; allowed: timestamps that do not decrease"
    ),
    (
      "5,64\n",
      "t.csv: the trace has one packet, so it has no duration to replay; allowed: at least two packets with different timestamps"
    ),
    (
      "5,64\n5,64\n5,64\n",
      "t.csv: the trace has 3 packets, all at the same timestamp, so it has no duration to replay; allowed: at least two packets with different timestamps"
    ),
    ("# nothing\n", "t.csv: the trace has no packets; allowed: at least two packets"),
  ])
  func csvTraceProblemsAreLocated(text: String, expected: String) throws {
    #expect(try Self.csv(text) == expected)
  }

  @Test func csvWithCRLFAndHeaderIsRead() throws {
    #expect(try Self.csv("timestamp,size\r\n0,64\r\n10us,1518\r\n") == nil)
  }

  /// A little-endian pcap: header, then records of (sec, frac, incl, orig) with `incl` bytes.
  static func pcap(_ records: [(UInt32, UInt32, UInt32, UInt32)], nanos: Bool = false) -> [UInt8] {
    var b: [UInt8] = []
    func u32(_ v: UInt32) { for k in 0..<4 { b.append(UInt8((v >> (8 * k)) & 0xff)) } }
    u32(nanos ? 0xa1b2_3c4d : 0xa1b2_c3d4)
    b += [2, 0, 4, 0]
    u32(0)
    u32(0)
    u32(65_535)
    u32(1)
    for (sec, frac, incl, orig) in records {
      u32(sec)
      u32(frac)
      u32(incl)
      u32(orig)
      b += [UInt8](repeating: 0, count: Int(incl))
    }
    return b
  }

  @Test func pcapCutInARecordHeaderIsRefused() throws {
    let whole = Self.pcap([(1, 0, 60, 60), (1, 10, 60, 60)])
    // Record 2 starts at 24 + 16 + 60 = 100; keep 5 of its 16 header bytes.
    let cut = Array(whole[0..<105])
    #expect(
      try Self.traceError("t.pcap", Data(cut))
        == "t.pcap: record 2 at byte offset 100: the record header is truncated (5 of 16 bytes); allowed: complete records (was the capture cut short?)"
    )
  }

  @Test func pcapCutInRecordDataIsRefused() throws {
    let whole = Self.pcap([(1, 0, 60, 60), (1, 10, 60, 60)])
    #expect(
      try Self.traceError("t.pcap", Data(whole[0..<150]))
        == "t.pcap: record 2 at byte offset 100: the record is truncated (60 bytes captured, 34 in the file); allowed: complete records (was the capture cut short?)"
    )
  }

  @Test func impossibleFractionFieldsAreRefused() throws {
    let micro = Self.pcap([(1, 0, 60, 60), (1, 4_294_967_295, 60, 60)])
    #expect(
      try Self.traceError("t.pcap", Data(micro))
        == "t.pcap: record 2 at byte offset 100: the microsecond field is 4294967295; allowed: 0 ... 999999")
    let nano = Self.pcap([(1, 0, 60, 60), (1, 1_000_000_000, 60, 60)], nanos: true)
    #expect(
      try Self.traceError("t.pcap", Data(nano))
        == "t.pcap: record 2 at byte offset 100: the nanosecond field is 1000000000; allowed: 0 ... 999999999"
    )
    // 999999 us is possible.
    #expect(try Self.traceError("t.pcap", Data(Self.pcap([(1, 0, 60, 60), (1, 999_999, 60, 60)]))) == nil)
  }

  @Test func pcapOfOnePacketIsRefused() throws {
    #expect(
      try Self.traceError("t.pcap", Data(Self.pcap([(1, 0, 60, 60)])))
        == "t.pcap: the trace has one packet, so it has no duration to replay; allowed: at least two packets with different timestamps"
    )
  }

  static func routes(_ text: String) -> String? {
    do {
      _ = try RouteTable.parse(text, file: "r.txt")
      return nil
    } catch {
      return "\(error)"
    }
  }

  @Test(arguments: [
    (
      "10.0.0.0/8\n10.1.2/16\n",
      "r.txt:2:1: '10.1.2/16' is not an IPv4 prefix a.b.c.d/len; allowed: an IPv4 prefix a.b.c.d/len (octets 0 ... 255, len 0 ... 32)"
    ),
    (
      "  256.0.0.0/8\n",
      "r.txt:1:3: '256.0.0.0/8' is not an IPv4 prefix a.b.c.d/len; allowed: an IPv4 prefix a.b.c.d/len (octets 0 ... 255, len 0 ... 32)"
    ),
    (
      "10.0.0.0/33\n",
      "r.txt:1:1: '10.0.0.0/33' is not an IPv4 prefix a.b.c.d/len; allowed: an IPv4 prefix a.b.c.d/len (octets 0 ... 255, len 0 ... 32)"
    ),
    (
      "+10.0.0.0/8\n",
      "r.txt:1:1: '+10.0.0.0/8' is not an IPv4 prefix a.b.c.d/len; allowed: an IPv4 prefix a.b.c.d/len (octets 0 ... 255, len 0 ... 32)"
    ),
    (
      "10.0.0.0/-1\n",
      "r.txt:1:1: '10.0.0.0/-1' is not an IPv4 prefix a.b.c.d/len; allowed: an IPv4 prefix a.b.c.d/len (octets 0 ... 255, len 0 ... 32)"
    ),
    (
      "10.1.2.3/8\n",
      "r.txt:1:1: '10.1.2.3/8' has host bits set past /8; allowed: the network address, 10.0.0.0/8"
    ),
    (
      "10.0.0.0/8\n\n10.0.0.0/8\n",
      "r.txt:3:1: duplicate prefix '10.0.0.0/8' (first at line 1); allowed: each prefix once"
    ),
    ("# empty\n", "r.txt:1:1: no prefixes; allowed: at least one prefix a.b.c.d/len"),
  ])
  func routeFileProblemsAreLocated(text: String, expected: String) {
    #expect(Self.routes(text) == expected)
  }

  @Test func routeFileWithCRLFIsRead() throws {
    let t = try RouteTable.parse("10.0.0.0/8\r\n192.168.1.0/24\r\n0.0.0.0/0\r\n", file: "r.txt")
    #expect(t.routes == 3)
    #expect(t.prefixLengths == 3)
  }

  /// A large route file is read in linear time: 200,000 distinct /32 prefixes take at most
  /// 24 times the CPU time of 25,000 (linear: 8; quadratic: 64), both measured here as the
  /// least thread CPU time of three reads, so load slows both alike and the ratio stays.
  @Test func largeRouteFileIsLinear() throws {
    func file(_ n: Int) -> String {
      var text = ""
      for i in 0..<n { text += "10.\(i >> 16 & 255).\(i >> 8 & 255).\(i & 255)/32\n" }
      return text
    }
    let (text, eighth) = (file(200_000), file(25_000))
    func least(_ s: String) throws -> Double {
      var best = Double.infinity
      for _ in 0..<3 {
        let t0 = threadCPUSeconds()
        _ = try RouteTable.parse(s, file: "r.txt")
        best = min(best, threadCPUSeconds() - t0)
      }
      return best
    }
    let small = try least(eighth)
    let whole = try least(text)
    #expect(whole < 24 * small, "200,000 prefixes \(whole) s of CPU, 25,000 \(small) s")
    let t = try RouteTable.parse(text, file: "r.txt")
    #expect(t.routes == 200_000)
  }
}
