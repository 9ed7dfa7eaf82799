import CAllocCounter
import Foundation

/// Measurements of this process used by the benchmarks: peak resident memory and a count of
/// heap allocations (through the counting malloc interposer in CAllocCounter).
enum ProcessProbes {
  /// Peak resident set size in bytes (VmHWM), or nil where /proc is unavailable.
  static func peakResidentBytes() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
      return nil
    }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
      let digits = line.filter(\.isNumber)
      return Int(digits).map { $0 * 1024 }
    }
    return nil
  }

  /// Resets the peak resident set size to the current size (Linux clear_refs, value 5).
  static func resetPeakResident() {
    if let h = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
      h.write(Data("5".utf8))
      try? h.close()
    }
  }

  /// True when allocations can be counted in this process.
  static var canCountAllocations: Bool { vrsim_alloc_interposed() != 0 }

  /// Counts the heap allocations made while running `body`.
  static func countingAllocations<T>(_ body: () throws -> T) rethrows -> (T, UInt64) {
    vrsim_alloc_reset()
    vrsim_alloc_counting(1)
    let result = try body()
    vrsim_alloc_counting(0)
    return (result, vrsim_alloc_count())
  }

  /// Seconds elapsed while running `body` (monotonic clock).
  static func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = ContinuousClock.now
    let r = try body()
    let d = ContinuousClock.now - start
    let (s, atto) = d.components
    return (r, Double(s) + Double(atto) * 1e-18)
  }
}

/// Median of a non-empty list.
func median(_ xs: [Double]) -> Double {
  let s = xs.sorted()
  let n = s.count
  return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}
