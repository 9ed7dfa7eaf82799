import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `vrsim calibrate` and `vrsim validate` run as the built binary: bad data exits with code 2
/// naming file, line and column; a calibration killed part way resumes from its checkpoint
/// to the same fitted profile.
@Suite(.serialized) struct CalibrateCLITests {
  static let scenario = """
    name: calibrate-cli
    host: { cpus: 4, clock: 3.06GHz, nic: { rate: 1Gbps, rx_ring: 256, tx_ring: 256, vfs: 7 } }
    platform: native
    profile: paper-2012.yaml
    routers: { count: 1, each: { vcpus: 1, routes: 1000 } }
    traffic: [ { to: all, rate: 1000kpps, frame: 64B, arrival: cbr } ]
    run: { duration: 10ms, warmup: 2ms, replications: 1, seed: 3 }

    """

  static let header = "source,experiment,scenario,set,scope,metric,unit,value,ci95_low,ci95_high,n,kind"

  static func folder(_ label: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vrsim-calibrate-cli-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try scenario.write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
    return dir
  }

  static let data =
    header + "\n"
    + "synthetic,fwd,s.yaml,platform=native,aggregate,forwarded_pps,pps,650000,630000,670000,,value\n"
    + "synthetic,fwd,s.yaml,\"platform=xen-sriov;traffic[0].rate=1400kpps\",aggregate,forwarded_pps,pps,"
    + "600000,580000,620000,,value\n"

  static func arguments(_ dir: URL, out: String) -> [String] {
    [
      "calibrate", dir.appendingPathComponent("data.csv").path, "--fit",
      "profile.driver_rx,profile.vf_driver_rx",
      "--out", out, "--jobs", "2", "--budget", "24", "--restarts", "1", "--lm-iterations", "4",
      "--checkpoint", out + ".ckpt",
    ]
  }

