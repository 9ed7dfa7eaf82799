import GSLKit
import SimCore

/// How frame sizes are drawn.
public enum FrameSizeLaw: Sendable, Equatable, Codable {
  /// Every frame has this size in bytes.
  case fixed(Int)
  /// Sizes with integer weights (an empirical distribution; the scenario's `frame:` mix).
  case empirical([FrameShare])

  /// The law a scenario's `frame:` value declares: a fixed size, or its weighted mix.
  public init(_ frame: FrameSpec) {
    switch frame {
    case .fixed(let bytes): self = .fixed(bytes)
    case .mix(let shares): self = .empirical(shares)
    }
  }

  /// Mean frame size in bytes.
  public var meanSize: Double {
    switch self {
    case .fixed(let s): return Double(s)
    case .empirical(let e):
      let w = e.reduce(0) { $0 + Double($1.weight) }
      return e.reduce(0) { $0 + Double($1.bytes) * Double($1.weight) } / w
    }
  }

  var table: [FrameShare] {
    switch self {
    case .fixed(let s): return [FrameShare(bytes: s, weight: 1)]
    case .empirical(let e): return e
    }
  }
}

/// How packets of a flow are spaced in time.
public enum ArrivalLaw: Sendable, Equatable, Codable {
  /// Constant bit rate: exactly 1/rate apart.
  case cbr
  /// Poisson: exponential gaps with mean 1/rate.
  case poisson
  /// Exponential on and off periods with the given means; during "on" the flow sends CBR at
  /// rate · (on + off) / on, so its long-run mean is `rate`.
  case onOff(on: SimDuration, off: SimDuration)
  /// Replays a trace: departure offsets (ns from the start) and sizes, repeated end to end.
  case trace(TrafficTrace)
}

/// A recorded packet trace: offsets in ns from its start and frame sizes in bytes.
public struct TrafficTrace: Sendable, Equatable, Codable {
  /// Offsets, non-decreasing.
  public var offsets: [Int64]
  /// Frame sizes in bytes, one per offset.
  public var sizes: [Int]
  /// Length of one pass (last offset + the mean gap), for looping.
  public var period: Int64

  /// Creates a trace; offsets must be non-decreasing and as many as sizes.
  public init(offsets: [Int64], sizes: [Int]) {
    precondition(!offsets.isEmpty && offsets.count == sizes.count, "trace needs matching offsets and sizes")
    self.offsets = offsets
    self.sizes = sizes
    let span = offsets.last! - offsets.first!
    period = span + Swift.max(1, span / Int64(Swift.max(1, offsets.count - 1)))
  }
}

/// One flow of offered traffic, from a generator outside the host to one router.
public struct FlowSpec: Sendable, Equatable, Codable {
  /// Destination router (0-based); also the flow id of its packets.
  public var router: Int
  /// Mean offered rate in packets per second (> 0).
  public var packetsPerSecond: Double
  /// Frame sizes.
  public var frames: FrameSizeLaw
  /// Spacing.
  public var arrivals: ArrivalLaw

  /// Creates a flow.
  public init(
    router: Int, packetsPerSecond: Double, frames: FrameSizeLaw = .fixed(64), arrivals: ArrivalLaw = .cbr
  ) {
    self.router = router
    self.packetsPerSecond = packetsPerSecond
    self.frames = frames
    self.arrivals = arrivals
  }
}

/// The state of one flow's generator: when its next packet leaves the generator, and its size.
final class FlowGenerator {
  let spec: FlowSpec
  let random: GSLRandom
  let sizes: DiscreteDistribution?
  let sizeTable: [Int]
  let gap: Double  // mean gap in ns
  var count: Int64 = 0
  var start: Int64
  var next: Int64 = 0
  var nextSize = 64
  // on-off state
  var onUntil: Int64 = 0
  var traceIndex = 0
  var tracePass: Int64 = 0

  init(spec: FlowSpec, random: GSLRandom, start: Int64) throws {
    self.spec = spec
    self.random = random
    self.start = start
    gap = 1e9 / spec.packetsPerSecond
    let t = spec.frames.table
    sizeTable = t.map(\.bytes)
    sizes = t.count > 1 ? try DiscreteDistribution(weights: t.map { Double($0.weight) }) : nil
    // Random phase for CBR so flows do not start in lockstep.
    next = start + Int64(random.uniform() * gap)
    if case .onOff(let on, _) = spec.arrivals {
      onUntil = next + Int64(random.exponential(mean: Double(on.nanoseconds)))
    }
    if case .trace(let tr) = spec.arrivals { next = start + tr.offsets[0] }
    drawSize()
  }

  func drawSize() {
    if case .trace(let tr) = spec.arrivals {
      nextSize = tr.sizes[traceIndex]
      return
    }
    nextSize = sizes.map { sizeTable[$0.draw(random)] } ?? sizeTable[0]
  }

  /// Moves to the following packet.
  func advance() {
    count += 1
    switch spec.arrivals {
    case .cbr:
      next = next + Int64(gap.rounded())
    case .poisson:
      next = next + Swift.max(1, Int64(random.exponential(mean: gap).rounded()))
    case .onOff(let on, let off):
      let duty = Double(on.nanoseconds) / Double(on.nanoseconds + off.nanoseconds)
      var t = next + Int64((gap * duty).rounded())
      if t > onUntil {
        let offLen = Int64(random.exponential(mean: Double(off.nanoseconds)))
        t = onUntil + offLen
        onUntil = t + Int64(random.exponential(mean: Double(on.nanoseconds)))
      }
      next = t
    case .trace(let tr):
      traceIndex += 1
      if traceIndex == tr.offsets.count {
        traceIndex = 0
        tracePass += 1
      }
      next = start + tracePass * tr.period + tr.offsets[traceIndex]
    }
    drawSize()
  }
}
