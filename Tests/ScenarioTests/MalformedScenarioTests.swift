import Foundation
import Scenario
import Testing

/// Every malformed fixture with its exact, complete error text (all problems at once).
/// Fixture files live in Fixtures/ and are loaded through `ScenarioLoader.load(path:)`; the
/// fixture directory is stripped from the start of each line before comparing.
@Suite struct MalformedScenarioTests {
  static let cases: [(String, String)] = [
    (
      "unknown-key.yaml",
      "unknown-key.yaml:2:1: hots: unknown key 'hots' (did you mean 'host'?); allowed: the scenario keys: name, about, host, platform, profile, scheduler, dom0, routers, traffic, run, sweep, search, workloads, testbed"
    ),
    (
      "typo-nested-key.yaml",
      "typo-nested-key.yaml:2:3: host.cpu: unknown key 'cpu' (did you mean 'cpus'?); allowed: the keys of host: cpus, clock, forwarding, generator, udp_receiver_cpu, nic"
    ),
    (
      "key-in-wrong-section.yaml",
      "key-in-wrong-section.yaml:2:1: tslice: unknown key 'tslice' (did you mean 'scheduler.tslice'?); allowed: the scenario keys: name, about, host, platform, profile, scheduler, dom0, routers, traffic, run, sweep, search, workloads, testbed"
    ),
    (
      "bad-unit.yaml",
      "bad-unit.yaml:4:10: host.clock: '3.06GHzz' is not a valid frequency: unknown unit; allowed: a number with a unit (Hz, kHz, MHz, GHz)"
    ),
    (
      "missing-unit.yaml",
      "missing-unit.yaml:1:16: host.clock: '3.06' is not a valid frequency: the unit is missing; allowed: a number with a unit (Hz, kHz, MHz, GHz)"
    ),
    (
      "negative-rate.yaml",
      "negative-rate.yaml:2:23: traffic[0].rate: '-5kpps' is not a valid packet rate: it is negative; allowed: a number with a unit (pps, kpps, Mpps)"
    ),
    (
      "too-many-cpus.yaml",
      "too-many-cpus.yaml:1:15: host.cpus: 65 is out of range; allowed: an integer from 1 to 64"
    ),
    (
      "zero-routers.yaml",
      "zero-routers.yaml:1:19: routers.count: 0 is out of range; allowed: an integer from 1 to 1024"
    ),
    (
      "sriov-too-few-vfs.yaml",
      "sriov-too-few-vfs.yaml:3:19: routers.count: 8 routers need 8 virtual functions but host.nic.vfs is 4; allowed: at most 4 routers on xen-sriov (one VF each)"
    ),
    (
      "duplicate-keys.yaml",
      """
      duplicate-keys.yaml:5:3: host.cpus: duplicate key 'cpus' (first at line 3, column 3); allowed: each key once in a mapping
      duplicate-keys.yaml:6:1: platform: duplicate key 'platform' (first at line 1, column 1); allowed: each key once in a mapping
      """
    ),
    (
      "tab-indentation.yaml",
      """
      tab-indentation.yaml:2:1: (yaml): a tab in the indentation; allowed: spaces for indentation
      tab-indentation.yaml:3:3: (yaml): a tab in the indentation; allowed: spaces for indentation
      """
    ),
    (
      "empty.yaml",
      "empty.yaml:1:1: (file): the file is empty; allowed: a YAML mapping of scenario keys (name, about, host, platform, profile, scheduler, dom0, routers, traffic, run, sweep, search, workloads, testbed)"
    ),
    (
      "comments-only.yaml",
      "comments-only.yaml:1:1: (file): the file is empty; allowed: a YAML mapping of scenario keys (name, about, host, platform, profile, scheduler, dom0, routers, traffic, run, sweep, search, workloads, testbed)"
    ),
    (
      "binary-garbage.bin",
      "binary-garbage.bin:1:9: (file): the file is not UTF-8 text (invalid byte 0xFF at offset 8); allowed: UTF-8 text"
    ),
    (
      "invalid-utf8.yaml",
      "invalid-utf8.yaml:2:13: (file): the file is not UTF-8 text (invalid byte 0xE9 at offset 21); allowed: UTF-8 text"
    ),
    (
      "nul-bytes.yaml",
      "nul-bytes.yaml:2:9: (file): the file holds binary data (control character U+0000); allowed: UTF-8 text without control characters"
    ),
    (
      "control-character.yaml",
      "control-character.yaml:2:17: (file): the file holds binary data (control character U+0007); allowed: UTF-8 text without control characters"
    ),
    (
      "deep-nesting.yaml",
      "deep-nesting.yaml:1:39: (yaml): nesting is deeper than 32 levels; allowed: at most 32 nested mappings and lists"
    ),
    (
      "alias-bomb.yaml",
      "alias-bomb.yaml:1:35: (yaml): the document expands to more than 100000 nodes; allowed: a scenario of at most 100000 values (beware of aliases)"
    ),
    (
      "syntax-error.yaml",
      "syntax-error.yaml:2:9: (yaml): YAML syntax error: did not find expected ',' or '}' (while parsing a flow mapping at line 1, column 7); allowed: well-formed YAML"
    ),
    (
      "two-documents.yaml",
      "two-documents.yaml:2:1: (yaml): YAML syntax error: but found another document (expected a single document in the stream at line 1, column 1); allowed: well-formed YAML"
    ),
    (
      "top-level-list.yaml",
      "top-level-list.yaml:1:1: (document): expected a mapping of scenario keys, found a list; allowed: a mapping with the keys name, about, host, platform, profile, scheduler, dom0, routers, traffic, run, sweep, search, workloads, testbed"
    ),
    (
      "wrong-types.yaml",
      """
      wrong-types.yaml:1:7: host: expected a mapping, found '4'; allowed: a mapping with the keys cpus, clock, forwarding, generator, udp_receiver_cpu, nic
      wrong-types.yaml:3:10: routers.count: expected an integer, found a list; allowed: an integer from 1 to 1024
      wrong-types.yaml:4:18: routers.each.vcpus: 'two' is not an integer; allowed: an integer from 1 to 64
      """
    ),
    (
      "out-of-range.yaml",
      """
      out-of-range.yaml:1:15: host.cpus: 5000 is out of range; allowed: an integer from 1 to 64
      out-of-range.yaml:1:28: host.clock: '50GHz' is out of range; allowed: a frequency from 100MHz to 10GHz
      out-of-range.yaml:2:22: run.replications: 0 is out of range; allowed: an integer from 1 to 10000
      """
    ),
    (
      "unknown-platform.yaml",
      "unknown-platform.yaml:1:11: platform: unknown value 'xen-bridg' (did you mean 'xen-bridge'?); allowed: one of native, xen-bridge, xen-router, xen-sriov, openvz, vmware, netns-bridge, netns-router, netns-direct"
    ),
    (
      "scheduler-platform-mismatch.yaml",
      "scheduler-platform-mismatch.yaml:2:20: scheduler.kind: 'credit' does not fit platform native; allowed: none on native (changing the platform with --set? set the scheduler too: --set scheduler.kind=none)"
    ),
    (
      "ratelimit-needs-4-2.yaml",
      "ratelimit-needs-4-2.yaml:1:55: scheduler.ratelimit: a rate limit needs the credit scheduler version 4.2 or 4.3 (here: credit 4.0); allowed: off, or scheduler.kind credit with scheduler.version \"4.2\" or \"4.3\""
    ),
    (
      "warmup-not-shorter.yaml",
      "warmup-not-shorter.yaml:1:30: run.warmup: the warm-up (3s) is not shorter than run.duration (2s); allowed: a duration below run.duration"
    ),
    (
      "traffic-problems.yaml",
      """
      traffic-problems.yaml:3:11: traffic[0].to: vr9 does not exist (routers.count is 4); allowed: each, all, or vr0 to vr3
      traffic-problems.yaml:3:37: traffic[0].frame: '32B' is out of range; allowed: a frame size from 64B to 9216B, imix (64B:7, 594B:4, 1518B:1), or a list of size: weight
      traffic-problems.yaml:3:51: traffic[0].arrival: unknown arrival process 'bursty'; allowed: cbr, poisson, onoff (with on, off) or trace (with file); a mapping with kind and its parameters
      traffic-problems.yaml:4:22: traffic[1].rate: '1Gbpz' is not a valid rate: unknown unit; allowed: a number with a unit (pps, kpps, Mpps, bps, kbps, Mbps, Gbps, Tbps)
      """
    ),
    (
      "frame-mix-problems.yaml",
      """
      frame-mix-problems.yaml:2:21: traffic[0].frame[1]: '12B' is out of range; allowed: a frame size from 64B to 9216B with an integer weight from 1 to 1000000, as 64B: 7
      frame-mix-problems.yaml:2:29: traffic[0].frame[2]: weight 'zero' is not an integer from 1 to 1000000; allowed: a frame size from 64B to 9216B with an integer weight from 1 to 1000000, as 64B: 7
      """
    ),
    (
      "trace-without-file.yaml",
      """
      trace-without-file.yaml:2:14: traffic[0].arrival.file: a trace needs a file; allowed: file: a CSV or pcap path relative to the scenario file
      trace-without-file.yaml:2:29: traffic[0].arrival.on: 'on' is only used with kind onoff; allowed: the keys of kind trace
      """
    ),
    (
      "router-overrides.yaml",
      """
      router-overrides.yaml:4:16: routers.overrides[0].index: router 5 does not exist (routers.count is 2); allowed: router numbers from 0 to 1
      router-overrides.yaml:5:7: routers.overrides[1]: both index and indices are given; allowed: one of index or indices
      router-overrides.yaml:6:7: routers.overrides[2]: no index or indices given; allowed: index: N or indices: [N, ...] (0-based)
      """
    ),
    (
      "dom0-pin.yaml",
      """
      dom0-pin.yaml:2:14: dom0.pin: CPU 3 does not exist (host.cpus is 2); allowed: CPU numbers from 0 to 1
      dom0-pin.yaml:2:30: dom0.weight: 0 is out of range; allowed: an integer from 1 to 65535
      """
    ),
    (
      "unknown-tag.yaml",
      """
      unknown-tag.yaml:1:15: host.cpus: unknown YAML tag '!evil' (no tags are read); allowed: the value without a tag
      unknown-tag.yaml:2:10: routers: unknown YAML tag '!!map' (no tags are read); allowed: the value without a tag
      unknown-tag.yaml:3:14: run.seed: unknown YAML tag '!!int' (no tags are read); allowed: the value without a tag
      """
    ),
    (
      "duplicate-pins.yaml",
      """
      duplicate-pins.yaml:2:18: dom0.pin[1]: 0 is listed twice (first as item 0); allowed: each value at most once
      duplicate-pins.yaml:2:21: dom0.pin[2]: 0 is listed twice (first as item 0); allowed: each value at most once
      duplicate-pins.yaml:3:42: routers.each.pin[2]: 1 is listed twice (first as item 0); allowed: each value at most once
      """
    ),
    (
      "sweep-unknown-path.yaml",
      "sweep-unknown-path.yaml:2:10: sweep.routers.cont: unknown key path 'routers.cont' (did you mean 'routers.count'?); allowed: a key path of the schema (scenarios/README.md), e.g. routers.count"
    ),
    (
      "sweep-zip-lengths.yaml",
      "sweep-zip-lengths.yaml:2:3: sweep: zip needs lists of equal length: routers.count has 3 values, scheduler.tslice has 2; allowed: lists of equal length, or mode product"
    ),
    (
      "sweep-point-invalid.yaml",
      "sweep-point-invalid.yaml:3:32: routers.count: 3 routers need 3 virtual functions but host.nic.vfs is 2; allowed: at most 2 routers on xen-sriov (one VF each)"
    ),
    (
      "many-errors.yaml",
      """
      many-errors.yaml:3:9: host.cpus: -1 is out of range; allowed: an integer from 1 to 64
      many-errors.yaml:4:10: host.clock: 'fast' is not a valid frequency: unknown unit; allowed: a number with a unit (Hz, kHz, MHz, GHz)
      many-errors.yaml:5:1: platfrom: unknown key 'platfrom' (did you mean 'platform'?); allowed: the scenario keys: name, about, host, platform, profile, scheduler, dom0, routers, traffic, run, sweep, search, workloads, testbed
      many-errors.yaml:7:9: run.seed: 'lots' is not an integer; allowed: an integer of at least 0
      many-errors.yaml:9:21: run.max_replications: 2 is below run.replications (3); allowed: an integer from 3 to 100000
      """
    ),
  ]

