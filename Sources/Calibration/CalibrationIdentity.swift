import Foundation
import Report
import Scenario

extension Calibrator {
  /// What makes two calibrations the same problem, for the checkpoint (`Calibrator.identity`):
  /// vrsim's version, the keys, overrides, seed and options, every training row with the hash
  /// of its scenario file, and the hash of the base profile file (`profile`, if given).
  public static func problemIdentity(
    version: String, rows: [MeasuredRow], keys: [String], overrides: [String], seed: UInt64?,
    options: Options, profile: String?
  ) -> String {
    var s = "vrsim \(version)\nkeys \(keys)\noverrides \(overrides)\nseed \(seed.map(String.init) ?? "-")\n"
    s +=
      "options \(options.restarts) \(options.simplexStep) \(options.simplexTolerance) \(options.simplexBudget) "
    s += "\(options.lmIterations) \(options.jacobianStep)\n"
    for r in rows {
      s += "\(r.location) \(r.experiment) \(r.scenario) \(r.set) \(r.scope) \(r.metric.name) \(r.value) "
      s += "\(String(describing: r.ci95Low)) \(String(describing: r.ci95High)) \(r.kind.rawValue)\n"
      if let p = r.scenarioPath, let d = FileManager.default.contents(atPath: p) {
        s += ScenarioLoader.sha256(String(decoding: d, as: UTF8.self)) + "\n"
      }
    }
    if let profile, let d = FileManager.default.contents(atPath: profile) {
      s += ScenarioLoader.sha256(String(decoding: d, as: UTF8.self)) + "\n"
    }
    return s
  }
}
