import Foundation
import HostModel
import Platforms
import SettingText
import SimCore

/// One key of the scenario schema: its path, what it may hold, its default and what it
/// means. Declared once, in `ScenarioSchema.entries`; the decoder, the error messages and
/// scenarios/README.md all read the same entry.
struct SchemaEntry: Sendable {
  /// Abstract key path; list elements are written `[]`: `traffic[].rate`.
  let path: String
  /// Type and valid range.
  let kind: SettingDomain
  /// The default as YAML text, parsed with `kind` like a written value; nil when the
  /// default is computed (see `defaultNote`) or the key is required or optional.
  let defaultText: String?
  /// How the default is chosen when it is not a constant.
  let defaultNote: String?
  /// What the key means.
  let doc: String

  /// Calibration bounds of a declared cost or option (nil: not a fit parameter).
  let calibration: CalibrationBounds?

  init(_ path: String, _ kind: SettingDomain, _ defaultText: String?, note: String? = nil, _ doc: String) {
    self.path = path
    self.kind = kind
    self.defaultText = defaultText
    self.defaultNote = note
    self.doc = doc
    calibration = nil
  }

  /// The entry of a declared setting: kind, range and doc from the declaration, the default
  /// read from the default resolved scenario (so it is the model's own default).
  init<Root>(_ path: String, declared s: Setting<Root>, defaults: Root, note: String? = nil) {
    self.path = path
    kind = s.domain
    defaultText = note == nil ? kind.text(of: s.value(in: defaults)) : nil
    defaultNote = note
    doc = s.doc
    calibration = s.calibration
  }

  /// Entries of declared scenario keys (their key is their full path).
  static func declared(_ settings: [Setting<ScenarioSpec>], note: [String: String] = [:]) -> [SchemaEntry] {
    settings.map { SchemaEntry($0.key, declared: $0, defaults: .defaults, note: note[$0.key]) }
  }

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

