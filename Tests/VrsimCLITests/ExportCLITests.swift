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

  /// The calibration sidecar holds the fit report of scenarios/profiles/paper-2012-fit.yaml,
  /// as data in validation/paper-2012-fit-report.json: the profile's header lists 6 fitted
  /// values and 29 residual terms ("Loss: ... (29 terms)"); the first parameter line reads
  /// `profile.driver_rx start 1250 fitted 1349.74 se 234.2 95% [952.842, 1877.66] cycles`, the
  /// fourth `profile.netback_rx_per_packet ... se inf ... NOT IDENTIFIABLE`, the first residual
  /// `+0.003 measured 750000 simulated 750058 ... (line 2)`.
  @Test func calibrationSidecarHoldsTheFitReport() throws {
    let dir = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("cal.ipynb")
    let profile = Self.root.appendingPathComponent("validation/paper-2012-fit-report.json")
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
    // The date comes from the fit report, not the clock.
    let header =
      ((try Self.json(out)["cells"] as? [[String: Any]])?.first?["source"] as? [String])?.joined() ?? ""
    #expect(header.contains("| date | 2026-12-02 |"))
  }

  /// The posterior of scenarios/profiles/paper-2012-posterior.yaml, as data in
  /// paper-2012-posterior-report.json beside it, with the point fit it started from: the
  /// sidecar holds the fit's 6 parameter and 29 residual rows, one posterior row per key, and
  /// one draw row per key and draw of paper-2012-posterior-draws.csv (400 draws). The figures
  /// expected are the profile header's, as the run that wrote it printed them (6 significant
  /// digits, the ratio 2 decimals), e.g. `profile.driver_rx: log-uniform 162.913 ... 3756.61
  /// -> 1368.2 [1032.36, 1654.24] cycles, ratio 0.17, constrained by the data`.
  @Test func calibrationSidecarShowsThePosteriorBesideThePointFit() throws {
    let dir = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("post.ipynb")
    let posterior = Self.root.appendingPathComponent("scenarios/profiles/paper-2012-posterior-report.json")
    let fit = Self.root.appendingPathComponent("validation/paper-2012-fit-report.json")
    let r = try CLIRun([
      "export", "notebook", "--calibration", posterior.path, "--calibration", fit.path, "--out", out.path,
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let lines = try String(contentsOf: dir.appendingPathComponent("post.csv"), encoding: .utf8)
      .split(separator: "\n").map(String.init)
    #expect(
      lines.first
        == "table,key,label,start,fitted,se,low,high,unit,identifiable,residual,measured,simulated,kind,line,"
        + "prior_low,prior_high,width_ratio,draw,value")
    #expect(lines.filter { $0.hasPrefix("parameter,") }.count == 6)
    #expect(lines.filter { $0.hasPrefix("residual,") }.count == 29)
    #expect(
      lines.contains(
        "parameter,profile.driver_rx,profile.driver_rx,1250,1349.74,234.2,952.842,1877.66,cycles,true,,,,,,,,,,"
      ))
    // key, prior, prior 2.5%, 97.5%, median, 2.5%, 97.5%, ratio, verdict (the profile's header)
    let header: [(String, String, Double, Double, Double, Double, Double, Double, String)] = [
      (
        "profile.driver_rx", "log-uniform", 162.913, 3756.61, 1368.2, 1032.36, 1654.24, 0.17,
        "constrained by the data"
      ),
      (
        "profile.ip_forward", "log-uniform", 162.913, 3756.61, 1426.95, 1184.96, 1796.66, 0.17,
        "constrained by the data"
      ),
      ("profile.bridge", "uniform", 500, 19500, 4906.57, 1738.7, 9947.81, 0.43, "constrained by the data"),
      (
        "profile.netback_rx_per_packet", "uniform", 500, 19500, 6443.09, 703.069, 17948.4, 0.91,
        "not moved from its prior"
      ),
      (
        "profile.netback_tx_per_packet", "uniform", 500, 19500, 6833.39, 1067.03, 17673.6, 0.87,
        "partly constrained"
      ),
      (
        "profile.event_channel_upcall", "uniform", 250, 9750, 4569.88, 525.671, 9574.4, 0.95,
        "not moved from its prior"
      ),
    ]
    let rows = lines.filter { $0.hasPrefix("posterior,") }.map {
      $0.split(separator: ",", omittingEmptySubsequences: false)
    }
    #expect(rows.count == header.count)
    /// `x` printed as the header prints it (%.6g).
    func g(_ x: Substring) -> String { String(format: "%.6g", Double(x) ?? .nan) }
    for (row, h) in zip(rows, header) {
      #expect(row[1] == Substring(h.0) && row[2] == Substring(h.8) && row[13] == Substring(h.1), "\(row)")
      #expect(row[8] == "cycles")
      #expect(
        g(row[15]) == String(format: "%.6g", h.2) && g(row[16]) == String(format: "%.6g", h.3), "\(row)")
      #expect(g(row[4]) == String(format: "%.6g", h.4), "\(row)")
      #expect(g(row[6]) == String(format: "%.6g", h.5) && g(row[7]) == String(format: "%.6g", h.6), "\(row)")
      #expect(String(format: "%.2f", Double(row[17]) ?? .nan) == String(format: "%.2f", h.7), "\(row)")
    }
    // The draws, as the draws CSV has them: 400 draws of 6 keys.
    let draws = try String(
      contentsOf: Self.root.appendingPathComponent("scenarios/profiles/paper-2012-posterior-draws.csv"),
      encoding: .utf8
    ).split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
    let drawRows = lines.filter { $0.hasPrefix("draw,") }.map {
      $0.split(separator: ",", omittingEmptySubsequences: false)
    }
    #expect(drawRows.count == 400 * 6)
    for (k, row) in drawRows.enumerated() where k % 97 == 0 {
      let (n, j) = (k / 6, k % 6)
      #expect(row[1] == Substring(header[j].0) && row[18] == Substring(String(n)), "\(row)")
      #expect(Double(row[19]) == Double(draws[n][j + 1]), "draw \(n) of \(header[j].0)")
    }
    // The date is the posterior's (the header of the profile: 2026-12-06).
    let cells = try Self.json(out)["cells"] as? [[String: Any]]
    let text = (cells?.first?["source"] as? [String])?.joined() ?? ""
    #expect(text.contains("| date | 2026-12-06 |") && text.contains("| point fit | "), "\(text)")
    // Two posterior reports are one too many.
    let two = try CLIRun([
      "export", "notebook", "--calibration", posterior.path, "--calibration", posterior.path, "--out",
      out.path,
    ])
    #expect(two.status == 2)
    #expect(two.stderr.contains("\(posterior.path): a second posterior report; give one"), "\(two.stderr)")
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
    #expect(p.stderr.contains("\(profile.path): not a fit report written by vrsim calibrate"))
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
    try FileManager.default.copyItem(
      at: Self.root.appendingPathComponent("notebooks-export/figures.json"),
      to: module.appendingPathComponent("figures.json"))
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

  /// Executes a point fit's calibration notebook with nbclient: every code cell ran (an
  /// execution count), none failed, and the fit's two figures are PNG images in the outputs.
  @Test(
    .enabled(
      if: FileManager.default.isExecutableFile(atPath: venvPython.path),
      "skipped: no .venv-notebooks (the notebooks' Python environment); make it with scripts/install-deps.sh")
  )
  func executedNotebookHoldsTheFigures() throws {
    let dir = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("cal.ipynb")
    let profile = Self.root.appendingPathComponent("validation/paper-2012-fit-report.json")
    let r = try CLIRun(["export", "notebook", "--calibration", profile.path, "--out", out.path, "--execute"])
    #expect(r.status == 0, "\(r.stderr)")
    let cells = try #require(try Self.json(out)["cells"] as? [[String: Any]])
    let code = cells.filter { $0["cell_type"] as? String == "code" }
    // The setup cell and one per calibration figure (4), of which the fit's two apply.
    #expect(code.count == 5)
    #expect(code.allSatisfy { $0["execution_count"] is Int })
    let outputs = code.flatMap { ($0["outputs"] as? [[String: Any]]) ?? [] }
    #expect(!outputs.contains { $0["output_type"] as? String == "error" })
    let images = outputs.filter { (($0["data"] as? [String: Any])?["image/png"]) != nil }
    #expect(images.count == 2)
  }
}
