import Foundation
import HostModel
import Platforms
import SettingText
import SimCore

/// Walks a scenario tree along the schema, resolving every value into base units and
/// collecting every problem (never stopping at the first). The workloads, testbed and profile
/// sections are decoded in ScenarioDecoder+Sections.swift, the sweep in ScenarioDecoder+Sweep.swift.
struct ScenarioDecoder {
  let fileName: String
  let baseDirectory: String?
  var diagnostics: [ScenarioDiagnostic] = []
  /// Warnings of the profile files read (a cost a file does not state takes its declared default).
  var warnings: [String] = []
  /// Where each concrete key's value was written (or its parent, when defaulted).
  var origins: [String: SourceOrigin] = [:]
  /// The sweep as written, with its value nodes (decoded from the full tree only).
  var sweepAxes: [SweepAxisNodes] = []
  var sweepMode: SweepMode = .product

  /// A sweep axis before expansion into points.
  struct SweepAxisNodes {
    var keyPath: String
    var path: [PathComponent]
    var values: [YNode]
  }

  /// The scheduler family as written (nil: not written), for the rule that it fits the platform.
  var schedulerKindWritten: SchedulerKind?
  /// The forwarding mode under its old keys in the scenario (`testbed.forwarding`,
  /// `profile.netns_forwarding`), in the order read.
  var forwardingAliases: [StatedForwarding] = []
  /// The forwarding mode the scenario's profile file states (`netns_forwarding`), if any.
  var profileForwarding: StatedForwarding?
  /// The values of the retired profile keys that became host keys, as the scenario writes
  /// them (`profile.generator_socket`, `profile.udp_receiver_cpu`), in the order read.
  var hostAliases: [StatedAlias] = []
  /// Whether the scenario (or `--set`) gives the UDP receivers' CPU, under `host.udp_receiver_cpu`
  /// or its old spelling: a given CPU is range-checked whatever the generator.
  var udpReceiverCPUGiven = false

  /// The cost keys the scenario (or `--set`, or a sweep point) writes in its `profile:` mapping,
  /// with where each value was written, in the order read: `ScenarioDocument.resolve` warns
  /// about those that no platform of the run reads (`unreadCostWarnings`).
  var writtenCosts: [WrittenCost] = []

  /// Profile files already read during this load (every sweep point names the same few).
  let profiles: ProfileCache

  init(fileName: String, baseDirectory: String?, profiles: ProfileCache = ProfileCache()) {
    self.fileName = fileName
    self.baseDirectory = baseDirectory
    self.profiles = profiles
  }

  var fileStart: SourceOrigin { SourceOrigin(file: fileName, line: 1, column: 1) }

  mutating func report(_ at: SourceOrigin, _ path: String, _ message: String, _ allowed: String) {
    diagnostics.append(ScenarioDiagnostic(at, path, message, allowed: allowed))
  }

  func origin(_ concrete: String) -> SourceOrigin { origins[concrete] ?? fileStart }

  static func join(_ parent: String, _ key: String) -> String {
    parent.isEmpty ? key : "\(parent).\(key)"
  }

  // MARK: Structure

  /// Reports unknown keys of a mapping, with a suggestion from its siblings or, failing
  /// that, from a key of the same name elsewhere in the schema.
  mutating func checkKeys(_ node: YNode, _ concrete: String, _ abstract: String) {
    let known = ScenarioSchema.childKeys(of: abstract)
    for e in node.entries ?? [] where !known.contains(e.key) {
      var hint = Suggestion.didYouMean(e.key, among: known)
      if hint.isEmpty,
        let elsewhere = ScenarioSchema.entries.first(where: { $0.key == e.key && !$0.path.contains("[]") })
      {
        hint = " (did you mean '\(elsewhere.path)'?)"
      }
      let what = concrete.isEmpty ? "the scenario keys" : "the keys of \(concrete)"
      report(
        e.keyOrigin, ScenarioDecoder.join(concrete, e.key), "unknown key '\(e.key)'\(hint)",
        "\(what): \(known.joined(separator: ", "))")
    }
  }

