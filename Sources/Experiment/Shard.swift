/// A deterministic slice of a campaign, so several machines (or a Slurm job array) can split
/// it: shard k of n runs the (point, replication) pairs it `owns`, and `CampaignStore.merge`
/// joins the shards' directories afterwards.
///
/// Ownership depends only on (point, replication, policy), never on timing:
/// - fixed replications: pair (p, r) belongs to shard `(p + r) mod n`, which balances both
///   many points with few replications and one point with many;
/// - stopping rule: all of point p belongs to shard `p mod n` (the rule decides per point, from
///   that point's replications).
public struct Shard: Sendable, Equatable, CustomStringConvertible {
  /// 0-based shard number, `0 ..< count`.
  public var index: Int
  /// Number of shards.
  public var count: Int

  /// Shard `index` (0-based) of `count`. - Precondition: `0 <= index < count`.
  public init(index: Int, count: Int) {
    precondition(count >= 1 && index >= 0 && index < count, "shard \(index) of \(count)")
    self.index = index
    self.count = count
  }

  /// Parses the command-line form `k/n`, 1-based (`1/4` ... `4/4`).
  public init(parsing text: String) throws {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 1, k <= n else {
      throw CampaignError.invalidShard(text)
    }
    self.init(index: k - 1, count: n)
  }

  /// The whole campaign (shard 1/1).
  public static let all = Shard(index: 0, count: 1)

  /// True when this shard runs replication `replication` of point `point` under `policy`.
  public func owns(point: Int, replication: Int, policy: ReplicationPolicy) -> Bool {
    switch policy {
    case .fixed: (point + replication) % count == index
    case .stoppingRule: point % count == index
    }
  }

  /// `k/n`, 1-based.
  public var description: String { "\(index + 1)/\(count)" }
}
