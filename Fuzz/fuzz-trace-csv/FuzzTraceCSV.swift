import FuzzDriver
import FuzzSupport
import Platforms
import SimCore

@testable import Scenario

/// CSV trace files (`arrival: { kind: trace, file: x.csv }`), read as a scenario's trace.
/// Property: a trace, or a `PlatformError` that starts with the file's path.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTraceCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let path = FuzzInput.scratchFile("trace.csv", FuzzInput.bytes(data, size))
  do {
    let trace = try ModelInputFile.loadTrace(path, base: nil)
    precondition(trace.offsets.count == trace.sizes.count && trace.offsets.count >= 2)
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
      "timestamp", "timestamp,size,flow", ",", "\r\n", "\n", "#", "e", "E-", ".", "-", "+", "inf", "nan",
      "0x",
    ]
      + SimDuration.units.map(\.0) + ["64", "9000", "1000000"]
  }
  return 0
}

/// The entry point SwiftPM links this executable with: libFuzzer's driver on `fuzzTraceCSV`.
@_cdecl("fuzz_trace_csv_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  vrsim_fuzz_run(argc, argv) { data, size in fuzzTraceCSV(data!, size) }
}
