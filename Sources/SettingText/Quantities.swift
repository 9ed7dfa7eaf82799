import SimCore

/// A physical quantity a scenario value can carry, with its units and base unit.
///
/// Values are parsed exactly (decimal text to integer base units) by SimCore's
/// `QuantityParser`; nothing goes through a Double.
package enum QuantityKind: Sendable {
  /// Hz.
  case frequency
  /// bits per second.
  case bitRate
  /// packets per second.
  case packetRate
  /// nanoseconds (`SimDuration`).
  case duration
  /// bytes.
  case size
  /// millionths of a percent (1% = 1,000,000), resolved to a fraction by the decoder.
  case percentage
  /// CPU cycles of the host clock.
  case cycles
  /// millionths of a CPU cycle per byte (`1.5cycles/B` = 1,500,000), a real number to the models.
  case cyclesPerByte

  /// The quantity a declared setting's unit is written as; nil for plain integers.
  package init?(_ unit: SettingUnit) {
    switch unit {
    case .count, .percentOfPCPU: return nil
    case .cycles: self = .cycles
    case .cyclesPerByte: self = .cyclesPerByte
    case .nanoseconds: self = .duration
    case .packetsPerSecond: self = .packetRate
    case .bytes: self = .size
    case .hertz: self = .frequency
    case .bitsPerSecond: self = .bitRate
    case .millionthsOfAPercent: self = .percentage
    }
  }

  /// Base units per model unit for real-valued settings (the model reads cycles per byte, the
  /// text is parsed exactly in millionths).
  package var realScale: Double { self == .cyclesPerByte ? 1_000_000 : 1 }

  /// The noun used in messages: "'x' is not a valid frequency".
  package var noun: String {
    switch self {
    case .frequency: "frequency"
    case .bitRate: "bit rate"
    case .packetRate: "packet rate"
    case .duration: "duration"
    case .size: "size"
    case .percentage: "percentage"
    case .cycles: "cycle count"
    case .cyclesPerByte: "cost per byte"
    }
  }

  /// Units with their factor in base units, as written in scenario files.
  package var units: [(String, Int64)] {
    switch self {
    case .frequency: [("Hz", 1), ("kHz", 1_000), ("MHz", 1_000_000), ("GHz", 1_000_000_000)]
    case .bitRate:
      [
        ("bps", 1), ("kbps", 1_000), ("Mbps", 1_000_000), ("Gbps", 1_000_000_000),
        ("Tbps", 1_000_000_000_000),
      ]
    case .packetRate: [("pps", 1), ("kpps", 1_000), ("Mpps", 1_000_000)]
    case .duration: SimDuration.units
    case .size: [("B", 1), ("kB", 1_000), ("KiB", 1_024), ("MB", 1_000_000), ("MiB", 1_048_576)]
    case .percentage: [("%", 1_000_000)]
    case .cycles: [("cycles", 1)]
    case .cyclesPerByte: [("cycles/B", 1_000_000)]
    }
  }

  /// Units that `format` may choose (a subset of `units` with power-of-ten factors).
  private var formatUnits: [(String, Int64)] {
    switch self {
    case .size: [("B", 1)]
    case .cyclesPerByte: [("cycles/B", 1_000_000)]
    default: units
    }
  }

  /// Base units of a real value in the model's unit, rounded to the nearest one.
  package func baseUnits(_ value: Double) -> Int64 {
    let scaled = (value * realScale).rounded()
    return scaled >= 9.2e18 ? .max : Int64(scaled)
  }

  /// Parses `text` into base units.
  package func parse(_ text: String) throws(QuantityError) -> Int64 {
    do {
      return try QuantityParser.parse(text, kind: noun, units: units, allowNegative: false)
    } catch let error as QuantityError {
      throw error
    } catch {
      throw QuantityError(input: text, kind: noun, problem: "\(error)", allowed: unitsText)
    }
  }

  /// "a number with a unit (Hz, kHz, MHz, GHz)", as SimCore's parser says it.
  package var unitsText: String { "a number with a unit (\(units.map(\.0).joined(separator: ", ")))" }

  /// The shortest exact text of `value` base units: `3.06GHz`, `30ms`, `0.5%`.
  package func format(_ value: Int64) -> String {
    if case .duration = self { return SimDuration(nanoseconds: value).description }
    let candidates = formatUnits
    var chosen = candidates[0]
    for unit in candidates where unit.1 <= value.magnitude { chosen = unit }
    return decimalText(value, scale: chosen.1) + chosen.0
  }
}

/// `value / scale` as the shortest exact decimal text (`scale` a power of ten).
package func decimalText(_ value: Int64, scale: Int64) -> String {
  let sign = value < 0 ? "-" : ""
  let m = value.magnitude
  let s = UInt64(scale)
  let whole = m / s
  var frac = m % s
  if frac == 0 { return "\(sign)\(whole)" }
  var digits = ""
  var place = s / 10
  while place > 0 && frac > 0 {
    digits.append(Character(String(frac / place)))
    frac %= place
    place /= 10
  }
  return "\(sign)\(whole).\(digits)"
}
