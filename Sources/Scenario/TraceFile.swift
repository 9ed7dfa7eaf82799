import Foundation
import NetModel
import Platforms
import SimCore

/// Reading the input files a scenario names: trace files (`arrival: trace`) and route tables
/// (`routes_file`).
extension ScenarioSpec {
  /// Reads a route table file (`routers.each.routes_file`): one prefix `a.b.c.d/len` per line.
  /// - Throws: `PlatformError` naming the file (and the line of a malformed prefix).
  static func loadRouteTable(_ file: String, base: String?) throws -> RouteTable {
    let path = file.hasPrefix("/") || base == nil ? file : (base! as NSString).appendingPathComponent(file)
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw PlatformError("\(path): cannot read the route table file (routes_file)")
    }
    do {
      return try RouteTable.parse(text, file: path)
    } catch let e as RouteTableError {
      throw PlatformError(e.description)
    }
  }

  /// Reads a trace CSV: `timestamp,size[,flow]` per line, timestamps with units or in seconds.
  static func loadTrace(_ file: String, base: String?) throws -> TrafficTrace {
    let path = file.hasPrefix("/") || base == nil ? file : (base! as NSString).appendingPathComponent(file)
    if path.hasSuffix(".pcap") {
      guard let data = FileManager.default.contents(atPath: path) else {
        throw PlatformError("\(path): cannot read the trace file")
      }
      return try PcapTrace.parse([UInt8](data), file: path)
    }
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw PlatformError("\(path): cannot read the trace file")
    }
    var offsets: [Int64] = []
    var sizes: [Int] = []
    for (i, line) in text.split(separator: "\n").enumerated() {
      let l = line.trimmingCharacters(in: .whitespaces)
      if l.isEmpty || l.hasPrefix("#") || (i == 0 && l.lowercased().hasPrefix("timestamp")) { continue }
      let f = l.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
      guard f.count >= 2, let size = Int(f[1]), (64...9000).contains(size) else {
        throw PlatformError("\(path):\(i + 1): expected 'timestamp,size[,flow]' with a size of 64 ... 9000 B")
      }
      let t: Int64
      if let d = try? SimDuration(parsing: f[0]) {
        t = d.nanoseconds
      } else if let s = Double(f[0]), s >= 0 {
        t = Int64((s * 1e9).rounded())
      } else {
        throw PlatformError(
          "\(path):\(i + 1): '\(f[0])' is not a timestamp (seconds, or a duration with a unit)")
      }
      if let last = offsets.last, t < last {
        throw PlatformError("\(path):\(i + 1): timestamps must not decrease")
      }
      offsets.append(t)
      sizes.append(size)
    }
    guard !offsets.isEmpty else { throw PlatformError("\(path): the trace has no packets") }
    return TrafficTrace(offsets: offsets.map { $0 - offsets[0] }, sizes: sizes)
  }
}

/// Reads classic libpcap files (not pcapng): microsecond or nanosecond timestamps, either byte
/// order. Each record's original length plus the 4-byte FCS is its frame size on the wire
/// (at least 64 B); timestamps become offsets from the first packet.
enum PcapTrace {
  static func parse(_ b: [UInt8], file: String) throws -> TrafficTrace {
    func fail(_ why: String) -> PlatformError { PlatformError("\(file): \(why)") }
    guard b.count >= 24 else { throw fail("too short for a pcap header (24 bytes)") }
    func u32(_ i: Int, _ little: Bool) -> UInt32 {
      let v = UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
      return little ? v : v.byteSwapped
    }
    let magic = u32(0, true)
    let little: Bool
    let nanos: Bool
    switch magic {
    case 0xa1b2_c3d4: (little, nanos) = (true, false)
    case 0xd4c3_b2a1: (little, nanos) = (false, false)
    case 0xa1b2_3c4d: (little, nanos) = (true, true)
    case 0x4d3c_b2a1: (little, nanos) = (false, true)
    default: throw fail("not a pcap file (magic \(String(magic, radix: 16))); pcapng is not supported")
    }
    var offsets: [Int64] = []
    var sizes: [Int] = []
    var i = 24
    var record = 0
    while i + 16 <= b.count {
      record += 1
      let sec = Int64(u32(i, little))
      let frac = Int64(u32(i + 4, little))
      let incl = Int(u32(i + 8, little))
      let orig = Int(u32(i + 12, little))
      let t = sec * 1_000_000_000 + (nanos ? frac : frac * 1_000)
      if let last = offsets.last, t < last { throw fail("record \(record): timestamps must not decrease") }
      guard i + 16 + incl <= b.count else { throw fail("record \(record) is truncated") }
      offsets.append(t)
      sizes.append(min(9_000, max(64, orig + 4)))
      i += 16 + incl
    }
    guard !offsets.isEmpty else { throw fail("the trace has no packets") }
    return TrafficTrace(offsets: offsets.map { $0 - offsets[0] }, sizes: sizes)
  }
}
