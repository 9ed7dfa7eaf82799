import Foundation
import GRDB
import Report

/// The on-disk store of a campaign: a directory holding `campaign.sqlite`, with a manifest (the
/// plan as JSON, its scenario hash and seed) and one row per finished (point, replication).
///
/// Crash safety: SQLite in WAL mode with `synchronous = FULL`; every record is committed in its
/// own transaction as soon as its run completes. A process killed at any instant (SIGKILL, power
/// loss) therefore loses at most the runs still in progress, and never leaves a half-written
/// record: reopening lists exactly the runs whose commit finished.
///
/// Uniqueness: `(point, replication)` is the primary key. Inserting a record that already
/// exists is accepted when it is the same result (`RunRecord.isSameResult`) and refused with
/// `CampaignError.conflictingResults` otherwise, so two processes sharing a directory can only
/// duplicate work, never corrupt results.
///
/// Schema (readable with the `sqlite3` tool):
/// - `manifest(key, value)`: `format_version`, `plan` (JSON), `scenario_hash`, `master_seed`,
///   `previous_scenario_hashes` (set when a mismatch was explicitly allowed);
/// - `runs(point, replication, seed, wall_seconds, scenario_hash)`;
/// - `metrics(point, replication, ordinal, scope, metric, unit, value)`, NaN stored as NULL.
///
/// Reading only (`open(at:)`): nothing is written to the campaign. On read-only media (where WAL
/// mode cannot create its `-shm` side file) the database and its WAL are read from a private
/// temporary copy, opened read-only.
///
/// Thread-safety: a store may be shared between threads; GRDB serialises writes.
public final class CampaignStore: Sendable {
  /// Name of the database file inside a campaign directory.
  public static let databaseName = "campaign.sqlite"
  /// Version of the schema written by this code.
  public static let formatVersion = 1

  /// The campaign directory.
  public let directory: URL
  /// The plan recorded in the manifest (the caller's plan when opened with one).
  public let plan: CampaignPlan
  /// What opening changed about the stored campaign, one sentence each (the CLI prints them):
  /// runs set aside after an allowed mismatch, a replication count kept instead of shrunk.
  public let notes: [String]
  private let db: DatabaseQueue
  /// A temporary copy the store reads from (read-only media), removed on deinit.
  private let copy: URL?

  private init(directory: URL, plan: CampaignPlan, db: DatabaseQueue, notes: [String] = [], copy: URL? = nil)
  {
    self.directory = directory
    self.plan = plan
    self.db = db
    self.notes = notes
    self.copy = copy
  }

  deinit {
    if let copy { try? FileManager.default.removeItem(at: copy) }
  }

