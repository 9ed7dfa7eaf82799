import Foundation

/// Deterministic number formatting for reports: the same value always gives the same bytes, on
/// every machine and in every locale (the decimal point is always `.`).
public enum NumberFormatting {
  /// The shortest decimal text that reads back as exactly `value` (Swift's round-trip
  /// formatting), without a trailing `.0`: `750000`, `0.1`, `1e-05`. NaN gives the empty string
  /// (a missing value in CSV), infinities `inf` and `-inf`.
  public static func exact(_ value: Double) -> String {
    if value.isNaN { return "" }
    if value.isInfinite { return value > 0 ? "inf" : "-inf" }
    var text = value.description
    if text.hasSuffix(".0") { text.removeLast(2) }
    return text
  }

  /// `value` with `digits` significant digits, C `%g` style: `750000`, `0.0123`, `1.5e+09`.
  /// NaN prints as `-`, infinities as `inf` / `-inf`.
  public static func significant(_ value: Double, digits: Int = 6) -> String {
    if value.isNaN { return "-" }
    if value.isInfinite { return value > 0 ? "inf" : "-inf" }
    return String(format: "%.*g", max(1, digits), value)
  }

  /// A mean and its confidence half-width as `mean ± hw`: the half-width rounded to two
  /// significant digits and the mean to the same decimal place, so the text shows only the
  /// digits the interval supports (`750012 ± 1300`, `0.0412 ± 0.0021`). Without a usable
  /// half-width (NaN, zero, infinite) only the mean is printed, with six significant digits.
  public static func withUncertainty(_ mean: Double, halfWidth: Double) -> String {
    guard mean.isFinite, halfWidth.isFinite, halfWidth > 0 else {
      return significant(mean)
    }
    let exponent = Int(log10(halfWidth).rounded(.down))
    let quantum = pow(10, Double(exponent - 1))
    let roundedHalfWidth = (halfWidth / quantum).rounded() * quantum
    let decimals = max(0, 1 - exponent)
    let roundedMean = decimals == 0 ? (mean / quantum).rounded() * quantum : mean
    let m = String(format: "%.*f", decimals, roundedMean)
    let h = String(format: "%.*f", decimals, roundedHalfWidth)
    return "\(m) ± \(h)"
  }
}