  /// Every key, in the order of the reference.
  static let entries: [SchemaEntry] =
    SchemaEntry.declared(ScenarioSpec.headerSettings, note: ["name": "the file name without its extension"])
    + [SchemaEntry("host", .section, nil, note: "all keys at their defaults", "The physical host.")]
    + SchemaEntry.declared(BoundKeys.host)
    + [
      SchemaEntry(
        "host.nic", .section, nil, note: "all keys at their defaults", "The physical network card (one port)."
      )
    ]
    + SchemaEntry.declared(BoundKeys.nic)
    + SchemaEntry.declared([ScenarioSpec.platformSetting])
    + [
      SchemaEntry(
        "profile", .profile, "paper-2012.yaml",
        "Cost profile: a file name, or a mapping {file, and any cost below} whose costs replace the file's."),
      SchemaEntry(
        "profile.file", .text(maxLength: 1_000), "paper-2012.yaml",
        "Profile file: a path relative to the scenario file's directory, or to scenarios/profiles."),
    ]
    + SchemaEntry.declared(BoundKeys.profile)
    + [
      SchemaEntry("scheduler", .section, nil, note: "all keys at their defaults", "The CPU scheduler."),
      SchemaEntry(
        "scheduler.kind", .choice(SchedulerKind.allCases.map(\.rawValue)), nil,
        note:
          "the platform's own: credit on xen-*, cfs on openvz and netns-*, vmware on vmware, none on native",
        "Scheduler family; it must fit the platform (credit or credit2 on xen-*, cfs on openvz and netns-*, vmware on vmware, none on native)."
      ),
    ]
    + SchemaEntry.declared(BoundKeys.version)
    + SchemaEntry.declared(
      BoundKeys.credit, note: ["scheduler.ratelimit": "1ms with version 4.2 or 4.3, else off"])
    + [
      SchemaEntry(
        "scheduler.credit2", .section, nil, note: "all keys at their defaults", "Options of credit2.")
    ]
    + SchemaEntry.declared(BoundKeys.credit2)
    + [SchemaEntry("scheduler.cfs", .section, nil, note: "all keys at their defaults", "Options of cfs.")]
    + SchemaEntry.declared(BoundKeys.cfs)
    + [
      SchemaEntry("scheduler.vmware", .section, nil, note: "all keys at their defaults", "Options of vmware.")
    ]
    + SchemaEntry.declared(BoundKeys.vmware)
    + [
      SchemaEntry(
        "dom0", .section, nil, note: "all keys at their defaults",
        "The driver domain (Xen dom0); ignored on platforms without one.\n\n"
          + "Placement on the Xen split-driver paths: dom0's vCPU v runs netback group v (router i is in "
          + "group i mod dom0.vcpus, as the 2.6.32 netback puts a new vif in the group with the fewest) and "
          + "the NAPI of NIC receive queue q mod dom0.vcpus (host.nic.rx_queues, flows spread by RSS); a "
          + "router's vCPUs forward in parallel only with several VF queues (routers.each.rx_queues, "
          + "xen-sriov), since the vif of these kernels has one queue (multi-queue netfront came in Linux "
          + "3.16, RPS in 2.6.35). Xen's documented defaults give dom0 one vCPU per pCPU (dom0_max_vcpus "
          + "unset) and pin nothing (no dom0_vcpus_pin, no cpus= in a guest's configuration). The paper's "
          + "testbeds most likely ran those defaults (it states no placement), and the defaults here "
          + "(dom0.vcpus 1, host.nic.rx_queues 1, nothing pinned) stand for them: in Sec. IV-V (Xen 3.2, "
          + "2.6.26-xen dom0, a XenLinux netback with one tasklet pair, the bnx2 NIC with one receive "
          + "queue) netback's tasklets, the NIC's interrupt and the vifs' event channels all run on dom0's "
          + "vCPU 0 unless irqbalance moves them, so dom0's packet work used one vCPU at a time however "
          + "many it had; in Sec. VI (2.6.32-5-xen, a netback group per CPU, igb with RSS) its one-flow, "
          + "one-router measurements hash to one queue and one group, so again one dom0 vCPU carries them. "
          + "Spread dom0 over several vCPUs with dom0.vcpus: N and host.nic.rx_queues: N.")
    ]
    + SchemaEntry.declared(BoundKeys.dom0)
    + SchemaEntry.declared(BoundKeys.bridge)
    + [
      SchemaEntry(
        "routers", .section, nil, note: "all keys at their defaults",
        "The virtual routers vr0 ... vr(count-1)."
      )
    ]
    + SchemaEntry.declared(BoundKeys.routers)
    + [
      SchemaEntry(
        "routers.each", .section, nil, note: "all keys at their defaults",
        "Settings every router starts from.")
    ]
    + RouterSpec.settings.map { SchemaEntry("routers.each." + $0.key, declared: $0, defaults: RouterSpec()) }
    + [
      SchemaEntry(
        "routers.each.routes_file", .text(maxLength: 1_000), nil, note: "none (a generated table of routes)",
        "Route table file: one IPv4 prefix a.b.c.d/len per line (# comments), relative to the scenario file's directory. Replaces routes; give one of routes or routes_file in a mapping (an override's routes clears an inherited file)."
      ),
      SchemaEntry(
        "routers.overrides", .list, "[]",
        "Per-router changes: a list of {index or indices, plus any routers.each key}; later entries win."),
      SchemaEntry(
        "routers.overrides[].index", .integer(0...1_023, .count), nil, note: "none (give index or indices)",
        "The router changed (0-based, below routers.count)."),
      SchemaEntry(
        "routers.overrides[].indices", .integerList(0...1_023), nil, note: "none (give index or indices)",
        "The routers changed (0-based, below routers.count)."),
      SchemaEntry(
        "traffic", .list, nil, note: "one flow at the defaults below", "Offered traffic: a list of flows."),
    ]
    + TrafficSpec.settings.map { SchemaEntry("traffic[]." + $0.key, declared: $0, defaults: .defaults) }
    + [
      SchemaEntry(
        "traffic[].arrival", .arrival, "cbr",
        "Arrival process: cbr, poisson, {kind: onoff, on, off} or {kind: trace, file}."),
      SchemaEntry(
        "traffic[].arrival.kind", .choice(["cbr", "poisson", "onoff", "trace"]), "cbr",
        "Arrival process, in the mapping form."),
      SchemaEntry(
        "traffic[].arrival.on", .integer(1_000...3_600_000_000_000, .nanoseconds),
        ArrivalSpec.defaultOn.description,
        "Mean on period of onoff (exponential)."),
      SchemaEntry(
        "traffic[].arrival.off", .integer(1_000...3_600_000_000_000, .nanoseconds),
        ArrivalSpec.defaultOff.description,
        "Mean off period of onoff (exponential)."),
      SchemaEntry(
        "traffic[].arrival.file", .text(maxLength: 1_000), nil, note: "none (required with trace)",
        "Trace file (CSV of timestamps and sizes, or pcap), relative to the scenario file's directory."),
      SchemaEntry(
        "run", .section, nil, note: "all keys at their defaults", "Run length, replications and seed."),
    ]
    + SchemaEntry.declared(BoundKeys.run)
    + [
      SchemaEntry(
        "sweep", .section, nil, note: "no sweep",
        "Keys to vary: {mode, keys: {key.path: values}}, or the short form {key.path: values}. Values are a list or {from, to, step}."
      ),
      SchemaEntry(
        "sweep.mode", .choice(SweepMode.allCases.map(\.rawValue)), "product",
        "product: every combination (last key fastest); zip: element-wise, lists of equal length."),
      SchemaEntry(
        "sweep.keys", .sweepKeys, nil, note: "none",
        "Key paths (as for --set, e.g. routers.count, traffic[0].rate) mapped to their values."),
      SchemaEntry(
        "search", .section, nil, note: "no search",
        "RFC 2544-style throughput search over the aggregate offered rate."),
    ]
    + SearchSpec.settings.map {
      SchemaEntry(
        "search." + $0.key, declared: $0, defaults: .defaults(high: .packetsPerSecond(1)),
        note: $0.key == "high" ? "the NIC line rate for 64B frames" : nil)
    }
    + [
      SchemaEntry(
        "workloads", .list, "[]",
        "CPU jobs run beside the forwarding routers: a list of {name, in, kind, and the kind's keys}. The simulator runs them on the placed domain's first vCPU; the testbed runs them in the router's namespace and cgroup, timed by the external ICMP timer (docs/testbed.md). Reported under scope job:NAME as job_seconds and job_share (periodic: job_share and job_response)."
      )
    ]
    + WorkloadSpec.settings.map {
      SchemaEntry(
        "workloads[]." + $0.key, declared: $0, defaults: WorkloadSpec(),
        note: $0.key == "name" ? "job0, job1, ... by position" : nil)
    }
    + [
      SchemaEntry(
        "testbed", .section, nil, note: "every role local",
        "Where each role of `vrsim testbed` runs: generator, dut, sink, time_keeper. A role without an entry runs in local namespaces; {ssh: {...}} runs it on a remote host over ssh (an argument vector, never a shell string). A link between roles on different hosts runs over a cable whose two ends the roles' ports name (docs/testbed.md, Roles over ssh)."
      )
    ]
    + TestbedRolesSpec.settings.map {
      SchemaEntry("testbed." + $0.key, declared: $0, defaults: TestbedRolesSpec())
    }
    + TestbedRole.allCases.flatMap { role -> [SchemaEntry] in
      let r = "testbed.\(role.rawValue)"
      return [
        SchemaEntry(r, .section, nil, note: "local", "Where the \(role.rawValue) runs."),
        SchemaEntry(
          r + ".ssh", .section, nil, note: "none (local namespaces)",
          "The remote host the role runs on, over ssh."),
        SchemaEntry(
          r + ".ssh.host", .text(maxLength: 253), nil, note: "none (required)", "Host name or address."),
        SchemaEntry(
          r + ".ssh.user", .text(maxLength: 64), nil, note: "ssh's default", "Login name (ssh -l)."),
        SchemaEntry(r + ".ssh.port", .integer(1...65_535, .count), "22", "TCP port (ssh -p)."),
        SchemaEntry(
          r + ".ssh.identity", .text(maxLength: 1_000), nil, note: "ssh's default",
          "Private key file (ssh -i), relative to the scenario file's directory."),
        SchemaEntry(
          r + ".ssh.options", .section, nil, note: "none",
          "ssh options as a mapping NAME: VALUE, each passed as -o NAME=VALUE (e.g. {StrictHostKeyChecking: accept-new})."
        ),
        SchemaEntry(
          r + ".ssh.client_namespace", .text(maxLength: 64), nil, note: "none (the caller's)",
          "A local network namespace the ssh client runs in (ip netns exec NAME ssh ...), when the host is reached through a management network in a namespace."
        ),
      ]
        + (TestbedRolesSpec.peers(of: role).isEmpty
          ? []
          : [
            SchemaEntry(
              r + ".ports", .section, nil, note: "none (no cables)",
              "Existing interfaces of the \(role.rawValue)'s host cabled to another role's host, per peer role. Needed only for a link between roles on different hosts; the testbed makes a macvlan on each (it never moves, renames or re-addresses them)."
            )
          ])
        + TestbedRolesSpec.peers(of: role).map { peer in
          SchemaEntry(
            r + ".ports." + peer.rawValue, .interfaceList(maxCount: 99), "[]",
            "Interfaces of the \(role.rawValue)'s host cabled to the \(peer.rawValue)'s host, in link order: one per link between the two roles (netns-bridge and netns-router: one to or from the dut; netns-direct: one per router; generator to sink: one, the generator-ceiling link). Given only when the two roles run on different hosts."
          )
        }
    }

  private static let byPath: [String: SchemaEntry] = Dictionary(
    uniqueKeysWithValues: entries.map { ($0.path, $0) })

  /// The entry of an abstract path (`traffic[].rate`), if the schema has it. Keys of
  /// `routers.overrides[]` other than index and indices are those of `routers.each`.
  static func entry(_ path: String) -> SchemaEntry? {
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
    func row(_ e: SchemaEntry) -> String {
      let shown = e.defaultText.map { $0.isEmpty ? "`\"\"`" : "`\($0)`" } ?? (e.defaultNote ?? "none")
      // A section's doc may go on in paragraphs under its heading; its row gives the first.
      let first = e.doc.components(separatedBy: "\n\n")[0]
      return "| `\(e.path)` | \(cell(e.kind.allowed)) | \(cell(shown)) | \(cell(first)) |\n"
    }
    let header = "| key | allowed | default | meaning |\n|---|---|---|---|\n"
    func isStructure(_ e: SchemaEntry) -> Bool {
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
    return out
  }

  private static func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
}
