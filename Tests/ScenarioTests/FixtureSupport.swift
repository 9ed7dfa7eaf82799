import Foundation
import Scenario

/// Paths of the test fixtures and of the repository, found from this file's location
/// (fixtures are not SwiftPM resources).
enum FixturePaths {
  static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  static let fixtures = testsDirectory.appendingPathComponent("Fixtures")
  static let repository = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()

  static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
}

/// Loads a scenario and returns the error text, or "OK".
func diagnosticsText(path: String, overrides: [String] = []) -> String {
  do {
    _ = try ScenarioLoader.load(path: path, overrides: overrides)
    return "OK"
  } catch {
    return error.description
  }
}

/// Loads scenario text and returns the error text, or "OK".
func diagnosticsText(text: String, fileName: String = "x.yaml", overrides: [String] = []) -> String {
  do {
    _ = try ScenarioLoader.load(text: text, fileName: fileName, overrides: overrides)
    return "OK"
  } catch {
    return error.description
  }
}
