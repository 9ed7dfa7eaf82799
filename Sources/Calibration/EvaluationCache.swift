import Foundation
import Scenario

/// Every evaluated candidate of a calibration with its simulated outcomes, kept in memory
/// and appended to a checkpoint file (JSON lines: first `{"problem": HASH}`, then one
/// `{"u": [...], "o": [...]}` per candidate, numbers as the hex of their bit patterns so they
/// come back exactly). A calibration started with an existing checkpoint of the same problem
/// reads it back and replays: the optimisers ask for the same candidates in the same order
/// (the search is deterministic), find them here, and go on simulating where the killed run
/// stopped. A last line cut short by the kill is ignored.
final class EvaluationCache: @unchecked Sendable {
  private let lock = NSLock()
  private var table: [[UInt64]: [RowOutcome]] = [:]
  private var handle: FileHandle?
  private(set) var simulated = 0
  private(set) var replayed = 0
  private var hits: Set<[UInt64]> = []
  private var restored: Set<[UInt64]> = []

  init(path: String?, identity: String) throws {
    guard let path else { return }
    let hash = ScenarioLoader.sha256(identity)
    let fm = FileManager.default
    if let data = fm.contents(atPath: path), let text = String(data: data, encoding: .utf8) {
      let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
      guard let first = lines.first, let head = try? JSONDecoder().decode(Head.self, from: Data(first.utf8))
      else {
        throw CalibrationError(
          "\(path): not a calibration checkpoint; remove it or pass another --checkpoint")
      }
      guard head.problem == hash else {
        throw CalibrationError(
          "\(path): the checkpoint belongs to another calibration (other data, keys, options or seed); "
            + "remove it to start afresh")
      }
      for line in lines.dropFirst() {
        guard let e = try? JSONDecoder().decode(Entry.self, from: Data(line.utf8)) else { continue }
        let u = e.u.compactMap { UInt64($0, radix: 16) }
        let o = e.o.map { v -> RowOutcome in
          RowOutcome(
            mean: Double(bitPattern: UInt64(v[0], radix: 16) ?? 0),
            standardDeviation: Double(bitPattern: UInt64(v[1], radix: 16) ?? 0), count: Int(v[2]) ?? 0)
        }
        table[u] = o
        restored.insert(u)
      }
      handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
      try handle?.seekToEnd()
      if !text.hasSuffix("\n") { try handle?.write(contentsOf: Data("\n".utf8)) }
    } else {
      guard fm.createFile(atPath: path, contents: Data((try Self.json(Head(problem: hash))) + "\n".utf8))
      else {
        throw CalibrationError("\(path): cannot create the checkpoint file")
      }
      handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
      try handle?.seekToEnd()
    }
  }

  deinit { try? handle?.close() }

  struct Head: Codable { var problem: String }
  struct Entry: Codable {
    var u: [String]
    var o: [[String]]
  }

  static func json<T: Encodable>(_ v: T) throws -> Data {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys]
    return try e.encode(v)
  }

  private static func key(_ u: [Double]) -> [UInt64] { u.map(\.bitPattern) }

  /// Candidates held (simulated here or read back).
  var count: Int {
    lock.lock()
    defer { lock.unlock() }
    return table.count
  }

  /// The outcomes of candidate `u`, if evaluated (counts a replay the first time a
  /// checkpointed candidate is asked for).
  func outcome(_ u: [Double]) -> [RowOutcome]? { outcome(key: Self.key(u)) }

  /// The outcomes stored under `k` (any bit patterns: a posterior's candidate is its values and
  /// its seed), if evaluated.
  func outcome(key k: [UInt64]) -> [RowOutcome]? {
    lock.lock()
    defer { lock.unlock() }
    guard let o = table[k] else { return nil }
    if restored.contains(k), hits.insert(k).inserted { replayed += 1 }
    return o
  }

  /// Records and checkpoints the outcomes of `u`.
  func store(_ u: [Double], _ o: [RowOutcome]) throws { try store(key: Self.key(u), o) }

  /// Records and checkpoints the outcomes stored under `k`.
  func store(key k: [UInt64], _ o: [RowOutcome]) throws {
    lock.lock()
    defer { lock.unlock() }
    table[k] = o
    simulated += 1
    hits.insert(k)
    guard let handle else { return }
    let entry = Entry(
      u: k.map { String($0, radix: 16) },
      o: o.map {
        [
          String($0.mean.bitPattern, radix: 16), String($0.standardDeviation.bitPattern, radix: 16),
          String($0.count),
        ]
      })
    var line = try Self.json(entry)
    line.append(contentsOf: "\n".utf8)
    try handle.write(contentsOf: line)
  }
}
