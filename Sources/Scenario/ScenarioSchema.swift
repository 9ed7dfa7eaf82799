import Foundation
import HostModel
import Platforms
import SettingText
import SimCore

/// A declared `Setting` seen at its full key path, type-erased: one row of the reference and
/// what the decoder looks a key up by. Derived from the declaration only (kind, doc and
/// calibration; the default read from the default resolved scenario, or its note).
struct SettingRow: Sendable {
  /// Abstract key path; list elements are written `[]`: `traffic[].rate`.
  let path: String
  /// Type and valid range.
  let kind: SettingDomain
  /// The default as YAML text, parsed with `kind` like a written value; nil when the
  /// default is described by `defaultNote`.
  let defaultText: String?
  /// How the default is chosen when it is not a constant.
  let defaultNote: String?
  /// What the key means.
  let doc: String
  /// Calibration bounds of a declared cost or option (nil: not a fit parameter).
  let calibration: CalibrationBounds?

  /// The row of `s` under `prefix`, its default read from `defaults`.
  init<Root>(_ prefix: String, _ s: Setting<Root>, defaults: Root) {
    path = prefix + s.key
    kind = s.domain
    defaultText = s.defaultNote == nil ? kind.text(of: s.value(in: defaults)) : nil
    defaultNote = s.defaultNote
    doc = s.doc
    calibration = s.calibration
  }

  /// The rows of `settings` under `prefix`.
  static func of<Root>(_ prefix: String, _ settings: [Setting<Root>], _ defaults: Root) -> [SettingRow] {
    settings.map { SettingRow(prefix, $0, defaults: defaults) }
  }

  /// The rows of scenario keys (their key is their full path).
  static func of(_ settings: [Setting<ScenarioSpec>]) -> [SettingRow] { of("", settings, .defaults) }

  /// The last component: `rate` for `traffic[].rate`.
  var key: String { String(path.split(separator: ".").last ?? "") }

  /// The parsed default (nil when there is no constant default).
  var defaultValue: SettingValue? {
    guard let text = defaultText else { return nil }
    let node: YNode
    let origin = SourceOrigin(file: "(schema)", line: 1, column: 1)
    if text == "[]" {
      node = YNode(content: .sequence([]), origin: origin)
    } else {
      node = YNode(content: .scalar(text), origin: origin)
    }
    switch kind.parse(node) {
    case .success(let v): return v
    case .failure(let p):
      preconditionFailure("schema default of \(path) is invalid: \(p.problems[0].message)")
    }
  }
}

/// The scenario schema: every key, its type with units, default, valid range and meaning.
public enum ScenarioSchema {

  /// Every key, in the order of the reference: each a row of a declaration.
  static let entries: [SettingRow] =
    SettingRow.of(ScenarioSpec.headerSettings + [ScenarioSpec.Structure.host])
    + SettingRow.of(MountedSettings.host + [ScenarioSpec.Structure.nic] + MountedSettings.nic)
    + SettingRow.of(
      [ScenarioSpec.platformSetting] + ScenarioSpec.Structure.profile + MountedSettings.profile
        + [
          ScenarioSpec.Structure.profileForwarding, ScenarioSpec.Structure.profileGeneratorSocket,
          ScenarioSpec.Structure.profileUDPReceiverCPU,
        ])
    + SettingRow.of([
      ScenarioSpec.Structure.scheduler, SchedulerSpec.kindSetting.at(\.scheduler, "scheduler."),
    ])
    + SettingRow.of(
      MountedSettings.version + MountedSettings.credit + [ScenarioSpec.Structure.credit2]
        + MountedSettings.credit2)
    + SettingRow.of(
      [ScenarioSpec.Structure.cfs] + MountedSettings.cfs + [ScenarioSpec.Structure.eevdf]
        + MountedSettings.eevdf + [ScenarioSpec.Structure.vmware]
        + MountedSettings.vmware)
    + SettingRow.of([ScenarioSpec.Structure.dom0] + MountedSettings.dom0 + MountedSettings.bridge)
    + SettingRow.of(
      [ScenarioSpec.Structure.routers] + MountedSettings.routers + [ScenarioSpec.Structure.each])
    + SettingRow.of("routers.each.", RouterSpec.settings + [RouterSpec.routesFileSetting], RouterSpec())
    + SettingRow.of("routers.", RoutersSpec.overrideSettings, ScenarioSpec.defaults.routers)
    + SettingRow.of([ScenarioSpec.Structure.traffic])
    + SettingRow.of("traffic[].", TrafficSpec.settings + [TrafficSpec.arrivalSetting], .defaults)
    + SettingRow.of("traffic[].arrival.", ArrivalForm.settings, ArrivalForm())
    + SettingRow.of([ScenarioSpec.Structure.run] + MountedSettings.run + [ScenarioSpec.Structure.sweep])
    + SettingRow.of("sweep.", SweepSpec.settings, SweepSpec(mode: .product, axes: []))
    + SettingRow.of([ScenarioSpec.Structure.search])
    + SettingRow.of("search.", SearchSpec.settings, .defaults(high: .packetsPerSecond(1)))
    + SettingRow.of([ScenarioSpec.Structure.workloads])
    + SettingRow.of("workloads[].", ScenarioJob.settings, ScenarioJob())
    + SettingRow.of([ScenarioSpec.Structure.testbed])
    + SettingRow.of("testbed.", TestbedRolesSpec.settings, TestbedRolesSpec())
    + TestbedRole.allCases.flatMap { role in
      SettingRow.of("testbed.", TestbedRolesSpec.roleSettings(role), TestbedRolesSpec())
        + SettingRow.of("testbed.\(role.rawValue).ssh.", SSHTarget.settings, SSHTarget(user: nil, host: ""))
        + SettingRow.of("testbed.", TestbedRolesSpec.portSettings(role), TestbedRolesSpec())
    }

