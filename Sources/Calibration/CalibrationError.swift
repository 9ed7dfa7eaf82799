/// A calibration or validation failure that is not a data-file problem: a parameter that
/// cannot be fitted, a scenario that does not build, a checkpoint of another problem.
public struct CalibrationError: Error, Sendable, CustomStringConvertible {
  /// What went wrong.
  public var message: String
  /// Creates an error.
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
