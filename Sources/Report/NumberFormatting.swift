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

  /// `value` with six significant digits in plain decimal notation (`21819800`, `0.0922074`,
  /// `73.9565`), so a column never mixes `21843000` with `2.18198e+07`; exponent notation only
  /// outside 1e-4 ... 1e15. NaN prints as `-`.
  public static func plain(_ value: Double) -> String {
    if value.isNaN { return "-" }
    if value.isInfinite { return value > 0 ? "inf" : "-inf" }
    if value == 0 { return "0" }
    let magnitude = abs(value)
    guard magnitude >= 1e-4, magnitude < 1e15 else { return significant(value) }
    let exponent = Int(log10(magnitude).rounded(.down))
    let decimals = max(0, 5 - exponent)
    let quantum = pow(10, Double(exponent - 5))
    let rounded = decimals == 0 ? (value / quantum).rounded() * quantum : value
    var text = String(format: "%.*f", decimals, rounded)
    if text.contains(".") {
      while text.hasSuffix("0") { text.removeLast() }
      if text.hasSuffix(".") { text.removeLast() }
    }
    return text == "-0" ? "0" : text
  }

  /// A mean and its confidence half-width as `mean ± hw`: the half-width rounded to two
  /// significant digits and the mean to the same decimal place, so the text shows only the
  /// digits the interval supports (`750012 ± 1300`, `0.0412 ± 0.0021`). Without a usable
  /// half-width (NaN, zero, infinite) only the mean is printed, with six significant digits (`plain`);
  /// a half-width below a millionth of the mean follows the mean's six digits (`1 ± 6.4e-11`).
  public static func withUncertainty(_ mean: Double, halfWidth: Double) -> String {
    guard mean.isFinite, halfWidth.isFinite, halfWidth > 0 else {
      return plain(mean)
    }
    // An interval narrower than the six significant digits `plain` shows: the mean as `plain`
    // and the half-width with two significant digits (`1 ± 6.4e-11`), not twelve decimals.
    if halfWidth < abs(mean) * 1e-6 {
      return "\(plain(mean)) ± \(significant(halfWidth, digits: 2))"
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
