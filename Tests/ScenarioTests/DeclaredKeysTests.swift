import Foundation
import Platforms
import SettingText
import SimCore
import Testing

@testable import Scenario

/// Every declared key (scenario settings, scheduler options of every family, profile costs)
/// goes through YAML and `--set` to the resolved scenario, and values just outside its
/// declared range are refused with a diagnostic naming the key.
///
/// The values tried come from each declaration's own range: the lowest value (or the highest
/// when the lowest is the default), so every key is moved off its default; out of range is the
/// lowest minus one base unit and the highest plus one.
@Suite("Declared keys")
struct DeclaredKeysTests {
  /// One declared key as the tests see it: full path, domain, and how to read it back.
  struct Key: Sendable {
    var path: String
    var domain: SettingDomain
    var read: @Sendable (ScenarioSpec) -> SettingValue
  }

  static let keys: [Key] = {
    var out: [Key] = []
    for s in MountedSettings.all { out.append(Key(path: s.key, domain: s.domain, read: { s.value(in: $0) })) }
    for s in RouterSpec.settings {
      out.append(
        Key(path: "routers.each." + s.key, domain: s.domain, read: { s.value(in: $0.routers.perRouter[0]) }))
    }
    return out
  }()

  /// Overrides that keep cross-key rules satisfied whatever single key is moved: a rate limit
  /// needs credit 4.2, credit2's min_timer must not exceed max_timer, the warm-up must be
  /// shorter than the duration, max_replications must not be below replications; a router's
  /// VF receive queues need xen-sriov; threaded forwarding and the iperf3 generator a netns
  /// platform.
  static let context = [
    "scheduler.version=\"4.2\"", "scheduler.credit2.min_timer=10us", "scheduler.credit2.max_timer=1s",
    "run.warmup=0s", "run.replications=1", "run.max_replications=100000",
  ]

  /// `context` without the override of the key under test.
  static func context(for path: String) -> [String] {
    context.filter { !$0.hasPrefix(path + "=") }
      + (path == "routers.each.rx_queues" ? ["platform=xen-sriov"] : [])
      + (["host.forwarding", "host.generator"].contains(path) ? ["platform=netns-bridge"] : [])
  }

  /// A value inside the domain that differs from `current`.
  static func inRange(_ d: SettingDomain, _ current: SettingValue) -> SettingValue {
    switch d {
    case .integer(let r, _), .optionalInteger(let r, _):
      return current == .integer(r.lowerBound) ? .integer(r.upperBound) : .integer(r.lowerBound)
    case .real(let r, _):
      return current == .real(r.lowerBound) ? .real(r.upperBound) : .real(r.lowerBound)
    case .boolean: return current == .boolean(true) ? .boolean(false) : .boolean(true)
    case .choice(let names): return .text(names.first { .text($0) != current } ?? names[0])
    case .integerList(let r):
      return current == .integers([r.lowerBound]) ? .integers([r.lowerBound + 1]) : .integers([r.lowerBound])
    case .interruptThrottle: return current == .text("dynamic") ? .off : .text("dynamic")
    default: return current
    }
  }

  static func load(_ path: String, _ overrides: [String]) throws(ScenarioError) -> ScenarioSpec {
    try ScenarioLoader.load(text: "name: t\n", fileName: "t.yaml", overrides: context(for: path) + overrides)
  }

  /// `a.b.c` and a value as nested YAML flow mappings: `a: {b: {c: v}}`.
  static func yaml(_ path: String, _ value: String) -> String {
    let parts = path.split(separator: ".")
    var text = "\(parts.last!): \(value)"
    for p in parts.dropLast().reversed() { text = "\(p): {\(text)}" }
    return "name: t\n" + text + "\n"
  }

