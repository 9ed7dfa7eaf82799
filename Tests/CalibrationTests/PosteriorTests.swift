import Calibration
import Foundation
import Testing

/// The posterior sampler's calibration, tested on a small stochastic model whose truth is
/// known: a coverage study (parameters drawn from the prior, data made with other seeds and a
/// longer run than the fit's), a one-sided constraint, a misspecified model and a key that
/// starts on its bound.
///
/// The model stands in for the simulator (a fit of the real one costs minutes; this suite
/// must run in seconds): a path of clock / (driver_rx + 500) packets per second ("A") and one
/// of clock / (driver_rx + bridge + 500 + growth · (routers − 1)) ("B"), each simulated value
/// times (1 + ε), ε normal with sd 2% · √(0.1 s / run length), from its own seed.
@Suite struct PosteriorTests {
  static let clock = 3.06e9

  struct Row {
    var bridgePath: Bool
    var routers: Int
  }

  static func capacity(_ theta: [Double], _ row: Row, growth: Double) -> Double {
    row.bridgePath
      ? clock / (theta[0] + theta[1] + 500 + growth * Double(row.routers - 1)) : clock / (theta[0] + 500)
  }

  /// One simulated replication of every row at `theta`.
  static func simulate(_ theta: [Double], _ rows: [Row], seed: UInt64, runLength: Double, growth: Double)
    -> [Double]
  {
    var noise = NoiseSource(state: seed)
    let sd = 0.02 * (0.1 / runLength).squareRoot()
    return rows.map { capacity(theta, $0, growth: growth) * (1 + sd * noise.normal()) }
  }

  /// The fitted keys: driver_rx (log-uniform 150 ... 4080 cycles) and bridge (uniform 0 ...
  /// 20000 cycles), their declared priors.
  static func priors() throws -> [KeyPrior] {
    try ["profile.driver_rx", "profile.bridge"].map { try KeyPrior(FitParameter(key: $0)) }
  }

  /// Measured data at `truth`: the model with seed `seed` and a 1 s run (the fit uses 0.1 s
  /// runs and seeds of its own), plus a 3% measurement error; each row's sd is that of both.
  static func data(_ truth: [Double], _ rows: [Row], seed: UInt64, growth: Double = 0)
    -> [PosteriorLikelihood.Term]
  {
    let values = simulate(truth, rows, seed: seed, runLength: 1.0, growth: growth)
    var measurement = NoiseSource(state: seed &+ 77)
    let relativeSD = (0.03 * 0.03 + 0.02 * 0.02 * 0.1).squareRoot()
    return values.enumerated().map { i, v in
      let x = v * (1 + 0.03 * measurement.normal())
      return .value(i, y: x, sd: relativeSD * x)
    }
  }

  static func sampler(
    _ terms: [PosteriorLikelihood.Term], _ rows: [Row], discrepancies: [(value: Double, weight: Double)],
    seed: UInt64
  ) throws -> PosteriorSampler {
    var o = PosteriorSampler.Options()
    o.seed = seed
    o.priorDraws = 64
    o.startDraws = 32
    return PosteriorSampler(
      priors: try priors(), discrepancies: discrepancies, options: o,
      simulate: { thetas, seeds in
        zip(thetas, seeds).map { theta, s in
          simulate(theta, rows, seed: s, runLength: 0.1, growth: 0).map {
            RowOutcome(mean: $0, standardDeviation: 0, count: 1)
          }
        }
      },
      likelihood: {
        PosteriorLikelihood(terms: terms, simulationSD: $0, simulationScale: $1, discrepancies: $2)
      })
  }

  /// P(K ≤ k) for K ~ Binomial(n, p), summed here term by term.
  static func binomialCDF(_ k: Int, n: Int, p: Double) -> Double {
    var total = 0.0
    var term = pow(1 - p, Double(n))
    for i in 0...n {
      if i <= k { total += term }
      term *= Double(n - i) / Double(i + 1) * p / (1 - p)
    }
    return total
  }

