import Calibration
import FuzzDriver
import FuzzSupport
import Report

/// Measured-data CSV files (`vrsim calibrate --data`, validation/*.csv). Scenario paths in
/// the rows resolve against the scratch folder (nothing there but this file).
/// Property: rows, or problems that each carry a file, line and column.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMeasured(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let path = FuzzInput.scratchFile("measured.csv", FuzzInput.bytes(data, size))
  let result = MeasuredData.read(path: path)
  if !result.problems.isEmpty {
    FuzzInput.requirePositions(result.problems.map { ($0.file, $0.line, $0.column, $0.message) })
  }
  return 0
}

/// Writes the dictionary when asked (`VRSIM_FUZZ_DICT`, see FuzzDictionary).
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: FuzzArgc, _ argv: FuzzArgv) -> CInt {
  FuzzDictionary.writeIfAsked {
    MeasuredRow.requiredColumns + [MeasuredRow.requiredColumns.joined(separator: ",")]
      + Metric.all.flatMap { [$0.name, $0.unit] } + ScenarioWords.assignments
      + ["\"", "\"\"", ",", "\r\n", "\n", "#", "inf", "nan", "-", "e", ";", "scenarios/paper/fig8b.yaml"]
  }
  return 0
}

/// The entry point SwiftPM links this executable with: libFuzzer's driver on `fuzzMeasured`.
@_cdecl("fuzz_measured_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  vrsim_fuzz_run(argc, argv) { data, size in fuzzMeasured(data!, size) }
}
