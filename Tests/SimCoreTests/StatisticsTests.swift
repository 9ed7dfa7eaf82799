import Testing

@testable import SimCore

@Suite("Statistics accumulators")
struct StatisticsTests {
  @Test func welfordMatchesTwoPassFormulas() {
    let xs: [Double] = (0..<1000).map { Double(($0 * 7919) % 1000) / 7 + 1e6 }
    var w = Welford()
    for x in xs { w.add(x) }
    let mean = xs.reduce(0, +) / Double(xs.count)
    let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count - 1)
    #expect(abs(w.mean - mean) / mean < 1e-12)
    #expect(abs(w.variance - variance) / variance < 1e-9)
    var a = Welford()
    var b = Welford()
    for (i, x) in xs.enumerated() {
      if i < 300 { a.add(x) } else { b.add(x) }
    }
    a.merge(b)
    #expect(abs(a.mean - mean) / mean < 1e-12)
    #expect(abs(a.variance - variance) / variance < 1e-9)
  }

  @Test func timeWeightedAverage() {
    var t = TimeWeighted(value: 0, at: .zero)
    t.set(2, at: SimTime(nanoseconds: 10))  // 0 for 10 ns
    t.set(4, at: SimTime(nanoseconds: 30))  // 2 for 20 ns
    // then 4 for 10 ns up to 40: (0*10 + 2*20 + 4*10) / 40 = 2
    #expect(t.mean(at: SimTime(nanoseconds: 40)) == 2)
    t.reset(at: SimTime(nanoseconds: 40))
    #expect(t.mean(at: SimTime(nanoseconds: 50)) == 4)
  }

  /// Known example: values 1...10 give mean 5.5, s = 3.02765, t(0.975, 9) = 2.262157,
  /// half-width = 2.262157 * 3.02765 / sqrt(10) = 2.16585.
  @Test func studentTInterval() {
    let ci = ConfidenceInterval((1...10).map(Double.init))
    #expect(ci.mean == 5.5)
    #expect(abs(ci.halfWidth - 2.16585) < 1e-4)
    #expect(ConfidenceInterval([3]).halfWidth.isNaN)
  }

  @Test func jainIndex() {
    #expect(jainFairnessIndex([1, 1, 1, 1]) == 1)
    #expect(abs(jainFairnessIndex([1, 0, 0, 0]) - 0.25) < 1e-12)
    #expect(abs(jainFairnessIndex([1, 2]) - 0.9) < 1e-12)
  }

  /// HdrHistogram keeps 3 significant digits: percentiles within 0.1%.
  @Test func latencyPercentiles() {
    var h = LatencyHistogram()
    for i in 1...100_000 { h.record(.ns(Int64(i))) }
    #expect(abs(h.percentile(50) - 50_000) / 50_000 < 0.001)
    #expect(abs(h.percentile(99) - 99_000) / 99_000 < 0.001)
    #expect(h.max == 100_000)
    #expect(abs(h.mean - 50_000.5) < 1e-6)
  }

  @Test func batchMeansOfIndependentDataHaveLowAutocorrelation() {
    var b = BatchMeans(batchSize: 100)
    var x: UInt64 = 1
    for _ in 0..<10_000 {
      x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      b.add(Double(x >> 11) / Double(1 << 53))
    }
    #expect(b.batches.count == 100)
    // For independent batches the lag-1 estimate has sd ~ 1/sqrt(100) = 0.1; allow 3 sd.
    #expect(abs(b.lag1Autocorrelation) < 0.3)
    #expect(abs(b.interval().mean - 0.5) < 0.01)
  }
}
