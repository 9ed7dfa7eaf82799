import Foundation
import Report
import Scenario
import ScenarioRun
import SimCore

/// What the testbed commands (`vrsim testbed run`, `search`, `bench`, `reproduce`) share: the
/// scenario's points as testbed setups, where progress and results go, the error mapping and
/// writing a data set with its sidecar.
public enum TestbedCommon {
  /// Writes a progress line to stderr.
  public static func note(_ text: String) {
    FileHandle.standardError.write(Data("vrsim: \(text)\n".utf8))
  }

  /// Writes `text` to stdout at once (not buffered: a long run shows each line as it ends).
  public static func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
  }

  /// The programs a traffic run with `generator` needs.
  public static func tools(_ generator: TestbedGenerator) -> [String] {
    generator == .iperf3 ? Preflight.tools + ["iperf3"] : Preflight.tools
  }

  /// A testbed error as the command line's (exit 2 for usage and environment, 1 otherwise; an
  /// operation refused because a signal's teardown closed the ledger exits as that signal's
  /// handler does, 143 for SIGTERM, whichever thread reaches the exit first).
  public static func mapped(_ error: any Error) -> any Error {
    if let e = error as? TestbedError {
      return ScenarioRunError(e.message, exitCode: e.signalExitCode ?? (e.isUsage ? 2 : 1))
    }
    return error
  }

  /// The roles `vrsim testbed run` and `search` may put on a remote host.
  public static let trafficRoles: [TestbedRole] = [.generator, .dut, .sink]

  /// This program, and the benchmark program built next to it.
  public static var selfPath: String { URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path }

  /// See `selfPath`.
  public static var benchmarksPath: String {
    URL(fileURLWithPath: selfPath).deletingLastPathComponent().appendingPathComponent("vrsim-benchmarks").path
  }

  /// The scenario `file` with `overrides` and its sweep points as testbed setups, with the
  /// labels of the `set` column: the `--set` overrides, then the point's sweep assignments (a
  /// later key replaces an earlier). `generator` (the CLI's `--generator`) is
  /// `--set host.generator=...` after the overrides, so the rows' `set` column carries it and
  /// `vrsim validate` simulates the same sender; nil: the scenario's `host.generator`. Every
  /// point runs the generator the scenario resolves to (returned as `generator`; a sweep over
  /// it is refused). `remote`: the roles the command can run on a remote host; another role
  /// with an ssh target is refused, naming the key and `why`.
  public static func points(
    file: String, overrides: [String], generator: TestbedGenerator? = nil,
    remote: [TestbedRole] = trafficRoles,
    why: String =
      "the time-keeper runs locally for now (the external timer needs a route from the benchmark's namespace)"
  ) throws -> (
    spec: ScenarioSpec, points: [(setup: TestbedSetup, label: String)], generator: TestbedGenerator
  ) {
    let overrides = overrides + (generator.map { ["host.generator=\($0.rawValue)"] } ?? [])
    let spec = try ScenarioRunner.load(file: file, overrides: overrides)
    if let role = TestbedRole.allCases.first(where: {
      spec.testbed?.target($0) != nil && !remote.contains($0)
    }) {
      throw ScenarioRunError(
        "testbed.\(role.rawValue).ssh: \(why); vrsim testbed plan prints the ssh command of each remote "
          + "role (docs/testbed.md, Roles over ssh)",
        exitCode: 2)
    }
    let points = spec.sweepPoints()
    let used = points.first?.spec.host.generator ?? spec.host.generator
    if used == .iperf3, let role = TestbedRole.allCases.first(where: { spec.testbed?.target($0) != nil }) {
      throw ScenarioRunError(
        "testbed.\(role.rawValue).ssh: the iperf3 generator (host.generator: iperf3) runs with every role local "
          + "only; use host.generator trafgen (--generator trafgen)",
        exitCode: 2)
    }
    let cpus = ProcessInfo.processInfo.activeProcessorCount
    var out: [(TestbedSetup, String)] = []
    for point in points {
      var keys: [String] = []
      var values: [String: String] = [:]
      let pairs =
        overrides.compactMap { o -> (String, String)? in
          guard let eq = o.firstIndex(of: "=") else { return nil }
          return (String(o[..<eq]), String(o[o.index(after: eq)...]))
        } + point.assignments.map { ($0.keyPath, $0.value) }
      for (k, v) in pairs {
        if values[k] == nil { keys.append(k) }
        values[k] = v
      }
      var setup: TestbedSetup
      do { setup = try TestbedSetup(spec: point.spec, hostCPUs: cpus) } catch { throw mapped(error) }
      // one generator per run: the tools, the rows' note and the session are the run's
      guard setup.generator == used else {
        throw ScenarioRunError(
          "host.generator: a sweep point runs \(setup.generator.rawValue), the first \(used.rawValue); a "
            + "testbed run uses one generator: sweep it in separate runs (--set host.generator=...)",
          exitCode: 2)
      }
      if setup.generator == .iperf3 {
        if let k = point.spec.traffic.firstIndex(where: { $0.arrival != .cbr }) {
          throw ScenarioRunError(
            "traffic[\(k)].arrival: host.generator iperf3 sends CBR only (iperf3 -b); set traffic[\(k)].arrival=cbr, "
              + "or host.generator=trafgen for the testbed's own Poisson and on-off sender",
            exitCode: 2)
        }
        // iperf3 sends one datagram size (TrafficTrial: `-l 1472`, 1518 B frames); the model
        // simulates the scenario's frame, so any other frame is refused rather than replaced.
        if let k = point.spec.traffic.firstIndex(where: {
          if case .fixed(1518) = $0.frame { return false }
          return true
        }) {
          throw ScenarioRunError(
            "traffic[\(k)].frame: host.generator iperf3 sends 1472 B datagrams (1518 B frames) on the testbed, "
              + "and the model simulates the scenario's frame; set traffic[\(k)].frame=1518B so both send the same",
            exitCode: 2)
        }
      }
      out.append((setup, keys.map { "\($0)=\(values[$0]!)" }.joined(separator: ";")))
    }
    return (spec, out, used)
  }

  /// The rows' note for a generator (trafgen, the default, goes unsaid).
  public static func note(generator: TestbedGenerator) -> String {
    generator == .trafgen ? "" : "generator=\(generator.rawValue)"
  }

  /// Writes `rows` to `path` (CSV) and `facts` beside it (same name, `.json`).
  public static func write(rows: [MeasuredRow], facts: [String: Any], to path: String) throws {
    let url = URL(fileURLWithPath: path)
    do {
      try Data(MeasuredRow.csv(rows).utf8).write(to: url)
      let sidecar = url.deletingPathExtension().appendingPathExtension("json")
      try Data(HostFacts.json(facts).utf8).write(to: sidecar)
    } catch {
      throw ScenarioRunError("cannot write \(path): \(error.localizedDescription)")
    }
  }

  /// Writes a data set to `out`, or prints it as CSV without one.
  public static func emit(rows: [MeasuredRow], facts: [String: Any], out: String?, announce: Bool) throws {
    if let out {
      try write(rows: rows, facts: facts, to: out)
      if announce { note("wrote \(rows.count) rows to \(out)") }
    } else {
      print(MeasuredRow.csv(rows), terminator: "")
    }
  }

  /// A one-line human summary of a point.
  public static func summary(_ label: String, _ rows: [MeasuredRow], seconds: Double) -> String {
    func v(_ m: Metric) -> MeasuredRow? { rows.first { $0.scope == "aggregate" && $0.metric == m } }
    func pps(_ r: MeasuredRow?) -> String {
      guard let r else { return "?" }
      let ci = r.ci95High.map { String(format: " ± %.0f", $0 - r.value) } ?? ""
      return String(format: "%.0f", r.value) + ci
    }
    let loss = v(.loss).map { String(format: "%.3f%%", $0.value * 100) } ?? "?"
    let bound = (v(.generatorBound)?.value ?? 0) > 0 ? " [generator-bound]" : ""
    let ceiling = v(.generatorCeilingPps).map { String(format: "%.0f", $0.value) } ?? "?"
    return
      "\(label.isEmpty ? "(base)" : label): target \(pps(v(.targetPps))) pps, offered \(pps(v(.offeredPps))), forwarded \(pps(v(.forwardedPps))) pps, loss \(loss), generator ceiling \(ceiling) pps\(bound) (\(String(format: "%.1f", seconds)) s)"
  }

  /// `traffic[k].rate=...` for every traffic entry of `spec` with its rate multiplied by
  /// `factor` (rounded to whole pps or bit/s, as the scenario's rates are), the overrides
  /// that make the scenario offer what a scaled search trial offered.
  public static func rateOverrides(spec: ScenarioSpec, factor: Double) -> [String] {
    spec.traffic.enumerated().map { k, t in
      switch t.rate {
      case .packetsPerSecond(let p): "traffic[\(k)].rate=\(Int64((Double(p) * factor).rounded()))pps"
      case .bitsPerSecond(let b): "traffic[\(k)].rate=\(Int64((Double(b) * factor).rounded()))bps"
      }
    }
  }

  /// Fields every data set's sidecar carries.
  public static func stamp(_ facts: inout [String: Any], version: String, date: Date = Date()) {
    facts["vrsim"] = version
    facts["date"] = ISO8601DateFormatter().string(from: date)
  }

  /// `vrsim testbed clean`: removes what the dead runs' ledgers record (also on the remote
  /// hosts of `scenario`'s roles, with its ssh settings) and prints each removal.
  public static func clean(scenario file: String?) throws {
    guard geteuid() == 0 else { throw ScenarioRunError("vrsim testbed clean needs root", exitCode: 2) }
    var remotes: [SSHTarget] = []
    if let file {
      let spec = try ScenarioRunner.load(file: file, overrides: [])
      for role in TestbedRole.allCases {
        guard let t = spec.testbed?.target(role),
          !remotes.contains(where: { $0.host == t.host && $0.port == t.port })
        else { continue }
        remotes.append(t)
      }
    }
    let report: TestbedCleaner.Report
    do { report = try TestbedCleaner.clean(runner: SystemCommandRunner(), remotes: remotes) } catch {
      throw mapped(error)
    }
    var failed: [String] = []
    for h in report.hosts {
      for r in h.removed { print("\(h.host): removed \(r)") }
      if h.removed.isEmpty { print("\(h.host): nothing to remove") }
      failed += h.failed.map { "\($0) on \(h.host)" }
    }
    for r in report.removed { print("removed \(r)") }
    if report.removed.isEmpty { print("nothing to remove") }
    for u in report.untouched { print("left alone (no ledger records it): \(u)") }
    failed += report.failed
    if !failed.isEmpty {
      throw ScenarioRunError("could not remove: \(failed.joined(separator: ", "))")
    }
  }

  /// `vrsim testbed plan FILE`: the remote roles' ssh vectors, then every point's topology
  /// plan (prefix `vrt0-`), at most `maxLines` stdin lines per command.
  public static func plan(file: String, overrides: [String], maxLines: Int) throws -> String {
    let (spec, points, _) = try points(file: file, overrides: overrides, remote: TestbedRole.allCases)
    let layout = CgroupLayout.detect() ?? .v1(root: "/sys/fs/cgroup")
    var text = ""
    for role in TestbedRole.allCases {
      guard let target = spec.testbed?.target(role) else { continue }
      // How the role's programs are started there (the time-keeper's own; others as a pattern).
      let argv: [String]
      let program = role == .timeKeeper ? ["vrsim", "testbed", "_timekeeper"] : ["PROGRAM", "ARG"]
      do { argv = try RemoteLauncher(target: target).argv(program) } catch { throw mapped(error) }
      text += "# role \(role.rawValue) over ssh: " + argv.map { "[\($0)]" }.joined(separator: " ") + "\n"
    }
    for (setup, label) in points {
      if !label.isEmpty { text += "# point: \(label)\n" }
      text += TopologyPlan(setup: setup, prefix: RunPrefix(tag: "0"), cgroups: layout).render(
        maxInputLines: maxLines)
    }
    return text
  }
}
