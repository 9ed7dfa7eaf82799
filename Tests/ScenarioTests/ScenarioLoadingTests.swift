import Foundation
import SettingText
import SimCore
import Testing

@testable import Scenario

/// The example scenario of the product's design card, verbatim.
let designExample = """
  name: xen-bridge-4vr
  about: Four virtual routers behind the dom0 bridge, 130 kp/s of 64 B frames in total
  host: { cpus: 4, clock: 3.06GHz, nic: { rate: 1Gbps, rx_ring: 256, tx_ring: 256, vfs: 7 } }
  platform: xen-bridge
  profile: profiles/paper-2012.yaml
  scheduler: { kind: credit, version: "4.0", tslice: 30ms }
  dom0: { vcpus: 1, weight: 256 }
  routers: { count: 4, each: { vcpus: 1, weight: 256, cap: 0, routes: 100000 } }
  traffic: [ { to: each, rate: 32.5kpps, frame: 64B, arrival: cbr } ]
  run: { duration: 2s, warmup: 200ms, replications: 10, seed: 42 }
  sweep: { routers.count: [1, 2, 3, 4] }

  """

@Suite struct ScenarioLoadingTests {
  @Test func designExampleResolvesToBaseUnits() throws {
    let spec = try ScenarioLoader.load(text: designExample, fileName: "design.yaml")
    #expect(spec.name == "xen-bridge-4vr")
    #expect(
      spec.host
        == HostSpec(
          cpus: 4, clockHz: 3_060_000_000,
          nic: NICSpec(rateBitsPerSecond: 1_000_000_000, rxRing: 256, txRing: 256, vfs: 7)))
    #expect(spec.platform == .xenBridge)
    #expect(spec.profile.path == "profiles/paper-2012.yaml")
    #expect(spec.scheduler.kind == .credit)
    #expect(spec.scheduler.version == .v4_0)
    #expect(spec.scheduler.timeSlice == .ms(30))
    #expect(spec.scheduler.rateLimit == nil)
    #expect(spec.scheduler.boost)
    #expect(spec.dom0 == Dom0Spec(vcpus: 1, weight: 256, cap: 0, pin: []))
    let router = RouterSpec(vcpus: 1, weight: 256, cap: 0, routes: 100_000, fib: .routeCache)
    #expect(
      spec.routers == RoutersSpec(count: 4, each: router, perRouter: Array(repeating: router, count: 4)))
    #expect(
      spec.traffic == [
        TrafficSpec(target: .each, rate: .packetsPerSecond(32_500), frame: .fixed(bytes: 64), arrival: .cbr)
      ])
    #expect(spec.run.duration == .s(2))
    #expect(spec.run.warmup == .ms(200))
    #expect(spec.run.replications == 10)
    #expect(spec.run.ciTarget == nil)
    #expect(spec.run.seed == 42)
    #expect(
      spec.sweep
        == SweepSpec(
          mode: .product, axes: [SweepAxis(keyPath: "routers.count", values: ["1", "2", "3", "4"])]))
    #expect(spec.search == nil)
    let points = spec.sweepPoints()
    #expect(points.map(\.index) == [0, 1, 2, 3])
    #expect(points.map(\.spec.routers.count) == [1, 2, 3, 4])
    #expect(points.map(\.spec.routers.perRouter.count) == [1, 2, 3, 4])
    #expect(points[2].assignments == [SweepAssignment(keyPath: "routers.count", value: "3")])
    #expect(points.allSatisfy { $0.spec.sweep == nil && $0.spec.sweepPoints().count == 1 })
    #expect(Set(points.map(\.spec.source.hash)).count == 4)
  }

  @Test func defaultScenarioIsThePapersFig8bSetting() throws {
    let spec = try ScenarioLoader.load(text: ScenarioLoader.defaultScenarioText, fileName: "default")
    #expect(spec.platform == .xenBridge)
    #expect(spec.host.cpus == 4 && spec.host.clockHz == 3_060_000_000)
    #expect(spec.host.nic.rateBitsPerSecond == 1_000_000_000)
    #expect(spec.scheduler.kind == .credit && spec.scheduler.version == .v4_0)
    #expect(spec.dom0.vcpus == 1 && spec.dom0.weight == 256)
    #expect(spec.routers.count == 4)
    #expect(
      spec.traffic == [
        TrafficSpec(target: .all, rate: .packetsPerSecond(130_000), frame: .fixed(bytes: 64), arrival: .cbr)
      ])
    #expect(spec.run.duration == .s(2) && spec.run.warmup == .ms(200))
    #expect(spec.run.replications == 5 && spec.run.seed == 42)
    #expect(spec.sweepPoints().count == 1)
  }

  @Test func emptyMappingTakesEveryDefault() throws {
    let spec = try ScenarioLoader.load(text: "{}\n", fileName: "scenarios/min.yaml")
    #expect(spec.name == "min")
    #expect(spec.platform == .xenBridge && spec.scheduler.kind == .credit)
    #expect(spec.routers.count == 1)
    #expect(spec.traffic.count == 1)
    #expect(spec.run.maxReplications == 100)
    let native = try ScenarioLoader.load(text: "platform: native\n", fileName: "n.yaml")
    #expect(native.scheduler.kind == SchedulerKind.none)
    let v42 = try ScenarioLoader.load(text: "scheduler: { version: \"4.2\" }\n", fileName: "n.yaml")
    #expect(v42.scheduler.rateLimit == .ms(1))
  }

  @Test func everyUnitFormResolves() throws {
    let text = """
      host: { cpus: 16, clock: 2400MHz, nic: { rate: 10Gbps, vfs: 63 } }
      platform: xen-sriov
      scheduler: { kind: credit, version: "4.2", tslice: 1.5ms, ratelimit: 500us, boost: false }
      dom0: { vcpus: 2, cap: 150, pin: [0, 1] }
      routers:
        count: 32
        each: { fib: fib_trie, routes: 1000000 }
        overrides:
          - { index: 3, weight: 512 }
          - { indices: [4, 5], cap: 50, fib: dir-24-8 }
      traffic:
        - { to: vr3, rate: 969Mbps, frame: 1518B, arrival: poisson }
        - { to: all, rate: 1.5Mpps, frame: imix, arrival: { kind: onoff, on: 5ms, off: 45ms } }
        - { to: each, rate: 1kpps, frame: [64B: 7, "1518B:1"], arrival: { kind: trace, file: t.csv } }
      run: { duration: 1min, warmup: 0s, ci_target: 2.5%, max_replications: 50, seed: 7 }
      search: { max_loss: 0.1%, resolution: 500pps, low: 10kpps, high: 2Mpps }

      """
    let spec = try ScenarioLoader.load(text: text, fileName: "units.yaml", baseDirectory: "/data")
    #expect(spec.host.clockHz == 2_400_000_000)
    #expect(spec.host.nic.rateBitsPerSecond == 10_000_000_000)
    #expect(spec.scheduler.timeSlice == .us(1_500))
    #expect(spec.scheduler.rateLimit == .us(500))
    #expect(!spec.scheduler.boost)
    #expect(spec.dom0.pin == [0, 1] && spec.dom0.cap == 150)
    #expect(spec.routers.perRouter[3].weight == 512)
    #expect(spec.routers.perRouter[4].cap == 50 && spec.routers.perRouter[5].fib == .dir248)
    #expect(spec.routers.perRouter[6] == spec.routers.each)
    #expect(spec.routers.each.fib == .fibTrie && spec.routers.each.routes == 1_000_000)
    #expect(
      spec.traffic[0]
        == TrafficSpec(
          target: .router(3), rate: .bitsPerSecond(969_000_000), frame: .fixed(bytes: 1_518),
          arrival: .poisson))
    #expect(spec.traffic[1].rate == .packetsPerSecond(1_500_000))
    #expect(spec.traffic[1].frame == .mix(SettingDomain.imix))
    #expect(spec.traffic[1].arrival == .onOff(on: .ms(5), off: .ms(45)))
    #expect(
      spec.traffic[2].frame == .mix([FrameShare(bytes: 64, weight: 7), FrameShare(bytes: 1_518, weight: 1)]))
    #expect(spec.traffic[2].arrival == .trace(file: "/data/t.csv"))
    #expect(spec.run.duration == .s(60) && spec.run.warmup == .zero)
    #expect(spec.run.ciTarget == 0.025)
    #expect(
      spec.search
        == SearchSpec(
          metric: "loss", maxLoss: 0.001, resolution: .packetsPerSecond(500), low: .packetsPerSecond(10_000),
          high: .packetsPerSecond(2_000_000)))
  }

  @Test func specRoundTripsThroughJSON() throws {
    let spec = try ScenarioLoader.load(text: designExample, fileName: "design.yaml")
    let data = try JSONEncoder().encode(spec)
    let back = try JSONDecoder().decode(ScenarioSpec.self, from: data)
    #expect(back == spec)
  }

  @Test func profileIsLookedUpBesideTheFileThenInScenariosProfiles() {
    // A profile that exists nowhere is an input error at load, listing where it was looked for:
    // beside the scenario file, then in the nearest scenarios/profiles (by path, then by name).
    do {
      _ = try ScenarioLoader.load(
        text: "profile: profiles/p.yaml\n", fileName: "x.yaml", baseDirectory: "/repo/scenarios/paper")
      Issue.record("a missing profile was accepted")
    } catch {
      #expect(
        error.diagnostics.map(\.description) == [
          "x.yaml:1:10: profile: profile 'profiles/p.yaml' not found; looked in: "
            + "/repo/scenarios/paper/profiles/p.yaml, /repo/scenarios/profiles/profiles/p.yaml, "
            + "/repo/scenarios/profiles/p.yaml; allowed: a profile file relative to the scenario file's "
            + "directory or to scenarios/profiles"
        ])
    }
  }

  // MARK: Overrides

  @Test func overridesApplyBeforeValidation() throws {
    let spec = try ScenarioLoader.load(
      text: designExample, fileName: "design.yaml",
      overrides: [
        "routers.count=8", "scheduler.tslice=10ms", "traffic[0].rate=50kpps", "host={cpus: 8}",
        "run.ci_target=2%",
      ])
    #expect(spec.routers.count == 8)
    #expect(spec.scheduler.timeSlice == .ms(10))
    #expect(spec.traffic[0].rate == .packetsPerSecond(50_000))
    #expect(spec.host.cpus == 8 && spec.host.clockHz == 3_060_000_000)
    #expect(spec.run.ciTarget == 0.02)
    // routers.count was set on the command line, so the file's sweep over it is dropped.
    #expect(spec.sweepPoints().map(\.spec.scheduler.timeSlice) == [.ms(10)])
    let swept = try ScenarioLoader.load(
      text: designExample, fileName: "design.yaml", overrides: ["scheduler.tslice=10ms"])
    #expect(swept.sweepPoints().map(\.spec.scheduler.timeSlice) == Array(repeating: .ms(10), count: 4))
  }

  @Test func overridingASweptKeyDropsItsAxis() throws {
    let spec = try ScenarioLoader.load(
      text: designExample, fileName: "design.yaml", overrides: ["routers.count=2"])
    #expect(spec.sweep == nil)
    #expect(spec.sweepPoints().map(\.spec.routers.count) == [2])
  }

  @Test func overridesCreateMissingSectionsAndListElements() throws {
    let spec = try ScenarioLoader.load(
      text: "name: t\n", fileName: "t.yaml", overrides: ["scheduler.boost=false", "traffic.0.rate=1Mpps"])
    #expect(!spec.scheduler.boost)
    #expect(spec.traffic[0].rate == .packetsPerSecond(1_000_000))
  }

  @Test func unknownOverridePathIsNamed() {
    #expect(
      diagnosticsText(text: designExample, overrides: ["routers.cont=8"])
        == "--set:1:1: routers.cont: unknown key 'cont' (did you mean 'count'?); allowed: the keys of routers: count, each, overrides"
    )
    #expect(
      diagnosticsText(text: designExample, overrides: ["routers.count=8", "hots.cpus=2"])
        == "--set:2:1: hots.cpus: unknown key 'hots' (did you mean 'host'?); allowed: the scenario keys: name, about, host, platform, profile, scheduler, dom0, routers, traffic, run, sweep, search, workloads, testbed"
    )
  }

  @Test func badOverrideValuesAreLocatedInTheArgument() {
    #expect(
      diagnosticsText(
        text: "name: t\n", overrides: ["host.cpus=0", "scheduler.tslice=30mss", "routers.count"])
          == """
          --set:1:11: host.cpus: 0 is out of range; allowed: an integer from 1 to 64
          --set:2:18: scheduler.tslice: '30mss' is not a valid duration: unknown unit; allowed: a number with a unit (ns, us, µs, ms, s, min, h)
          --set:3:1: (--set): 'routers.count' is not key.path=value; allowed: key.path=value, e.g. routers.count=8
          """)
  }

  @Test func fileAndOverrideErrorsAreReportedTogether() {
    #expect(
      diagnosticsText(text: "host: { cpus: 0 }\n", overrides: ["traffic[3].rate=1kpps"])
        == """
        x.yaml:1:15: host.cpus: 0 is out of range; allowed: an integer from 1 to 64
        --set:1:1: traffic[3].rate: traffic has no element 3; allowed: a path that exists in the scenario
        """)
  }

  // MARK: Sweeps

  @Test func productVariesTheLastKeyFastest() throws {
    let text = """
      sweep:
        mode: product
        keys:
          routers.count: [1, 2]
          scheduler.tslice: [10ms, 30ms]

      """
    let points = try ScenarioLoader.load(text: text, fileName: "s.yaml").sweepPoints()
    #expect(
      points.map { $0.assignments.map(\.value) } == [
        ["1", "10ms"], ["1", "30ms"], ["2", "10ms"], ["2", "30ms"],
      ])
    #expect(points.map(\.spec.routers.count) == [1, 1, 2, 2])
    #expect(points.map(\.spec.scheduler.timeSlice) == [.ms(10), .ms(30), .ms(10), .ms(30)])
  }

  @Test func zipPairsElementWise() throws {
    let text = """
      sweep:
        mode: zip
        keys:
          routers.count: [1, 2, 4]
          traffic[0].rate: { from: 0.5Mpps, to: 1.5Mpps, step: 0.5Mpps }

      """
    let points = try ScenarioLoader.load(text: text, fileName: "s.yaml").sweepPoints()
    #expect(
      points.map { $0.assignments.map(\.value) } == [["1", "0.5Mpps"], ["2", "1Mpps"], ["4", "1.5Mpps"]])
    #expect(
      points.map(\.spec.traffic[0].rate) == [
        .packetsPerSecond(500_000), .packetsPerSecond(1_000_000), .packetsPerSecond(1_500_000),
      ])
  }

  @Test func sweepOverWholeMappingsAndPlatforms() throws {
    let text = """
      sweep:
        platform: [native, xen-bridge, xen-sriov]
        traffic[0].arrival: [cbr, { kind: onoff, on: 1ms, off: 9ms }]

      """
    let points = try ScenarioLoader.load(text: text, fileName: "s.yaml").sweepPoints()
    #expect(points.count == 6)
    #expect(points[1].assignments[1].value == "{kind: onoff, on: 1ms, off: 9ms}")
    #expect(points[0].spec.scheduler.kind == SchedulerKind.none)
    #expect(
      points[5].spec.platform == .xenSriov
        && points[5].spec.traffic[0].arrival == .onOff(on: .ms(1), off: .ms(9)))
  }

  @Test func badSweepRangesAreReported() {
    #expect(
      diagnosticsText(
        text:
          "sweep: { routers.count: { from: 1, to: 4, step: 0 }, run.seed: 5, scheduler.tslice: { from: 1ms, to: 2s, step: 1ms } }\n"
      )
        == """
        x.yaml:1:25: sweep.routers.count: the range is empty, too long or has a step of 0; allowed: {from, to, step}: numbers with the same unit, step above 0, to not below from, at most 1000 values
        x.yaml:1:64: sweep.run.seed: expected a list of values or {from, to, step}, found '5'; allowed: a list such as [1, 2, 4] or a range such as {from: 1, to: 8, step: 1}
        x.yaml:1:85: sweep.scheduler.tslice: from, to and step use different units; allowed: {from, to, step}: numbers with the same unit, step above 0, to not below from, at most 1000 values
        """)
  }

  // MARK: Hashes and schema

  @Test func sha256MatchesKnownVectors() {
    #expect(ScenarioLoader.sha256("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(
      ScenarioLoader.sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(
      ScenarioLoader.sha256(String(repeating: "a", count: 1_000))
        == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
  }

  @Test func canonicalHashIgnoresLayoutCommentsAndQuoting() throws {
    let a = "# a comment\nhost: { cpus: 4, clock: 3.06GHz }\nplatform: native\n"
    let b = "host:\n  cpus: \"4\"\n  clock: '3.06GHz'   # same\nplatform: native\n"
    let c = "host: { cpus: 8, clock: 3.06GHz }\nplatform: native\n"
    #expect(try ScenarioLoader.canonicalHash(text: a) == ScenarioLoader.canonicalHash(text: b))
    #expect(try ScenarioLoader.canonicalHash(text: a) != ScenarioLoader.canonicalHash(text: c))
    let spec = try ScenarioLoader.load(text: a, fileName: "a.yaml")
    #expect(spec.source.canonicalText == "{host: {cpus: 4, clock: 3.06GHz}, platform: native}")
    #expect(spec.source.hash == (try ScenarioLoader.canonicalHash(text: a)))
  }

  @Test func everySchemaDefaultIsValidAndEveryKeyDocumented() {
    for entry in ScenarioSchema.entries {
      _ = entry.defaultValue
      #expect(!entry.doc.isEmpty, "\(entry.path)")
      #expect(entry.defaultText != nil || entry.defaultNote != nil, "\(entry.path) has no default described")
    }
  }

  @Test func readmeMatchesSchema() throws {
    let path = FixturePaths.repository.appendingPathComponent("scenarios/README.md").path
    let generated = ScenarioSchema.markdownReference()
    if ProcessInfo.processInfo.environment["VRSIM_WRITE_SCENARIO_README"] == "1" {
      try generated.write(toFile: path, atomically: true, encoding: .utf8)
    }
    let committed = try String(contentsOfFile: path, encoding: .utf8)
    #expect(committed == generated, "scenarios/README.md is stale: regenerate it (see its header)")
  }
}
