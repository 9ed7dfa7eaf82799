// The values of the structured setting kinds (traffic targets, rates, frames, arrival laws,
// search resolutions): what `SettingValue` carries for them, in base units.

/// Which routers a flow goes to.
public enum TrafficTarget: Codable, Sendable, Equatable {
  /// One flow per router, each at the full rate.
  case each
  /// One aggregate rate split evenly over all routers.
  case all
  /// Router N (0-based).
  case router(Int)
}

/// An offered rate.
public enum TrafficRate: Codable, Sendable, Equatable {
  case packetsPerSecond(Int64)
  case bitsPerSecond(Int64)

  /// A flow's rate when the scenario gives none: 10 kp/s.
  public static let defaultRate = TrafficRate.packetsPerSecond(10_000)

  /// Packets per second for a mean frame size (bit rates count the frame bytes only).
  public func packetsPerSecond(meanFrameBytes: Double) -> Double {
    switch self {
    case .packetsPerSecond(let p): Double(p)
    case .bitsPerSecond(let b): Double(b) / (8 * meanFrameBytes)
    }
  }
}

/// One frame size and its weight in a mix.
public struct FrameShare: Codable, Sendable, Equatable {
  /// Frame size in bytes (Ethernet frame with FCS, without preamble and gap).
  public var bytes: Int
  /// Relative weight.
  public var weight: Int

  /// A frame size with its weight.
  public init(bytes: Int, weight: Int) {
    self.bytes = bytes
    self.weight = weight
  }
}

/// Frame sizes of a flow.
public enum FrameSpec: Codable, Sendable, Equatable {
  case fixed(bytes: Int)
  /// A weighted mix (IMIX is 64B:7, 594B:4, 1518B:1).
  case mix([FrameShare])

  /// Mean frame size in bytes.
  public var meanBytes: Double {
    switch self {
    case .fixed(let b): Double(b)
    case .mix(let shares):
      Double(shares.reduce(0) { $0 + $1.bytes * $1.weight }) / Double(shares.reduce(0) { $0 + $1.weight })
    }
  }
}

/// Inter-arrival process of a flow.
public enum ArrivalSpec: Codable, Sendable, Equatable {
  /// The mean on period of `onoff` when the scenario gives none.
  public static let defaultOn = SimDuration.ms(10)
  /// The mean off period of `onoff` when the scenario gives none.
  public static let defaultOff = SimDuration.ms(90)

  case cbr
  case poisson
  /// Exponential on and off periods with these means, CBR at the flow's rate while on.
  case onOff(on: SimDuration, off: SimDuration)
  /// Timestamps (and sizes) from a CSV or pcap file, resolved against the scenario's
  /// directory.
  case trace(file: String)

  enum CodingKeys: String, CodingKey { case kind, onNs, offNs, file }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    switch try c.decode(String.self, forKey: .kind) {
    case "poisson": self = .poisson
    case "onoff":
      self = .onOff(
        on: SimDuration(nanoseconds: try c.decode(Int64.self, forKey: .onNs)),
        off: SimDuration(nanoseconds: try c.decode(Int64.self, forKey: .offNs)))
    case "trace": self = .trace(file: try c.decode(String.self, forKey: .file))
    default: self = .cbr
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    switch self {
    case .cbr: try c.encode("cbr", forKey: .kind)
    case .poisson: try c.encode("poisson", forKey: .kind)
    case .onOff(let on, let off):
      try c.encode("onoff", forKey: .kind)
      try c.encode(on.nanoseconds, forKey: .onNs)
      try c.encode(off.nanoseconds, forKey: .offNs)
    case .trace(let file):
      try c.encode("trace", forKey: .kind)
      try c.encode(file, forKey: .file)
    }
  }
}

/// Resolution of a throughput search.
public enum SearchResolution: Codable, Sendable, Equatable {
  case packetsPerSecond(Int64)
  /// A fraction of the current rate (0.01 = 1%).
  case relative(Double)
}