  private static let byPath: [String: SettingRow] = Dictionary(
    uniqueKeysWithValues: entries.map { ($0.path, $0) })

  /// The entry of an abstract path (`traffic[].rate`), if the schema has it. Keys of
  /// `routers.overrides[]` other than index and indices are those of `routers.each`.
  static func entry(_ path: String) -> SettingRow? {
    if let e = byPath[path] { return e }
    let prefix = "routers.overrides[]."
    if path.hasPrefix(prefix) {
      return byPath["routers.each." + path.dropFirst(prefix.count)]
    }
    return nil
  }

  /// The keys a mapping at an abstract path may hold, in schema order.
  static func childKeys(of path: String) -> [String] {
    var out: [String] = []
    let depth = path.isEmpty ? 0 : path.split(separator: ".").count
    for e in entries {
      let parts = e.path.split(separator: ".")
      guard parts.count == depth + 1 else { continue }
      if depth == 0 || parts.prefix(depth).joined(separator: ".") == path { out.append(e.key) }
    }
    if path == "routers.overrides[]" { out += childKeys(of: "routers.each") }
    return out
  }

  /// What an empty scenario or profile file is told it should hold.
  static var emptyFileAllowed: String {
    "a YAML mapping of scenario keys (\(childKeys(of: "").joined(separator: ", ")))"
  }

  /// Every key path of the schema, as written in files and `--set` (`traffic[0].rate`).
  public static var keyPaths: [String] {
    entries.map { $0.path.replacingOccurrences(of: "[]", with: "[0]") }
  }

  /// The reference of every key (Markdown), committed as scenarios/README.md.
  public static func markdownReference() -> String {
    var out = """
      # Scenario file reference

      <!-- Generated by ScenarioSchema.markdownReference() (Sources/Scenario/ScenarioSchema.swift).
           Do not edit: a test fails when this file and the schema differ. To regenerate, run
           VRSIM_WRITE_SCENARIO_README=1 swift test --filter ScenarioTests.readmeMatchesSchema -->

      What-if scenario files live in `scenarios/`; `scenarios/paper/` reproduces the origin
      paper's experiments; `scenarios/profiles/` holds cost profiles with their provenance.

      A scenario is a YAML mapping. Values with a unit carry it: `3.06GHz`, `30ms`, `130kpps`,
      `1Gbps`, `64B`, `2%`. Numbers are exact decimals (no rounding); each value must be a
      whole number of its base unit (Hz, bit/s, packet/s, byte, nanosecond).

      Units: frequency Hz, kHz, MHz, GHz; bit rate bps, kbps, Mbps, Gbps, Tbps; packet rate pps,
      kpps, Mpps; duration ns, us (or µs), ms, s, min, h; size B, kB, KiB; percentage %.

      Every problem in a file is reported at once, one per line, as
      `file:line:column: key.path: what is wrong; allowed: what is allowed`.
      Files larger than 1 MiB, not UTF-8, binary, empty, indented with tabs or nested deeper
      than 32 levels are refused with such a message.

      `vrsim ... --set key.path=value` overrides any key before validation (the value is YAML:
      `--set routers.count=8`, `--set 'traffic[0].rate=50kpps'`, `--set 'host={cpus: 8}'`).
      Sweeps vary keys given by the same paths. Routers are numbered from 0 (`vr0`).

      Example (the default scenario of `vrsim run`):

      ```yaml

      """
    out += ScenarioLoader.defaultScenarioText
    out += "```\n"
    func row(_ e: SettingRow) -> String {
      let shown = e.defaultText.map { $0.isEmpty ? "`\"\"`" : "`\($0)`" } ?? (e.defaultNote ?? "none")
      // A section's doc may go on in paragraphs under its heading; its row gives the first.
      let first = e.doc.components(separatedBy: "\n\n")[0]
      return "| `\(e.path)` | \(cell(e.kind.allowed)) | \(cell(shown)) | \(cell(first)) |\n"
    }
    let header = "| key | allowed | default | meaning |\n|---|---|---|---|\n"
    func isStructure(_ e: SettingRow) -> Bool {
      switch e.kind {
      case .section, .list, .profile: true
      default: false
      }
    }
    out += "\n## Top-level keys\n\n" + header
    for e in entries where !e.path.contains(".") && !e.path.contains("[") && !isStructure(e) { out += row(e) }
    for top in entries where !top.path.contains(".") && isStructure(top) {
      out += "\n## `\(top.path)`\n\n\(top.doc)\n\n" + header
      for e in entries
      where e.path == top.path || e.path.hasPrefix(top.path + ".") || e.path.hasPrefix(top.path + "[]") {
        out += row(e)
      }
    }
    out += """

      ## Which platforms read each cost

      A platform reads only some of the costs (`PlatformKind.profileKeys`, declared beside the
      code of each packet path; a test moves every cost on every platform and checks that the
      list is exact). A cost that the scenario's `profile:` mapping, `--set profile.KEY` or a sweep
      writes and that its platform never reads changes nothing: loading warns about it (a sweep
      over platforms only when none of them reads it). Profile files state every cost and may
      serve several platforms: their keys are not warned about.

      | key | read on |
      |---|---|

      """
    for key in CostProfile.settings.map(\.key) {
      let on = PlatformKind.allCases.filter { $0.profileKeys.contains(key) }.map(\.rawValue)
      out += "| `profile.\(key)` | \(on.isEmpty ? "none" : on.joined(separator: ", ")) |\n"
    }
    return out
  }

  private static func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
}
