import Foundation

/// What `CampaignStore.merge` did.
public struct MergeSummary: Sendable, Equatable {
  /// Records newly written into the destination.
  public var added: Int
  /// Records found more than once with the same result (kept once).
  public var identicalDuplicates: Int
  /// Records in the destination after the merge.
  public var total: Int
}

extension CampaignStore {
  /// Joins the campaigns in `sources` (typically the shards of one campaign) into
  /// `destination`, which is created with the first source's plan when it does not exist.
  ///
  /// Every source (and an existing destination) must describe the same experiment as the first
  /// source (`CampaignPlan.mismatches`), else `CampaignError.scenarioMismatch` unless
  /// `allowMismatch`. A (point, replication) present several times is kept once when the
  /// results are the same, and is an error (`CampaignError.conflictingResults`, naming both
  /// directories) when they differ. All conflicts are checked before anything is written, and
  /// the new records are committed in one transaction: a failed merge changes nothing.
  public static func merge(sources: [URL], into destination: URL, allowMismatch: Bool = false) throws
    -> MergeSummary
  {
    guard let first = sources.first else {
      throw CampaignError.invalidPlan("merge needs at least one source campaign")
    }
    let firstStore = try CampaignStore.open(at: first)
    let plan = firstStore.plan
    var merged: [RunKey: (record: RunRecord, source: String)] = [:]
    var duplicates = 0

    func absorb(_ store: CampaignStore) throws {
      let diffs = plan.mismatches(with: store.plan)
      if !diffs.isEmpty && !allowMismatch {
        throw CampaignError.scenarioMismatch(directory: store.directory.path, differences: diffs)
      }
      for r in try store.records() {
        if let existing = merged[r.key] {
          guard existing.record.isSameResult(as: r) else {
            throw CampaignError.conflictingResults(
              point: r.point, replication: r.replication, sources: [existing.source, store.directory.path])
          }
          duplicates += 1
        } else {
          merged[r.key] = (r, store.directory.path)
        }
      }
    }

    let destinationExisted = exists(at: destination)
    var destinationKeys = Set<RunKey>()
    if destinationExisted {
      let dest = try CampaignStore.open(at: destination)
      try absorb(dest)
      destinationKeys = Set(merged.keys)
    }
    try absorb(firstStore)
    for source in sources.dropFirst() { try absorb(try CampaignStore.open(at: source)) }

    let target = try CampaignStore.open(
      at: destination, plan: plan, allowMismatch: allowMismatch, setAsideMismatched: false)
    let new = merged.filter { !destinationKeys.contains($0.key) }.map(\.value.record).sorted {
      $0.key < $1.key
    }
    try target.insertAll(new)
    return MergeSummary(added: new.count, identicalDuplicates: duplicates, total: try target.count())
  }
}
