import Foundation

/// The IPv4 lookup algorithm whose cost a router pays per packet.
public enum FIBAlgorithm: String, Sendable, Codable, CaseIterable {
  /// Linux's per-flow route cache (kernels before 3.6): a hash hit per packet when the flows
  /// fit in the cache, so the cost does not depend on the table size (the paper's flat
  /// 1k..100k result).
  case routeCache = "route-cache"
  /// Linux fib_hash (2.6.x): one hash table per prefix length, probed from the longest.
  case fibHash = "fib_hash"
  /// Linux fib_trie (LC-trie, Nilsson and Karlsson 1999): cost grows with the trie depth.
  case fibTrie = "fib_trie"
  /// DIR-24-8 (Gupta, Lin and McKeown, INFOCOM 1998): one memory access, two for prefixes
  /// longer than /24.
  case dir248 = "dir-24-8"
}

/// A routing table's shape: how many prefixes and how they are spread over lengths.
public struct RouteTable: Sendable, Equatable, Codable {
  /// Number of prefixes.
  public var routes: Int
  /// Number of distinct prefix lengths present.
  public var prefixLengths: Int
  /// Fraction of prefixes longer than /24.
  public var longerThan24: Double

  /// A table of `routes` prefixes with a BGP-like length mix generated deterministically:
  /// lengths /8../32 with most mass at /24 (about 55%), /22-/23 next; distinct lengths grow
  /// with the table size (fewer than 25 lengths in small tables).
  public static func generated(routes: Int) -> RouteTable {
    precondition(routes >= 1, "a route table needs at least one route")
    let lengths = Swift.min(25, Swift.max(1, Int((log2(Double(routes)) * 1.6).rounded())))
    return RouteTable(routes: routes, prefixLengths: lengths, longerThan24: routes >= 10_000 ? 0.01 : 0)
  }

  /// Most prefixes a route file may hold (a full BGP table holds about a million).
  public static let maxRoutes = 2_000_000

  /// Reads a table from text with one prefix per line, `a.b.c.d/len` (blank lines and lines
  /// starting with # ignored; LF or CRLF line ends). Octets are 0 ... 255 in decimal without
  /// sign, the length 0 ... 32, the address a network address (no bits set past the length),
  /// and each prefix appears once.
  /// - Throws: `RouteTableError` at the line and column of the first bad prefix, or at the line
  ///   past `maxRoutes`.
  /// - Complexity: O(n) in the text length (duplicates found with one hash set).
  public static func parse(_ text: String, file: String) throws -> RouteTable {
    var lengths = Set<Int>()
    var seen: [UInt64: Int] = [:]
    var count = 0
    var longer = 0
    let form = "an IPv4 prefix a.b.c.d/len (octets 0 ... 255, len 0 ... 32)"
    var lineNumber = 0
    for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
      lineNumber += 1
      var raw = rawLine[...]
      if raw.last == UInt8(ascii: "\r") { raw = raw.dropLast() }
      let lead = raw.prefix { $0 == 0x20 || $0 == 0x09 }.count
      var body = raw.dropFirst(lead)
      while let last = body.last, last == 0x20 || last == 0x09 { body = body.dropLast() }
      if body.isEmpty || body.first == UInt8(ascii: "#") { continue }
      let line = String(decoding: body, as: UTF8.self)
      func fail(_ message: String, allowed: String = form) -> RouteTableError {
        RouteTableError(file: file, line: lineNumber, column: lead + 1, message: message, allowed: allowed)
      }
      guard count < maxRoutes else {
        throw fail("more than \(maxRoutes) prefixes", allowed: "at most \(maxRoutes) prefixes per file")
      }
      guard let (address, len) = parsePrefix(body) else {
        throw fail("'\(line.prefix(60))' is not an IPv4 prefix a.b.c.d/len")
      }
      let mask: UInt32 = len == 0 ? 0 : UInt32.max << UInt32(32 - len)
      if address & ~mask != 0 {
        let network = address & mask
        let text = (0..<4).map { String((network >> UInt32(24 - 8 * $0)) & 0xFF) }.joined(separator: ".")
        throw fail(
          "'\(line)' has host bits set past /\(len)", allowed: "the network address, \(text)/\(len)")
      }
      let key = UInt64(address) << 8 | UInt64(len)
      if let first = seen[key] {
        throw fail("duplicate prefix '\(line)' (first at line \(first))", allowed: "each prefix once")
      }
      seen[key] = lineNumber
      lengths.insert(len)
      count += 1
      if len > 24 { longer += 1 }
    }
    guard count > 0 else {
      throw RouteTableError(
        file: file, line: 1, column: 1, message: "no prefixes", allowed: "at least one prefix a.b.c.d/len")
    }
    return RouteTable(
      routes: count, prefixLengths: lengths.count, longerThan24: Double(longer) / Double(count))
  }

  /// `a.b.c.d/len` in strict decimal (1 ... 3 digits per octet, 1 ... 2 for the length).
  private static func parsePrefix(_ b: Substring.UTF8View) -> (UInt32, Int)? {
    var octets: [UInt32] = []
    var value: UInt32 = 0
    var digits = 0
    var inLength = false
    for c in b {
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"):
        digits += 1
        if digits > 3 { return nil }
        value = value * 10 + UInt32(c - UInt8(ascii: "0"))
      case UInt8(ascii: "."):
        guard digits > 0, octets.count < 3, !inLength, value <= 255 else { return nil }
        octets.append(value)
        (value, digits) = (0, 0)
      case UInt8(ascii: "/"):
        guard digits > 0, octets.count == 3, !inLength, value <= 255 else { return nil }
        octets.append(value)
        (value, digits) = (0, 0)
        inLength = true
      default:
        return nil
      }
    }
    guard inLength, octets.count == 4, digits > 0, digits <= 2, value <= 32 else { return nil }
    let address = octets.reduce(UInt32(0)) { $0 << 8 | $1 }
    return (address, Int(value))
  }
}