  /// 24 data sets, each from a parameter drawn from the prior (by hand: driver_rx =
  /// 150 · (4080/150)^U, bridge = 20000 · U), fitted from the prior's median. Expected: each
  /// key's 95% interval covers its truth in 20 ... 24 of 24 data sets (Binomial(24, 0.95):
  /// P(K ≤ 19) = 0.6%, worked out below), and the central 50% intervals in 6 ... 18 of 24
  /// (Binomial(24, 0.5): P(K ≤ 5) = P(K ≥ 19) = 0.33%), so intervals too wide fail too.
  @Test(.timeLimit(.minutes(2))) func intervalsCoverTheTruthAsOftenAsTheyClaim() throws {
    let n = 24
    #expect(abs(Self.binomialCDF(19, n: n, p: 0.95) - 0.0060) < 0.0005)
    #expect(abs(Self.binomialCDF(5, n: n, p: 0.5) - 0.0033) < 0.0005)
    let rows = [Row(bridgePath: false, routers: 1), Row(bridgePath: true, routers: 1)]
    var u = NoiseSource(state: 2_026)
    var covered95 = [0, 0]
    var covered50 = [0, 0]
    for d in 0..<n {
      let truth = [150 * pow(4_080.0 / 150, u.uniform()), 20_000 * u.uniform()]
      let terms = Self.data(truth, rows, seed: 10_000 + UInt64(d))
      let s = try Self.sampler(terms, rows, discrepancies: [(0, 1)], seed: UInt64(d + 1))
      let r = try s.run(start: [(150.0 * 4_080).squareRoot(), 10_000])
      for j in 0..<2 {
        let k = r.summaries[j]
        if k.low <= truth[j] && truth[j] <= k.high { covered95[j] += 1 }
        let sorted = r.draws.map { $0[j] }.sorted()
        let q25 = sorted[sorted.count / 4]
        let q75 = sorted[(3 * sorted.count) / 4]
        if q25 <= truth[j] && truth[j] <= q75 { covered50[j] += 1 }
      }
      // At least 30 effective draws behind each interval (the 2.5% and 97.5% quantiles).
      #expect(r.effectiveSampleSize > 30, "data set \(d): ESS \(r.effectiveSampleSize)")
    }
    print("coverage study: 95% intervals \(covered95) of \(n), 50% intervals \(covered50) of \(n)")
    for j in 0..<2 {
      #expect((20...24).contains(covered95[j]), "key \(j): 95% intervals covered \(covered95[j]) of \(n)")
      #expect((6...18).contains(covered50[j]), "key \(j): 50% intervals covered \(covered50[j]) of \(n)")
    }
  }

  /// Only an upper bound on the bridge path (< 150 kp/s) and a value pinning driver_rx at
  /// 1000 cycles (A forwards 3.06e9 / 1500 = 2.04 Mp/s): bridge must exceed 3.06e9 / 150000 −
  /// 1500 = 18 900 cycles, less the bound's softness (its sd is 5%, 7 500 p/s: at 2 sd the
  /// rate is 165 kp/s, bridge 17 045). The posterior's 95% interval lies above 15 000; a
  /// curvature interval would be the whole range (the bound costs nothing while it holds).
  @Test(.timeLimit(.minutes(1))) func aOneSidedBoundShowsInThePosterior() throws {
    let rows = [Row(bridgePath: false, routers: 1), Row(bridgePath: true, routers: 1)]
    let terms: [PosteriorLikelihood.Term] = [
      .value(0, y: 2_040_000, sd: 0.02 * 2_040_000), .upper(1, bound: 150_000, sd: 7_500),
    ]
    let r = try Self.sampler(terms, rows, discrepancies: [(0, 1)], seed: 5).run(start: [1_000, 10_000])
    let bridge = r.summaries[1]
    #expect(bridge.low > 15_000, "bridge 95% [\(bridge.low), \(bridge.high)]")
    #expect(bridge.high <= 20_000)
    #expect(bridge.widthRatio < 0.3)
  }

