import FuzzDriver
import FuzzSupport
import Platforms

@testable import Scenario

/// pcap trace files (classic libpcap), read as a scenario's trace.
/// Property: a trace, or a `PlatformError` that starts with the file's path.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTracePcap(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let path = FuzzInput.scratchFile("trace.pcap", FuzzInput.bytes(data, size))
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
  FuzzDictionary.writeIfAsked(
    { [] },
    binary: {
      // The four magic numbers as stored (both byte orders, micro- and nanoseconds), a version,
      // and record-header fields at their limits.
      [
        [0xd4, 0xc3, 0xb2, 0xa1], [0xa1, 0xb2, 0xc3, 0xd4], [0x4d, 0x3c, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
        [0x02, 0x00, 0x04, 0x00], [0x00, 0x02, 0x00, 0x04], [0xff, 0xff, 0x00, 0x00],
        [0x01, 0x00, 0x00, 0x00],
        [0x3f, 0x42, 0x0f, 0x00], [0x40, 0x42, 0x0f, 0x00], [0xff, 0xc9, 0x9a, 0x3b],
        [0x00, 0xca, 0x9a, 0x3b],
        [0xff, 0xff, 0xff, 0xff], [0x00, 0x00, 0x00, 0x80], [0x40, 0x00, 0x00, 0x00],
        [0x28, 0x23, 0x00, 0x00],
      ]
    })
  return 0
}

/// The entry point SwiftPM links this executable with: libFuzzer's driver on `fuzzTracePcap`.
@_cdecl("fuzz_trace_pcap_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  vrsim_fuzz_run(argc, argv) { data, size in fuzzTracePcap(data!, size) }
}
