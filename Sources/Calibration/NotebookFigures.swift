import Foundation
import Report
import ScenarioRun
import SimCore

/// The figure code (`notebooks-export/vrsim_figures.py`), its figure catalogue
/// (`figures.json` beside it, read by the module too) and the Python environment that runs it.
public struct FigureModule: Sendable {
  /// The directory holding `vrsim_figures.py`.
  public var moduleDirectory: URL
  /// The directory of the checkout (where `.venv-notebooks` lives).
  public var root: URL

  /// The module's file name.
  public static let module = "vrsim_figures.py"
  /// The figure catalogue's file name.
  public static let catalogue = "figures.json"
  /// The notebooks' virtual environment, in the checkout.
  public static let venv = ".venv-notebooks"

  /// `VRSIM_FIGURES_DIR` if set, else `notebooks-export/` in the current directory or the
  /// nearest parent that has `notebooks-export/vrsim_figures.py`.
  /// - Throws: `ScenarioRunError` (exit code 2) when there is none.
  public static func locate() throws -> FigureModule {
    let fm = FileManager.default
    if let explicit = ProcessInfo.processInfo.environment["VRSIM_FIGURES_DIR"], !explicit.isEmpty {
      let dir = URL(fileURLWithPath: explicit, isDirectory: true).standardizedFileURL
      guard fm.fileExists(atPath: dir.appendingPathComponent(module).path) else {
        throw ScenarioRunError("VRSIM_FIGURES_DIR=\(explicit): no \(module) there", exitCode: 2)
      }
      return FigureModule(moduleDirectory: dir, root: dir.deletingLastPathComponent())
    }
    let here = URL(fileURLWithPath: fm.currentDirectoryPath, isDirectory: true)
    if let dir = AncestorFolder.nearest(from: here, holding: "notebooks-export/\(module)") {
      return FigureModule(
        moduleDirectory: dir.appendingPathComponent("notebooks-export", isDirectory: true), root: dir)
    }
    throw ScenarioRunError(
      "cannot find notebooks-export/\(module) in the current directory or a parent; run from the vrsim "
        + "checkout or set VRSIM_FIGURES_DIR", exitCode: 2)
  }

  /// The interpreter of the notebooks' environment (`VRSIM_PYTHON` overrides it).
  /// - Throws: `ScenarioRunError` when it is missing.
  public func python() throws -> String {
    if let explicit = ProcessInfo.processInfo.environment["VRSIM_PYTHON"], !explicit.isEmpty {
      guard FileManager.default.isExecutableFile(atPath: explicit) else {
        throw ScenarioRunError("VRSIM_PYTHON=\(explicit): not an executable file")
      }
      return explicit
    }
    let path = root.appendingPathComponent(Self.venv).appendingPathComponent("bin/python").path
    guard FileManager.default.isExecutableFile(atPath: path) else {
      throw ScenarioRunError(
        "the notebooks' Python environment is missing (no \(Self.venv)/bin/python in \(root.path)); "
          + "install it with scripts/install-deps.sh (make run and make test run it too)")
    }
    return path
  }