  /// Data with a growth cost the model lacks (3000 cycles per extra router on path B; truth
  /// driver_rx 1000, bridge 6000): B forwards 3.06e9 / 7500 = 408 kp/s with one router and
  /// 3.06e9 / 16500 = 185 kp/s with four, the model one rate for both, so its relative
  /// residuals are about ±38%. A fitted discrepancy must come out well above the data's 3% sd
  /// (its median above 10%) and widen bridge's interval (at least 3 times the width without).
  @Test(.timeLimit(.minutes(1))) func aMisspecifiedModelWidensTheIntervalsThroughTheDiscrepancy() throws {
    let rows = [
      Row(bridgePath: false, routers: 1), Row(bridgePath: true, routers: 1),
      Row(bridgePath: true, routers: 4),
    ]
    let truth = [1_000.0, 6_000]
    let terms = Self.data(truth, rows, seed: 99, growth: 3_000)
    let start = [(150.0 * 4_080).squareRoot(), 10_000]
    let none = try Self.sampler(terms, rows, discrepancies: [(0, 1)], seed: 3).run(start: start)
    let fitted = try Self.sampler(
      terms, rows, discrepancies: PosteriorLikelihood.logUniformGrid(0.001...0.5, count: 28), seed: 3
    ).run(start: start)
    #expect(fitted.discrepancyQuantile(0.5) > 0.10, "discrepancy median \(fitted.discrepancyQuantile(0.5))")
    let w0 = none.summaries[1].high - none.summaries[1].low
    let w1 = fitted.summaries[1].high - fitted.summaries[1].low
    #expect(w1 > 3 * w0, "bridge width \(w1) with the discrepancy, \(w0) without")
    // Evidence: the discrepancy model explains these data far better than none.
    #expect(fitted.logEvidence > none.logEvidence + 5)
  }

  /// bridge starts at its lower bound 0 (the logit there is flat, where the least-squares
  /// search cannot leave it); the truth is 8000 cycles. The posterior's interval covers it.
  @Test(.timeLimit(.minutes(1))) func aKeyStartingOnItsBoundIsStillFound() throws {
    let rows = [Row(bridgePath: false, routers: 1), Row(bridgePath: true, routers: 1)]
    let truth = [1_200.0, 8_000]
    let terms = Self.data(truth, rows, seed: 41)
    let r = try Self.sampler(terms, rows, discrepancies: [(0, 1)], seed: 9).run(start: [1_200, 0])
    let bridge = r.summaries[1]
    #expect(bridge.low <= 8_000 && 8_000 <= bridge.high, "bridge 95% [\(bridge.low), \(bridge.high)]")
    #expect(bridge.widthRatio < 0.5)
  }

  /// Counts the candidates a sampler simulates and sets a stop flag once `stopAt` are done.
  final class Counter: @unchecked Sendable {
    var candidates = 0
    var stop: PosteriorStop?
    var stopAt = Int.max
  }

  /// The stand-in sampler with a checkpoint, a stop flag and a count of what it simulates.
  static func checkpointed(
    _ terms: [PosteriorLikelihood.Term], _ rows: [Row], checkpoint: String?, identity: String,
    counter: Counter
  ) throws -> PosteriorSampler {
    var o = PosteriorSampler.Options()
    o.seed = 4
    o.checkpoint = checkpoint
    o.identity = identity
    o.stop = counter.stop
    o.chunk = 16
    return PosteriorSampler(
      priors: try priors(), discrepancies: [(0.01, 1)], options: o,
      simulate: { thetas, seeds in
        counter.candidates += thetas.count
        if counter.candidates >= counter.stopAt { counter.stop?.stop() }
        return zip(thetas, seeds).map { theta, s in
          simulate(theta, rows, seed: s, runLength: 0.1, growth: 0).map {
            RowOutcome(mean: $0, standardDeviation: 0, count: 1)
          }
        }
      },
      likelihood: {
        PosteriorLikelihood(terms: terms, simulationSD: $0, simulationScale: $1, discrepancies: $2)
      })
  }

