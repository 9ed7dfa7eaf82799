import Report
import SimCore

/// One point of a sweep: its position in the plan and the settings that distinguish it.
public struct PlanPoint: Sendable, Hashable, Codable {
  /// Position of the point in `CampaignPlan.points` (0-based); results are keyed by it.
  public var index: Int
  /// The swept settings of this point, in the sweep's key order (empty for a single run).
  public var assignments: [Assignment]

  /// The point `index` with these settings.
  public init(index: Int, assignments: [Assignment] = []) {
    self.index = index
    self.assignments = assignments
  }
}

/// How many replications each point gets.
public enum ReplicationPolicy: Sendable, Equatable, Codable {
  /// Exactly this many replications per point (at least 1).
  case fixed(Int)
  /// Replications are added until the confidence interval is narrow enough (`StoppingRule`).
  case stoppingRule(StoppingRule)

  private enum CodingKeys: String, CodingKey { case kind, count, rule }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    switch try c.decode(String.self, forKey: .kind) {
    case "fixed": self = .fixed(try c.decode(Int.self, forKey: .count))
    case "stopping_rule": self = .stoppingRule(try c.decode(StoppingRule.self, forKey: .rule))
    case let other:
      throw DecodingError.dataCorruptedError(
        forKey: .kind, in: c, debugDescription: "unknown replication policy '\(other)'")
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    switch self {
    case .fixed(let n):
      try c.encode("fixed", forKey: .kind)
      try c.encode(n, forKey: .count)
    case .stoppingRule(let rule):
      try c.encode("stopping_rule", forKey: .kind)
      try c.encode(rule, forKey: .rule)
    }
  }

  /// The most replications a point can get under this policy.
  public var maxReplications: Int {
    switch self {
    case .fixed(let n): n
    case .stoppingRule(let rule): rule.maxReplications
    }
  }
}

/// How seeds vary across sweep points.
public enum SeedScheme: String, Sendable, Equatable, Codable {
  /// Each (point, replication) gets its own seed: points are statistically independent.
  case perPoint = "per_point"
  /// Replication r uses the same seed at every point (common random numbers): differences
  /// between points are estimated with less noise, since they see the same random draws.
  case commonRandomNumbers = "common_random_numbers"
}

/// Everything a campaign needs to run and to be recognised when resumed: the scenario (text
/// and hash), provenance (vrsim version, git commit), the master seed, the sweep points and the
/// replication policy.
///
/// Identity: two plans describe the same experiment when their scenario hash, master seed, seed
/// scheme and points agree (`mismatches(with:)`). The replication policy and the confidence
/// level may change between sessions (asking for more replications resumes the campaign).
///
/// Invariant (checked by `validate()`): `points[i].index == i`.
public struct CampaignPlan: Sendable, Equatable, Codable {
  /// The scenario as the user wrote it (after overrides), stored for provenance.
  public var scenarioText: String
  /// A hash of everything that changes results; by default `ScenarioHash.sha256(scenarioText)`.
  /// The caller should hash the scenario after applying command-line overrides.
  public var scenarioHash: String
  /// Version of the vrsim that made the plan.
  public var vrsimVersion: String
  /// Git commit of that vrsim, when known.
  public var gitCommit: String?
  /// The master seed every run seed derives from.
  public var masterSeed: UInt64
  /// How run seeds vary across points.
  public var seedScheme: SeedScheme
  /// The sweep points, in order (one point for a plain `run`).
  public var points: [PlanPoint]
  /// How many replications each point gets.
  public var replications: ReplicationPolicy
  /// Confidence level of the reported intervals and of the stopping rule, e.g. 0.95.
  public var confidenceLevel: Double

  /// A plan; `scenarioHash` defaults to the SHA-256 of `scenarioText`.
  public init(
    scenarioText: String, scenarioHash: String? = nil, vrsimVersion: String, gitCommit: String? = nil,
    masterSeed: UInt64, seedScheme: SeedScheme = .perPoint, points: [PlanPoint],
    replications: ReplicationPolicy, confidenceLevel: Double = 0.95
  ) {
    self.scenarioText = scenarioText
    self.scenarioHash = scenarioHash ?? ScenarioHash.sha256(scenarioText)
    self.vrsimVersion = vrsimVersion
    self.gitCommit = gitCommit
    self.masterSeed = masterSeed
    self.seedScheme = seedScheme
    self.points = points
    self.replications = replications
    self.confidenceLevel = confidenceLevel
  }

  /// Throws `CampaignError.invalidPlan` when the plan cannot be run: no points, indices out of
  /// order, fewer than one replication, a bad stopping rule or confidence level.
  public func validate() throws {
    func fail(_ why: String) -> CampaignError { .invalidPlan(why) }
    if points.isEmpty { throw fail("the plan has no points") }
    for (i, p) in points.enumerated() where p.index != i {
      throw fail("point at position \(i) has index \(p.index); indices must be 0, 1, 2, ...")
    }
    if !(confidenceLevel > 0 && confidenceLevel < 1) {
      throw fail("confidence level \(confidenceLevel) is not in (0, 1)")
    }
    switch replications {
    case .fixed(let n):
      if n < 1 { throw fail("replications must be at least 1, got \(n)") }
    case .stoppingRule(let rule):
      try rule.validate()
    }
  }

  /// The seed of replication `replication` of point `point`: SplitMix64 over (master seed,
  /// replication, point) through `RandomStreams.derive`, so it depends on nothing else (not on
  /// worker count, shard or order of execution). With `.commonRandomNumbers` the point is left
  /// out.
  public func seed(point: Int, replication: Int) -> UInt64 {
    switch seedScheme {
    case .perPoint:
      RandomStreams.derive(seed: masterSeed, replication: replication, name: "campaign/point/\(point)")
    case .commonRandomNumbers:
      RandomStreams.derive(seed: masterSeed, replication: replication, name: "campaign/crn")
    }
  }

  /// What differs between this plan and `other` in identity (scenario hash, master seed, seed
  /// scheme, points), one human-readable line each; empty when they describe the same experiment.
  public func mismatches(with other: CampaignPlan) -> [String] {
    var out: [String] = []
    if scenarioHash != other.scenarioHash {
      out.append("scenario hash \(scenarioHash) != \(other.scenarioHash)")
    }
    if masterSeed != other.masterSeed { out.append("master seed \(masterSeed) != \(other.masterSeed)") }
    if seedScheme != other.seedScheme {
      out.append("seed scheme \(seedScheme.rawValue) != \(other.seedScheme.rawValue)")
    }
    if points != other.points {
      out.append("sweep points differ (\(points.count) vs \(other.points.count) points)")
    }
    return out
  }

  /// Key facts for report metadata: scenario hash, master seed, seed scheme, vrsim version,
  /// git commit, confidence level.
  public var metadata: [String: String] {
    var m = [
      "scenario_hash": scenarioHash,
      "master_seed": String(masterSeed),
      "seed_scheme": seedScheme.rawValue,
      "vrsim_version": vrsimVersion,
      "confidence_level": NumberFormatting.exact(confidenceLevel),
    ]
    if let gitCommit { m["git_commit"] = gitCommit }
    return m
  }
}
