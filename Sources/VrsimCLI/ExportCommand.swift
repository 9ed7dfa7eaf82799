import ArgumentParser
import Foundation
import Report
import SimCore

/// `vrsim export notebook`: a Jupyter notebook with the figures of a campaign, the paper
/// reproduction, a calibration or a validation report, its data in a sidecar CSV beside it.
struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract:
      "Write a Jupyter notebook (with a sidecar CSV) of a campaign, reproduction, calibration or validation.",
    discussion: """
      Writes OUT (nbformat 4) and OUT's name with .csv instead of .ipynb: the data, as \
      vrsim results --format csv, vrsim reproduce paper --format csv, the fit report of a \
      calibrated profile, or the validation / measured CSV given. The notebook's cells load the \
      CSV with pandas and draw the figures with notebooks-export/vrsim_figures.py (matplotlib), \
      the code vrsim plot runs too. --execute runs it with nbclient in the notebooks' Python \
      environment (.venv-notebooks, made by scripts/install-deps.sh), so the figures are in the \
      file. The date in the header is --date, else the data's own (a calibrated profile's), \
      else 'not recorded': never the clock, so the same inputs give the same file.
      """
  )

  @Argument(help: "What to export: notebook.")
  var target: String

  @OptionGroup var source: FigureSourceOptions

  @Option(name: .long, help: "The notebook to write (.ipynb); the sidecar CSV goes beside it.")
  var out: String

  @Option(name: .long, help: "The date shown in the header (e.g. 2026-12-01).")
  var date: String?

  @Flag(name: .long, help: "Run the notebook (nbclient) so its outputs and figures are stored in it.")
  var execute = false

  func validate() throws {
    guard target == "notebook" else { throw ValidationError("unknown target '\(target)'; allowed: notebook") }
    guard out.hasSuffix(".ipynb") else {
      throw ValidationError("--out \(out): the notebook's name must end in .ipynb")
    }
  }

  func run() throws {
    let figures = try FigureEnvironment.locate()
    let python = execute ? try figures.python() : nil
    let data = try source.load()
    let notebookURL = URL(fileURLWithPath: out).standardizedFileURL
    let sidecarURL = notebookURL.deletingPathExtension().appendingPathExtension("csv")
    let notebook = NotebookBuilder.notebook(
      data: data, sidecar: sidecarURL.lastPathComponent,
      moduleDirectory: FigureEnvironment.relativePath(
        from: notebookURL.deletingLastPathComponent(), to: figures.moduleDirectory),
      date: date ?? data.date ?? "not recorded")
    do {
      try FileManager.default.createDirectory(
        at: notebookURL.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(data.csv.utf8).write(to: sidecarURL, options: .atomic)
      try Data(notebook.json.utf8).write(to: notebookURL, options: .atomic)
    } catch {
      throw RunError("\(out): cannot write: \(error.localizedDescription)")
    }
    print(
      "wrote \(out) and \(sidecarURL.lastPathComponent) (\(data.kind), \(data.csv.split(separator: "\n").count - 1) rows)"
    )
    if let python {
      try figures.run(python, ["execute", notebookURL.path])
      print("executed \(out)")
    }
  }
}

/// `vrsim plot`: PNG and SVG of the notebooks' figures, for people without Jupyter.
struct PlotCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plot",
    abstract: "Write the figures of a campaign, reproduction, calibration or validation as PNG and SVG.",
    discussion: """
      Writes OUT/data.csv (the same sidecar vrsim export notebook writes) and, for every figure \
      that applies, OUT/NAME.png and OUT/NAME.svg, drawn by notebooks-export/vrsim_figures.py \
      (matplotlib) in the notebooks' Python environment (.venv-notebooks, made by \
      scripts/install-deps.sh): the same code as the notebooks' cells.
      """
  )

  @OptionGroup var source: FigureSourceOptions

  @Option(name: .long, help: "Directory to write the figures into (created if missing).")
  var out: String

  func run() throws {
    let figures = try FigureEnvironment.locate()
    let python = try figures.python()
    let data = try source.load()
    let dir = URL(fileURLWithPath: out).standardizedFileURL
    let csv = dir.appendingPathComponent("data.csv")
    do {
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      try Data(data.csv.utf8).write(to: csv, options: .atomic)
    } catch {
      throw RunError("\(out): cannot write: \(error.localizedDescription)")
    }
    try figures.run(python, ["plot", data.kind, csv.path, dir.path])
  }
}

