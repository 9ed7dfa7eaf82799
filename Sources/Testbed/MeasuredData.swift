import Foundation
import SimCore

/// How a data file names its scenario so that `vrsim validate` finds it (validation/README.md,
/// column `scenario`: relative to the CSV's folder or to the repository holding the CSV):
/// relative to that repository (the nearest folder with Package.swift above the CSV's
/// folder) when the scenario lies inside it; else relative to the CSV's folder (with `..`);
/// printed rather than written, relative to the repository holding the working directory.
public enum ScenarioReference {
  /// The `scenario` column for scenario `file` (as given on the command line, relative to
  /// the working directory) in a CSV written to `csv` (nil: printed, not written).
  public static func path(of file: String, csv: String?) -> String {
    let fm = FileManager.default
    let cwd = fm.currentDirectoryPath
    func absolute(_ p: String) -> URL {
      URL(fileURLWithPath: p.hasPrefix("/") ? p : (cwd as NSString).appendingPathComponent(p))
        .standardizedFileURL.resolvingSymlinksInPath()
    }
    let scenario = absolute(file)
    let folder = csv.map { absolute($0).deletingLastPathComponent() } ?? absolute(".")
    if let repository = AncestorFolder.checkout(from: folder), let r = relative(scenario, to: repository) {
      return r
    }
    guard csv != nil else { return scenario.path }
    let b = folder.pathComponents
    let u = scenario.pathComponents
    var common = 0
    while common < min(b.count, u.count) && b[common] == u[common] { common += 1 }
    return (Array(repeating: "..", count: b.count - common) + u.dropFirst(common)).joined(separator: "/")
  }

  /// `url` relative to folder `base` when it lies inside it.
  static func relative(_ url: URL, to base: URL) -> String? {
    let b = base.pathComponents
    let u = url.pathComponents
    guard u.count > b.count, Array(u.prefix(b.count)) == b else { return nil }
    return u.dropFirst(b.count).joined(separator: "/")
  }
}