/// A malformed route file: printed as `file:line:column: what is wrong; allowed: ...`.
public struct RouteTableError: Error, CustomStringConvertible, Equatable {
  /// The file.
  public var file: String
  /// 1-based line.
  public var line: Int
  /// 1-based column of the prefix on its line.
  public var column: Int
  /// What is wrong.
  public var message: String
  /// What would be accepted instead.
  public var allowed: String
  /// A located error.
  public init(file: String, line: Int, column: Int, message: String, allowed: String) {
    self.file = file
    self.line = line
    self.column = column
    self.message = message
    self.allowed = allowed
  }
  public var description: String { "\(file):\(line):\(column): \(message); allowed: \(allowed)" }
}

/// Per-lookup cost of an algorithm on a table, in cycles.
///
/// A model, not a measurement: each memory access costs `hitCycles` while the structure fits
/// in the last-level cache and `missCycles` once it does not. Parameters are profile values
/// (calibration can fit them); the defaults are round numbers consistent with RouteBricks'
/// ~1,000-1,500 cycles per forwarded packet in total.
public struct FIBCostModel: Sendable, Equatable, Codable {
  /// Fixed cost of a lookup (hashing, function calls).
  public var baseCycles: Int64 = 120
  /// A memory access that hits the cache.
  public var hitCycles: Int64 = 15
  /// A memory access that misses the last-level cache.
  public var missCycles: Int64 = 200
  /// Bytes of last-level cache available to the table.
  public var cacheBytes: Int = 8 * 1_048_576

  /// Creates the default model.
  public init() {}

  /// Cycles per lookup of `algorithm` on `table`.
  public func cycles(_ algorithm: FIBAlgorithm, _ table: RouteTable) -> Int64 {
    let n = Double(table.routes)
    func access(bytes: Double) -> Int64 { bytes <= Double(cacheBytes) ? hitCycles : missCycles }
    switch algorithm {
    case .routeCache:
      // One hash-bucket probe for an established flow; the table is never consulted.
      return baseCycles + hitCycles
    case .fibHash:
      // One probe per prefix length present, longest first; chains lengthen once the
      // per-length hash tables (grown up to 1024 buckets) hold more entries than buckets.
      let chain = Swift.max(1, n / Double(table.prefixLengths) / 1024)
      let perProbe = access(bytes: n * 64)
      return baseCycles + Int64(Double(table.prefixLengths) * Double(perProbe) * chain.squareRoot())
    case .fibTrie:
      // LC-trie depth grows with log n; about 40 B per node and leaf.
      let depth = 1 + log2(Swift.max(2, n)) / 3
      return baseCycles + Int64((depth * Double(access(bytes: n * 40))).rounded())
    case .dir248:
      // A 32 MiB first-level table: one access (it rarely fits), two for long prefixes.
      let first = access(bytes: 32 * 1_048_576)
      return baseCycles / 2 + first + Int64(table.longerThan24 * Double(first))
    }
  }
}