  /// Runs `vrsim_figures.py ARGS` with `python`, output passed through; fails on a non-zero exit.
  /// - Throws: `ScenarioRunError` when it cannot start or fails.
  public func run(_ python: String, _ arguments: [String]) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: python)
    p.arguments = [moduleDirectory.appendingPathComponent(Self.module).path] + arguments
    do { try p.run() } catch {
      throw ScenarioRunError("\(python): cannot start: \(error.localizedDescription)")
    }
    p.waitUntilExit()
    if p.terminationStatus != 0 {
      throw ScenarioRunError(
        "\(Self.module) \(arguments.first ?? "") failed (exit \(p.terminationStatus)); see above")
    }
  }

  /// The relative path from directory `from` to directory `to` (`.` when they are the same).
  public static func relativePath(from: URL, to: URL) -> String {
    let a = from.standardizedFileURL.resolvingSymlinksInPath().pathComponents
    let b = to.standardizedFileURL.resolvingSymlinksInPath().pathComponents
    var common = 0
    while common < min(a.count, b.count) && a[common] == b[common] { common += 1 }
    let parts = Array(repeating: "..", count: a.count - common) + b[common...]
    return parts.isEmpty ? "." : parts.joined(separator: "/")
  }

  /// Writes the notebook of `data` to `notebook` and its sidecar CSV beside it (the notebook's
  /// name with .csv), the cells importing this module by a path relative to the notebook;
  /// errors name the notebook `name` (as the user gave it).
  /// - Returns: the sidecar's URL.
  /// - Throws: `ScenarioRunError` when the catalogue cannot be read or a file not written.
  public func writeNotebook(
    of data: NotebookData, to notebook: URL, named name: String, date: String, version: String
  ) throws -> URL {
    let sidecar = notebook.deletingPathExtension().appendingPathExtension("csv")
    let cells = data.notebook(
      figures: try figures(of: data.family), sidecar: sidecar.lastPathComponent,
      moduleDirectory: Self.relativePath(from: notebook.deletingLastPathComponent(), to: moduleDirectory),
      date: date, version: version)
    try Self.write(
      [(data.csv, sidecar), (cells.json, notebook)], creating: notebook.deletingLastPathComponent(),
      named: name)
    return sidecar
  }

  /// Writes each (text, file), atomically, after creating `directory`; errors name `name`.
  /// - Throws: `ScenarioRunError` when a file cannot be written.
  public static func write(_ files: [(String, URL)], creating directory: URL, named name: String) throws {
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      for (text, url) in files { try Data(text.utf8).write(to: url, options: .atomic) }
    } catch {
      throw ScenarioRunError("\(name): cannot write: \(error.localizedDescription)")
    }
  }

  /// One figure of the catalogue: its name (a function of the module) and what it shows.
  public struct Figure: Codable, Sendable, Equatable {
    /// The function of `vrsim_figures.py` that draws it.
    public var name: String
    /// A sentence on what it shows.
    public var about: String
  }

  /// The figures a family of data can have, in order (`figures.json`); the module decides
  /// which of them the data supports.
  /// - Throws: `ScenarioRunError` (exit code 2) when the catalogue cannot be read.
  public func figures(of family: NotebookData.Family) throws -> [Figure] {
    let path = moduleDirectory.appendingPathComponent(Self.catalogue).path
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ScenarioRunError(
        "\(path): cannot be read (the figure catalogue beside \(Self.module))", exitCode: 2)
    }
    do { return try JSONDecoder().decode([String: [Figure]].self, from: data)[family.rawValue] ?? [] } catch {
      throw ScenarioRunError("\(path): not a figure catalogue: \(error)", exitCode: 2)
    }
  }
}

extension NotebookData {
  /// The notebook of this data: a header, the setup cell loading `sidecar` and importing the
  /// module from `moduleDirectory` (relative to the notebook), then a heading and a code cell
  /// per figure of `figures`.
  public func notebook(
    figures: [FigureModule.Figure], sidecar: String, moduleDirectory: String, date: String, version: String
  ) -> Notebook {
    let data = self
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
        sys.path.insert(0, str(pathlib.Path(\(Self.pythonString(moduleDirectory))).resolve()))
        import matplotlib.pyplot as plt
        import vrsim_figures as vf
        df = vf.load(\(Self.pythonString(sidecar)))
        applicable = vf.FIGURES[\(Self.pythonString(data.family.rawValue))](df)
        print(f"{len(df)} rows; figures for this data: {', '.join(applicable)}")
        df.head(10)
        """))
    for figure in figures {
      let (name, about) = (figure.name, figure.about)
      cells.append(.markdown("## \(name)\n\n\(about)"))
      cells.append(
        .code(
          """
          if \(Self.pythonString(name)) in applicable:
              vf.figure(\(Self.pythonString(name)), df)
              plt.show()
          else:
              print("not applicable to this data")
          """))
    }
    return Notebook(
      cells: cells,
      vrsim: ["kind": data.family.rawValue, "sidecar": sidecar, "vrsim": version, "date": date])
  }

  /// `s` as a Python string literal.
  static func pythonString(_ s: String) -> String {
    "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
  }
}
