import Foundation
import Testing

/// A generated mutation test: valid scenarios, profiles, CSV and pcap traces and route files
/// are mutated (numbers to 0, -1, huge or NaN; truncation; duplicated and dropped lines) and
/// each mutant is run through the vrsim binary. Every one must end with exit code 2 and a
/// message naming the input it came from, or succeed: never a signal, never exit code 1,
/// never more than `timeout` seconds. Seeded, so a failure names a mutant that replays. The
/// run length is pinned with `--set` (duration mutations are covered by the scenario tests).
@Suite("mutated inputs")
struct MutationTests {
  /// SplitMix64 (Steele, Lea and Flood 2014): a small seeded generator for the mutator.
  struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
  }

  static let scenario = """
    name: mutant
    about: one native router replaying a trace, a route file, 2 ms
    host: { cpus: 2, clock: 3GHz, nic: { rate: 1Gbps, rx_ring: 256, tx_ring: 256, vfs: 0 } }
    platform: native
    profile: p.yaml
    routers: { count: 1, each: { vcpus: 1, weight: 256, cap: 0, routes_file: r.txt } }
    traffic:
      - { to: all, rate: 20kpps, frame: 64B, arrival: { kind: trace, file: t.csv } }
      - { to: all, rate: 10kpps, frame: [64B: 3, 1518B: 1], arrival: { kind: trace, file: t.pcap } }
    run: { duration: 2ms, warmup: 1ms, replications: 1, seed: 5 }

    """
  /// The committed paper-2012 profile file (every cost with its unit).
  static let profile: [UInt8] = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("scenarios/profiles/paper-2012.yaml")
    return Array((try? Data(contentsOf: url)) ?? Data())
  }()
  static let trace = "timestamp,size\n0,64\n10us,1518\n0.000025,64\n40us,512\n"
  static let routes = "# table\n10.0.0.0/8\n192.168.1.0/24\n172.16.0.0/12\n"
  static var pcap: [UInt8] {
    var b: [UInt8] = []
    func u32(_ v: UInt32) { for k in 0..<4 { b.append(UInt8((v >> (8 * k)) & 0xff)) } }
    for v: UInt32 in [0xa1b2_c3d4, 0x0004_0002, 0, 0, 65_535, 1] { u32(v) }
    for (usec, len) in [(100, 60), (110, 1514), (125, 60)] as [(UInt32, UInt32)] {
      for v in [5, usec, len, len] { u32(v) }
      b += [UInt8](repeating: 0, count: Int(len))
    }
    return b
  }

  static let numbers = [
    "0", "-1", "1e300", "9223372036854775807", "99999999999", ".nan", "nan", "inf", "0.0",
  ]

  /// One text mutation: a number replaced, the text truncated, or a line duplicated or dropped.
  static func mutate(_ text: String, _ rng: inout SplitMix) -> String {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    switch Int.random(in: 0..<5, using: &rng) {
    case 0, 1:
      // Replace one run of digits (with its fraction) by a hostile number.
      let scalars = Array(text.unicodeScalars)
      var runs: [Range<Int>] = []
      var i = 0
      while i < scalars.count {
        if scalars[i].properties.numericType != nil {
          let start = i
          while i < scalars.count && (scalars[i].properties.numericType != nil || scalars[i] == ".") {
            i += 1
          }
          runs.append(start..<i)
        } else {
          i += 1
        }
      }
      guard let run = runs.randomElement(using: &rng) else { return text }
      var out = String.UnicodeScalarView()
      out.append(contentsOf: scalars[..<run.lowerBound])
      out.append(contentsOf: numbers.randomElement(using: &rng)!.unicodeScalars)
      out.append(contentsOf: scalars[run.upperBound...])
      return String(out)
    case 2:
      let cut = Int.random(in: 0...text.utf8.count, using: &rng)
      return String(decoding: Array(text.utf8)[..<cut], as: UTF8.self)
    case 3:
      let l = Int.random(in: 0..<lines.count, using: &rng)
      lines.insert(lines[l], at: l)
      return lines.joined(separator: "\n")
    default:
      lines.remove(at: Int.random(in: 0..<lines.count, using: &rng))
      return lines.joined(separator: "\n")
    }
  }

  /// One binary mutation of the pcap: truncation, a random 32-bit field set to an extreme, or
  /// a duplicated record.
  static func mutate(_ bytes: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
    var b = bytes
    switch Int.random(in: 0..<3, using: &rng) {
    case 0:
      return Array(b[..<Int.random(in: 0...b.count, using: &rng)])
    case 1:
      let field = Int.random(in: 0..<(b.count / 4), using: &rng) * 4
      let value = [UInt32.max, 0, 999_999, 1_000_000, 0x8000_0000].randomElement(using: &rng)!
      for k in 0..<4 { b[field + k] = UInt8((value >> (8 * k)) & 0xff) }
      return b
    default:
      return b + b[24..<(24 + 16 + 60)]
    }
  }

  /// A mutant that burns this much CPU time has hung in a loop.
  static let timeout = 20.0
  /// A mutant still running after this long without burning `timeout` of CPU is blocked
  /// (a loaded machine stretches a run's wall time, never its CPU time, and not by 10x).
  static let wallTimeout = 200.0

  /// User plus system CPU time of a running process, seconds (/proc/PID/stat fields 14, 15).
  static func cpuSeconds(_ pid: Int32) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = text.lastIndex(of: ")")
    else { return 0 }
    let f = text[text.index(after: close)...].split(separator: " ")
    guard f.count > 12, let u = Double(f[11]), let s = Double(f[12]) else { return 0 }
    return (u + s) / Double(sysconf(Int32(_SC_CLK_TCK)))
  }

  @Test func mutantsEndInALocatedErrorOrARun() throws {
    var rng = SplitMix(state: 13)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vrsim-mutants-\(getpid())")
    defer { try? FileManager.default.removeItem(at: dir) }
    var outcomes: [Int32: Int] = [:]
    let started = Date()
    #expect(!Self.profile.isEmpty, "scenarios/profiles/paper-2012.yaml not found")
    for index in 0..<120 {
      try? FileManager.default.removeItem(at: dir)
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      var files: [String: [UInt8]] = [
        "s.yaml": Array(Self.scenario.utf8), "t.csv": Array(Self.trace.utf8),
        "r.txt": Array(Self.routes.utf8),
        "t.pcap": Self.pcap, "p.yaml": Self.profile,
      ]
      let target = ["s.yaml", "t.csv", "r.txt", "t.pcap", "p.yaml"][index % 5]
      let rounds = 1 + Int.random(in: 0..<2, using: &rng)
      for _ in 0..<rounds {
        if target == "t.pcap" {
          files[target] = Self.mutate(files[target]!, &rng)
        } else {
          files[target] = Array(Self.mutate(String(decoding: files[target]!, as: UTF8.self), &rng).utf8)
        }
      }
      for (name, bytes) in files { try Data(bytes).write(to: dir.appendingPathComponent(name)) }
      let what =
        "mutant \(index) of \(target):\n\(String(decoding: files[target]!.prefix(600), as: UTF8.self))"

      let p = Process()
      p.executableURL = CLIRun.binary()
      // The run length is pinned: a mutant that loses its `run:` line is valid and would run
      // the default length (seconds per replication), which says nothing about input handling.
      p.arguments = [
        "run", dir.appendingPathComponent("s.yaml").path, "--format", "csv", "--jobs", "1", "--set",
        "run.duration=2ms", "--set", "run.warmup=1ms", "--set", "run.replications=1",
      ]
      let err = Pipe()
      p.standardOutput = FileHandle.nullDevice
      p.standardError = err
      try p.run()
      let deadline = Date().addingTimeInterval(Self.wallTimeout)
      while p.isRunning && Date() < deadline && Self.cpuSeconds(p.processIdentifier) < Self.timeout {
        usleep(5_000)
      }
      if p.isRunning {
        let cpu = Self.cpuSeconds(p.processIdentifier)
        p.terminate()
        p.waitUntilExit()
        Issue.record(
          "hung: \(String(format: "%.1f", cpu)) s of CPU (limit \(Self.timeout) s) or \(Self.wallTimeout) s of wall time: \(what)"
        )
        continue
      }
      let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      #expect(p.terminationReason == .exit, "killed by signal \(p.terminationStatus): \(what)")
      outcomes[p.terminationStatus, default: 0] += 1
      switch p.terminationStatus {
      case 0:
        break
      case 2:
        let first = stderr.split(separator: "\n").first.map(String.init) ?? ""
        let located = ["s.yaml:", "t.csv", "r.txt:", "t.pcap:", "p.yaml:", "--set:"].contains {
          first.contains($0)
        }
        #expect(first.hasPrefix("vrsim: error: ") && located, "unlocated message '\(first)': \(what)")
      default:
        Issue.record("exit code \(p.terminationStatus), stderr '\(stderr)': \(what)")
      }
    }
    // Both outcomes occur: the mutator is neither always harmless nor always fatal.
    #expect(outcomes[0, default: 0] > 0 && outcomes[2, default: 0] > 0, "\(outcomes)")
    print("MutationTests: 120 mutants in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
  }
}
