import Platforms
import SettingText
import SimCore

// The netns generator (`host.generator`) and its UDP receivers' CPU (`host.udp_receiver_cpu`),
// and their old spellings: profiles held them as `generator_socket` and `udp_receiver_cpu`. In
// a scenario (or `--set`) `profile.generator_socket` and `profile.udp_receiver_cpu` are read as
// aliases that warn; in a profile file they are read only to warn that they are not used (the
// testbed never reads profile files: a profile that picked the sender would have `vrsim run`
// and `vrsim testbed run` of one scenario run different generators). docs/DESIGN.md,
// "Settings are declared once", says why.

/// A profile key retired to a host key: its old name, the host key it became, the old
/// domain, and how an old value is written under the new key.
struct RetiredProfileKey: Sendable {
  /// The key in a profile (`generator_socket`).
  let key: String
  /// The host key it became (`generator`: `host.generator`).
  let hostKey: String
  /// The values the old key took.
  let domain: SettingDomain
  /// The old value written under the new key (nil: not a value of the old key).
  let translate: @Sendable (SettingValue) -> String?

  /// `generator_socket` (packet | udp): `host.generator` (trafgen | iperf3).
  static let generatorSocket = RetiredProfileKey(
    key: "generator_socket", hostKey: "generator", domain: .choice(["packet", "udp"]),
    translate: { v in
      guard case .text(let t) = v else { return nil }
      return t == "udp"
        ? TrafficGenerator.iperf3.rawValue : t == "packet" ? TrafficGenerator.trafgen.rawValue : nil
    })
  /// `udp_receiver_cpu`: `host.udp_receiver_cpu` (the same CPU index).
  static let udpReceiverCPU = RetiredProfileKey(
    key: "udp_receiver_cpu", hostKey: "udp_receiver_cpu", domain: .integer(0...63, .count),
    translate: { v in
      guard case .integer(let n) = v else { return nil }
      return String(n)
    })

  /// Every retired profile key that became a host key.
  static let all = [generatorSocket, udpReceiverCPU]

  /// The old key's choices (for its declaration).
  var choices: [String] {
    if case .choice(let c) = domain { return c }
    return []
  }

  /// The host key's full path (`host.generator`).
  var newKey: String { "host.\(hostKey)" }
}

/// A value written under a retired profile key (in a scenario, `--set` or a profile file),
/// in the new key's spelling, with where it was written.
struct StatedAlias: Sendable {
  /// The key as written, e.g. `profile.generator_socket`.
  var key: String
  /// The value as written under the old key (`udp`).
  var written: String
  /// The same value under the new key (`iperf3`).
  var value: String
  /// Where its value was written.
  var origin: SourceOrigin

  /// `file:line:column` of the value.
  var place: String { "\(origin.file):\(origin.line):\(origin.column)" }
}

extension ScenarioDecoder {
  /// The value written under the retired key `retired` of `node` (concrete path `concrete`),
  /// if any; a value the old key did not take is reported at its place and gives nil.
  mutating func statedAlias(_ retired: RetiredProfileKey, in node: YNode?, concrete: String) -> StatedAlias? {
    guard let e = node?.entry(retired.key) else { return nil }
    origins[concrete] = e.value.origin
    switch retired.domain.parse(e.value) {
    case .success(let v):
      guard let value = retired.translate(v) else { return nil }
      return StatedAlias(
        key: concrete, written: e.value.scalar ?? value, value: value, origin: e.value.origin)
    case .failure(let list):
      for p in list.problems {
        report(p.origin ?? e.value.origin, concrete + p.pathSuffix, p.message, p.allowed)
      }
      return nil
    }
  }

  /// The host key `retired` became: its value as written (`written`, text `value`), else the
  /// value of the scenario's old spelling, else nil (the default stands). The old spelling
  /// is a warning naming its place and what to write instead; a value that disagrees with
  /// the host key is an error at its place. When the old spelling decides, the host key's
  /// rules are reported there.
  mutating func resolveAlias(_ retired: RetiredProfileKey, value: String, written: Bool) -> String? {
    guard let alias = hostAliases.first(where: { $0.key == "profile.\(retired.key)" }) else { return nil }
    let new = retired.newKey
    warnings.append(
      "\(alias.place): \(alias.key): the old spelling of \(new) (a setting of the run read by the model and "
        + "the testbed alike, not a cost); write host: {\(retired.hostKey): \(alias.value)} "
        + "(--set \(new)=\(alias.value)) instead")
    guard written else {
      origins[new] = alias.origin
      return alias.value
    }
    if alias.value != value {
      let at = origin(new)
      report(
        alias.origin, alias.key,
        "'\(alias.written)' (\(new) \(alias.value)) disagrees with \(new) ('\(value)' at \(at.file):\(at.line):\(at.column))",
        "a value meaning \(new) \(value); better: only \(new)")
    }
    return nil
  }

  /// `host.generator` and `host.udp_receiver_cpu` of `host`, with the scenario's old
  /// spellings (`profile.generator_socket`, `profile.udp_receiver_cpu`) applied where the new
  /// key is not written.
  mutating func resolveGenerator(_ host: HostSpec, hostNode: YNode?) -> HostSpec {
    var out = host
    if let v = resolveAlias(
      .generatorSocket, value: host.generator.rawValue, written: isGiven("generator", in: hostNode)),
      let g = TrafficGenerator(rawValue: v)
    {
      out.generator = g
    }
    udpReceiverCPUGiven =
      isGiven("udp_receiver_cpu", in: hostNode)
      || hostAliases.contains { $0.key == "profile.\(RetiredProfileKey.udpReceiverCPU.key)" }
    if let v = resolveAlias(
      .udpReceiverCPU, value: String(host.udpReceiverCPU), written: isGiven("udp_receiver_cpu", in: hostNode)),
      let cpu = Int(v)
    {
      out.udpReceiverCPU = cpu
    }
    return out
  }

  /// The warnings for the retired keys a profile file states (`file`'s `root`): never read,
  /// each named with its place and what to write in the scenario instead.
  mutating func retiredProfileWarnings(in root: YNode) -> [String] {
    RetiredProfileKey.all.compactMap { retired in
      guard let alias = statedAlias(retired, in: root, concrete: retired.key) else { return nil }
      return
        "\(alias.place): \(retired.key): not read: \(retired.newKey) is now a setting of the scenario (read by "
        + "the model and the testbed alike; the testbed never reads profile files), not a cost: this profile's "
        + "'\(alias.written)' is never used, the run uses the scenario's \(retired.newKey); write host: "
        + "{\(retired.hostKey): \(alias.value)} in the scenario (--set \(retired.newKey)=\(alias.value)) to run "
        + "as this profile was fitted, and remove the key from the profile"
    }
  }
}
