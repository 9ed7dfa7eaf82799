import Platforms
import SimCore

extension ScenarioSchema {
  /// The value of the numeric declared key `key` in a resolved scenario, in the key's base
  /// unit (as `DeclaredParameter.unit`): what a fit starts from. nil for keys that are not
  /// numeric, are `off`, or are per-router (`routers.each.*`, which hold one value per router).
  public static func value(of key: String, in spec: ScenarioSpec) -> Double? {
    let lists = [
      BoundKeys.host, BoundKeys.nic, BoundKeys.credit, BoundKeys.credit2, BoundKeys.cfs, BoundKeys.vmware,
      BoundKeys.dom0, BoundKeys.bridge, BoundKeys.run, BoundKeys.profile,
    ]
    for list in lists {
      guard let s = list.first(where: { $0.key == key }) else { continue }
      switch s.value(in: spec) {
      case .integer(let x): return Double(x)
      case .real(let x): return x
      case .boolean, .text, .off: return nil
      }
    }
    return nil
  }
}