  /// Loads a fixture by path and returns its error text with the directory stripped.
  static func errorText(_ name: String) -> String {
    let prefix = FixturePaths.fixtures.path + "/"
    return diagnosticsText(path: FixturePaths.fixture(name))
      .split(separator: "\n", omittingEmptySubsequences: false)
      .map { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : String($0) }
      .joined(separator: "\n")
  }

  @Test(arguments: cases.map(\.0))
  func fixtureGivesExactMessage(_ name: String) {
    let expected = Self.cases.first { $0.0 == name }!.1
    #expect(Self.errorText(name) == expected)
  }

  @Test func everyFixtureHasAnExpectedMessage() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: FixturePaths.fixtures.path).sorted()
    #expect(files == Self.cases.map(\.0).sorted())
    #expect(files.count >= 25)
  }

  @Test func tenMegabyteFileIsRefusedWithoutReading() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vrsim-scenario-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("huge.yaml").path
    let line = Array("about: padding padding padding padding padding padding padding padding\n".utf8)
    var data = Data(capacity: 10 << 20)
    while data.count + line.count <= 10 << 20 { data.append(contentsOf: line) }
    data.append(contentsOf: [UInt8](repeating: 0x20, count: (10 << 20) - data.count))
    try data.write(to: URL(fileURLWithPath: path))
    #expect(
      diagnosticsText(path: path)
        == "\(path):1:1: (file): the file is 10485760 bytes, more than the limit of 1048576 bytes; allowed: a scenario file of at most 1 MiB"
    )
  }

  @Test func largeTextIsRefused() {
    let text = "about: \"" + String(repeating: "x", count: 2 << 20) + "\"\n"
    #expect(
      diagnosticsText(text: text)
        == "x.yaml:1:1: (file): the file is 2097162 bytes, more than the limit of 1048576 bytes; allowed: a scenario file of at most 1 MiB"
    )
  }

  @Test func libyamlNestingLimitIsAnErrorNotACrash() {
    let text = "about: " + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000) + "\n"
    #expect(
      diagnosticsText(text: text)
        == "x.yaml:1:9: (yaml): nesting is deeper than 32 levels; allowed: at most 32 nested mappings and lists"
    )
  }

  @Test func deepBlockNestingIsAnError() {
    var text = ""
    for depth in 0..<40 { text += String(repeating: " ", count: depth) + "k\(depth):\n" }
    text += String(repeating: " ", count: 40) + "x: 1\n"
    #expect(
      diagnosticsText(text: text)
        == "x.yaml:33:33: (yaml): nesting is deeper than 32 levels; allowed: at most 32 nested mappings and lists"
    )
  }

  @Test func missingFileIsAnError() {
    #expect(
      diagnosticsText(path: "/nonexistent/vrsim/x.yaml")
        == "/nonexistent/vrsim/x.yaml:1:1: (file): the file cannot be read (missing or not accessible); allowed: a readable scenario file"
    )
  }

  /// Random mutations of a valid scenario: loading may fail but must never crash, and every
  /// failure is a located diagnostic.
  @Test func mutatedScenariosNeverCrash() {
    let base = Array(ScenarioLoader.defaultScenarioText.utf8)
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> UInt64 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return state >> 33
    }
    let alphabet = Array("{}[]:,-#&*!|>'\"\t\n 0123456789abcGkMsB%.".utf8)
    for _ in 0..<300 {
      var bytes = base
      for _ in 0..<(1 + Int(next() % 4)) {
        let i = Int(next() % UInt64(bytes.count))
        switch next() % 3 {
        case 0: bytes[i] = alphabet[Int(next() % UInt64(alphabet.count))]
        case 1: bytes.remove(at: i)
        default: bytes.insert(alphabet[Int(next() % UInt64(alphabet.count))], at: i)
        }
      }
      do {
        var document = try ScenarioDocument.parse(bytes: bytes, fileName: "m.yaml")
        try document.applyOverrides([])
        _ = try document.resolve()
      } catch {
        #expect(!error.diagnostics.isEmpty)
        #expect(error.diagnostics.allSatisfy { $0.line >= 1 && $0.column >= 1 && $0.file == "m.yaml" })
      }
    }
  }
}
