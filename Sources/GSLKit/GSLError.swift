/// An error reported by GNU GSL or by GSLKit's checks of the arguments it passes to GSL.
///
/// GSL's own handler would `abort()` the process; GSLKit switches it off and reports every
/// failure as a value of this type instead.
public struct GSLError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The GSL function (or GSLKit operation) that failed.
  public var function: String
  /// What went wrong, in words.
  public var message: String

  /// Creates an error for `function` with a human-readable `message`.
  public init(function: String, message: String) {
    self.function = function
    self.message = message
  }

  public var description: String { "\(function): \(message)" }
}