  /// A mapping child: nil when absent or empty; reports a wrong shape and unknown keys.
  mutating func section(_ parent: YNode?, _ key: String, _ parentConcrete: String, abstract: String)
    -> YNode?
  {
    let concrete = ScenarioDecoder.join(parentConcrete, key)
    guard let e = parent?.entry(key) else {
      origins[concrete] = parent?.origin ?? fileStart
      return nil
    }
    origins[concrete] = e.value.origin
    switch e.value.content {
    case .null: return nil
    case .mapping:
      checkKeys(e.value, concrete, abstract)
      return e.value
    default:
      report(
        e.value.origin, concrete, "expected a mapping, found \(e.value.shapeText)",
        "a mapping with the keys \(ScenarioSchema.childKeys(of: abstract).joined(separator: ", "))")
      return nil
    }
  }

  // MARK: Values

  /// The parsed value of a schema key in `parent` (or its default); nil when invalid or
  /// when there is no constant default.
  mutating func value(_ abstract: String, in parent: YNode?, _ parentConcrete: String) -> SettingValue? {
    guard let entry = ScenarioSchema.entry(abstract) else {
      preconditionFailure("no schema entry \(abstract)")
    }
    let concrete = ScenarioDecoder.join(parentConcrete, entry.key)
    guard let e = parent?.entry(entry.key) else {
      origins[concrete] = parent?.origin ?? fileStart
      return entry.defaultValue
    }
    origins[concrete] = e.value.origin
    switch entry.kind.parse(e.value) {
    case .success(let v): return v
    case .failure(let list):
      for p in list.problems {
        report(p.origin ?? e.value.origin, concrete + p.pathSuffix, p.message, p.allowed)
      }
      return nil
    }
  }

  func isGiven(_ key: String, in parent: YNode?) -> Bool { parent?.entry(key) != nil }

  /// Reads the declared settings written in `node` (the mapping at the abstract path
  /// `section`, concrete path `concrete`) into `root`; settings not written keep `root`'s
  /// value. Each value is parsed with its declared kind and range; every problem is reported.
  mutating func apply<Root>(
    _ settings: [Setting<Root>], in node: YNode?, section: String, concrete: String, to root: inout Root
  ) {
    for s in settings {
      let key = s.key.split(separator: ".").last.map(String.init) ?? s.key
      let abstract = ScenarioDecoder.join(section, key)
      guard let entry = ScenarioSchema.entry(abstract) else {
        preconditionFailure("setting \(abstract) has no schema entry")
      }
      let concretePath = ScenarioDecoder.join(concrete, key)
      guard let e = node?.entry(key) else {
        origins[concretePath] = node?.origin ?? fileStart
        continue
      }
      origins[concretePath] = e.value.origin
      switch entry.kind.parse(e.value) {
      case .success(let v):
        if s.domain.contains(v) { s.set(v, in: &root) }
      case .failure(let list):
        for p in list.problems {
          report(p.origin ?? e.value.origin, concretePath + p.pathSuffix, p.message, p.allowed)
        }
      }
    }
  }

  mutating func text(_ path: String, _ parent: YNode?, _ concrete: String) -> String? {
    if case .text(let v) = value(path, in: parent, concrete) { return v }
    return nil
  }

  // MARK: Scenario

