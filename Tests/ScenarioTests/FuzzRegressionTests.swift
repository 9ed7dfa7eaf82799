import Foundation
import Platforms
import SettingText
import Testing

@testable import Scenario

/// Every input the fuzz targets found (Tests/FuzzRegressions/<reader>/, see its README) fed
/// to its reader: it must end in a value or an error located in the file, never a trap. Under
/// AddressSanitizer (`make sanitize`) a memory error the input once caused fails the run too.
@Suite struct FuzzRegressionTests {
  static let folder = FixturePaths.repository.appendingPathComponent("Tests/FuzzRegressions")

  static func inputs(_ reader: String) -> [String] {
    let dir = folder.appendingPathComponent(reader)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.sorted().map { dir.appendingPathComponent($0).path }
  }

  /// Problems of a `ScenarioError` that lack a file, line or column.
  static func unlocated(_ error: ScenarioError) -> [ScenarioDiagnostic] {
    error.diagnostics.filter { $0.file.isEmpty || $0.line < 1 || $0.column < 1 || $0.message.isEmpty }
  }

  @Test func theRegressionFoldersExist() {
    // The scenario folder holds the first finding; an empty list would make the tests below vacuous.
    #expect(!Self.inputs("scenario").isEmpty)
  }

  @Test func scenarioInputsEndInASpecOrALocatedError() throws {
    for path in Self.inputs("scenario") {
      let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
      do {
        let document = try ScenarioDocument.parse(bytes: bytes, fileName: path)
        let spec = try document.resolve()
        _ = try? spec.platformSpec(profile: .paper2012)
      } catch {
        #expect(!error.diagnostics.isEmpty, "\(path)")
        #expect(Self.unlocated(error).isEmpty, "\(path): \(error)")
      }
    }
  }

  @Test func theMovedParserInputIsRefusedAtItsKey() {
    // `host: { cpus: 65 }`: 65 is above the schema's 64 CPUs; the value starts at column 15.
    let path = Self.folder.appendingPathComponent("scenario/yaml-parser-moved.yaml").path
    #expect(
      diagnosticsText(path: path)
        == "\(path):1:15: host.cpus: 65 is out of range; allowed: an integer from 1 to 64")
  }

  @Test func setInputsEndInASpecOrALocatedError() {
    for path in Self.inputs("set") {
      let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
      let assignments = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      do {
        _ = try ScenarioLoader.load(
          text: ScenarioLoader.defaultScenarioText, fileName: "default.yaml", overrides: assignments)
      } catch {
        #expect(!error.diagnostics.isEmpty, "\(path)")
        #expect(Self.unlocated(error).isEmpty, "\(path): \(error)")
      }
    }
  }

  @Test func profileInputsEndInAProfileOrALocatedError() {
    for path in Self.inputs("profile") {
      do {
        _ = try ProfileFile.load(path: path)
      } catch {
        #expect(!error.diagnostics.isEmpty, "\(path)")
        #expect(Self.unlocated(error).isEmpty, "\(path): \(error)")
      }
    }
  }

  @Test func traceAndRouteInputsEndInAValueOrAnErrorNamingTheFile() {
    for reader in ["trace-csv", "trace-pcap", "routes"] {
      for path in Self.inputs(reader) {
        do {
          if reader == "routes" {
            _ = try ModelInputFile.loadRouteTable(path, base: nil)
          } else {
            _ = try ModelInputFile.loadTrace(path, base: nil)
          }
        } catch {
          #expect("\(error)".hasPrefix(path + ":"), "\(path): \(error)")
        }
      }
    }
  }
}