/// The figure code (`vrsim_figures.py`) and the Python environment that runs it.
struct FigureEnvironment {
  /// The directory holding `vrsim_figures.py`.
  var moduleDirectory: URL
  /// The directory of the checkout (where `.venv-notebooks` lives).
  var root: URL

  static let module = "vrsim_figures.py"
  static let venv = ".venv-notebooks"

  /// `VRSIM_FIGURES_DIR` if set, else `notebooks-export/` in the current directory or the
  /// nearest parent that has `notebooks-export/vrsim_figures.py`.
  static func locate() throws -> FigureEnvironment {
    let fm = FileManager.default
    if let explicit = ProcessInfo.processInfo.environment["VRSIM_FIGURES_DIR"], !explicit.isEmpty {
      let dir = URL(fileURLWithPath: explicit, isDirectory: true).standardizedFileURL
      guard fm.fileExists(atPath: dir.appendingPathComponent(module).path) else {
        throw RunError("VRSIM_FIGURES_DIR=\(explicit): no \(module) there", exitCode: 2)
      }
      return FigureEnvironment(moduleDirectory: dir, root: dir.deletingLastPathComponent())
    }
    let here = URL(fileURLWithPath: fm.currentDirectoryPath, isDirectory: true)
    if let dir = AncestorFolder.nearest(from: here, holding: "notebooks-export/\(module)") {
      return FigureEnvironment(
        moduleDirectory: dir.appendingPathComponent("notebooks-export", isDirectory: true), root: dir)
    }
    throw RunError(
      "cannot find notebooks-export/\(module) in the current directory or a parent; run from the vrsim "
        + "checkout or set VRSIM_FIGURES_DIR", exitCode: 2)
  }

  /// The interpreter of the notebooks' environment (`VRSIM_PYTHON` overrides it).
  func python() throws -> String {
    if let explicit = ProcessInfo.processInfo.environment["VRSIM_PYTHON"], !explicit.isEmpty {
      guard FileManager.default.isExecutableFile(atPath: explicit) else {
        throw RunError("VRSIM_PYTHON=\(explicit): not an executable file")
      }
      return explicit
    }
    let path = root.appendingPathComponent(Self.venv).appendingPathComponent("bin/python").path
    guard FileManager.default.isExecutableFile(atPath: path) else {
      throw RunError(
        "the notebooks' Python environment is missing (no \(Self.venv)/bin/python in \(root.path)); "
          + "install it with scripts/install-deps.sh (make run and make test run it too)")
    }
    return path
  }

  /// Runs `vrsim_figures.py ARGS` with `python`, output passed through; fails on a non-zero exit.
  func run(_ python: String, _ arguments: [String]) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: python)
    p.arguments = [moduleDirectory.appendingPathComponent(Self.module).path] + arguments
    do { try p.run() } catch { throw RunError("\(python): cannot start: \(error.localizedDescription)") }
    p.waitUntilExit()
    if p.terminationStatus != 0 {
      throw RunError(
        "\(Self.module) \(arguments.first ?? "") failed (exit \(p.terminationStatus)); see above")
    }
  }

  /// The relative path from directory `from` to directory `to` (`.` when they are the same).
  static func relativePath(from: URL, to: URL) -> String {
    let a = from.standardizedFileURL.resolvingSymlinksInPath().pathComponents
    let b = to.standardizedFileURL.resolvingSymlinksInPath().pathComponents
    var common = 0
    while common < min(a.count, b.count) && a[common] == b[common] { common += 1 }
    let parts = Array(repeating: "..", count: a.count - common) + b[common...]
    return parts.isEmpty ? "." : parts.joined(separator: "/")
  }
}

