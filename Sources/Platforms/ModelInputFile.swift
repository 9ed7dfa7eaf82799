import Foundation
import NetModel
import SimCore

/// Reading the model's input files: traces (NetModel's `TrafficTrace`, a scenario's
/// `arrival: trace`) and route tables (`RouteTable`, a scenario's `routes_file`), which
/// `PlatformSpec` carries loaded. Both are validated where they are read: every problem is a
/// `PlatformError` of the form `file:line[:column]: what is wrong; allowed: ...` (pcap records
/// are located by record number and byte offset), which the CLI reports with exit code 2
/// before anything runs. No content, however hostile, reaches a model precondition, an
/// overflow trap or an unbounded allocation.
///
/// Limits (checked before the work): a trace or route file of at most `maxFileBytes`; a trace of
/// at most `maxTraceRecords` packets with timestamps of at most `maxTraceSeconds`.
public enum ModelInputFile {
  /// Largest trace or route file read, in bytes (256 MiB).
  public static let maxFileBytes = 256 << 20
  /// Most packets a trace may hold.
  public static let maxTraceRecords = 5_000_000
  /// Latest timestamp a trace may hold, in seconds (about 11.6 days; far below the 292 years
  /// where nanoseconds overflow Int64).
  public static let maxTraceSeconds = 1_000_000

  /// The path of `file` relative to `base` (absolute paths unchanged).
  static func inputPath(_ file: String, base: String?) -> String {
    file.hasPrefix("/") || base == nil ? file : (base! as NSString).appendingPathComponent(file)
  }