  /// A sampling stopped part way keeps what it simulated, and the same sampling started
  /// again from its checkpoint simulates only the rest and ends with the same draws, bit for
  /// bit, as one never stopped. By hand: the noise chunk is 8 candidates, then the first
  /// iteration's 96 go in chunks of 16 (24, 40, ..., 104 done); a stop set once 100 are done
  /// (during the chunk that ends at 104) lets that chunk finish: 104 kept, the file's head
  /// line plus 104 lines.
  @Test(.timeLimit(.minutes(1))) func aStoppedSamplingResumesFromItsCheckpointToTheSameDraws() throws {
    let rows = [Row(bridgePath: false, routers: 1), Row(bridgePath: true, routers: 1)]
    let terms = Self.data([1_000, 5_000], rows, seed: 12)
    let start = [(150.0 * 4_080).squareRoot(), 10_000]
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vrsim-posterior-checkpoint-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("p.checkpoint").path

    let whole = Counter()
    let reference = try Self.checkpointed(terms, rows, checkpoint: nil, identity: "a", counter: whole)
      .run(start: start)
    #expect(whole.candidates == reference.simulations)
    #expect(reference.replayed == 0)

    let first = Counter()
    first.stop = PosteriorStop()
    first.stopAt = 100
    var kept = -1
    do {
      _ = try Self.checkpointed(terms, rows, checkpoint: file, identity: "a", counter: first).run(
        start: start)
    } catch let i as PosteriorInterrupted {
      kept = i.kept
      #expect(i.checkpoint == file)
    }
    #expect(kept == 104)
    #expect(first.candidates == 104)
    let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 1 + 104)

    let second = Counter()
    let resumed = try Self.checkpointed(terms, rows, checkpoint: file, identity: "a", counter: second)
      .run(start: start)
    #expect(second.candidates == reference.simulations - 104)
    #expect(resumed.replayed == 104)
    #expect(resumed.simulations == reference.simulations)
    #expect(resumed.draws == reference.draws)
    #expect(resumed.drawDiscrepancy == reference.drawDiscrepancy)
    #expect(resumed.logEvidence == reference.logEvidence)

    // A checkpoint of another problem is refused, naming the file.
    #expect(throws: CalibrationError.self) {
      _ = try Self.checkpointed(terms, rows, checkpoint: file, identity: "b", counter: Counter()).run(
        start: start)
    }
  }

  @Test func priorsMapTheirQuantilesByHand() throws {
    let p = try Self.priors()
    // Log-uniform 150 ... 4080: median √(150 · 4080) = 782.30.
    #expect(abs(p[0].quantile(0.5) - (150.0 * 4_080).squareRoot()) < 1e-6)
    #expect(abs(p[0].cdf(782.30) - 0.5) < 1e-5)
    // Uniform 0 ... 20000: 2.5% and 97.5% quantiles 500 and 19 500.
    #expect(abs(p[1].interval95.low - 500) < 1e-9 && abs(p[1].interval95.high - 19_500) < 1e-9)
    // The sampler's coordinate is the logit of the prior's distribution function.
    #expect(abs(p[1].coordinate(15_000) - log(0.75 / 0.25)) < 1e-9)
    #expect(abs(p[1].value(0) - 10_000) < 1e-9)
    #expect(p[0].declared && p[1].declared)
  }

  @Test func drawsFilesAreReadBackAndBadOnesNamed() throws {
    let dir = scratchDirectory("draws")
    defer { try? FileManager.default.removeItem(at: dir) }
    let good = dir.appendingPathComponent("d.csv").path
    try "draw,profile.bridge,discrepancy\n0,4000,0.01\n1,4500,0.02\n".write(
      toFile: good, atomically: true, encoding: .utf8)
    let d = try PosteriorDraws(path: good)
    #expect(d.values == [[4_000], [4_500]] && d.discrepancy == [0.01, 0.02])
    let bad = dir.appendingPathComponent("b.csv").path
    try "draw,profile.bridge\n0,x\n".write(toFile: bad, atomically: true, encoding: .utf8)
    #expect(throws: CalibrationError.self) { try PosteriorDraws(path: bad) }
    do { _ = try PosteriorDraws(path: bad) } catch {
      #expect("\(error)".contains("b.csv:2:2: profile.bridge: not a number"))
    }
  }
}
