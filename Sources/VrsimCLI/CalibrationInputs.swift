import Calibration
import Foundation
import Report

/// Reading the measured data and filters shared by `vrsim calibrate` and `vrsim validate`:
/// data problems and bad filters are user errors (exit code 2).
enum CalibrationInputs {
  static func rows(_ paths: [String]) throws -> [MeasuredRow] {
    do {
      return try MeasuredData.load(paths: paths)
    } catch {
      throw RunError("measured data:\n" + error.description, exitCode: 2)
    }
  }

  static func filter(_ text: String?) throws -> RowFilter {
    guard let text else { return .all }
    do { return try RowFilter(text) } catch { throw RunError("\(error)", exitCode: 2) }
  }

  /// `profile.file=PATH` for `--profile` (`RowEvaluator.profileOverride`).
  static func profileOverride(_ path: String?) throws -> [String] {
    do { return try RowEvaluator.profileOverride(path) } catch { throw RunError("\(error)", exitCode: 2) }
  }

  static func stderr(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
  }
}
