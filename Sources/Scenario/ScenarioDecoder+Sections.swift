import Foundation
import HostModel
import Platforms
import SettingText
import SimCore

extension ScenarioDecoder {
  // MARK: Workloads and testbed roles

  /// The `workloads:` list: each job's declared keys, its name, and the keys of its kind only
  /// (its placement is a rule of ScenarioRules).
  mutating func decodeWorkloads(_ root: YNode) -> [ScenarioJob]? {
    guard let e = root.entry("workloads"), e.value.content != .null else { return nil }
    origins["workloads"] = e.value.origin
    guard let items = e.value.items else {
      report(
        e.value.origin, "workloads", "expected a list of jobs, found \(e.value.shapeText)",
        "a list of jobs such as [{in: vr0, kind: superpi, superpi_k: 20}]")
      return nil
    }
    var jobs: [ScenarioJob] = []
    var names: Set<String> = []
    let kindKeys: [ScenarioJob.Kind: [String]] = [
      .cpu: ["cycles"], .superpi: ["superpi_k"], .periodic: ["period", "cycles_per_period"],
    ]
    for (i, item) in items.enumerated() {
      let concrete = "workloads[\(i)]"
      guard item.entries != nil else {
        report(
          item.origin, concrete, "expected a job mapping, found \(item.shapeText)",
          "a mapping with the keys \(ScenarioSchema.childKeys(of: "workloads[]").joined(separator: ", "))")
        continue
      }
      origins[concrete] = item.origin
      checkKeys(item, concrete, "workloads[]")
      var job = ScenarioJob()
      job.name = "job\(i)"
      apply(ScenarioJob.settings, in: item, section: "workloads[]", concrete: concrete, to: &job)
      if !job.name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        || job.name.isEmpty
      {
        report(
          origin("\(concrete).name"), "\(concrete).name", "'\(job.name)' is not a job name",
          "letters, digits, - and _")
      } else if !names.insert(job.name).inserted {
        report(
          origin("\(concrete).name"), "\(concrete).name", "job name '\(job.name)' is used twice",
          "a name no other job has")
      }
      let mine = kindKeys[job.kind] ?? []
      for (kind, keys) in kindKeys where kind != job.kind {
        for key in keys where !mine.contains(key) {
          if let k = item.entry(key) {
            report(
              k.keyOrigin, "\(concrete).\(key)", "'\(key)' is only used with kind \(kind.rawValue)",
              "the keys of kind \(job.kind.rawValue): \((["name", "in", "kind", "start"] + mine).joined(separator: ", "))"
            )
          }
        }
      }
      jobs.append(job)
    }
    return jobs
  }

  /// The `testbed:` section: an ssh target per remote role.
  mutating func decodeTestbed(_ root: YNode) -> TestbedRolesSpec? {
    guard let node = section(root, "testbed", "", abstract: "testbed") else { return nil }
    var roles = TestbedRolesSpec()
    if let alias = statedForwarding(in: node, key: "forwarding", concrete: "testbed.forwarding") {
      forwardingAliases.append(alias)
    }
    for role in TestbedRole.allCases {
      let r = "testbed.\(role.rawValue)"
      guard let roleNode = section(node, role.rawValue, "testbed", abstract: r) else { continue }
      if let portsNode = section(roleNode, "ports", r, abstract: r + ".ports") {
        let ports = TestbedRolesSpec.portSettings(role).filter { $0.domain != .section }
        apply(ports, in: portsNode, section: r + ".ports", concrete: r + ".ports", to: &roles)
      }
      guard let ssh = section(roleNode, "ssh", r, abstract: r + ".ssh") else { continue }
      let c = r + ".ssh"
      guard ssh.entry("host") != nil else {
        report(ssh.origin, c + ".host", "an ssh target needs a host", "host: a host name or address")
        continue
      }
      var target = SSHTarget(user: nil, host: "")
      apply(
        SSHTarget.settings.filter { $0.domain != .section }, in: ssh, section: c, concrete: c, to: &target)
      for (key, v) in [("host", target.host), ("user", target.user ?? "x")] where !SSHTarget.isSafeName(v) {
        report(
          origin("\(c).\(key)"), "\(c).\(key)", "'\(v)' is not a \(key) name ssh can take as one word",
          "letters, digits and . - _ : %, not starting with -")
      }
      if let ns = target.clientNamespace, !SettingDomain.isNamespaceName(ns) {
        target.clientNamespace = nil
        report(
          origin(c + ".client_namespace"), c + ".client_namespace", "'\(ns)' is not a namespace name",
          "letters, digits and . - _, not starting with - or .")
      }
      if let file = target.identity, !file.hasPrefix("/"), let base = baseDirectory {
        target.identity = (base as NSString).appendingPathComponent(file)
      }
      if let o = ssh.entry("options") {
        origins[c + ".options"] = o.value.origin
        if let entries = o.value.entries {
          for opt in entries {
            let name = opt.key
            guard case .scalar(let v) = opt.value.content,
              !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
            else {
              report(
                opt.keyOrigin, "\(c).options.\(name)", "not an ssh option NAME: VALUE",
                "an option name (letters and digits) mapped to a plain value")
              continue
            }
            target.options.append(SSHOption(name, v))
          }
        } else if o.value.content != .null {
          report(
            o.value.origin, c + ".options", "expected a mapping, found \(o.value.shapeText)",
            "a mapping NAME: VALUE of ssh options")
        }
      }
      roles.remote[role] = target
    }
    return roles
  }