  /// Refuses a campaign path that cannot be a directory: empty, or an existing file.
  /// - Throws: `CampaignError.store` saying what the path is.
  public static func checkDirectoryPath(_ directory: URL, given: String? = nil) throws {
    let text = given ?? directory.path
    if let given, given.isEmpty {
      throw CampaignError.store(
        directory: "''", message: "the campaign directory name is empty; give a directory path")
    }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory),
      !isDirectory.boolValue
    {
      throw CampaignError.store(
        directory: text,
        message: "is a file, not a directory; give a campaign directory (created when missing)")
    }
  }

  /// True when `directory` holds a campaign database.
  public static func exists(at directory: URL) -> Bool {
    FileManager.default.fileExists(atPath: directory.appendingPathComponent(databaseName).path)
  }

  /// Opens the campaign in `directory` for `plan`, creating the directory and the store when
  /// they do not exist.
  ///
  /// An existing campaign must describe the same experiment (`CampaignPlan.mismatches`);
  /// otherwise this throws `CampaignError.scenarioMismatch`, unless `allowMismatch` is true, in
  /// which case the manifest takes the new plan and the old hash is kept in
  /// `previous_scenario_hashes` (every run row keeps the hash it was made with). The replication
  /// policy and confidence level are always taken from `plan`, so a campaign can be extended.
  public static func open(at directory: URL, plan: CampaignPlan, allowMismatch: Bool = false) throws
    -> CampaignStore
  {
    try open(at: directory, plan: plan, allowMismatch: allowMismatch, setAsideMismatched: true)
  }

  /// `open(at:plan:allowMismatch:)`; with `setAsideMismatched` (the default for sweeps), the runs
  /// of a mismatched campaign that is added to anyway are moved to `set_aside_runs` and
  /// `set_aside_metrics` (tagged with a generation number), so that they are never counted
  /// under the labels of the new plan. Merge keeps them (it joins what it was given).
  ///
  /// The stored replication count never shrinks: a fixed count lower than the one stored (or
  /// than the runs stored) keeps the stored plan's count, and `notes` says so.
  static func open(
    at directory: URL, plan requested: CampaignPlan, allowMismatch: Bool, setAsideMismatched: Bool
  ) throws -> CampaignStore {
    try requested.validate()
    let dirText = directory.path
    try checkDirectoryPath(directory)
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
      throw CampaignError.store(
        directory: dirText, message: "cannot create the directory: \((error as NSError).localizedDescription)"
      )
    }
    return try wrap(dirText) {
      let db = try connect(directory, create: true)
      var notes: [String] = []
      let plan = try db.write { db -> CampaignPlan in
        var plan = requested
        let stored = try readManifestPlan(db, directory: dirText)
        var previous = try String.fetchOne(
          db, sql: "SELECT value FROM manifest WHERE key = 'previous_scenario_hashes'")
        if let stored {
          let diffs = stored.mismatches(with: plan)
          if !diffs.isEmpty {
            guard allowMismatch else {
              throw CampaignError.scenarioMismatch(directory: dirText, differences: diffs)
            }
            if stored.scenarioHash != plan.scenarioHash {
              previous = [previous, stored.scenarioHash].compactMap { $0 }.joined(separator: ",")
            }
            if setAsideMismatched {
              let moved = try setAsideRuns(db)
              if moved > 0 {
                notes.append(
                  "the campaign's \(moved) runs were made from a different experiment; they are set aside "
                    + "(tables set_aside_runs, set_aside_metrics), not reused")
              }
            }
          } else if case .fixed(let n) = plan.replications {
            let storedMax = try Int.fetchOne(db, sql: "SELECT max(replication) + 1 FROM runs") ?? 0
            switch stored.replications {
            case .fixed(let m) where max(m, storedMax) > n:
              plan.replications = .fixed(max(m, storedMax))
            case .stoppingRule where storedMax > n:
              plan.replications = stored.replications
            default:
              break
            }
            if plan.replications != requested.replications {
              notes.append(
                "the campaign already holds up to \(storedMax) replications per point; keeping its plan "
                  + "(\(Self.describe(plan.replications))) instead of \(n) replications, so results are not shrunk"
              )
            }
          }
        } else {
          try setManifest(db, "format_version", String(formatVersion))
        }
        try setManifest(db, "plan", try encodePlan(plan))
        try setManifest(db, "scenario_hash", plan.scenarioHash)
        try setManifest(db, "master_seed", String(plan.masterSeed))
        if let previous { try setManifest(db, "previous_scenario_hashes", previous) }
        return plan
      }
      return CampaignStore(directory: directory, plan: plan, db: db, notes: notes)
    }
  }

  private static func describe(_ policy: ReplicationPolicy) -> String {
    switch policy {
    case .fixed(let n): "\(n) replications per point"
    case .stoppingRule(let rule): "a stopping rule of up to \(rule.maxReplications) replications"
    }
  }

  /// Moves every run (and its metrics) to the set-aside tables under a new generation number;
  /// returns how many runs moved.
  private static func setAsideRuns(_ db: Database) throws -> Int {
    let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM runs") ?? 0
    guard count > 0 else { return 0 }
    try db.execute(
      sql: """
        CREATE TABLE IF NOT EXISTS set_aside_runs (
          generation INTEGER NOT NULL, point INTEGER NOT NULL, replication INTEGER NOT NULL,
          seed TEXT NOT NULL, wall_seconds REAL NOT NULL, scenario_hash TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS set_aside_metrics (
          generation INTEGER NOT NULL, point INTEGER NOT NULL, replication INTEGER NOT NULL,
          ordinal INTEGER NOT NULL, scope TEXT NOT NULL, metric TEXT NOT NULL, unit TEXT NOT NULL, value REAL);
        """)
    let generation = (try Int.fetchOne(db, sql: "SELECT max(generation) FROM set_aside_runs") ?? 0) + 1
    try db.execute(
      sql: """
        INSERT INTO set_aside_runs SELECT ?, point, replication, seed, wall_seconds, scenario_hash FROM runs;
        """, arguments: [generation])
    try db.execute(
      sql: """
        INSERT INTO set_aside_metrics
          SELECT ?, point, replication, ordinal, scope, metric, unit, value FROM metrics;
        """, arguments: [generation])
    try db.execute(sql: "DELETE FROM metrics; DELETE FROM runs;")
    return count
  }

  /// Opens an existing campaign with the plan from its manifest (for `vrsim results`, merging).
  /// Throws `CampaignError.notACampaign` when the directory has no store.
  public static func open(at directory: URL) throws -> CampaignStore {
    let dirText = directory.path
    guard exists(at: directory) else { throw CampaignError.notACampaign(directory: dirText) }
    return try wrap(dirText) {
      func load(_ db: DatabaseQueue) throws -> CampaignPlan {
        let plan = try db.read { db -> CampaignPlan? in
          guard try db.tableExists("manifest") else { return nil }
          return try readManifestPlan(db, directory: dirText)
        }
        guard let plan else {
          throw CampaignError.store(
            directory: dirText, message: "the campaign is not initialised yet (no plan)")
        }
        return plan
      }
      if !readOnlyMedia(directory) {
        do {
          // A normal connection (it only reads): the last one to close removes the WAL side
          // files, so nothing is left next to the campaign.
          let db = try connect(directory, create: false)
          return CampaignStore(directory: directory, plan: try load(db), db: db)
        } catch let error as CampaignError {
          throw error
        } catch {
          // Fall through: read a private copy (a WAL side file could not be created).
        }
      }
      let copy = try privateCopy(of: directory)
      do {
        let db = try connectReadOnly(copy.appendingPathComponent(databaseName))
        return CampaignStore(directory: directory, plan: try load(db), db: db, copy: copy)
      } catch {
        try? FileManager.default.removeItem(at: copy)
        throw error
      }
    }
  }

  /// True when files cannot be created in `directory` (read-only media, or no permission).
  static func readOnlyMedia(_ directory: URL) -> Bool {
    access(directory.path, W_OK) != 0
  }

  /// Copies the database and its WAL (when present) into a new temporary directory.
  private static func privateCopy(of directory: URL) throws -> URL {
    let copy = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vrsim-campaign-copy-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
    for suffix in ["", "-wal"] {
      let source = directory.appendingPathComponent(databaseName + suffix)
      guard FileManager.default.fileExists(atPath: source.path) else { continue }
      try FileManager.default.copyItem(at: source, to: copy.appendingPathComponent(databaseName + suffix))
    }
    return copy
  }

  /// True when `error` is Foundation's "no such file" about the database's `-wal` side file (see
  /// `connect`).
  private static func vanishedWAL(_ error: any Error) -> Bool {
    let error = error as NSError
    guard error.domain == NSCocoaErrorDomain, error.code == NSFileReadNoSuchFileError else { return false }
    let path =
      (error.userInfo[NSFilePathErrorKey] as? String) ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
    return path?.hasSuffix(databaseName + "-wal") ?? false
  }

  /// A read-only connection: no journal-mode change, nothing written.
  private static func connectReadOnly(_ file: URL) throws -> DatabaseQueue {
    var config = Configuration()
    config.readonly = true
    config.busyMode = .timeout(30)
    return try DatabaseQueue(path: file.path, configuration: config)
  }

  /// What `insert` did with a record.
  public enum InsertOutcome: Sendable, Equatable {
    /// The record was new and is now committed.
    case inserted
    /// The same result was already there; nothing changed.
    case identicalDuplicate
  }

  /// Commits `record` in its own transaction, tagged with the plan's scenario hash.
  /// Throws `CampaignError.conflictingResults` when a different result for the same key exists.
  @discardableResult
  public func insert(_ record: RunRecord) throws -> InsertOutcome {
    try wrap(directory.path) {
      try db.write { db in
        try Self.insert(record, scenarioHash: plan.scenarioHash, into: db, source: directory.path)
      }
    }
  }

  /// Commits all `records` in one transaction (used by merge): all or nothing.
  @discardableResult
  func insertAll(_ records: [RunRecord]) throws -> [InsertOutcome] {
    try wrap(directory.path) {
      try db.write { db in
        try records.map {
          try Self.insert($0, scenarioHash: plan.scenarioHash, into: db, source: directory.path)
        }
      }
    }
  }

  /// Keys of every stored run.
  public func completedKeys() throws -> Set<RunKey> {
    try wrap(directory.path) {
      try db.read { db in
        var keys = Set<RunKey>()
        let rows = try Row.fetchCursor(db, sql: "SELECT point, replication FROM runs")
        while let row = try rows.next() {
          keys.insert(RunKey(point: row["point"], replication: row["replication"]))
        }
        return keys
      }
    }
  }

  /// Number of stored runs.
  public func count() throws -> Int {
    try wrap(directory.path) { try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM runs") ?? 0 } }
  }

  /// Every stored record with only the metric rows of `scope`/`metric` (what a stopping rule
  /// needs to resume), sorted by (point, replication).
  public func records(scope: String, metric: String) throws -> [RunRecord] {
    try records(where: "WHERE scope = ? AND metric = ?", [scope, metric])
  }

  /// Keys of the stored runs as records without metrics, sorted by (point, replication).
  func recordsWithoutMetrics() throws -> [RunRecord] {
    try records(where: "WHERE 0", [])
  }

  /// Calls `body` with the records of each point in turn (points ascending, records by
  /// replication), holding one point's records at a time: memory stays bounded by the largest
  /// point, whatever the campaign's size.
  public func forEachPoint(_ body: (Int, [RunRecord]) throws -> Void) throws {
    let points = try wrap(directory.path) {
      try db.read { try Int.fetchAll($0, sql: "SELECT DISTINCT point FROM runs ORDER BY point") }
    }
    for point in points {
      try body(point, try records(where: "WHERE point = ?", [point], runsWhere: "WHERE point = ?"))
    }
  }

  /// Every stored record, sorted by (point, replication), metrics in their original order.
  public func records() throws -> [RunRecord] {
    try records(where: "", [])
  }

  private func records(
    where metricFilter: String, _ arguments: StatementArguments, runsWhere: String = ""
  ) throws -> [RunRecord] {
    let runArguments: StatementArguments = runsWhere.isEmpty ? [] : arguments
    let metricArguments = arguments
    return try wrap(directory.path) {
      try db.read { db in
        var records: [RunRecord] = []
        var index: [RunKey: Int] = [:]
        let runs = try Row.fetchCursor(
          db,
          sql:
            "SELECT point, replication, seed, wall_seconds FROM runs \(runsWhere) ORDER BY point, replication",
          arguments: runArguments)
        while let row = try runs.next() {
          let seedText: String = row["seed"]
          guard let seed = UInt64(seedText) else {
            throw CampaignError.store(directory: directory.path, message: "bad seed '\(seedText)'")
          }
          let r = RunRecord(
            point: row["point"], replication: row["replication"], seed: seed,
            wallSeconds: row["wall_seconds"], metrics: [])
          index[r.key] = records.count
          records.append(r)
        }
        let metrics = try Row.fetchCursor(
          db,
          sql: """
            SELECT point, replication, scope, metric, unit, value FROM metrics \(metricFilter)
            ORDER BY point, replication, ordinal
            """, arguments: metricArguments)
        while let row = try metrics.next() {
          let key = RunKey(point: row["point"], replication: row["replication"])
          guard let i = index[key] else { continue }
          let value: Double? = row["value"]
          records[i].metrics.append(
            MetricRow(scope: row["scope"], metric: row["metric"], unit: row["unit"], value: value ?? .nan))
        }
        return records
      }
    }
  }

  /// The scenario hash each stored run was made with, by key (differs from the plan's only
  /// after an allowed mismatch).
  public func scenarioHashes() throws -> [RunKey: String] {
    try wrap(directory.path) {
      try db.read { db in
        var out: [RunKey: String] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT point, replication, scenario_hash FROM runs")
        while let row = try rows.next() {
          out[RunKey(point: row["point"], replication: row["replication"])] = row["scenario_hash"]
        }
        return out
      }
    }
  }

  // MARK: Internals

  /// Connects to the database of `directory`, creating its tables when `create` is true.
  ///
  /// Only the creator switches the file to WAL (a persistent mode, so later connections find it
  /// set): a reader that did so too could make the creator's `PRAGMA journal_mode = WAL` fail
  /// with SQLITE_BUSY, which SQLite returns at once without calling the busy handler. For the
  /// same reason the creator retries that step for up to 30 s while readers hold the file.
  private static func connect(_ directory: URL, create: Bool) throws -> DatabaseQueue {
    var config = Configuration()
    config.journalMode = create ? .wal : .default
    config.busyMode = .timeout(30)
    config.prepareDatabase { db in
      try db.execute(sql: "PRAGMA synchronous = FULL")
      try db.execute(sql: "PRAGMA foreign_keys = ON")
    }
    let path = directory.appendingPathComponent(databaseName).path
    let deadline = Date().addingTimeInterval(30)
    var queue: DatabaseQueue
    while true {
      do {
        queue = try DatabaseQueue(path: path, configuration: config)
        break
      } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
        usleep(10_000)
      } catch let error where create && vanishedWAL(error) && Date() < deadline {
        // GRDB's WAL set-up checks that the -wal file exists, then reads its size; a reader
        // closing in between as the last connection deletes that file, and the size read throws
        // "no such file". The next attempt finds the mode already set and goes on.
        usleep(10_000)
      }
    }
    if create {
      // One IMMEDIATE transaction: two processes creating the same campaign cannot race.
      try queue.write { db in
        try db.execute(
          sql: """
            CREATE TABLE IF NOT EXISTS manifest (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS runs (
              point INTEGER NOT NULL,
              replication INTEGER NOT NULL,
              seed TEXT NOT NULL,
              wall_seconds REAL NOT NULL,
              scenario_hash TEXT NOT NULL,
              PRIMARY KEY (point, replication)
            );
            CREATE TABLE IF NOT EXISTS metrics (
              point INTEGER NOT NULL,
              replication INTEGER NOT NULL,
              ordinal INTEGER NOT NULL,
              scope TEXT NOT NULL,
              metric TEXT NOT NULL,
              unit TEXT NOT NULL,
              value REAL,
              PRIMARY KEY (point, replication, ordinal),
              FOREIGN KEY (point, replication) REFERENCES runs (point, replication) ON DELETE CASCADE
            );
            """)
      }
    }
    return queue
  }

  private static func insert(_ record: RunRecord, scenarioHash: String, into db: Database, source: String)
    throws
    -> InsertOutcome
  {
    let exists =
      try Int.fetchOne(
        db, sql: "SELECT count(*) FROM runs WHERE point = ? AND replication = ?",
        arguments: [record.point, record.replication]) ?? 0
    if exists > 0 {
      let stored = try fetchRecord(db, key: record.key)
      if let stored, stored.isSameResult(as: record) { return .identicalDuplicate }
      throw CampaignError.conflictingResults(
        point: record.point, replication: record.replication, sources: [source])
    }
    try db.execute(
      sql: "INSERT INTO runs (point, replication, seed, wall_seconds, scenario_hash) VALUES (?, ?, ?, ?, ?)",
      arguments: [record.point, record.replication, String(record.seed), record.wallSeconds, scenarioHash])
    for (ordinal, m) in record.metrics.enumerated() {
      try db.execute(
        sql: """
          INSERT INTO metrics (point, replication, ordinal, scope, metric, unit, value)
          VALUES (?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          record.point, record.replication, ordinal, m.scope, m.metric, m.unit, m.value.isNaN ? nil : m.value,
        ])
    }
    return .inserted
  }

  private static func fetchRecord(_ db: Database, key: RunKey) throws -> RunRecord? {
    guard
      let run = try Row.fetchOne(
        db, sql: "SELECT seed, wall_seconds FROM runs WHERE point = ? AND replication = ?",
        arguments: [key.point, key.replication])
    else { return nil }
    let seedText: String = run["seed"]
    var record = RunRecord(
      point: key.point, replication: key.replication, seed: UInt64(seedText) ?? 0,
      wallSeconds: run["wall_seconds"], metrics: [])
    let rows = try Row.fetchAll(
      db,
      sql: """
        SELECT scope, metric, unit, value FROM metrics WHERE point = ? AND replication = ?
        ORDER BY ordinal
        """, arguments: [key.point, key.replication])
    for row in rows {
      let value: Double? = row["value"]
      record.metrics.append(
        MetricRow(scope: row["scope"], metric: row["metric"], unit: row["unit"], value: value ?? .nan))
    }
    return record
  }

  private static func setManifest(_ db: Database, _ key: String, _ value: String) throws {
    try db.execute(
      sql:
        "INSERT INTO manifest (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      arguments: [key, value])
  }

  private static func readManifestPlan(_ db: Database, directory: String) throws -> CampaignPlan? {
    guard let text = try String.fetchOne(db, sql: "SELECT value FROM manifest WHERE key = 'plan'") else {
      return nil
    }
    let plan: CampaignPlan
    do {
      plan = try JSONDecoder().decode(CampaignPlan.self, from: Data(text.utf8))
    } catch {
      throw CampaignError.store(directory: directory, message: "the manifest's plan cannot be read: \(error)")
    }
    // A stored plan is outside input too: one the runner would refuse (e.g. a confidence level
    // of 1.95, found by fuzz-campaign) used to reach the summaries' preconditions and trap.
    do {
      try plan.validate()
    } catch {
      throw CampaignError.store(directory: directory, message: "the manifest's plan is invalid: \(error)")
    }
    return plan
  }

  private static func encodePlan(_ plan: CampaignPlan) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(plan), as: UTF8.self)
  }

  /// Runs `body`, turning GRDB errors into `CampaignError.store`.
  private static func wrap<T>(_ directory: String, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as CampaignError {
      throw error
    } catch {
      throw CampaignError.store(directory: directory, message: String(describing: error))
    }
  }

  private func wrap<T>(_ directory: String, _ body: () throws -> T) throws -> T {
    try Self.wrap(directory, body)
  }
}
