import Experiment
import Foundation
import FuzzDriver
import FuzzSupport
import GRDB
import Report

/// A campaign directory's files, read as `vrsim results` reads them: `CampaignStore.open(at:)`,
/// every record, the per-point summaries, the CSV and JSON exports.
///
/// The input is either a whole `campaign.sqlite` (when it starts with the SQLite magic) or, to
/// reach vrsim's own reading rather than SQLite's, text: the manifest's `plan` JSON, then after a
/// line `--` one stored run metric per line, `point,replication,seed,wall_seconds,scope,metric,unit,value`,
/// written into a campaign made by this code (as a hostile or damaged file would hold them).
/// Property: results, or a `CampaignError` (which names the directory); never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCampaign(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = FuzzInput.bytes(data, size)
  let directory = URL(fileURLWithPath: FuzzInput.scratchDirectory + "/campaign")
  let database = directory.appendingPathComponent(CampaignStore.databaseName).path
  let fm = FileManager.default
  try? fm.removeItem(at: directory)
  try? fm.createDirectory(at: directory, withIntermediateDirectories: true)
  if bytes.starts(with: Array("SQLite format 3".utf8)) {
    guard fm.createFile(atPath: database, contents: Data(bytes)) else { fatalError("fuzz: cannot write") }
  } else {
    do {
      try fm.copyItem(atPath: CampaignTemplate.path, toPath: database)
      try write(String(decoding: bytes, as: UTF8.self), into: database)
    } catch {
      // Text the template cannot hold (e.g. a NUL in a key) never reaches the reader.
      return 0
    }
  }
  let store: CampaignStore
  do {
    store = try CampaignStore.open(at: directory)
  } catch let error as CampaignError {
    check(error)
    return 0
  } catch {
    fatalError("fuzz: unexpected error type: \(error)")
  }
  do {
    let records = try store.records()
    _ = CampaignResults.recordsCSV(plan: store.plan, records: records, includeWallTime: true)
    _ = try? CampaignResults.recordsJSON(plan: store.plan, records: records, includeWallTime: true)
    _ = try CampaignResults.summarize(plan: store.plan, store: store)
    _ = CampaignResults.sweepKeys(store.plan)
  } catch let error as CampaignError {
    check(error)
  } catch {
    fatalError("fuzz: unexpected error type: \(error)")
  }
  return 0
}

/// A campaign error must name the campaign (its directory) or the plan it refuses.
private func check(_ error: CampaignError) {
  let text = "\(error)"
  if text.isEmpty { fatalError("fuzz: an empty campaign error") }
}

/// Writes the text form (plan JSON, `--`, metric lines) into the template's tables.
private func write(_ text: String, into database: String) throws {
  let parts = text.components(separatedBy: "\n--\n")
  let queue = try DatabaseQueue(path: database)
  try queue.write { db in
    try db.execute(
      sql: "INSERT OR REPLACE INTO manifest (key, value) VALUES ('plan', ?)", arguments: [parts[0]])
    guard parts.count > 1 else { return }
    var ordinal = 0
    for line in parts[1].split(separator: "\n").prefix(10_000) {
      let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      guard f.count == 8, let point = Int(f[0]), let replication = Int(f[1]) else { continue }
      try db.execute(
        sql: """
          INSERT OR IGNORE INTO runs (point, replication, seed, wall_seconds, scenario_hash)
          VALUES (?, ?, ?, ?, 'fuzz')
          """, arguments: [point, replication, f[2], Double(f[3]) ?? 0])
      try db.execute(
        sql: """
          INSERT OR IGNORE INTO metrics (point, replication, ordinal, scope, metric, unit, value)
          VALUES (?, ?, ?, ?, ?, ?, ?)
          """, arguments: [point, replication, ordinal, f[4], f[5], f[6], Double(f[7])])
      ordinal += 1
    }
  }
}

/// An empty campaign made once per process by `CampaignStore` itself (its schema), copied
/// before each input.
enum CampaignTemplate {
  static let path: String = {
    let directory = URL(fileURLWithPath: FuzzInput.scratchDirectory + "/template")
    let plan = CampaignPlan(
      scenarioText: "about: fuzz\n", vrsimVersion: "fuzz", masterSeed: 1,
      points: [PlanPoint(index: 0)], replications: .fixed(1))
    do {
      _ = try CampaignStore.open(at: directory, plan: plan)
    } catch {
      fatalError("fuzz: cannot make the template campaign: \(error)")
    }
    return directory.appendingPathComponent(CampaignStore.databaseName).path
  }()
}

/// Writes the dictionary when asked (`VRSIM_FUZZ_DICT`, see FuzzDictionary).
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: FuzzArgc, _ argv: FuzzArgv) -> CInt {
  FuzzDictionary.writeIfAsked {
    [
      "scenarioText", "scenarioHash", "vrsimVersion", "gitCommit", "masterSeed", "seedScheme", "points",
      "replications", "confidenceLevel", "index", "assignments", "key", "value", "kind", "count", "rule",
      "fixed", "stopping_rule", "per_point", "common_random_numbers", "scope", "metric",
      "relativeHalfWidth", "minReplications", "maxReplications", "\n--\n", "SQLite format 3\u{0}", "null",
      "true", "1e308", "-1", "18446744073709551615", "NaN",
    ] + Metric.all.flatMap { [$0.name, $0.unit] }
  }
  return 0
}

/// The entry point SwiftPM links this executable with: libFuzzer's driver on `fuzzCampaign`.
@_cdecl("fuzz_campaign_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  vrsim_fuzz_run(argc, argv) { data, size in fuzzCampaign(data!, size) }
}
