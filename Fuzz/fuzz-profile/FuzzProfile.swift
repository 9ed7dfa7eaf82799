import FuzzDriver
import FuzzSupport
import Platforms
import Scenario

/// Cost profile files (scenarios/profiles/*.yaml), read from a file as `--profile` does.
/// Property: a profile, or a `ScenarioError` whose every problem is located.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProfile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let path = FuzzInput.scratchFile("profile.yaml", FuzzInput.bytes(data, size))
  do {
    _ = try ProfileFile.load(path: path)
  } catch {
    FuzzInput.requirePositions(error.diagnostics.map { ($0.file, $0.line, $0.column, $0.message) })
  }
  return 0
}

/// Writes the dictionary when asked (`VRSIM_FUZZ_DICT`, see FuzzDictionary).
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: FuzzArgc, _ argv: FuzzArgv) -> CInt {
  FuzzDictionary.writeIfAsked {
    (CostProfile.provenanceKeys.map(\.key) + CostProfile.settings.map(\.key)).flatMap { [$0, $0 + ": "] }
      + ScenarioWords.units + ["- ", ": ", "&a ", "*a", "<<: ", "!!str ", "#", "'", "\""]
  }
  return 0
}

/// The entry point SwiftPM links this executable with: libFuzzer's driver on `fuzzProfile`.
@_cdecl("fuzz_profile_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  vrsim_fuzz_run(argc, argv) { data, size in fuzzProfile(data!, size) }
}
