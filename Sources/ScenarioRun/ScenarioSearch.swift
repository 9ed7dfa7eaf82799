import Experiment
import Foundation
import Platforms
import Report
import Scenario
import SimCore

/// The simulator's throughput search over a scenario's total offered rate (`vrsim search`):
/// the options' parsing, the rate overrides that set a total while keeping the flows'
/// proportions, the simulator as a `ThroughputMeasurer`, and the report. The search itself is
/// the shared core's bisection (`ThroughputSearch.find`).
public enum ScenarioSearch {
  /// The options of one search, as typed (nil: the scenario's `search:` section, else the
  /// defaults).
  public struct Options: Sendable {
    /// The scenario file (nil: the built-in default scenario).
    public var file: String?
    /// `--set` overrides.
    public var overrides: [String]
    /// Lowest and highest total rate, with units (`50kpps`).
    public var low: String?
    /// See `low`.
    public var high: String?
    /// A rate (`1kpps`) or a share (`1%`).
    public var resolution: String?
    /// The loss bound, a percentage (`0.1%`).
    public var maxLoss: String?

    /// Creates the options.
    public init(
      file: String?, overrides: [String], low: String?, high: String?, resolution: String?, maxLoss: String?
    ) {
      self.file = file
      self.overrides = overrides
      self.low = low
      self.high = high
      self.resolution = resolution
      self.maxLoss = maxLoss
    }

    /// Checks every option that needs no scenario (a usage error names the option).
    public func validate() throws {
      if let low { _ = try ScenarioSearch.parseRate(low, option: "--low") }
      if let high { _ = try ScenarioSearch.parseRate(high, option: "--high") }
      if let resolution { _ = try ScenarioSearch.parseResolution(resolution) }
      if let maxLoss { _ = try ScenarioSearch.parseLoss(maxLoss) }
      if let low, let high {
        try ScenarioSearch.checkRange(
          low: Double(try ScenarioSearch.parseRate(low, option: "--low")),
          high: Double(try ScenarioSearch.parseRate(high, option: "--high")))
      }
    }
  }

  /// The `--set` overrides that make the total offered rate of `spec` equal `total` pps,
  /// keeping the flows' proportions (a flow `to: each` gets its share divided by the router
  /// count).
  public static func rateOverrides(_ spec: ScenarioSpec, total: Double) -> [String] {
    let perFlow = spec.traffic.map { $0.rate.packetsPerSecond(meanFrameBytes: $0.frame.meanBytes) }
    let multiplicity = spec.traffic.map { $0.target == .each ? Double(spec.routers.count) : 1 }
    let weights = zip(perFlow, multiplicity).map { $0 * $1 }
    let sum = weights.reduce(0, +)
    var out: [String] = []
    for i in spec.traffic.indices {
      let share = sum > 0 ? weights[i] / sum : 1 / Double(spec.traffic.count)
      let pps = max(1, (total * share / multiplicity[i]).rounded())
      out.append("traffic[\(i)].rate=\(Int64(pps))pps")
    }
    return out
  }

  /// The scenario's resolution as the search core's.
  public static func resolution(_ r: SearchResolution) -> ThroughputSearch.Resolution {
    switch r {
    case .packetsPerSecond(let p): .absolute(Double(p))
    case .relative(let share): .relative(share)
    }
  }

  /// The simulator as a measurer: one replication of the scenario (one sweep point's
  /// assignments, fixed seed) per trial, with the traffic set to the trial's total rate.
  /// The loss is the aggregate's dropped share; a netns sender is closed-loop (an overloaded
  /// path slows it instead of dropping), so, as the testbed's `loss_vs_target`, frames not
  /// forwarded at the rate asked for count as lost beyond a 1% shortfall (the rate's timing
  /// accuracy). Each rate is simulated once (cached: both passes of a relative search share it).
  public final class SimulatedMeasurer: ThroughputMeasurer {
    let file: String?
    let overrides: [String]
    let point: SweepPoint
    let profile: CostProfile
    let seed: UInt64
    /// Each rate's offered and forwarded rate and loss, pps and fraction.
    public private(set) var cache: [Double: (offered: Double, forwarded: Double, loss: Double)] = [:]

    /// A measurer of `point` of the scenario `file` with `overrides`.
    public init(file: String?, overrides: [String], point: SweepPoint, profile: CostProfile, seed: UInt64) {
      self.file = file
      self.overrides = overrides
      self.point = point
      self.profile = profile
      self.seed = seed
    }

