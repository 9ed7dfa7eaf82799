import Foundation
import Testing

@testable import Scenario

/// What the scenario layer derives from its key declarations, pinned to a recorded golden
/// (Golden/declarations.txt, written by the build before the declarations were restructured):
/// every committed scenario's canonical hash and resolved values, every fixture's and every
/// listed bad input's diagnostics, the key paths of `--set` and calibration's parameter list.
/// A restructuring of the declarations must leave all of them byte-identical.
///
/// To re-record after a deliberate change, run
/// `VRSIM_WRITE_DECLARATION_GOLDEN=1 swift test --filter DeclarationGoldenTests` and state
/// the change in the commit.
@Suite("Declaration golden")
struct DeclarationGoldenTests {
  static let golden = FixturePaths.testsDirectory.appendingPathComponent("Golden/declarations.txt")

  /// Bad inputs reaching each hand-checked key and cross-key rule.
  static let badInputs: [(text: String, overrides: [String])] = [
    ("traffic: [{to: vr3}]\n", []),
    ("traffic: [{rate: 10}]\n", []),
    ("traffic: [{rate: 5Gpps}]\n", []),
    ("traffic: [{frame: [64B: 0, 9999B: 1]}]\n", []),
    ("traffic: [{frame: []}]\n", []),
    ("traffic: [{arrival: onoff}]\n", []),
    ("traffic: [{arrival: {kind: cbr, on: 1ms, file: x}}]\n", []),
    ("traffic: [{arrival: {kind: onoff, on: 1ns}}]\n", []),
    ("traffic: [{arrival: {kind: trace}}]\n", []),
    ("traffic: [{arrival: poison}]\n", []),
    ("traffic: 3\n", []),
    ("traffic: []\n", []),
    ("traffic: [3]\n", []),
    ("traffic: [{to: each, rte: 1kpps}]\n", []),
    ("routers: {count: 2, overrides: [{index: 5, vcpus: 2}]}\n", []),
    ("routers: {count: 2, overrides: [{index: 0, indices: [1]}]}\n", []),
    ("routers: {count: 2, overrides: [{vcpus: 2}]}\n", []),
    ("routers: {count: 2, overrides: [3]}\n", []),
    ("routers: {count: 2, overrides: 3}\n", []),
    ("routers: {count: 2, overrides: [{indices: [0, 0]}]}\n", []),
    ("routers: {each: {routes: 5, routes_file: r.txt}}\n", []),
    ("routers: {each: {pin: [9]}}\n", []),
    ("routers: {each: {rx_queues: 2}}\n", []),
    ("host: {nic: {rx_queues: 2}}\nplatform: native\n", []),
    ("host: {nic: {itr: 5}}\n", []),
    ("host: {nic: {itr: 1s}}\n", []),
    ("dom0: {pin: [1, 7]}\n", []),
    ("scheduler: {kind: cfs}\n", []),
    ("scheduler: {version: \"5.0\"}\n", []),
    ("scheduler: {ratelimit: 2ms}\n", []),
    ("scheduler: {kind: credit2, credit2: {min_timer: 1s, max_timer: 1ms}}\n", []),
    ("platform: xen-sriov\nrouters: {count: 9}\n", []),
    ("routers: {count: 1024}\nprofile: {backlog: 1000000}\n", []),
    ("run: {warmup: 3s, duration: 1s}\n", []),
    ("run: {ci_target: 90%, seed: -1}\n", []),
    ("search: {low: 100kpps, high: 50kpps}\n", []),
    ("search: {resolution: 5, metric: delay, max_loss: 200%}\n", []),
    ("search: 3\n", []),
    ("sweep: {mode: zap, keys: {routers.count: [1, 2]}}\n", []),
    ("sweep: {routers.cont: [1, 2]}\n", []),
    ("sweep: {routers.count: {from: 1, to: 3, step: 0}}\n", []),
    ("sweep: {mode: zip, keys: {routers.count: [1, 2], run.seed: [1]}}\n", []),
    ("workloads: [{in: vr4, kind: superpi, superpi_k: 20}]\n", []),
    ("workloads: [{name: a b, kind: cpu, cycles: 1000}, {name: a b}]\n", []),
    ("workloads: [{kind: cpu, superpi_k: 20, period: 1ms}]\n", []),
    ("workloads: [{name: x, in: dom0}, {name: x}]\n", []),
    ("workloads: 3\n", []),
    ("workloads: [3]\n", []),
    ("testbed: {dut: {ssh: {user: -x}}}\n", []),
    ("testbed: {dut: {ssh: {host: -h, user: a, port: 0, client_namespace: .x}}}\n", []),
    ("testbed: {dut: {ssh: {host: h, options: {\"a-b\": 1, ok: [1]}}}}\n", []),
    ("testbed: {dut: {ssh: {host: h, options: 3}}}\n", []),
    ("testbed: {generator: {ports: {dut: [eth0, eth0], sink: [\"a b\"]}}}\n", []),
    ("testbed: {sink: {ports: {sink: [eth0]}}}\n", []),
    ("testbed: {forwarding: napi, dut: {sssh: 1}}\n", []),
    ("platform: xen-bridge\nhost: {generator: iperf3}\n", []),
    ("platform: netns-direct\nhost: {cpus: 2, generator: iperf3, udp_receiver_cpu: 2}\n", []),
    ("profile: {generator_socket: tcp, udp_receiver_cpu: 99}\n", []),
    ("platform: netns-direct\nhost: {generator: trafgen}\n", ["profile.generator_socket=udp"]),
    ("profile: {file: nonexistent.yaml}\n", []),
    ("profile: {driver_rx: 5Gcycles, frobnicate: 1}\n", []),
    ("profile: 3\n", []),
    ("nme: x\nabout: 3\n", []),
    ("", ["traffic[0].rate=abc"]),
    ("", ["traffic[2].rate=1kpps"]),
    ("", ["routers.each.vcpu=2"]),
    ("", ["host.nic.itr=dynamic", "run.seed=7", "platform=xen-router", "scheduler.kind=credit2"]),
    ("", ["routers.overrides[0].index=0", "routers.overrides[0].vcpus=3"]),
    ("", ["testbed.dut.ssh.host=h", "testbed.dut.ssh.port=2222", "testbed.dut.ports.sink=eth1"]),
    ("", ["search.low=2kpps", "search.resolution=100pps", "search.high=1Mpps"]),
    ("", ["workloads[0].kind=periodic", "workloads[0].period=5ms", "workloads[0].cycles_per_period=1000"]),
    ("", ["traffic[0].arrival={kind: onoff, on: 2ms}", "traffic[0].frame=imix", "traffic[0].to=all"]),
    ("", ["host={cpus: 8}", "dom0.pin=[1, 2]", "routers.each.pin=3"]),
    ("", ["scheduler.version=\"4.3\"", "profile=paper-2012-fit.yaml"]),
    ("", ["sweep.keys.routers.count=[1, 2]"]),
    ("", ["traffic[0]=3"]),
    ("", ["frob=1"]),
  ]

