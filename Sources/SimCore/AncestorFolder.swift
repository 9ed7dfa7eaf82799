import Foundation

/// The folders above a start folder, nearest first: how vrsim finds the checkout, the
/// `scenarios` folder or `notebooks-export` from wherever it is run.
public enum AncestorFolder {
  /// `start` (standardized) and the folders above it up to the file-system root, nearest
  /// first, at most `limit` of them.
  public static func chain(from start: URL, limit: Int = 32) -> [URL] {
    var dir = start.standardizedFileURL
    var folders: [URL] = []
    for _ in 0..<limit {
      folders.append(dir)
      let up = dir.deletingLastPathComponent()
      if up.path == dir.path { break }
      dir = up
    }
    return folders
  }

  /// The nearest folder at or above `start` for which `holds` is true (within `limit` levels).
  public static func nearest(from start: URL, limit: Int = 32, where holds: (URL) -> Bool) -> URL? {
    chain(from: start, limit: limit).first(where: holds)
  }

  /// The checkout holding `start`: the nearest folder at or above it with a `Package.swift`.
  public static func checkout(from start: URL) -> URL? {
    nearest(from: start, holding: "Package.swift")
  }

  /// The nearest folder at or above `start` that holds `relativePath` (a file or a folder).
  public static func nearest(from start: URL, holding relativePath: String, limit: Int = 32) -> URL? {
    nearest(from: start, limit: limit) {
      FileManager.default.fileExists(atPath: $0.appendingPathComponent(relativePath).path)
    }
  }
}