    public func measure(load rate: Double, duration: Double?) throws -> ThroughputTrialResult {
      if let c = cache[rate] {
        return ThroughputTrialResult(
          lossRatio: c.loss, shortfall: 0, forwardingRate: c.forwarded, offered: c.offered)
      }
      let assignments = point.assignments.map { "\($0.keyPath)=\($0.value)" }
      let spec = try ScenarioRunner.load(
        file: file, overrides: overrides + assignments + ScenarioSearch.rateOverrides(point.spec, total: rate)
      )
      let rows = try ScenarioRunner.simulate(spec, profile: profile, seed: seed, replication: 0)
      func value(_ metric: String) -> Double {
        rows.first { $0.scope == "aggregate" && $0.metric == metric }?.value ?? .nan
      }
      let offered = value(Metric.offeredPps.name)
      let dropped = value(Metric.droppedPps.name)
      var loss = offered > 0 ? dropped / offered : value(Metric.loss.name)
      if point.spec.platform.hasOwnGenerator {
        let shortfall = max(0, 1 - value(Metric.forwardedPps.name) / rate)
        if shortfall > 0.01 { loss = max(loss, shortfall) }
      }
      cache[rate] = (offered, value(Metric.forwardedPps.name), loss)
      return ThroughputTrialResult(
        lossRatio: loss, shortfall: 0, forwardingRate: value(Metric.forwardedPps.name), offered: offered)
    }
  }

  /// Runs `vrsim search`: one bisection per sweep point (swept traffic rates are replaced by
  /// the search), writing its report through `write` (text with its newlines).
  public static func run(_ o: Options, version: String, write: (String) -> Void) throws {
    let base = try ScenarioRunner.load(file: o.file, overrides: o.overrides)
    guard !base.traffic.isEmpty else {
      throw ScenarioRunError(
        "the scenario has no traffic to search over; allowed: at least one traffic flow", exitCode: 2)
    }
    let frame = base.traffic[0].frame.meanBytes
    let line = Double(base.host.nic.rateBitsPerSecond) / ((frame + 20) * 8)
    let lowRate =
      try o.low.map { Double(try parseRate($0, option: "--low")) }
      ?? (base.search?.low ?? SearchSpec.defaultLow).packetsPerSecond(meanFrameBytes: frame)
    let highRate =
      try o.high.map { Double(try parseRate($0, option: "--high")) }
      ?? base.search.map { $0.high.packetsPerSecond(meanFrameBytes: frame) } ?? line.rounded(.down)
    let res = try o.resolution.map { try parseResolution($0) } ?? base.search?.resolution ?? .relative(0.01)
    let maxLossFraction = try o.maxLoss.map { try parseLoss($0) } ?? base.search?.maxLoss ?? 0
    try checkRange(low: lowRate, high: highRate)
    let profile = ScenarioRunner.profile(for: base)
    let collapsed = try ScenarioRunner.load(
      file: o.file, overrides: o.overrides + rateOverrides(base, total: lowRate))
    let plan = ScenarioRunner.plan(collapsed, replications: 1, version: version)
    write("search: \(base.name): highest total offered rate with loss <= \(percentText(maxLossFraction))\n")
    write(
      "range \(rateText(lowRate)) to \(rateText(highRate)), resolution \(resolutionText(res)), "
        + "one replication of \(collapsed.run.duration) after \(collapsed.run.warmup) warm-up per trial\n")
    let hidden = Double(collapsed.host.nic.rxRing) / collapsed.run.duration.seconds
    write(
      "note: a trial counts only dropped packets as lost; queues (rx ring \(collapsed.host.nic.rxRing)) can "
        + "hide up to \(rateText(hidden)) of excess over \(collapsed.run.duration); lengthen run.duration to shrink it\n"
    )
    for point in collapsed.sweepPoints() {
      let assignments = point.assignments.map { "\($0.keyPath)=\($0.value)" }
      let measurer = SimulatedMeasurer(
        file: o.file, overrides: o.overrides, point: point, profile: profile,
        seed: plan.seed(point: point.index, replication: 0))
      let result = try ThroughputSearch.find(
        low: lowRate, high: highRate, resolution: resolution(res), maxLossFraction: maxLossFraction,
        measurer: measurer)
      write("\n")
      let label = assignments.isEmpty ? "" : " (\(assignments.joined(separator: ", ")))"
      let n = point.spec.routers.count
      let setting = "\(point.spec.platform.rawValue), \(n) router\(n == 1 ? "" : "s")"
      if let rate = result.rate {
        if rate >= highRate {
          write(
            "throughput\(label), \(setting): >= \(rateText(rate)) (no loss above the limit up to --high)\n")
        } else {
          write(
            "throughput\(label), \(setting): \(rateText(rate)), resolution \(rateText(result.resolution)) "
              + "(threshold in [\(rateText(rate)), \(rateText(rate + result.resolution))])\n")
        }
      } else {
        write("throughput\(label), \(setting): below \(rateText(lowRate)) (even --low loses too much)\n")
      }
      var table = Table(columns: [
        .init("trial", alignment: .right), .init("requested", alignment: .right),
        .init("offered", alignment: .right), .init("forwarded", alignment: .right),
        .init("loss", alignment: .right), .init("result"),
      ])
      for (i, t) in result.trials.enumerated() {
        table.append([
          "\(i + 1)", rateText(t.requested), rateText(t.offered),
          rateText(measurer.cache[t.requested]?.forwarded ?? .nan), percentText(t.lossFraction),
          t.passed ? "pass" : "fail",
        ])
      }
      write(table.render())
    }
  }

