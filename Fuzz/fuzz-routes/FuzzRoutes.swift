import FuzzDriver
import FuzzSupport
import NetModel
import Platforms

@testable import Scenario

/// Route files (`routes_file`), read as a scenario's route table.
/// Property: a table, or a `PlatformError` that starts with the file's path.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRoutes(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let path = FuzzInput.scratchFile("routes.txt", FuzzInput.bytes(data, size))
  do {
    _ = try ModelInputFile.loadRouteTable(path, base: nil)
  } catch let error as PlatformError {
    FuzzInput.requireLocated(error.message, in: path, needsLine: false)
  } catch {
    fatalError("fuzz: unexpected error type: \(error)")
  }
  return 0
}

/// Writes the dictionary when asked (`VRSIM_FUZZ_DICT`, see FuzzDictionary).
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: FuzzArgc, _ argv: FuzzArgv) -> CInt {
  FuzzDictionary.writeIfAsked {
    [
      "/", "/0", "/8", "/24", "/32", "/33", "0.0.0.0", "10.0.0.0/8", "255.255.255.255", "256", ".", "#",
      "\r\n", "\n", "+", "-", "00",
    ]
  }
  return 0
}

/// The entry point SwiftPM links this executable with: libFuzzer's driver on `fuzzRoutes`.
@_cdecl("fuzz_routes_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  vrsim_fuzz_run(argc, argv) { data, size in fuzzRoutes(data!, size) }
}
