import Foundation
import Report
import Scenario
import ScenarioRun

/// `vrsim testbed run FILE`: every sweep point of a scenario, its replications as trials.
public struct TestbedRun: Sendable {
  /// Scenario file (YAML) with a netns platform.
  public var file: String
  /// `--set` overrides.
  public var overrides: [String] = []
  /// Where the CSV goes (the sidecar beside it); nil: printed.
  public var out: String?
  /// The traffic generator (`--generator`): `--set host.generator=...` after the overrides;
  /// nil: the scenario's `host.generator`.
  public var generator: TestbedGenerator? = nil
  /// The rows' experiment column.
  public var experiment = "run"
  /// Frames sent to measure the generator's ceiling.
  public var ceilingPackets = 200_000
  /// Where the frames go (`TrialPath`).
  public var path: TrialPath = .platform
  /// CPUs each given a CPU hog during every trial.
  public var hogCPUs: [Int] = []

  /// A run of `file`.
  public init(file: String) { self.file = file }

  /// Checks the options that need no scenario (the message names the option).
  public func validate() throws(TestbedError) {
    if let bad = hogCPUs.first(where: { !(0..<1024).contains($0) }) {
      throw TestbedError("--hog-cpu \(bad) is out of range; allowed: 0 ... 1023", usage: true)
    }
    if path != .platform && generator == .iperf3 {
      throw TestbedError("--path \(path.rawValue) sends with trafgen only", usage: true)
    }
    if !(1_000...50_000_000).contains(ceilingPackets) {
      throw TestbedError(
        "--ceiling-packets \(ceilingPackets) is out of range; allowed: 1000 ... 50000000", usage: true)
    }
  }

  /// The note of every row: the generator (the one the scenario resolves to), the path and
  /// the hogs when not the defaults.
  func rowNote(_ generator: TestbedGenerator) -> String {
    var parts = [TestbedCommon.note(generator: generator)].filter { !$0.isEmpty }
    if path != .platform { parts.append("path=\(path.rawValue)") }
    if !hogCPUs.isEmpty { parts.append("hog=cpu" + hogCPUs.map(String.init).joined(separator: "+cpu")) }
    return parts.joined(separator: ";")
  }

  /// Measures every point in a session of its own (printing each point's summary) and
  /// returns the rows and the host facts.
  public func collect(version: String) throws -> (rows: [MeasuredRow], facts: [String: Any]) {
    let (spec, points, generator) = try TestbedCommon.points(
      file: file, overrides: overrides, generator: generator)
    if path != .platform && generator != .trafgen {
      throw ScenarioRunError(
        "--path \(path.rawValue) sends with trafgen only, and the scenario says host.generator: \(generator.rawValue)",
        exitCode: 2)
    }
    let jobs: [TestbedJob]
    do { jobs = try TestbedJob.jobs(of: spec) } catch { throw TestbedCommon.mapped(error) }
    if !jobs.isEmpty && (path != .platform || !hogCPUs.isEmpty) {
      throw ScenarioRunError(
        "--path and --hog-cpu run without the scenario's workloads: remove its workloads: section",
        exitCode: 2)
    }
    if !jobs.isEmpty, let role = TestbedCommon.trafficRoles.first(where: { spec.testbed?.target($0) != nil })
    {
      throw ScenarioRunError(
        "testbed.\(role.rawValue).ssh: a scenario with workloads runs with every role local only (its jobs are timed by the local time-keeper)",
        exitCode: 2)
    }
    if jobs.contains(where: { if case .superpi = $0.work { true } else { false } }),
      !FileManager.default.isExecutableFile(atPath: TestbedCommon.benchmarksPath)
    {
      throw ScenarioRunError(
        "\(TestbedCommon.benchmarksPath) not found: build it with swift build --product vrsim-benchmarks",
        exitCode: 2)
    }
    let session: TestbedSession
    do { session = try TestbedSession(tools: TestbedCommon.tools(generator), log: TestbedCommon.note) } catch
    {
      throw TestbedCommon.mapped(error)
    }
    defer { session.close() }
    TestbedCommon.note(
      "testbed prefix \(session.prefix), cgroups \(session.cgroups.label), \(points.count) point(s)")
    var rows: [MeasuredRow] = []
    var timing: [[String: Any]] = []
    let scenario = ScenarioReference.path(of: file, csv: out)
    for (setup, label) in points {
      let result: (trials: [[MetricRow]], seconds: Double, ceiling: Double, setup: Double)
      do {
        result =
          jobs.isEmpty
          ? try session.measure(setup, trials: setup.replications, ceilingPackets: ceilingPackets) {
            $0.path = path
            $0.hogCPUs = hogCPUs
          }
          : try session.measure(
            setup, jobs: jobs, trials: setup.replications, ceilingPackets: ceilingPackets,
            selfPath: TestbedCommon.selfPath, benchmarks: TestbedCommon.benchmarksPath)
      } catch {
        throw TestbedCommon.mapped(error)
      }
      let summary = MeasuredRow.summarize(
        result.trials, experiment: experiment, scenario: scenario, set: label, note: rowNote(generator))
      rows += summary
      rows.append(
        MeasuredRow(
          experiment: experiment, scenario: scenario, set: label, scope: "aggregate", metric: .setupTime,
          value: result.setup, ciLow: nil, ciHigh: nil, n: 1, note: rowNote(generator)))
      timing.append(["set": label, "seconds": result.seconds, "trials": result.trials.count])
      TestbedCommon.say(TestbedCommon.summary(label, summary, seconds: result.seconds))
    }
    var facts = out == nil ? [:] : session.hostFacts(sample: points[0].setup)
    facts["experiments"] = timing
    facts["scenario"] = spec.name
    facts["scenario_hash"] = spec.source.hash
    TestbedCommon.stamp(&facts, version: version)
    facts["prefix"] = session.prefix.text
    return (rows, facts)
  }
}