/// The cells of an exported notebook.
enum NotebookBuilder {
  /// The figures each kind of data can have, with a sentence on what each shows; the module
  /// decides which of them the data supports (`vrsim_figures.FIGURES`).
  static let figures: [String: [(String, String)]] = [
    "campaign": [
      ("forwarding_vs_offered", "Forwarding rate vs offered rate per platform, 95% CI bands (Fig. 9 style)."),
      ("throughput_vs_vms", "Per-VM and aggregate throughput vs VM count (Fig. 8a style)."),
      ("aggregate_vs_routers", "Aggregate forwarding rate and loss vs router count (Fig. 8b style)."),
      ("drops_by_place", "Where packets are dropped, per sweep point."),
      ("cpu_per_domain", "CPU used by each domain (dom0, the routers), per sweep point."),
    ],
    "reproduce": [
      (
        "paper_fig9",
        "Fig. 9: forwarding rate vs offered rate per platform, simulated with 95% CI, and the paper's values."
      ),
      ("paper_fig8", "Fig. 8a/8b: per-VM and aggregate throughput vs VM count, simulated vs the paper."),
      ("simulated_vs_paper", "Relative error of every simulated figure against the paper's value."),
    ],
    "calibration": [
      ("calibration_residuals", "Normalised residuals (simulated - measured) / sd at the fitted values."),
      ("calibration_intervals", "Fitted values and 95% intervals, relative to the start values."),
      (
        "calibration_posterior",
        "Posterior vs prior 95% interval per key, on the prior's scale, with the point fit (a posterior profile)."
      ),
      ("calibration_draws", "Histograms of the posterior draws per key (a posterior profile)."),
    ],
    "validation": [
      (
        "validation_forwarding",
        "Forwarding vs offered rate per platform: testbed and simulation side by side."
      ),
      ("measured_vs_simulated", "Every value row: measured and simulated with their 95% intervals."),
    ],
    "measured": [
      ("measured_forwarding", "Measured forwarding vs offered rate per platform, 95% CI bands."),
      ("measured_values", "Every measured value row with its 95% interval."),
    ],
  ]

  /// The notebook for `data`, loading `sidecar` and importing the module from `moduleDirectory`
  /// (relative to the notebook).
  static func notebook(data: FigureData, sidecar: String, moduleDirectory: String, date: String) -> Notebook {
    var header = "# \(data.title)\n\nWritten by `vrsim export notebook`; the data is in `\(sidecar)` beside "
    header += "this notebook, the figure code in `vrsim_figures.py`.\n\n| | |\n|---|---|\n"
    for (k, v) in data.header + [("date", date), ("data", "`\(sidecar)`")] {
      header += "| \(k) | \(v.replacingOccurrences(of: "|", with: "\\|")) |\n"
    }
    header += "\nscripts/notebooks.sh lists the command that regenerates each committed notebook."
    var cells: [Notebook.Cell] = [.markdown(header)]
    cells.append(
      .code(
        """
        import sys, pathlib
        sys.path.insert(0, str(pathlib.Path(\(pythonString(moduleDirectory))).resolve()))
        import matplotlib.pyplot as plt
        import vrsim_figures as vf
        df = vf.load(\(pythonString(sidecar)))
        applicable = vf.FIGURES[\(pythonString(data.kind))](df)
        print(f"{len(df)} rows; figures for this data: {', '.join(applicable)}")
        df.head(10)
        """))
    for (name, about) in figures[data.kind] ?? [] {
      cells.append(.markdown("## \(name)\n\n\(about)"))
      cells.append(
        .code(
          """
          if \(pythonString(name)) in applicable:
              vf.figure(\(pythonString(name)), df)
              plt.show()
          else:
              print("not applicable to this data")
          """))
    }
    return Notebook(
      cells: cells,
      vrsim: ["kind": data.kind, "sidecar": sidecar, "vrsim": VrsimVersion.string, "date": date])
  }

  /// `s` as a Python string literal.
  static func pythonString(_ s: String) -> String {
    "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
  }
}