  static func record() -> String {
    var out = ""
    let fm = FileManager.default
    let repo = FixturePaths.repository.path
    func scrub(_ s: String) -> String { s.replacingOccurrences(of: repo, with: "$REPO") }
    let encoder = JSONEncoder()
    // Slashes unescaped, so that the checkout's path is scrubbed from paths inside the JSON too.
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    // Every committed scenario: hash, resolved values (their JSON's hash), sweep points.
    var files: [String] = []
    for dir in ["scenarios/paper", "scenarios/whatif", "scenarios/testbed"] {
      let names = (try? fm.contentsOfDirectory(atPath: repo + "/" + dir)) ?? []
      files += names.filter { $0.hasSuffix(".yaml") }.sorted().map { "\(dir)/\($0)" }
    }
    for f in files {
      do {
        let spec = try ScenarioLoader.load(path: repo + "/" + f)
        let json = scrub(String(decoding: try encoder.encode(spec), as: UTF8.self))
        out += "scenario \(f) hash \(spec.source.hash) resolved \(ScenarioLoader.sha256(json).prefix(16))\n"
        out += "  canonical \(spec.source.canonicalText)\n"
        for p in spec.sweepPoints() {
          let pj = scrub(String(decoding: try encoder.encode(p.spec), as: UTF8.self))
          out += "  point \(p.index) \(p.spec.source.hash) \(ScenarioLoader.sha256(pj).prefix(16))\n"
        }
      } catch {
        out += "scenario \(f) error \(scrub("\(error)"))\n"
      }
    }
    // The default scenario, resolved.
    if let spec = try? ScenarioLoader.load(text: ScenarioLoader.defaultScenarioText, fileName: "d.yaml"),
      let data = try? encoder.encode(spec)
    {
      out +=
        "default \(spec.source.hash) \(ScenarioLoader.sha256(scrub(String(decoding: data, as: UTF8.self))))\n"
    }
    // Every fixture's diagnostics.
    let fixtures = ((try? fm.contentsOfDirectory(atPath: FixturePaths.fixtures.path)) ?? []).sorted()
    for name in fixtures {
      out += "fixture \(name)\n"
      for line in scrub(diagnosticsText(path: FixturePaths.fixture(name))).split(separator: "\n") {
        out += "  \(line)\n"
      }
    }
    // The listed bad inputs.
    for (i, input) in badInputs.enumerated() {
      out += "input \(i) \(input.text.debugDescription) \(input.overrides)\n"
      var text = "OK"
      do {
        let spec = try ScenarioLoader.load(
          text: input.text, fileName: "in.yaml", baseDirectory: FixturePaths.fixtures.path,
          overrides: input.overrides)
        let json = scrub(String(decoding: (try? encoder.encode(spec)) ?? Data(), as: UTF8.self))
        text = "OK \(spec.source.hash) \(ScenarioLoader.sha256(json).prefix(16))"
      } catch {
        text = error.description
      }
      for line in scrub(text).split(separator: "\n") { out += "  \(line)\n" }
    }
    // Key paths and calibration's parameters.
    out += "keyPaths \(ScenarioSchema.keyPaths.joined(separator: " "))\n"
    for p in ScenarioSchema.parameters {
      let c = p.calibration.map {
        "\($0.lower)...\($0.upper) prior \($0.prior.map { "\($0.mean),\($0.sd)" } ?? "-")"
      }
      out +=
        "parameter \(p.key) \(p.unit) \(p.range) int \(p.isInteger) default \(p.defaultValue.map { "\($0)" } ?? "off") "
        + "text \(p.text(p.defaultValue ?? p.range.lowerBound)) fit \(c ?? "-") doc \(p.doc.count)\n"
    }
    return out
  }

  @Test func declarationsDeriveTheRecordedResults() throws {
    let now = Self.record()
    if ProcessInfo.processInfo.environment["VRSIM_WRITE_DECLARATION_GOLDEN"] == "1" {
      try FileManager.default.createDirectory(
        at: Self.golden.deletingLastPathComponent(), withIntermediateDirectories: true)
      try now.write(to: Self.golden, atomically: true, encoding: .utf8)
    }
    let recorded = try String(contentsOf: Self.golden, encoding: .utf8)
    let a = recorded.split(separator: "\n", omittingEmptySubsequences: false)
    let b = now.split(separator: "\n", omittingEmptySubsequences: false)
    let first = (0..<Swift.min(a.count, b.count)).first { a[$0] != b[$0] } ?? Swift.min(a.count, b.count)
    #expect(
      recorded == now,
      "first difference at line \(first + 1): recorded \(first < a.count ? String(a[first]) : "(end)") / now \(first < b.count ? String(b[first]) : "(end)")"
    )
  }
}