  /// Decodes a whole scenario tree. The result is meaningful only when no diagnostics
  /// were added.
  mutating func decode(_ root: YNode) -> ScenarioSpec {
    guard root.entries != nil else {
      report(
        root.origin, "(document)", "expected a mapping of scenario keys, found \(root.shapeText)",
        "a mapping with the keys \(ScenarioSchema.childKeys(of: "").joined(separator: ", "))")
      return decode(YNode(content: .mapping([]), origin: root.origin))
    }
    checkKeys(root, "", "")
    let stem =
      (fileName as NSString).lastPathComponent.split(separator: ".").first.map(String.init) ?? fileName
    var spec = ScenarioSpec.defaults
    spec.name = stem
    apply(ScenarioSpec.headerSettings, in: root, section: "", concrete: "", to: &spec)
    let hostNode = section(root, "host", "", abstract: "host")
    apply(MountedSettings.host, in: hostNode, section: "host", concrete: "host", to: &spec)
    let nicNode = section(hostNode, "nic", "host", abstract: "host.nic")
    apply(MountedSettings.nic, in: nicNode, section: "host.nic", concrete: "host.nic", to: &spec)
    let host = spec.host

    apply([ScenarioSpec.platformSetting], in: root, section: "", concrete: "", to: &spec)
    let platform = spec.platform
    let (profile, costs) = decodeProfile(root)
    spec.costs = costs
    let scheduler = decodeScheduler(section(root, "scheduler", "", abstract: "scheduler"), platform: platform)

    let dom0Node = section(root, "dom0", "", abstract: "dom0")
    apply(
      MountedSettings.dom0 + MountedSettings.bridge, in: dom0Node, section: "dom0", concrete: "dom0",
      to: &spec)
    let dom0 = spec.dom0

    let routers = decodeRouters(section(root, "routers", "", abstract: "routers"))
    let traffic = decodeTraffic(root)
    let run = decodeRun(section(root, "run", "", abstract: "run"))
    let search = decodeSearch(root, host: host)
    let sweep = decodeSweep(root)
    let workloads = decodeWorkloads(root)
    let testbed = decodeTestbed(root)
    var resolvedHost = host
    resolvedHost.forwarding = resolveForwarding(host.forwarding, written: isGiven("forwarding", in: hostNode))
    resolvedHost = resolveGenerator(resolvedHost, hostNode: hostNode)

    let placeholder = ScenarioSource(
      fileName: fileName, baseDirectory: baseDirectory, canonicalText: "", hash: "")
    let decoded = ScenarioSpec(
      name: spec.name, about: spec.about, host: resolvedHost, platform: platform, profile: profile,
      costs: spec.costs,
      scheduler: scheduler, dom0: dom0, routers: routers, traffic: traffic, run: run, sweep: sweep,
      search: search, workloads: workloads, testbed: testbed, source: placeholder, points: [])
    let input = CrossKeyRule.Input(
      spec: decoded, schedulerKindWritten: schedulerKindWritten, profileForwarding: profileForwarding,
      udpReceiverCPUGiven: udpReceiverCPUGiven)
    for rule in ScenarioRules.all {
      for broken in rule.check(input) {
        let at = broken.at ?? origin(broken.keyPath)
        switch rule.severity {
        case .error: report(at, broken.keyPath, broken.message, broken.allowed)
        case .warning:
          warnings.append("\(at.file):\(at.line):\(at.column): \(broken.keyPath): \(broken.message)")
        }
      }
    }
    return decoded
  }

  mutating func decodeScheduler(_ node: YNode?, platform: PlatformKind) -> SchedulerSpec {
    var kind = platform.schedulerKinds[0]
    // A family that does not fit the platform is a broken rule (ScenarioRules); the platform's
    // own is read meanwhile, so that the other scheduler keys still read.
    schedulerKindWritten = text("scheduler.kind", node, "scheduler").flatMap(SchedulerKind.init(rawValue:))
    if let k = schedulerKindWritten, platform.schedulerKinds.contains(k) { kind = k }
    var whole = ScenarioSpec.defaults
    whole.scheduler = SchedulerSpec(kind: kind)
    apply(
      MountedSettings.version + MountedSettings.credit, in: node, section: "scheduler", concrete: "scheduler",
      to: &whole)
    for (family, settings) in [
      ("credit2", MountedSettings.credit2), ("cfs", MountedSettings.cfs), ("eevdf", MountedSettings.eevdf),
      ("vmware", MountedSettings.vmware),
    ] {
      let sub = section(node, family, "scheduler", abstract: "scheduler.\(family)")
      apply(settings, in: sub, section: "scheduler.\(family)", concrete: "scheduler.\(family)", to: &whole)
    }
    var spec = whole.scheduler
    if !isGiven("ratelimit", in: node) && kind == .credit && spec.version.hasRatelimit {
      spec.credit.ratelimit = CreditOptions.defaultRatelimit
    }
    return spec
  }