  @Test func thereAreDeclaredKeysOfEveryKind() {
    // 5 host (forwarding, generator and udp_receiver_cpu too) + 6 NIC (itr too) + 1 scheduler version + 3 credit + 5 credit2 + 4 cfs + 5 eevdf + 3 vmware +
    // 6 dom0 (pin too) + 1 routers.count + 6 run (ci_target and seed too) + 7 router (pin and routes too), and
    // 48 profile keys: 5 Linux stack, 4 FIB, 21 bridge/Xen/SR-IOV/OpenVZ/VMware/veth costs,
    // 6 batch and queue sizes, 3 context-switch costs, 4 host costs that grow with the domain
    // count (host_cache, cache_refill, sched_decision, ipi_latency), a pCPU's exit from idle
    // (idle_exit) and 4 path ones (vif_scan,
    // event_delivery, dom0_footprint, guest_footprint), and 10 of the netns platforms (4 generator,
    // sink, softirq entry, dev_weight, netdev_budget and its time, veth_ring; the forwarding mode
    // is the host's)
    // and 3 of the testbed's CPU window the netns CPU rows are counted over (testbed_window_extra,
    // testbed_window_per_sender, testbed_trial), and 8 more of the netns platforms (generator_window, cpu_background,
    // linux_context_switch, linux_switch_refill, veth_poll, veth_per_byte, fib_rules, generator_start), and 11 of
    // the netns UDP sockets
    // (udp_send_user, udp_send_system, udp_pacing, udp_wakeup, udp_deliver, udp_recv_user,
    // udp_recv_system, udp_recv_wakeup, udp_wake_remote, udp_rcvbuf, udp_truesize; the generator and the
    // receiver's CPU are the host's).
    #expect(Self.keys.count == 5 + 6 + 1 + 3 + 5 + 4 + 5 + 3 + 6 + 1 + 6 + 7 + 48 + 10 + 3 + 8 + 11)
    #expect(Set(Self.keys.map(\.path)).count == Self.keys.count, "a key is declared twice")
  }

  @Test func everyKeyRoundTripsThroughSetAndYAML() throws {
    for key in Self.keys {
      let kind = key.domain
      let wanted = Self.inRange(key.domain, key.read(try Self.load(key.path, [])))
      let text = kind.text(of: wanted)
      let viaSet = try Self.load(key.path, ["\(key.path)=\(text)"])
      #expect(key.read(viaSet) == wanted, "--set \(key.path)=\(text)")
      let viaYAML = try ScenarioLoader.load(
        text: Self.yaml(key.path, text), fileName: "t.yaml", overrides: Self.context(for: key.path))
      #expect(key.read(viaYAML) == wanted, "YAML \(key.path): \(text)")
    }
  }

  @Test func everyKeyRefusesValuesOutsideItsRange() {
    for key in Self.keys {
      let kind = key.domain
      var outside: [String] = []
      switch key.domain {
      case .integer(let r, _), .optionalInteger(let r, _):
        if r.lowerBound > .min { outside.append(kind.text(of: .integer(r.lowerBound - 1))) }
        if r.upperBound < .max { outside.append(kind.text(of: .integer(r.upperBound + 1))) }
      case .real(let r, _):
        outside.append(kind.text(of: .real(r.upperBound * 2 + 1)))
      case .boolean: outside.append("maybe")
      case .choice: outside.append("no-such-choice")
      // A single integer is a list of one (so the diagnostic names the key itself).
      case .integerList(let r): outside.append("\(r.upperBound + 1)")
      case .interruptThrottle: outside.append("11ms")
      default: Issue.record("\(key.path): a declared key of a kind this test does not move")
      }
      for text in outside {
        do {
          _ = try Self.load(key.path, ["\(key.path)=\(text)"])
          Issue.record("\(key.path)=\(text) was accepted")
        } catch {
          #expect(error.diagnostics.contains { $0.keyPath == key.path }, "\(key.path)=\(text): \(error)")
        }
      }
    }
  }

