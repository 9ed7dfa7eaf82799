import FuzzDriver
import FuzzSupport
import Platforms
import Scenario

/// Scenario YAML: read, resolve into base units, and build the model's platform spec (the
/// path every scenario file takes before a run). Property: a spec, or a `ScenarioError` whose
/// every problem has a file, line and column, or a `PlatformError` naming the scenario's input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzScenario(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let file = "fuzz.yaml"
  do {
    let document = try ScenarioDocument.parse(
      bytes: FuzzInput.bytes(data, size), fileName: file, baseDirectory: FuzzInput.scratchDirectory)
    let spec = try document.resolve()
    _ = try? spec.platformSpec(profile: .paper2012)
  } catch {
    FuzzInput.requirePositions(error.diagnostics.map { ($0.file, $0.line, $0.column, $0.message) })
  }
  return 0
}

/// Writes the dictionary when asked (`VRSIM_FUZZ_DICT`, see FuzzDictionary).
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: FuzzArgc, _ argv: FuzzArgv) -> CInt {
  FuzzDictionary.writeIfAsked { ScenarioWords.words }
  return 0
}

/// The entry point SwiftPM links this executable with: libFuzzer's driver on `fuzzScenario`.
@_cdecl("fuzz_scenario_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  vrsim_fuzz_run(argc, argv) { data, size in fuzzScenario(data!, size) }
}
