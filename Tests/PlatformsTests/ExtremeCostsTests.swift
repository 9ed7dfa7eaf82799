import Foundation
import Platforms
import Scenario
import SimCore
import Testing

/// Every cost at its declared range's end, on every platform and in every mode: a run gives a
/// result whose figures are finite, rates and times >= 0, shares of a CPU and fractions in
/// [0, 1] and domains' CPU within the host's CPUs. The CI's subset of
/// scripts/extremes-sweep.py (which moves each key alone, on the default scenario, through
/// `vrsim run`; validation/extremes-sweep.md): here all of a platform's costs at once, at their
/// bottoms, then at their tops, over ProfileKeyUseTests' scenarios (3 ms runs, every mode).
/// Keys at their ends together can hide one key's own extreme (generator_start's 10^8 cycles
/// weigh nothing over testbed_trial's 3,600 s), which is why the sweep moves each key alone.
@Suite("extreme costs: every key at its range's ends gives a sane result")
struct ExtremeCostsTests {
  /// Tolerance of the bounds: the rounding of an exact 1 or 0 after divisions of doubles.
  static let slack = 1e-9

  /// `base` with every cost at its range's bottom (`top` false) or top.
  static func extreme(top: Bool) -> CostProfile {
    var p = ProfileKeyUseTests.base
    for s in CostProfile.settings {
      switch s.domain {
      case .integer(let r, _): s.set(.integer(top ? r.upperBound : r.lowerBound), in: &p)
      case .real(let r, _): s.set(.real(top ? r.upperBound : r.lowerBound), in: &p)
      default: break
      }
    }
    return p
  }

  /// What in `result` (of a host of `cpus` CPUs) breaks the bounds, as texts naming the figure.
  static func violations(_ result: NetworkResult, cpus: Int) throws -> [String] {
    // the default encoder refuses a NaN or an infinity: that is the finiteness check
    let data: Data
    do { data = try JSONEncoder().encode(result) } catch { return ["a figure is not finite: \(error)"] }
    let fractions: Set<String> = [
      "lossFraction", "pcpuUtilisation", "pcpuBusyExact", "busy", "softirq", "system", "user", "thread",
      "jainIndex", "share",
    ]
    var found: [String] = []
    func walk(_ v: Any, _ path: String, _ key: String) {
      if let d = v as? [String: Any] {
        for (k, x) in d { walk(x, path + "." + k, path.hasSuffix("cpuShare") ? "cpuShare" : k) }
      } else if let a = v as? [Any] {
        for (i, x) in a.enumerated() { walk(x, "\(path)[\(i)]", key) }
      } else if let x = v as? Double {
        if x < 0 { found.append("\(path) = \(x) < 0") }
        if fractions.contains(key) && x > 1 + slack { found.append("\(path) = \(x) > 1") }
        if key == "cpuShare" && x > Double(cpus) + slack { found.append("\(path) = \(x) > \(cpus) CPUs") }
      }
    }
    walk(try JSONSerialization.jsonObject(with: data), "result", "")
    return found
  }

  @Test(
    "all of a platform's costs at their bottoms, then at their tops: finite, >= 0, shares <= 1",
    arguments: PlatformKind.allCases)
  func extremes(kind: PlatformKind) throws {
    for top in [false, true] {
      let costs = Self.extreme(top: top)
      for overrides in ProfileKeyUseTests.scenarios(kind) {
        let run = try ProfileKeyUseTests.Run(overrides)
        var c = costs
        for (setting, value) in run.own { setting.set(value, in: &c) }
        let spec = try run.spec.platformSpec(profile: c)
        let host = try RouterHost(spec: spec, seed: 1)
        let r = host.run(duration: run.spec.run.duration, warmup: run.spec.run.warmup)
        for v in try Self.violations(r, cpus: spec.host.cpus) {
          Issue.record("\(kind.rawValue), costs at their \(top ? "tops" : "bottoms"), \(overrides): \(v)")
        }
      }
    }
  }

  @Test("the checker finds what it checks: a share above 1, a negative rate, a CPU share above the host's")
  func checkerFindsViolations() throws {
    let run = try ProfileKeyUseTests.Run(ProfileKeyUseTests.scenarios(.native)[0])
    let host = try RouterHost(spec: try run.spec.platformSpec(profile: ProfileKeyUseTests.base), seed: 1)
    var r = host.run(duration: run.spec.run.duration, warmup: run.spec.run.warmup)
    #expect(try Self.violations(r, cpus: 2).isEmpty)
    r.pcpuUtilisation[0] = 1.5
    r.aggregate.forwardedPps = -1
    r.cpuShare["dom0"] = 3
    r.jainIndex = .nan
    #expect(try Self.violations(r, cpus: 2).count == 1, "NaN: the encoding fails, one finding")
    r.jainIndex = 1
    let found = try Self.violations(r, cpus: 2)
    #expect(found.count == 3, "\(found)")
  }
}