  @Test func aProfileCostSetOnTheShortFormKeepsTheFile() throws {
    let spec = try ScenarioLoader.load(
      text: "name: t\nprofile: paper-2012.yaml\n", fileName: "t.yaml",
      overrides: ["profile.driver_rx=1300cycles"])
    #expect(spec.costs.driverRx == 1_300)
    #expect(spec.profile.path == "paper-2012.yaml")
    // Every other cost stays at the built-in paper-2012 value (CostProfile.swift: 1150 cycles).
    #expect(spec.costs.driverTx == 1_150)
  }

  @Test func profileFilesAreCheckedWithLocatedErrors() {
    let text = """
      name: bad
      irq: 1500
      napi_poll: 0cycles
      napiWeight: 64

      """
    do {
      _ = try ProfileFile.load(text: text, file: "bad.yaml")
      Issue.record("a bad profile was accepted")
    } catch {
      let lines = error.diagnostics.map(\.description)
      #expect(
        lines.contains {
          $0.hasPrefix("bad.yaml:2:6: irq: '1500' is not a valid cycle count: the unit is missing")
        })
      #expect(
        lines.contains {
          $0.hasPrefix("bad.yaml:4:1: napiWeight: unknown key 'napiWeight' (did you mean 'napi_weight'?)")
        })
      // Costs the file does not state are not errors: they take their declared defaults.
      #expect(!lines.contains { $0.contains("costs missing") || $0.contains("not in the profile") })
    }
  }

  /// A fitted profile written before a cost was declared: the missing cost takes its declared
  /// default (CostProfile's initial value, the paper-2012 figure) and a warning names it.
  @Test func aProfileWithoutANewerCostLoadsAtItsDefaultAndSaysSo() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vrsim-profile-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    var older = CostProfile.paper2012
    older.name = "older"
    older.driverRx = 2_000
    older.bridge = 3_333
    #expect(CostProfile().bridge != 3_333)
    // The file as written by an older vrsim: every line but bridge's.
    let lines = ProfileFile.text(older).split(separator: "\n").filter { !$0.hasPrefix("bridge:") }
    #expect(lines.count == CostProfile.provenanceKeys.count + CostProfile.settings.count - 1)
    try (lines.joined(separator: "\n") + "\n").write(
      to: dir.appendingPathComponent("older.yaml"), atomically: true, encoding: .utf8)
    try "name: s\nprofile: older.yaml\n".write(
      to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
    let spec = try ScenarioLoader.load(path: dir.appendingPathComponent("s.yaml").path, overrides: [])
    #expect(spec.costs.driverRx == 2_000)
    #expect(spec.costs.bridge == CostProfile().bridge)
    #expect(spec.source.warnings.count == 1)
    #expect(spec.source.warnings.first?.contains("older.yaml: cost not in the profile") == true)
    #expect(spec.source.warnings.first?.contains("bridge = ") == true)
    // A complete profile gives no warning.
    try ProfileFile.text(older).write(
      to: dir.appendingPathComponent("complete.yaml"), atomically: true, encoding: .utf8)
    try "name: c\nprofile: complete.yaml\n".write(
      to: dir.appendingPathComponent("c.yaml"), atomically: true, encoding: .utf8)
    let complete = try ScenarioLoader.load(path: dir.appendingPathComponent("c.yaml").path, overrides: [])
    #expect(complete.source.warnings.isEmpty)
    #expect(complete.costs.bridge == older.bridge)
  }

  @Test func ringMemoryIsBoundedBeforeAnythingIsAllocated() {
    // 1024 routers x (1,000,000 vif slots + 2 x 1000 backlog + 3 x 256 for netback's rx_queue
    // and the vif rings + 256 + 256 NIC slots) = 1024 x 1,003,280 = 1,027,358,720 slots of 32 B
    // (~31 GiB), above the 2^26-slot (2 GiB) limit.
    do {
      _ = try ScenarioLoader.load(
        text: "name: t\n", fileName: "t.yaml", overrides: ["routers.count=1024", "profile.vif_queue=1000000"])
      Issue.record("a 31 GiB path was accepted")
    } catch {
      #expect(
        error.diagnostics.contains { $0.keyPath == "routers.count" && $0.message.contains("1027358720") })
    }
  }
}
