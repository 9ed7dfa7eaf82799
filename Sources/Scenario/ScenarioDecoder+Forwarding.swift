import Platforms
import SettingText
import SimCore

// The host's forwarding mode (`host.forwarding`) and its old spellings: `testbed.forwarding`
// and `profile.netns_forwarding` in a scenario (or `--set`) are read as aliases that warn; in
// a profile file `netns_forwarding` is read only for the rule that says it is not used
// (ScenarioRules). docs/DESIGN.md, "Settings are declared once", says why.

extension ScenarioDecoder {
  /// The mode written under the old key `key` of `node` (concrete path `concrete`), if any;
  /// a value that is not a mode is reported at its place and gives nil.
  mutating func statedForwarding(in node: YNode?, key: String, concrete: String) -> StatedForwarding? {
    guard let e = node?.entry(key) else { return nil }
    origins[concrete] = e.value.origin
    let domain = SettingDomain.choice(NetnsForwarding.allCases.map(\.rawValue))
    switch domain.parse(e.value) {
    case .success(.text(let t)):
      guard let mode = NetnsForwarding(rawValue: t) else { return nil }
      return StatedForwarding(key: concrete, mode: mode, origin: e.value.origin)
    case .success: return nil
    case .failure(let list):
      for p in list.problems {
        report(p.origin ?? e.value.origin, concrete + p.pathSuffix, p.message, p.allowed)
      }
      return nil
    }
  }

  /// The host's forwarding mode: `host.forwarding` when written (`written`, value `mode`),
  /// else the first old spelling the scenario gives, else the default. Each old spelling is a
  /// warning naming its place and what to write instead; one that disagrees with the mode
  /// stated first (host.forwarding, then testbed.forwarding, then profile.netns_forwarding) is
  /// an error at its place. When an old spelling decides, `host.forwarding`'s rules are
  /// reported there.
  mutating func resolveForwarding(_ mode: NetnsForwarding, written: Bool) -> NetnsForwarding {
    var first: StatedForwarding? =
      written ? StatedForwarding(key: "host.forwarding", mode: mode, origin: origin("host.forwarding")) : nil
    // at most one of each old key: testbed.forwarding before profile.netns_forwarding
    let aliases =
      forwardingAliases.filter { $0.key == "testbed.forwarding" }
      + forwardingAliases.filter { $0.key != "testbed.forwarding" }
    for alias in aliases {
      let v = alias.mode.rawValue
      warnings.append(
        "\(alias.place): \(alias.key): the old spelling of host.forwarding (the forwarding mode is the "
          + "host's, read by the model and the testbed alike); write host: {forwarding: \(v)} "
          + "(--set host.forwarding=\(v)) instead")
      guard let stated = first else {
        first = alias
        origins["host.forwarding"] = alias.origin
        continue
      }
      if stated.mode != alias.mode {
        report(
          alias.origin, alias.key,
          "'\(v)' disagrees with \(stated.key) ('\(stated.mode.rawValue)' at \(stated.place))",
          "\(stated.mode.rawValue), as \(stated.key) says; better: only host.forwarding")
      }
    }
    return first?.mode ?? mode
  }
}
