import Foundation
import NetModel
import SimCore
import Testing

/// The departures the testbed's own sender replays: the simulator's laws, checked against
/// their theory (seeded, so each run draws the same numbers).
@Suite struct ArrivalScheduleTests {
  /// Departures in [0, horizon) of `flows`.
  func times(_ flows: [FlowSpec], seed: UInt64 = 11, horizon: Int64 = 10_000_000_000) throws -> [(Int64, Int)]
  {
    let s = try ArrivalSchedule(flows: flows, streams: RandomStreams(seed: seed))
    var out: [(Int64, Int)] = []
    while let d = s.next(), d.time < horizon { out.append((d.time, d.router)) }
    return out
  }

  /// Poisson at 10 kp/s for 10 s: the count N has mean 100,000 and standard deviation
  /// sqrt(100,000) = 316, so |N - 100,000| < 4 x 316 = 1,265; the gaps are exponential, so
  /// their coefficient of variation is 1 (a CBR flow's is 0): within 0.02 (its standard error
  /// over 10^5 gaps is about 1/sqrt(10^5) x 1.1 = 0.0035, so 0.02 is over 5 of them).
  @Test func poissonCountAndGaps() throws {
    let t = try times([FlowSpec(router: 0, packetsPerSecond: 10_000, arrivals: .poisson)]).map(\.0)
    #expect(abs(t.count - 100_000) < 1_265, "\(t.count) departures")
    let gaps = zip(t.dropFirst(), t).map { Double($0 - $1) }
    let mean = gaps.reduce(0, +) / Double(gaps.count)
    let sd = (gaps.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(gaps.count - 1)).squareRoot()
    #expect(abs(sd / mean - 1) < 0.02, "coefficient of variation \(sd / mean)")
  }

  /// On-off with mean on 10 ms and off 90 ms at a mean 10 kp/s: CBR at 10,000 x 100 / 10 =
  /// 100 kp/s while on, so gaps of 10 µs inside a burst; over 10 s the long-run mean is
  /// 10 kp/s: about 100 cycles, each count a product of two exponentials, so the total's
  /// relative standard deviation is about sqrt(2/100) = 14%; 45% is over 3 of them.
  @Test func onOffMeanRateAndBurstGap() throws {
    let t = try times([
      FlowSpec(router: 0, packetsPerSecond: 10_000, arrivals: .onOff(on: .ms(10), off: .ms(90)))
    ]).map(\.0)
    #expect(abs(Double(t.count) - 100_000) / 100_000 < 0.45, "\(t.count) departures")
    let gaps = zip(t.dropFirst(), t).map { $0 - $1 }
    // Most gaps are inside a burst: exactly 10 µs (10^9 / 100,000 ns).
    let inBurst = gaps.filter { $0 == 10_000 }.count
    #expect(Double(inBurst) / Double(gaps.count) > 0.99, "\(inBurst) of \(gaps.count) gaps are 10 µs")
  }

  /// Two CBR flows to routers 0 and 1 at 1 kp/s each: departures alternate (each flow's gap
  /// is 1 ms, their phases random), 2,000 in 1 s, 1,000 per router.
  @Test func flowsMergeInTimeOrder() throws {
    let t = try times(
      [
        FlowSpec(router: 0, packetsPerSecond: 1_000), FlowSpec(router: 1, packetsPerSecond: 1_000),
      ], horizon: 1_000_000_000)
    #expect(t.count == 2_000 || t.count == 1_999 || t.count == 2_001)
    #expect(zip(t.dropFirst(), t).allSatisfy { $0.0 >= $1.0 })
    #expect(abs(t.filter { $0.1 == 0 }.count - 1_000) <= 1)
  }

  /// Only the routers asked for are drawn, and their draws are those of the full schedule
  /// (each flow has its own stream): the testbed's per-device senders together send what one
  /// schedule of every flow would.
  @Test func aSubsetDrawsTheSameAsTheWhole() throws {
    let flows = (0..<3).map { FlowSpec(router: $0, packetsPerSecond: 5_000, arrivals: .poisson) }
    let whole = try times(flows, horizon: 200_000_000).filter { $0.1 == 1 }.map(\.0)
    let s = try ArrivalSchedule(flows: flows, streams: RandomStreams(seed: 11), routers: [1])
    var part: [Int64] = []
    while let d = s.next(), d.time < 200_000_000 {
      #expect(d.router == 1)
      part.append(d.time)
    }
    #expect(part == whole)
  }

  /// The stream names: one flow per router keeps `traffic/vrN`; two flows to one router get
  /// their index.
  @Test func streamNames() {
    let flows = [
      FlowSpec(router: 0, packetsPerSecond: 1), FlowSpec(router: 1, packetsPerSecond: 1),
      FlowSpec(router: 1, packetsPerSecond: 2),
    ]
    #expect(ArrivalSchedule.streamName(flows: flows, index: 0) == "traffic/vr0")
    #expect(ArrivalSchedule.streamName(flows: flows, index: 2) == "traffic/vr1.2")
  }

  /// A scenario's `frame:` as the simulator's law (`FrameSizeLaw(_:)`): IMIX 64 B : 594 B :
  /// 1518 B in proportion 7 : 4 : 1 has mean (7 x 64 + 4 x 594 + 1518) / 12 = 4342 / 12 =
  /// 361.83 B, and 100,000 CBR departures draw each size with its share: the binomial standard
  /// error of a share over 10^5 draws is at most sqrt(0.25 / 10^5) = 0.0016, so 0.01 is over 6
  /// of them. A fixed size is drawn every time.
  @Test func frameLawOfAScenarioFrame() throws {
    let imix = [
      FrameShare(bytes: 64, weight: 7), FrameShare(bytes: 594, weight: 4), FrameShare(bytes: 1518, weight: 1),
    ]
    #expect(abs(FrameSizeLaw(.mix(imix)).meanSize - 4342.0 / 12) < 1e-9)
    #expect(FrameSizeLaw(.fixed(bytes: 1518)) == .fixed(1518))
    func sizes(_ frame: FrameSpec) throws -> [Int] {
      let flow = FlowSpec(router: 0, packetsPerSecond: 10_000, frames: FrameSizeLaw(frame))
      let s = try ArrivalSchedule(flows: [flow], streams: RandomStreams(seed: 11))
      var out: [Int] = []
      while let d = s.next(), out.count < 100_000 { out.append(d.size) }
      return out
    }
    let drawn = try sizes(.mix(imix))
    for (bytes, share) in [(64, 7.0 / 12), (594, 4.0 / 12), (1518, 1.0 / 12)] {
      let f = Double(drawn.filter { $0 == bytes }.count) / Double(drawn.count)
      #expect(abs(f - share) < 0.01, "\(bytes) B: share \(f)")
    }
    #expect(drawn.allSatisfy { [64, 594, 1518].contains($0) })
    #expect(try sizes(.fixed(bytes: 1518)).allSatisfy { $0 == 1518 })
  }
}
