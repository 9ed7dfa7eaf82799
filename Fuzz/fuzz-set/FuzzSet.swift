import FuzzDriver
import FuzzSupport
import Scenario

/// `--set key.path=value` overrides on the default scenario: each line of the input is one
/// assignment. Property: a resolved spec, or a `ScenarioError` whose every problem is located.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSet(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let text = String(decoding: FuzzInput.bytes(data, size), as: UTF8.self)
  let assignments = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  do {
    _ = try ScenarioLoader.load(
      text: ScenarioLoader.defaultScenarioText, fileName: "default.yaml",
      baseDirectory: FuzzInput.scratchDirectory, overrides: assignments)
  } catch {
    FuzzInput.requirePositions(error.diagnostics.map { ($0.file, $0.line, $0.column, $0.message) })
  }
  return 0
}

/// Writes the dictionary when asked (`VRSIM_FUZZ_DICT`, see FuzzDictionary).
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: FuzzArgc, _ argv: FuzzArgv) -> CInt {
  FuzzDictionary.writeIfAsked { ScenarioWords.assignments }
  return 0
}

/// The entry point SwiftPM links this executable with: libFuzzer's driver on `fuzzSet`.
@_cdecl("fuzz_set_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  vrsim_fuzz_run(argc, argv) { data, size in fuzzSet(data!, size) }
}
