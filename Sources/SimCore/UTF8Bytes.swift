/// Checks on raw bytes that should be UTF-8 text (scenario, profile, trace and route files), so
/// that a bad byte is reported at its line and column instead of being replaced silently.
public enum UTF8Bytes {
  /// Offset of the first byte that is not valid UTF-8, if any.
  public static func firstInvalid(_ b: [UInt8]) -> Int? {
    var i = 0
    let n = b.count
    while i < n {
      let c = b[i]
      if c < 0x80 {
        i += 1
        continue
      }
      let length: Int
      var low: UInt8 = 0x80
      var high: UInt8 = 0xBF
      switch c {
      case 0xC2...0xDF: length = 2
      case 0xE0:
        length = 3
        low = 0xA0
      case 0xE1...0xEC, 0xEE...0xEF: length = 3
      case 0xED:
        length = 3
        high = 0x9F
      case 0xF0:
        length = 4
        low = 0x90
      case 0xF1...0xF3: length = 4
      case 0xF4:
        length = 4
        high = 0x8F
      default: return i
      }
      if i + length > n { return i }
      if b[i + 1] < low || b[i + 1] > high { return i }
      for j in 2..<max(2, length) where b[i + j] & 0xC0 != 0x80 { return i }
      i += length
    }
    return nil
  }

  /// 1-based line and column (in scalars of the valid prefix) of byte `offset`.
  public static func position(ofByte offset: Int, in bytes: [UInt8]) -> (Int, Int) {
    var line = 1
    var lineStart = 0
    for i in 0..<offset where bytes[i] == 0x0A {
      line += 1
      lineStart = i + 1
    }
    let column = String(decoding: bytes[lineStart..<offset], as: UTF8.self).unicodeScalars.count + 1
    return (line, column)
  }
}