  /// The bytes of `path`, refusing a missing, unreadable, non-regular or oversized file.
  static func readInput(_ path: String, what: String) throws -> [UInt8] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw PlatformError("\(path): cannot read the \(what) (no such file); allowed: a readable file")
    }
    if isDirectory.boolValue {
      throw PlatformError("\(path): the \(what) is a directory; allowed: a readable file")
    }
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
    if size > maxFileBytes {
      throw PlatformError(
        "\(path): the \(what) is \(size) bytes, more than the limit of \(maxFileBytes) bytes; "
          + "allowed: a file of at most 256 MiB")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw PlatformError("\(path): cannot read the \(what); allowed: a readable file")
    }
    if data.count > maxFileBytes {
      throw PlatformError(
        "\(path): the \(what) is more than \(maxFileBytes) bytes; allowed: a file of at most 256 MiB")
    }
    return [UInt8](data)
  }

  /// UTF-8 text of `bytes`, or an error at the line and column of the first invalid byte.
  static func utf8Text(_ bytes: [UInt8], path: String) throws -> String {
    if let bad = UTF8Bytes.firstInvalid(bytes) {
      let (line, column) = UTF8Bytes.position(ofByte: bad, in: bytes)
      throw PlatformError(
        "\(path):\(line):\(column): invalid UTF-8 byte 0x\(String(bytes[bad], radix: 16, uppercase: true)) "
          + "at offset \(bad); allowed: UTF-8 text")
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Reads a route table file (`routers.each.routes_file`): one prefix `a.b.c.d/len` per line.
  /// - Throws: `PlatformError` naming the file and the line of a malformed or duplicate prefix.
  public static func loadRouteTable(_ file: String, base: String?) throws -> RouteTable {
    let path = inputPath(file, base: base)
    let text = try utf8Text(try readInput(path, what: "route table file (routes_file)"), path: path)
    do {
      return try RouteTable.parse(text, file: path)
    } catch let e as RouteTableError {
      throw PlatformError(e.description)
    }
  }

  /// Reads a trace: a pcap file (`.pcap`, see `PcapTrace`) or a CSV of `timestamp,size[,flow]`
  /// per line, timestamps in seconds or as durations with a unit, sizes 64 ... 9000 B.
  /// Timestamps must not decrease and at least two must differ (the trace's span sets the
  /// replay period); at most `maxTraceRecords` packets.
  public static func loadTrace(_ file: String, base: String?) throws -> TrafficTrace {
    let path = inputPath(file, base: base)
    let bytes = try readInput(path, what: "trace file")
    if path.hasSuffix(".pcap") { return try PcapTrace.parse(bytes, file: path) }
    let text = try utf8Text(bytes, path: path)
    var offsets: [Int64] = []
    var sizes: [Int] = []
    let maxNs = Int64(maxTraceSeconds) * 1_000_000_000
    let allowedTime = "seconds (0 ... \(maxTraceSeconds)) or a duration with a unit (e.g. 12.5us)"
    var lineNumber = 0
    var dataLines = 0
    // "\r\n" is one Character: split on both line ends.
    for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
      lineNumber += 1
      let lead = raw.prefix { $0 == " " || $0 == "\t" }.count
      let l = raw.trimmingCharacters(in: .whitespaces)
      if l.isEmpty || l.hasPrefix("#") { continue }
      dataLines += 1
      if dataLines == 1 && l.lowercased().hasPrefix("timestamp") { continue }
      if offsets.count >= maxTraceRecords {
        throw PlatformError(
          "\(path):\(lineNumber): the trace has more than \(maxTraceRecords) packets; "
            + "allowed: at most \(maxTraceRecords) packets")
      }
      let fields = l.split(separator: ",", omittingEmptySubsequences: false)
      // 1-based column of each field in the raw line.
      var columns: [Int] = []
      var c = lead + 1
      for f in fields {
        columns.append(c)
        c += f.count + 1
      }
      let f = fields.map { $0.trimmingCharacters(in: .whitespaces) }
      guard f.count >= 2 && f.count <= 3 else {
        throw PlatformError(
          "\(path):\(lineNumber):\(lead + 1): '\(l.prefix(60))' has \(f.count) field\(f.count == 1 ? "" : "s"); "
            + "allowed: timestamp,size[,flow]")
      }
      guard let size = Int(f[1]), (64...9000).contains(size) else {
        throw PlatformError(
          "\(path):\(lineNumber):\(columns[1]): size '\(f[1].prefix(40))' is not a frame size; "
            + "allowed: an integer number of bytes, 64 ... 9000")
      }
      let t: Int64
      if let d = try? SimDuration(parsing: f[0]) {
        guard d.nanoseconds <= maxNs else {
          throw PlatformError(
            "\(path):\(lineNumber):\(columns[0]): timestamp '\(f[0])' is later than \(maxTraceSeconds) s; "
              + "allowed: \(allowedTime)")
        }
        t = d.nanoseconds
      } else if let s = Double(f[0]), f[0].first.map({ $0.isNumber || $0 == "." }) == true {
        guard s.isFinite, s >= 0, s <= Double(maxTraceSeconds) else {
          throw PlatformError(
            "\(path):\(lineNumber):\(columns[0]): timestamp '\(f[0])' is out of range; allowed: \(allowedTime)"
          )
        }
        t = Int64((s * 1e9).rounded())
      } else {
        throw PlatformError(
          "\(path):\(lineNumber):\(columns[0]): '\(f[0].prefix(40))' is not a timestamp; allowed: \(allowedTime)"
        )
      }
      if let last = offsets.last, t < last {
        throw PlatformError(
          "\(path):\(lineNumber):\(columns[0]): timestamp '\(f[0])' is earlier than the line before; "
            + "allowed: timestamps that do not decrease")
      }
      offsets.append(t)
      sizes.append(size)
    }
    try checkSpan(offsets, path: path)
    return TrafficTrace(offsets: offsets.map { $0 - offsets[0] }, sizes: sizes)
  }

  /// Refuses a trace without packets or whose timestamps are all equal: its replay period
  /// would be 1 ns, silently turning the offered load into line rate.
  static func checkSpan(_ offsets: [Int64], path: String) throws {
    guard let first = offsets.first else {
      throw PlatformError("\(path): the trace has no packets; allowed: at least two packets")
    }
    if offsets.last! == first {
      let what = offsets.count == 1 ? "one packet" : "\(offsets.count) packets, all at the same timestamp"
      throw PlatformError(
        "\(path): the trace has \(what), so it has no duration to replay; "
          + "allowed: at least two packets with different timestamps")
    }
  }
}

