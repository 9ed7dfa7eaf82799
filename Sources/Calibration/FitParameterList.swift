import Foundation

extension FitParameter {
  /// The keys of a comma-separated `--fit` list, in order.
  /// - Throws: `CalibrationError` when it names no key, a key twice, or a key that cannot be
  ///   fitted.
  public static func list(_ text: String) throws -> [FitParameter] {
    let keys = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
      !$0.isEmpty
    }
    guard !keys.isEmpty else { throw CalibrationError("--fit names no key") }
    guard Set(keys).count == keys.count else { throw CalibrationError("--fit names a key twice") }
    return try keys.map(FitParameter.init(key:))
  }
}

extension RowEvaluator {
  /// `profile.file=PATH` for a `--profile` PATH, with the path made absolute (the scenarios
  /// resolve relative profile paths against their own folder); none without a path.
  /// - Throws: `CalibrationError` when the file does not exist.
  public static func profileOverride(_ path: String?) throws -> [String] {
    guard let path else { return [] }
    guard FileManager.default.fileExists(atPath: path) else {
      throw CalibrationError("--profile \(path): no such file")
    }
    return ["profile.file=\(URL(fileURLWithPath: path).standardizedFileURL.path)"]
  }
}
