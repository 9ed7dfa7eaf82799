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