/// Reads classic libpcap files (not pcapng): microsecond or nanosecond timestamps, either byte
/// order. Each record's original length plus the 4-byte FCS is its frame size on the wire
/// (clamped to 64 ... 9000 B); timestamps become offsets from the first packet.
///
/// Refused, naming the record (1-based) and its byte offset: a record header cut short, a
/// record whose data runs past the end of the file, a fraction-of-second field of 1e6 or more
/// (1e9 for nanosecond files), timestamps that decrease; and a file of fewer than two distinct
/// timestamps or more than `ModelInputFile.maxTraceRecords` records.
enum PcapTrace {
  static func parse(_ b: [UInt8], file: String) throws -> TrafficTrace {
    func fail(_ why: String, _ allowed: String) -> PlatformError {
      PlatformError("\(file): \(why); allowed: \(allowed)")
    }
    guard b.count >= 24 else {
      throw fail("\(b.count) bytes, too short for a pcap header (24 bytes)", "a classic libpcap file")
    }
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
    default:
      throw fail(
        "not a pcap file (magic \(String(magic, radix: 16)))",
        "a classic libpcap file (pcapng is not supported; convert with editcap -F pcap)")
    }
    let fractionLimit: Int64 = nanos ? 1_000_000_000 : 1_000_000
    var offsets: [Int64] = []
    var sizes: [Int] = []
    var i = 24
    var record = 0
    while i < b.count {
      record += 1
      let at = "record \(record) at byte offset \(i)"
      guard i + 16 <= b.count else {
        throw fail(
          "\(at): the record header is truncated (\(b.count - i) of 16 bytes)",
          "complete records (was the capture cut short?)")
      }
      if offsets.count >= ModelInputFile.maxTraceRecords {
        throw fail(
          "\(at): more than \(ModelInputFile.maxTraceRecords) records",
          "at most \(ModelInputFile.maxTraceRecords) packets")
      }
      let sec = Int64(u32(i, little))
      let frac = Int64(u32(i + 4, little))
      let incl = Int(u32(i + 8, little))
      let orig = Int(u32(i + 12, little))
      guard frac < fractionLimit else {
        throw fail(
          "\(at): the \(nanos ? "nanosecond" : "microsecond") field is \(frac)",
          "0 ... \(fractionLimit - 1)")
      }
      guard sec <= Int64(ModelInputFile.maxTraceSeconds) || offsets.isEmpty else {
        // Only offsets from the first packet matter; a later packet more than the limit
        // after the first is refused below.
        throw fail(
          "\(at): the timestamp is out of range", "timestamps within \(ModelInputFile.maxTraceSeconds) s")
      }
      let t = sec * 1_000_000_000 + (nanos ? frac : frac * 1_000)
      if let first = offsets.first, t - first > Int64(ModelInputFile.maxTraceSeconds) * 1_000_000_000 {
        throw fail(
          "\(at): the packet is more than \(ModelInputFile.maxTraceSeconds) s after the first",
          "a trace spanning at most \(ModelInputFile.maxTraceSeconds) s")
      }
      if let last = offsets.last, t < last {
        throw fail(
          "\(at): the timestamp is earlier than the record before", "timestamps that do not decrease")
      }
      guard i + 16 + incl <= b.count else {
        throw fail(
          "\(at): the record is truncated (\(incl) bytes captured, \(b.count - i - 16) in the file)",
          "complete records (was the capture cut short?)")
      }
      offsets.append(t)
      sizes.append(min(9_000, max(64, orig + 4)))
      i += 16 + incl
    }
    try ModelInputFile.checkSpan(offsets, path: file)
    return TrafficTrace(offsets: offsets.map { $0 - offsets[0] }, sizes: sizes)
  }
}
