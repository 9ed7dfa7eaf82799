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

  /// Reads a table from text with one prefix per line, `a.b.c.d/len` (blank lines and lines
  /// starting with # ignored).
  /// - Throws: `RouteTableError` naming the line of the first malformed prefix.
  public static func parse(_ text: String, file: String) throws -> RouteTable {
    var lengths = Set<Int>()
    var count = 0
    var longer = 0
    for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.isEmpty || line.hasPrefix("#") { continue }
      let parts = line.split(separator: "/")
      let octets = parts.first?.split(separator: ".").compactMap { Int($0) } ?? []
      guard parts.count == 2, let len = Int(parts[1]), (0...32).contains(len), octets.count == 4,
        octets.allSatisfy({ (0...255).contains($0) })
      else {
        throw RouteTableError(file: file, line: i + 1, message: "'\(line)' is not an IPv4 prefix a.b.c.d/len")
      }
      lengths.insert(len)
      count += 1
      if len > 24 { longer += 1 }
    }
    guard count > 0 else { throw RouteTableError(file: file, line: 1, message: "no prefixes") }
    return RouteTable(
      routes: count, prefixLengths: lengths.count, longerThan24: Double(longer) / Double(count))
  }
}

/// A malformed route file.
public struct RouteTableError: Error, CustomStringConvertible, Equatable {
  /// The file.
  public var file: String
  /// 1-based line.
  public var line: Int
  /// What is wrong.
  public var message: String
  public var description: String { "\(file):\(line): \(message)" }
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