  /// The profile's keys and values (comments, which hold timings, left out).
  static func values(_ path: String) throws -> [String] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
      .map(String.init)
  }

  @Test(.timeLimit(.minutes(3))) func aKilledCalibrationResumesToTheSameResult() throws {
    let dir = try Self.folder("resume")
    defer { try? FileManager.default.removeItem(at: dir) }
    try Self.data.write(to: dir.appendingPathComponent("data.csv"), atomically: true, encoding: .utf8)
    let a = dir.appendingPathComponent("a")
    let b = dir.appendingPathComponent("b")
    for d in [a, b] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
    let reference = a.appendingPathComponent("fit.yaml").path
    let full = try CLIRun(Self.arguments(dir, out: reference) + ["--quiet"])
    #expect(full.status == 0, "\(full.stderr)")

    // The same calibration, killed once its checkpoint holds a few evaluations.
    let out = b.appendingPathComponent("fit.yaml").path
    let p = Process()
    p.executableURL = CLIRun.binary()
    p.arguments = Self.arguments(dir, out: out) + ["--quiet"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    let deadline = Date().addingTimeInterval(60)
    var lines = 0
    while Date() < deadline && p.isRunning {
      lines =
        ((try? String(contentsOfFile: out + ".ckpt", encoding: .utf8)) ?? "").split(separator: "\n").count
      if lines >= 6 { break }
      usleep(20_000)
    }
    #expect(p.isRunning, "the calibration ended before it could be killed (\(lines) checkpoint lines)")
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    #expect(!FileManager.default.fileExists(atPath: out))

    let resumed = try CLIRun(Self.arguments(dir, out: out))
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(!resumed.stdout.contains(" 0 from the checkpoint"), "\(resumed.stdout)")
    #expect(try Self.values(out) == Self.values(reference))
    // The fit report's data (beside the profile, OUT-report.json) is the same too: the fitted
    // values and every loss term.
    func report(_ profile: String) throws -> [String: Any] {
      let path = String(profile.dropLast(".yaml".count)) + "-report.json"
      let data = try Data(contentsOf: URL(fileURLWithPath: path))
      return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
    let (first, second) = (try report(reference), try report(out))
    let keys = (first["parameters"] as? [[String: Any]])?.compactMap { $0["key"] as? String }
    #expect(keys == ["profile.driver_rx", "profile.vf_driver_rx"])
    for field in ["parameters", "residuals", "loss", "start_loss"] {
      #expect(
        (first[field] as? NSObject) == (second[field] as? NSObject), "\(field) differs after the resume")
    }
  }

  @Test func badDataExitsWithCodeTwoNamingFileLineAndColumn() throws {
    let dir = try Self.folder("bad")
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("data.csv").path
    try
      (Self.header + "\n" + "x,fwd,s.yaml,platform=native,aggregate,forwarded_pps,pps,nan,1,2,,value\n"
      + "x,fwd,nope.yaml,platform=native,aggregate,forwarded_pps,pps,1,1,2,,value\n").write(
        toFile: path, atomically: true, encoding: .utf8)
    for command in [["calibrate", path, "--fit", "profile.driver_rx"], ["validate", path]] {
      let r = try CLIRun(command)
      #expect(r.status == 2)
      #expect(r.stderr.contains("\(path):2:8: value:"), "\(r.stderr)")
      #expect(r.stderr.contains("\(path):3:3: scenario:"), "\(r.stderr)")
    }
  }

  @Test func validatePrintsEveryRowAndTheErrorPerExperiment() throws {
    let dir = try Self.folder("validate")
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("data.csv").path
    try (Self.data + "synthetic,bench,,platform=native,host,benchmark_time,s,1,1,1,,rank\n").write(
      toFile: path, atomically: true, encoding: .utf8)
    let r = try CLIRun(["validate", path, "--format", "csv", "--jobs", "2"])
    #expect(r.status == 0, "\(r.stderr)")
    let lines = r.stdout.split(separator: "\n")
    #expect(lines.count == 4)
    #expect(lines[3].hasSuffix("not simulated"))
    let table = try CLIRun(["validate", path, "--test", "experiment = fwd"])
    #expect(table.status == 0)
    #expect(table.stdout.contains("MAPE") && table.stdout.contains("overall"))
  }

  /// The rows table gives each row's unit beside its metric (measured, simulated and baseline
  /// are in it), as the headline tables do.
  @Test func validateRowsCarryTheirUnit() throws {
    let dir = try Self.folder("units")
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("data.csv").path
    try Self.data.write(toFile: path, atomically: true, encoding: .utf8)
    let r = try CLIRun(["validate", path, "--jobs", "2"])
    #expect(r.status == 0, "\(r.stderr)")
    let lines = r.stdout.split(separator: "\n").map(String.init)
    let header = try #require(lines.first)
    #expect(header.contains("metric") && header.contains("unit"), "\(header)")
    // both data rows: metric forwarded_pps, then its unit pps as the next cell
    let rows = lines.filter { $0.contains(" fwd ") }
    #expect(rows.count == 2, "\(r.stdout)")
    for row in rows {
      let cells = row.split(separator: " ", omittingEmptySubsequences: true)
      let i = try #require(cells.firstIndex(of: "forwarded_pps"), "\(row)")
      #expect(cells[i + 1] == "pps", "\(row)")
    }
  }

  /// A row whose scope the simulation does not have (vr3 of a one-router scenario) is a data
  /// problem: exit 2 naming its file and line and the scopes the simulation reports, not a
  /// `nan` in validate's table or an optimiser's failure in calibrate.
  @Test func aScopeTheSimulationLacksIsRefusedNamingTheRow() throws {
    let dir = try Self.folder("scope")
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("data.csv").path
    try
      (Self.header + "\n"
      + "x,fwd,s.yaml,platform=native,aggregate,forwarded_pps,pps,650000,630000,670000,,value\n"
      + "x,fwd,s.yaml,platform=native,vr3,forwarded_pps,pps,650000,630000,670000,,value\n").write(
        toFile: path, atomically: true, encoding: .utf8)
    for command in [
      ["validate", path],
      ["calibrate", path, "--fit", "profile.driver_rx", "--budget", "2", "--restarts", "0"],
    ] {
      let r = try CLIRun(command)
      #expect(r.status == 2, "\(command[0]): \(r.stderr)")
      #expect(
        r.stderr.contains(
          "\(path):3: scope: the simulation of s.yaml [platform=native] reports no forwarded_pps "
            + "for scope 'vr3'; allowed: aggregate, vr0"), "\(command[0]): \(r.stderr)")
      #expect(!r.stdout.contains("nan"), "\(r.stdout)")
    }
  }

  /// A row's scenario warnings (here an old spelling in its set) reach stderr once, naming the
  /// first row they came from, as `vrsim run` prints a scenario's warnings; the value is read.
  @Test func aRowsScenarioWarningsArePrinted() throws {
    let dir = try Self.folder("warnings")
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("data.csv").path
    let row = "x,fwd,s.yaml,\"platform=netns-direct;profile.generator_socket=udp;host.cpus=2\",aggregate,"
    try
      (Self.header + "\n" + row + "forwarded_pps,pps,1000,,,,value\n" + row
      + "offered_pps,pps,1000,,,,value\n")
      .write(toFile: path, atomically: true, encoding: .utf8)
    let r = try CLIRun(["validate", path, "--jobs", "2", "--format", "csv"])
    #expect(r.status == 0, "\(r.stderr)")
    let warnings = r.stderr.split(separator: "\n").filter { $0.contains("profile.generator_socket") }
    #expect(warnings.count == 1, "\(r.stderr)")
    // `platform=netns-direct;` is 22 characters: the old spelling is override 2, its value at
    // column 26
    #expect(
      warnings.first?.hasPrefix(
        "vrsim: warning: \(path):2: set: --set:2:26: profile.generator_socket: the old spelling of host.generator"
      )
        == true, "\(r.stderr)")
  }

  /// Ctrl-C (SIGINT) in the middle of `vrsim validate` keeps what was simulated: the report is
  /// printed with every row, those of the simulations not done as not simulated, the count
  /// done is said on stderr, and the exit code is 130. Twelve runs of 1 s of 1 Mp/s on one
  /// worker take over 2 s each in a debug build (0.3 s in a release build); the signal comes after 1.5 s.
  @Test(.timeLimit(.minutes(3))) func anInterruptedValidationPrintsWhatItSimulated() throws {
    let dir = try Self.folder("validate-sigint")
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("data.csv").path
    var text = Self.header + "\n"
    for k in 0..<12 {
      text +=
        "x,fwd,s.yaml,\"run.duration=1s;traffic[0].rate=\(1000 - k)kpps\",aggregate,forwarded_pps,pps,"
        + "600000,,,,value\n"
    }
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    let (status, stdout, stderr) = try CLIRun.interrupted([
      "validate", path, "--jobs", "1", "--format", "csv",
    ])
    #expect(status == 130, "stderr: \(stderr)")
    // one simulation per row (one replication each): the rows printed as simulated are those done
    let rows = stdout.split(separator: "\n").dropFirst()
    #expect(rows.count == 12, "\(stdout)")
    let notSimulated = rows.filter { $0.hasSuffix("not simulated") }.count
    let done = 12 - notSimulated
    #expect(done < 12, "\(stdout)")
    #expect(
      stderr.contains(
        "vrsim: interrupted; \(done) of 12 simulations done: the rows of those not done are "
          + "printed as not simulated"), "\(stderr)")
  }

  /// Ctrl-C in the middle of `vrsim validate --posterior` keeps what was simulated, as plain
  /// validate does: exit 130, the row printed with its mean and predictive interval over the
  /// draws done, the count of draws said on stderr, and --samples-out written with every draw
  /// simulated. 40 hand-written draws of driver_rx, 300 ms runs of 1 Mp/s on one worker (about
  /// 0.6 s each in a debug build, 0.1 s in a release build: 4 s or more for all 40); the signal
  /// comes after 1.5 s.
  @Test(.timeLimit(.minutes(3))) func anInterruptedPosteriorValidationPrintsWhatItSimulated() throws {
    let dir = try Self.folder("validate-posterior-sigint")
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("data.csv").path
    try
      (Self.header + "\n"
      + "x,fwd,s.yaml,\"platform=native;run.duration=300ms\",aggregate,forwarded_pps,pps,600000,,,,value\n")
      .write(toFile: path, atomically: true, encoding: .utf8)
    let draws = dir.appendingPathComponent("draws.csv").path
    try ("draw,profile.driver_rx,discrepancy\n" + (0..<40).map { "\($0),\(1_000 + 10 * $0),0.01\n" }.joined())
      .write(toFile: draws, atomically: true, encoding: .utf8)
    let samples = dir.appendingPathComponent("samples.csv").path
    let (status, stdout, stderr) = try CLIRun.interrupted([
      "validate", path, "--posterior", draws, "--draws", "40", "--jobs", "1", "--format", "csv",
      "--samples-out", samples,
    ])
    #expect(status == 130, "stderr: \(stderr)")
    // "vrsim: interrupted; K of 40 posterior draws simulated for every row; ..."
    let said = try #require(
      stderr.split(separator: "\n").first { $0.hasPrefix("vrsim: interrupted; ") }, "\(stderr)")
    let k = try #require(Int(said.dropFirst("vrsim: interrupted; ".count).prefix { $0.isNumber }), "\(said)")
    #expect(k < 40 && said.contains("\(k) of 40 posterior draws simulated for every row"), "\(said)")
    let rows = stdout.split(separator: "\n").dropFirst()
    #expect(rows.count == 1, "\(stdout)")
    // the draws done are in the samples file, one line each (one row), and behind the row's mean
    let lines = try String(contentsOfFile: samples, encoding: .utf8).split(separator: "\n").dropFirst()
    #expect(lines.count == k, "\(lines)")
    if k == 0 {
      #expect(rows.first?.hasSuffix("not simulated") == true, "\(stdout)")
    } else {
      let values = lines.map { Double($0.split(separator: ",").last!)! }
      let mean = values.reduce(0, +) / Double(k)
      let fields = try #require(rows.first).split(separator: ",", omittingEmptySubsequences: false)
      // column 14 of validate's CSV is the simulated mean
      let simulated = try #require(Double(fields[13]), "\(rows)")
      #expect(abs(simulated - mean) <= 1e-9 * mean, "\(simulated) vs \(mean)")
    }
  }

  /// The posterior end to end on two rows: the draws file has one column per key and every
  /// value inside the key's prior (driver_rx: log-uniform 150 ... 4080 cycles); validate under
  /// two structural alternatives offering 100 and 200 kp/s (below the native path's capacity,
  /// so forwarded = offered within 2%) runs draw i under alternative i mod 2.
  @Test(.timeLimit(.minutes(3))) func posteriorDrawsFeedPredictionsUnderAlternatives() throws {
    let dir = try Self.folder("posterior")
    defer { try? FileManager.default.removeItem(at: dir) }
    let data = dir.appendingPathComponent("data.csv").path
    try Self.data.write(toFile: data, atomically: true, encoding: .utf8)
    let out = dir.appendingPathComponent("p.yaml").path
    let r = try CLIRun([
      "calibrate", data, "--fit", "profile.driver_rx", "--method", "posterior", "--out", out, "--jobs", "2",
      "--prior-draws", "8", "--iterations", "1", "--draws-per-iteration", "8", "--noise-draws", "2",
      "--draws",
      "20", "--quiet",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("effective sample size"))
    let draws = try String(contentsOfFile: dir.appendingPathComponent("p-draws.csv").path, encoding: .utf8)
      .split(separator: "\n")
    #expect(draws.first == "draw,profile.driver_rx,discrepancy")
    #expect(draws.count == 21)
    for line in draws.dropFirst() {
      let v = Double(line.split(separator: ",")[1])!
      #expect((150...4_080).contains(v), "\(line)")
    }
    // The summary as data beside the profile (OUT-report.json). The prior's 95% interval by
    // hand: log-uniform on 150 ... 4080 has quantile 150 (4080/150)^p, so 162.913 at 2.5% and
    // 3756.61 at 97.5% (to 6 digits, the summary's rounding); the posterior's lies inside
    // the support and its median between its ends.
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("p-report.json")))
        as? [String: Any])
    #expect(json["draws_file"] as? String == dir.appendingPathComponent("p-draws.csv").path)
    #expect(json["profile_file"] as? String == out)
    #expect(json["rows"] as? Int == 2)
    let key = try #require((json["keys"] as? [[String: Any]])?.first)
    #expect(key["key"] as? String == "profile.driver_rx")
    #expect(key["prior"] as? String == "log-uniform")
    let (pl, ph) = (try #require(key["prior_low"] as? Double), try #require(key["prior_high"] as? Double))
    #expect(abs(pl - 150 * pow(4_080.0 / 150, 0.025)) < 1e-9 && abs(pl - 162.913) < 5e-4)
    #expect(abs(ph - 150 * pow(4_080.0 / 150, 0.975)) < 1e-9 && abs(ph - 3_756.61) < 5e-3)
    let (lo, med, hi) = (
      try #require(key["low"] as? Double), try #require(key["median"] as? Double),
      try #require(key["high"] as? Double)
    )
    #expect(150 <= lo && lo <= med && med <= hi && hi <= 4_080)
    #expect(r.stdout.contains(String(format: "-> %.6g [%.6g, %.6g] cycles", med, lo, hi)), "\(r.stdout)")
    // A key's correlation with itself is 1.
    let correlation = try #require(json["correlation"] as? [[Double]])
    #expect(correlation.count == 1 && correlation[0].count == 1 && abs(correlation[0][0] - 1) < 1e-12)
    let samples = dir.appendingPathComponent("samples.csv").path
    let v = try CLIRun([
      "validate", data, "--test", "set has platform=native", "--posterior",
      dir.appendingPathComponent("p-draws.csv").path, "--draws", "4", "--jobs", "2",
      "--alternative", "low:traffic[0].rate=100kpps", "--alternative", "high:traffic[0].rate=200kpps",
      "--samples-out", samples,
    ])
    #expect(v.status == 0, "\(v.stderr)")
    #expect(v.stdout.contains("covered 95%") && v.stdout.contains("predictive 95%"))
    let lines = try String(contentsOfFile: samples, encoding: .utf8).split(separator: "\n").dropFirst()
    #expect(lines.count == 4)
    for (i, line) in lines.enumerated() {
      let f = line.split(separator: ",")
      let expected = i % 2 == 0 ? 100_000.0 : 200_000.0
      #expect(f[1] == (i % 2 == 0 ? "low" : "high"))
      #expect(abs(Double(f.last!)! / expected - 1) < 0.02, "\(line)")
    }
  }

  /// SIGINT stops a posterior sampling after the chunk in progress: exit 130, the candidates
  /// done kept in the checkpoint (OUT.checkpoint), the message naming how many; the same
  /// command then resumes and writes the same draws as a run never interrupted.
  @Test(.timeLimit(.minutes(3))) func anInterruptedPosteriorResumesToTheSameDraws() throws {
    let dir = try Self.folder("posterior-sigint")
    defer { try? FileManager.default.removeItem(at: dir) }
    let data = dir.appendingPathComponent("data.csv").path
    try Self.data.write(toFile: data, atomically: true, encoding: .utf8)
    func arguments(_ out: String) -> [String] {
      [
        "calibrate", data, "--fit", "profile.driver_rx", "--method", "posterior", "--out", out, "--jobs", "2",
        "--prior-draws", "16", "--iterations", "6", "--draws-per-iteration", "16", "--noise-draws", "2",
        "--draws", "20", "--quiet",
      ]
    }
    let a = dir.appendingPathComponent("a.yaml").path
    let whole = try CLIRun(arguments(a))
    #expect(whole.status == 0, "\(whole.stderr)")
    #expect(!FileManager.default.fileExists(atPath: a + ".checkpoint"))

    let b = dir.appendingPathComponent("b.yaml").path
    let p = Process()
    p.executableURL = CLIRun.binary()
    p.arguments = arguments(b)
    let err = Pipe()
    p.standardOutput = FileHandle.nullDevice
    p.standardError = err
    try p.run()
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline, p.isRunning {
      if let t = try? String(contentsOfFile: b + ".checkpoint", encoding: .utf8),
        t.split(separator: "\n").count >= 2
      {
        break
      }
      usleep(5_000)
    }
    kill(p.processIdentifier, SIGINT)
    let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 130, "stderr: \(text)")
    let kept = try String(contentsOfFile: b + ".checkpoint", encoding: .utf8).split(separator: "\n").count - 1
    #expect(kept >= 1)
    #expect(text.contains("vrsim: interrupted; \(kept) candidates kept in \(b).checkpoint"), "\(text)")
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("b-draws.csv").path))

    let resumed = try CLIRun(arguments(b))
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(resumed.stdout.contains("\(kept) of them read back from the checkpoint"), "\(resumed.stdout)")
    let drawsA = try String(contentsOfFile: dir.appendingPathComponent("a-draws.csv").path, encoding: .utf8)
    let drawsB = try String(contentsOfFile: dir.appendingPathComponent("b-draws.csv").path, encoding: .utf8)
    #expect(drawsA == drawsB)
    // The posterior's data too (it leaves out the wall time and the replayed count), but for
    // the names it carries.
    func report(_ name: String) throws -> NSDictionary {
      let json = try JSONSerialization.jsonObject(
        with: Data(contentsOf: dir.appendingPathComponent("\(name)-report.json")))
      var d = try #require(json as? [String: Any])
      #expect(d["name"] as? String == name)
      #expect(d["profile_file"] as? String == dir.appendingPathComponent("\(name).yaml").path)
      for k in ["name", "profile_file", "draws_file"] { d[k] = nil }
      return d as NSDictionary
    }
    #expect(try report("a") == report("b"))
    #expect(!FileManager.default.fileExists(atPath: b + ".checkpoint"))
  }
}