  /// Router fields present in a mapping (each or an override), applied over `base`.
  mutating func decodeRouter(_ node: YNode?, _ concrete: String, over base: RouterSpec?) -> (
    RouterSpec
  ) -> RouterSpec {
    let a = "routers.each"
    var patches: [(inout RouterSpec) -> Void] = []
    let given = { (key: String) in base == nil || node?.entry(key) != nil }
    // The declared settings written here, applied to whichever router the mapping changes.
    var declared = RouterSpec()
    let before = diagnostics.count
    apply(RouterSpec.settings, in: node, section: a, concrete: concrete, to: &declared)
    if diagnostics.count == before {
      for s in RouterSpec.settings where given(s.key) {
        let v = s.value(in: declared)
        patches.append { s.set(v, in: &$0) }
      }
    }
    // Routes written here replace a table file inherited from routers.each.
    let routesWritten = node?.entry("routes") != nil
    if routesWritten { patches.append { $0.routesFile = nil } }
    if let e = node?.entry("routes_file") {
      if routesWritten {
        report(
          e.value.origin, "\(concrete).routes_file", "both routes and routes_file are given",
          "one of routes (a generated table) or routes_file (a table read from the file)")
      } else if case .text(let v) = value("\(a).routes_file", in: node, concrete) {
        patches.append { $0.routesFile = v }
      }
    }
    return { start in
      var r = start
      for p in patches { p(&r) }
      return r
    }
  }

  mutating func decodeRouters(_ node: YNode?) -> RoutersSpec {
    var whole = ScenarioSpec.defaults
    apply(MountedSettings.routers, in: node, section: "routers", concrete: "routers", to: &whole)
    let count = whole.routers.count
    let fallback = RouterSpec()
    let eachNode = section(node, "each", "routers", abstract: "routers.each")
    let each = decodeRouter(eachNode, "routers.each", over: nil)(fallback)
    var perRouter = [RouterSpec](repeating: each, count: max(0, count))
    if let e = node?.entry("overrides") {
      origins["routers.overrides"] = e.value.origin
      switch e.value.content {
      case .null: break
      case .sequence(let items):
        for (i, item) in items.enumerated() {
          let concrete = "routers.overrides[\(i)]"
          guard item.entries != nil else {
            report(
              item.origin, concrete, "expected a mapping, found \(item.shapeText)",
              "a mapping with index or indices and routers.each keys")
            continue
          }
          checkKeys(item, concrete, "routers.overrides[]")
          var targets: [Int] = []
          let hasIndex = item.entry("index") != nil
          let hasIndices = item.entry("indices") != nil
          if hasIndex && hasIndices {
            report(
              item.origin, concrete, "both index and indices are given", "one of index or indices")
          } else if !hasIndex && !hasIndices {
            report(
              item.origin, concrete, "no index or indices given", "index: N or indices: [N, ...] (0-based)")
          }
          if hasIndex, case .integer(let v) = value("routers.overrides[].index", in: item, concrete) {
            targets.append(Int(v))
          }
          if hasIndices, case .integers(let v) = value("routers.overrides[].indices", in: item, concrete) {
            targets += v.map { Int($0) }
          }
          let apply = decodeRouter(item, concrete, over: each)
          for t in targets {
            if t < perRouter.count {
              perRouter[t] = apply(perRouter[t])
            } else {
              let key = hasIndex ? "index" : "indices"
              report(
                origin("\(concrete).\(key)"), "\(concrete).\(key)",
                "router \(t) does not exist (routers.count is \(count))",
                "router numbers from 0 to \(count - 1)")
            }
          }
        }
      default:
        report(
          e.value.origin, "routers.overrides", "expected a list, found \(e.value.shapeText)",
          "a list of mappings with index or indices and routers.each keys")
      }
    }
    return RoutersSpec(count: count, each: each, perRouter: perRouter)
  }

  mutating func decodeTraffic(_ root: YNode) -> [TrafficSpec] {
    guard let e = root.entry("traffic"), e.value.content != .null else {
      return [decodeFlow(nil, "traffic[0]")]
    }
    origins["traffic"] = e.value.origin
    guard let items = e.value.items else {
      report(
        e.value.origin, "traffic", "expected a list of flows, found \(e.value.shapeText)",
        "a list of flows such as [{to: each, rate: 10kpps}]")
      return []
    }
    if items.isEmpty {
      report(e.value.origin, "traffic", "no flows given", "a list of at least one flow")
    }
    var flows: [TrafficSpec] = []
    for (i, item) in items.enumerated() {
      let concrete = "traffic[\(i)]"
      guard item.entries != nil else {
        report(
          item.origin, concrete, "expected a flow mapping, found \(item.shapeText)",
          "a mapping with the keys \(ScenarioSchema.childKeys(of: "traffic[]").joined(separator: ", "))")
        continue
      }
      checkKeys(item, concrete, "traffic[]")
      flows.append(decodeFlow(item, concrete))
    }
    return flows
  }