  /// The profile: its file (the short form `profile: FILE`, or `file` in the mapping form)
  /// read over the model's default costs, then the costs written in the scenario itself.
  mutating func decodeProfile(_ root: YNode) -> (ProfileReference, CostProfile) {
    var file = ScenarioSpec.defaults.profile.path
    var node: YNode? = nil
    if let e = root.entry("profile") {
      origins["profile"] = e.value.origin
      switch ScenarioSchema.entry("profile")!.kind.parse(e.value) {
      case .success(.text(let f)): file = f
      case .success:
        checkKeys(e.value, "profile", "profile")
        node = e.value
        if let f = text("profile.file", node, "profile") { file = f }
      case .failure(let list):
        for p in list.problems { report(p.origin ?? e.value.origin, "profile", p.message, p.allowed) }
      }
    }
    let reference = resolveProfile(file)
    var costs = CostProfile()
    if let path = reference.resolvedPath {
      let read = profiles.read(path)
      diagnostics += read.diagnostics
      warnings += read.warnings
      costs = read.profile
      profileForwarding = read.forwarding
    } else if !ProfileFile.isBuiltIn(file) {
      let at = node?.entry("file")?.value.origin ?? origin("profile")
      report(
        at, node == nil ? "profile" : "profile.file",
        "profile '\(file)' not found; looked in: "
          + reference.candidates.joined(separator: ", "),
        "a profile file relative to the scenario file's directory or to scenarios/profiles")
    }
    apply(CostProfile.settings, in: node, section: "profile", concrete: "profile", to: &costs)
    let costKeys = Set(CostProfile.settings.map(\.key))
    for e in node?.entries ?? [] where costKeys.contains(e.key) {
      writtenCosts.append(WrittenCost(key: e.key, origin: e.value.origin))
    }
    if let alias = statedForwarding(
      in: node, key: ProfileFile.retiredForwardingKey, concrete: "profile.\(ProfileFile.retiredForwardingKey)"
    ) {
      forwardingAliases.append(alias)
    }
    for retired in RetiredProfileKey.all {
      if let alias = statedAlias(retired, in: node, concrete: "profile.\(retired.key)") {
        hostAliases.append(alias)
      }
    }
    return (reference, costs)
  }

  func resolveProfile(_ path: String) -> ProfileReference {
    var candidates: [String] = []
    if path.hasPrefix("/") {
      candidates = [path]
    } else {
      let base = baseDirectory ?? "."
      candidates.append((base as NSString).appendingPathComponent(path))
      let scenariosDir =
        AncestorFolder.nearest(from: URL(fileURLWithPath: base, isDirectory: true), limit: 16) {
          $0.lastPathComponent == "scenarios"
        }?.path ?? "scenarios"
      let profiles = (scenariosDir as NSString).appendingPathComponent("profiles")
      for c in [
        (profiles as NSString).appendingPathComponent(path),
        (profiles as NSString).appendingPathComponent((path as NSString).lastPathComponent),
      ] where !candidates.contains(c) {
        candidates.append(c)
      }
    }
    let found = candidates.first { FileManager.default.fileExists(atPath: $0) }
    return ProfileReference(path: path, candidates: candidates, resolvedPath: found)
  }
}
