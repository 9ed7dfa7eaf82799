import Foundation
import Testing

@testable import VrsimCLI

/// `vrsim export notebook` and `vrsim plot`: the notebook's structure and its sidecar CSV, without
/// Python; one test executes a notebook when the notebooks' environment exists.
@Suite("vrsim export notebook")
struct ExportCLITests {
  /// The checkout (tests run from it; the figure module is found from the current directory).
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let venvPython = root.appendingPathComponent(".venv-notebooks/bin/python")

  static func scratch() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vrsim-export-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  static func json(_ url: URL) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    return try #require(object as? [String: Any])
  }

  /// The sidecar of a measured-data CSV is the file itself, byte for byte, and the notebook
  /// loads it by its name.
  @Test func validationSidecarIsTheInputFile() throws {
    let dir = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = Self.root.appendingPathComponent("validation/paper-2012.csv")
    let out = dir.appendingPathComponent("measured.ipynb")
    let r = try CLIRun([
      "export", "notebook", "--validation", input.path, "--out", out.path, "--date", "2026-12-01",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let sidecar = dir.appendingPathComponent("measured.csv")
    #expect(try Data(contentsOf: sidecar) == Data(contentsOf: input))
    let doc = try Self.json(out)
    #expect(doc["nbformat"] as? Int == 4)
    let cells = try #require(doc["cells"] as? [[String: Any]])
    let header = ((cells.first?["source"] as? [String]) ?? []).joined()
    #expect(header.contains("| date | 2026-12-01 |"))
    #expect(header.contains("| vrsim | \(VrsimVersion.string) |"))
    let code = cells.filter { $0["cell_type"] as? String == "code" }.map {
      ($0["source"] as? [String] ?? []).joined()
    }
    #expect(code.first?.contains("vf.load(\"measured.csv\")") == true)
    #expect(code.first?.contains("vf.FIGURES[\"measured\"]") == true)
    let meta = try #require((doc["metadata"] as? [String: Any])?["vrsim"] as? [String: String])
    #expect(meta["kind"] == "measured")
  }

  /// The calibration sidecar holds the fit report of scenarios/profiles/paper-2012-fit.yaml:
  /// its header lists 6 fitted values and 29 residual terms ("Loss: ... (29 terms)"); the
  /// first parameter line reads `profile.driver_rx start 1250 fitted 1349.74 se 234.2 95%
  /// [952.842, 1877.66] cycles`, the fourth `profile.netback_rx_per_packet ... se inf ...
  /// NOT IDENTIFIABLE`, the first residual `+0.003 measured 750000 simulated 750058 ... (line 2)`.
  @Test func calibrationSidecarHoldsTheFitReport() throws {
    let dir = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("cal.ipynb")
    let profile = Self.root.appendingPathComponent("scenarios/profiles/paper-2012-fit.yaml")
    let r = try CLIRun(["export", "notebook", "--calibration", profile.path, "--out", out.path])
    #expect(r.status == 0, "\(r.stderr)")
    let lines = try String(contentsOf: dir.appendingPathComponent("cal.csv"), encoding: .utf8)
      .split(separator: "\n").map(String.init)
    #expect(lines.filter { $0.hasPrefix("parameter,") }.count == 6)
    #expect(lines.filter { $0.hasPrefix("residual,") }.count == 29)
    #expect(
      lines.contains(
        "parameter,profile.driver_rx,profile.driver_rx,1250,1349.74,234.2,952.842,1877.66,cycles,true,,,,,"))
    #expect(
      lines.contains {
        $0.hasPrefix("parameter,profile.netback_rx_per_packet,") && $0.contains(",inf,")
          && $0.hasSuffix(",false,,,,,")
      })
    let first = try #require(lines.first { $0.hasPrefix("residual,") })
    #expect(first.hasSuffix(",0.003,750000,750058,value,2"))
    // The date comes from the profile (its `date:` and header), not the clock.
    let header =
      ((try Self.json(out)["cells"] as? [[String: Any]])?.first?["source"] as? [String])?.joined() ?? ""
    #expect(header.contains("| date | 2026-12-02 |"))
  }

  /// A posterior profile's sidecar: one `posterior` row per key of its summary (the first reads
  /// `profile.driver_rx: log-uniform 162.913 ... 3756.61 -> MEDIAN [LOW, HIGH] cycles, ratio R,
  /// VERDICT` in the profile's header, compared here with the header line itself), one `draw`
  /// row per key and draw of paper-2012-posterior-draws.csv (its rows x 6 keys, counted here
  /// from that file), and the point fit it started from (paper-2012-fit.yaml: 6 parameters,
  /// 29 residual terms, as in calibrationSidecarHoldsTheFitReport).
  @Test func posteriorSidecarHoldsTheSummaryTheDrawsAndThePointFit() throws {
    let dir = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("post.ipynb")
    let profile = Self.root.appendingPathComponent("scenarios/profiles/paper-2012-posterior.yaml")
    let drawsFile = Self.root.appendingPathComponent("scenarios/profiles/paper-2012-posterior-draws.csv")
    let r = try CLIRun(["export", "notebook", "--calibration", profile.path, "--out", out.path])
    #expect(r.status == 0, "\(r.stderr)")
    let lines = try String(contentsOf: dir.appendingPathComponent("post.csv"), encoding: .utf8)
      .split(separator: "\n").map(String.init)
    #expect(lines.first?.hasSuffix(",prior_low,prior_high,width_ratio,draw,value") == true)
    let posterior = lines.filter { $0.hasPrefix("posterior,") }
    #expect(posterior.count == 6)
    let head = try String(contentsOf: profile, encoding: .utf8).split(separator: "\n")
      .first { $0.hasPrefix("#   profile.driver_rx: log-uniform") }
    let m = try #require(
      head?.firstMatch(of: /-> (\S+) \[(\S+), (\S+)\] cycles, ratio (\S+), (.+)$/))
    let first = try #require(posterior.first)
    #expect(first.hasPrefix("posterior,profile.driver_rx,\(m.5),,\(m.1),,\(m.2),\(m.3),cycles,"))
    #expect(first.hasSuffix(",log-uniform,,162.913,3756.61,\(m.4),,"))
    let drawRows = try String(contentsOf: drawsFile, encoding: .utf8).split(separator: "\n").count - 1
    #expect(lines.filter { $0.hasPrefix("draw,") }.count == drawRows * 6)
    #expect(lines.filter { $0.hasPrefix("parameter,") }.count == 6)
    #expect(lines.filter { $0.hasPrefix("residual,") }.count == 29)
    let header =
      ((try Self.json(out)["cells"] as? [[String: Any]])?.first?["source"] as? [String])?.joined() ?? ""
    #expect(header.contains("| point fit | scenarios/profiles/paper-2012-fit.yaml"))
  }

  @Test func badInputsNameTheFileAndLine() throws {
    let dir = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let bad = dir.appendingPathComponent("bad.csv")
    try Data("source,experiment,value\nx,y,1\n".utf8).write(to: bad)
    let r = try CLIRun([
      "export", "notebook", "--validation", bad.path, "--out", dir.appendingPathComponent("b.ipynb").path,
    ])
    #expect(r.status == 2)
    #expect(r.stderr.contains("\(bad.path):1: the header lacks scenario, set, scope, metric, unit"))
    let profile = Self.root.appendingPathComponent("scenarios/profiles/paper-2012.yaml")
    let p = try CLIRun([
      "export", "notebook", "--calibration", profile.path, "--out",
      dir.appendingPathComponent("p.ipynb").path,
    ])
    #expect(p.status == 2)
    #expect(p.stderr.contains("\(profile.path):1: not a profile written by vrsim calibrate"))
    let two = try CLIRun([
      "export", "notebook", "--calibration", profile.path, "--validation", bad.path, "--out", "x.ipynb",
    ])
    #expect(two.status == 2)
    #expect(two.stderr.contains("give exactly one of --campaign, --reproduce, --calibration, --validation"))
    let ext = try CLIRun(["export", "notebook", "--validation", bad.path, "--out", "x.json"])
    #expect(ext.status == 2)
    #expect(ext.stderr.contains("must end in .ipynb"))
  }

  /// Without the notebooks' environment, plot says which command installs it.
  @Test func plotWithoutTheEnvironmentNamesTheInstaller() throws {
    let dir = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let module = dir.appendingPathComponent("notebooks-export")
    try FileManager.default.createDirectory(at: module, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: Self.root.appendingPathComponent("notebooks-export/vrsim_figures.py"),
      to: module.appendingPathComponent("vrsim_figures.py"))
    let p = Process()
    p.executableURL = CLIRun.binary()
    p.arguments = [
      "plot", "--validation", Self.root.appendingPathComponent("validation/paper-2012.csv").path, "--out",
      dir.appendingPathComponent("figs").path,
    ]
    p.environment = ["VRSIM_FIGURES_DIR": module.path, "PATH": "/usr/bin:/bin"]
    let err = Pipe()
    p.standardError = err
    p.standardOutput = Pipe()
    try p.run()
    let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 1)
    #expect(text.contains("the notebooks' Python environment is missing"))
    #expect(text.contains("scripts/install-deps.sh"))
  }

  /// nbformat's own validator (the JSON schema of nbformat 4) accepts the notebook as written,
  /// before any execution.
  @Test(
    .enabled(
      if: FileManager.default.isExecutableFile(atPath: venvPython.path),
      "skipped: no .venv-notebooks (the notebooks' Python environment); make it with scripts/install-deps.sh")
  )
  func nbformatValidatesTheWrittenNotebook() throws {
    let dir = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("m.ipynb")
    let r = try CLIRun([
      "export", "notebook", "--validation",
      Self.root.appendingPathComponent("validation/paper-2012.csv").path,
      "--out", out.path,
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let p = Process()
    p.executableURL = Self.venvPython
    p.arguments = [
      "-c",
      "import sys, nbformat; nb = nbformat.read(sys.argv[1], as_version=4); nbformat.validate(nb); "
        + "print(nb.nbformat, nb.nbformat_minor, len(nb.cells))",
      out.path,
    ]
    let o = Pipe()
    p.standardOutput = o
    try p.run()
    let text = String(decoding: o.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
    // 2 header cells (markdown, setup code) + 2 cells per measured-data figure (2 figures).
    #expect(text == "4 5 6\n")
  }

  /// Executes a calibration notebook of a point fit with nbclient: every code cell ran (an
  /// execution count), none failed, and its two figures are PNG images in the outputs.
  @Test(
    .enabled(
      if: FileManager.default.isExecutableFile(atPath: venvPython.path),
      "skipped: no .venv-notebooks (the notebooks' Python environment); make it with scripts/install-deps.sh")
  )
  func executedNotebookHoldsTheFigures() throws {
    let dir = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("cal.ipynb")
    let profile = Self.root.appendingPathComponent("scenarios/profiles/paper-2012-fit.yaml")
    let r = try CLIRun(["export", "notebook", "--calibration", profile.path, "--out", out.path, "--execute"])
    #expect(r.status == 0, "\(r.stderr)")
    let cells = try #require(try Self.json(out)["cells"] as? [[String: Any]])
    let code = cells.filter { $0["cell_type"] as? String == "code" }
    // The setup cell and one per calibration figure (residuals, intervals, and the posterior's
    // two, which a point-fit profile does not have: they print "not applicable").
    #expect(code.count == 5)
    #expect(code.allSatisfy { $0["execution_count"] is Int })
    let outputs = code.flatMap { ($0["outputs"] as? [[String: Any]]) ?? [] }
    #expect(!outputs.contains { $0["output_type"] as? String == "error" })
    let images = outputs.filter { (($0["data"] as? [String: Any])?["image/png"]) != nil }
    #expect(images.count == 2)
  }
}