  /// Units of `--low`, `--high` and an absolute `--resolution`.
  public static let rateUnits: [(String, Int64)] = [("pps", 1), ("kpps", 1_000), ("Mpps", 1_000_000)]

  /// A rate with its unit, above 0.
  public static func parseRate(_ text: String, option: String) throws -> Int64 {
    do {
      let v = try QuantityParser.parse(text, kind: "packet rate", units: rateUnits, allowNegative: false)
      guard v > 0 else { throw ScenarioRunError("\(option) '\(text)' must be above 0pps") }
      return v
    } catch let e as ScenarioRunError { throw e } catch { throw ScenarioRunError("\(option): \(error)") }
  }

  /// A resolution: a rate with its unit or a percentage.
  public static func parseResolution(_ text: String) throws -> SearchResolution {
    let t = text.trimmingCharacters(in: .whitespaces)
    if t.hasSuffix("%") {
      let share = try parsePercent(t, option: "--resolution")
      guard share > 0 && share < 1 else {
        throw ScenarioRunError("--resolution '\(text)' is out of range; allowed: above 0% and below 100%")
      }
      return .relative(share)
    }
    do {
      let v = try QuantityParser.parse(t, kind: "resolution", units: rateUnits, allowNegative: false)
      guard v > 0 else { throw ScenarioRunError("--resolution '\(text)' must be above 0pps") }
      return .packetsPerSecond(v)
    } catch let e as ScenarioRunError { throw e } catch {
      throw ScenarioRunError("--resolution: \(error) or a percentage (e.g. 1%)")
    }
  }

  /// The loss limit as a fraction: 0% to 100%, as the scenario key search.max_loss.
  public static func parseLoss(_ text: String) throws -> Double {
    let share = try parsePercent(text, option: "--max-loss")
    guard share <= 1 else {
      throw ScenarioRunError("--max-loss '\(text)' is out of range; allowed: 0% to 100%")
    }
    return share
  }

  /// A percentage with its unit ("0.5%") as a fraction; the `%` is required.
  static func parsePercent(_ text: String, option: String) throws -> Double {
    let t = text.trimmingCharacters(in: .whitespaces)
    do {
      let v = try QuantityParser.parse(t, kind: "percentage", units: [("%", 1_000_000)], allowNegative: false)
      return Double(v) / 100_000_000
    } catch { throw ScenarioRunError("\(option): \(error)") }
  }

  /// Refuses an empty or inverted search range (a usage error, exit code 2).
  public static func checkRange(low: Double, high: Double) throws {
    guard low < high else {
      throw ScenarioRunError(
        "the search range is empty: low \(rateText(low)) is not below high \(rateText(high)); "
          + "allowed: --low below --high (or search.low below search.high)",
        exitCode: 2)
    }
  }

  static func rateText(_ pps: Double) -> String {
    guard pps.isFinite else { return "-" }
    return "\(NumberFormatting.significant(pps.rounded(), digits: 12))pps"
  }

  static func percentText(_ fraction: Double) -> String {
    guard fraction.isFinite else { return "-" }
    return "\(NumberFormatting.significant(fraction * 100, digits: 4))%"
  }

  static func resolutionText(_ r: SearchResolution) -> String {
    switch r {
    case .packetsPerSecond(let p): "\(p)pps"
    case .relative(let share): "\(percentText(share)) of the rate"
    }
  }
}