  mutating func decodeFlow(_ node: YNode?, _ concrete: String) -> TrafficSpec {
    var flow = TrafficSpec.defaults
    apply(TrafficSpec.settings, in: node, section: "traffic[]", concrete: concrete, to: &flow)
    flow.arrival = decodeArrival(node, concrete)
    return flow
  }

  mutating func decodeArrival(_ flow: YNode?, _ flowConcrete: String) -> ArrivalSpec {
    let concrete = "\(flowConcrete).arrival"
    guard let e = flow?.entry("arrival"), e.value.entries != nil else {
      if case .arrival(let a) = value("traffic[].arrival", in: flow, flowConcrete) { return a }
      return .cbr
    }
    let node = e.value
    origins[concrete] = node.origin
    checkKeys(node, concrete, "traffic[].arrival")
    var form = ArrivalForm()
    let a = "traffic[].arrival"
    apply([ArrivalForm.kindSetting], in: node, section: a, concrete: concrete, to: &form)
    let kind = form.kind
    for key in ["on", "off"] where kind != "onoff" && node.entry(key) != nil {
      report(
        node.entry(key)!.keyOrigin, "\(concrete).\(key)", "'\(key)' is only used with kind onoff",
        "the keys of kind \(kind)")
    }
    if kind != "trace", let f = node.entry("file") {
      report(
        f.keyOrigin, "\(concrete).file", "'file' is only used with kind trace", "the keys of kind \(kind)")
    }
    switch kind {
    case "poisson": return .poisson
    case "onoff":
      apply(ArrivalForm.periodSettings, in: node, section: a, concrete: concrete, to: &form)
      return .onOff(on: form.on, off: form.off)
    case "trace":
      guard node.entry("file") != nil else {
        report(
          node.origin, "\(concrete).file", "a trace needs a file",
          "file: a CSV or pcap path relative to the scenario file")
        return .cbr
      }
      apply([ArrivalForm.fileSetting], in: node, section: a, concrete: concrete, to: &form)
      var file = form.file ?? ""
      if !file.hasPrefix("/"), let base = baseDirectory {
        file = (base as NSString).appendingPathComponent(file)
      }
      return .trace(file: file)
    default: return .cbr
    }
  }

  mutating func decodeRun(_ node: YNode?) -> RunSpec {
    var whole = ScenarioSpec.defaults
    apply(MountedSettings.run, in: node, section: "run", concrete: "run", to: &whole)
    return whole.run
  }

  mutating func decodeSearch(_ root: YNode, host: HostSpec) -> SearchSpec? {
    guard let e = root.entry("search"), e.value.content != .null else { return nil }
    guard let node = section(root, "search", "", abstract: "search") else {
      return nil
    }
    var search = SearchSpec.defaults(high: .packetsPerSecond(host.nic.rateBitsPerSecond / (84 * 8)))
    apply(SearchSpec.settings, in: node, section: "search", concrete: "search", to: &search)
    return search
  }
}

/// Decimal numbers with an optional unit, for sweep ranges.
enum RangeNumber {
  /// `1.25ms` -> (125, 2, "ms").
  static func split(_ s: String) -> (digits: Int64, decimals: Int, unit: String)? {
    var chars = Substring(s)
    var negative = false
    if chars.hasPrefix("-") {
      negative = true
      chars = chars.dropFirst()
    }
    let number = chars.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
    let unit = String(chars.dropFirst(number.count)).trimmingCharacters(in: " ")
    let pieces = number.split(separator: ".", omittingEmptySubsequences: false)
    guard !number.isEmpty, pieces.count <= 2, !pieces[0].isEmpty else { return nil }
    let decimals = pieces.count == 2 ? pieces[1].count : 0
    guard decimals <= 9, let v = Int64(pieces.joined()) else { return nil }
    return (negative ? -v : v, decimals, unit)
  }

  static func scale(_ v: Int64, from: Int, to: Int) -> Int64? {
    var x = v
    for _ in from..<to {
      let (m, o) = x.multipliedReportingOverflow(by: 10)
      if o { return nil }
      x = m
    }
    return x
  }
}
