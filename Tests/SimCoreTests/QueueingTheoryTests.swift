import Foundation
import Testing

@testable import SimCore

/// The engine against closed-form queueing results.
///
/// Every test runs independent replications (fixed seeds), deletes a warm-up period, and
/// compares the mean over replications with the formula. Each tolerance is stated as a
/// relative error and justified by the run length: it is at least about 3 times the standard
/// error that the replications themselves show, so the test fails if the model is wrong by
/// more than its statistical noise, and the printed CI lets a reader check the margin.
/// Time unit: mean service 1 ms, so rounding draws to whole nanoseconds (bias < 1e-6) is
/// negligible.
@Suite("Queueing theory validation")
struct QueueingTheoryTests {
  struct Result {
    var wait = Welford()  // mean waiting time in queue, ms, one value per replication
    var number = Welford()  // time-average number in system
    var utilisation = Welford()  // busy servers / c
    var blocking = Welford()  // blocked / arrived
  }

  static func replicate(
    replications: Int, seed: UInt64, arrivals: QueueingStation.Law, service: QueueingStation.Law,
    servers: Int = 1, capacity: Int? = nil, warmup: SimDuration, length: SimDuration
  ) -> Result {
    var r = Result()
    for rep in 0..<replications {
      let sim = Simulation(seed: seed, replication: rep)
      let st = QueueingStation(
        in: sim, arrivals: arrivals, service: service, servers: servers, capacity: capacity)
      st.start(in: sim)
      sim.onWarmupEnd(at: .zero + warmup) { s in st.resetStatistics(at: s.now) }
      let end = SimTime.zero + warmup + length
      sim.run(until: end)
      r.wait.add(st.waiting.mean / 1e6)
      r.number.add(st.inSystem.mean(at: end))
      r.utilisation.add(st.busy.mean(at: end) / Double(servers))
      r.blocking.add(Double(st.blocked) / Double(st.arrived))
    }
    return r
  }

  static func check(
    _ name: String, _ w: Welford, theory: Double, tolerance: Double,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let ci = ConfidenceInterval(w)
    let err = (ci.mean - theory) / theory
    print(
      String(
        format: "%@: simulated %.5f ± %.5f (95%% CI, %d reps), theory %.5f, error %+.2f%%, tolerance %.1f%%",
        name, ci.mean, ci.halfWidth, ci.count, theory, err * 100, tolerance * 100))
    #expect(abs(err) <= tolerance, "\(name)", sourceLocation: sourceLocation)
  }

  /// M/M/1: Wq = rho / (mu - lambda), L = rho / (1 - rho), U = rho.
  /// Run lengths grow with the relaxation time ~ 1/(1-rho)^2; standard errors of Wq measured
  /// over the 10 replications (95% half-width / 2.26): about 0.5% (rho 0.5, 320 s), 0.65%
  /// (0.8, 320 s), 0.6-1.3% (0.95, 1600 s; it varies with the seed's excursions).
  /// Tolerances: 3%, 3% and 5% (>= 3 standard errors); utilisation, far less variable, 1%.
  @Test(
    arguments: [
      (0.5, 320.0, 0.03), (0.8, 320.0, 0.03), (0.95, 1600.0, 0.05),
    ] as [(Double, Double, Double)])
  func mm1(rho: Double, seconds: Double, tolerance: Double) {
    let meanInterarrival = SimDuration.seconds(1e-3 / rho)
    let r = Self.replicate(
      replications: 10, seed: 101, arrivals: .exponential(mean: meanInterarrival),
      service: .exponential(mean: .ms(1)), warmup: .seconds(seconds / 10),
      length: .seconds(seconds))
    Self.check("M/M/1 rho=\(rho) Wq (ms)", r.wait, theory: rho / (1 - rho), tolerance: tolerance)
    Self.check("M/M/1 rho=\(rho) L", r.number, theory: rho / (1 - rho), tolerance: tolerance)
    Self.check("M/M/1 rho=\(rho) U", r.utilisation, theory: rho, tolerance: 0.01)
  }

  /// M/D/1, Pollaczek-Khinchine: Wq = rho / (2 mu (1 - rho)); rho = 0.8 gives 2 ms.
  /// 160 s x 10 replications give a measured standard error of ~0.9%; tolerance 3%.
  @Test func md1PollaczekKhinchine() {
    let rho = 0.8
    let r = Self.replicate(
      replications: 10, seed: 202, arrivals: .exponential(mean: .seconds(1e-3 / rho)),
      service: .deterministic(.ms(1)), warmup: .seconds(16), length: .seconds(160))
    Self.check("M/D/1 rho=0.8 Wq (ms)", r.wait, theory: rho / (2 * (1 - rho)), tolerance: 0.03)
  }

  /// M/M/1/K blocking: P_K = (1 - rho) rho^K / (1 - rho^(K+1)), K = 10 in the system.
  /// rho 0.9: P = 0.05081; rho 1.2: P = 0.19259. 200 s (1.8e5 - 2.4e5 arrivals) per
  /// replication x 10: measured standard error <= 1.2% relative; tolerance 4%.
  @Test(arguments: [0.9, 1.2])
  func mm1kBlocking(rho: Double) {
    let k = 10
    let r = Self.replicate(
      replications: 10, seed: 303, arrivals: .exponential(mean: .seconds(1e-3 / rho)),
      service: .exponential(mean: .ms(1)), capacity: k, warmup: .seconds(1),
      length: .seconds(200))
    let theory = (1 - rho) * pow(rho, Double(k)) / (1 - pow(rho, Double(k + 1)))
    Self.check("M/M/1/10 rho=\(rho) blocking", r.blocking, theory: theory, tolerance: 0.04)
  }

  /// M/M/c with c = 4, offered load a = lambda/mu = 3.2 (rho = 0.8): Erlang C probability of
  /// waiting C(c, a) and Wq = C / (c mu - lambda). Tolerance 3% (standard error ~1%).
  @Test func mmcErlangC() {
    let c = 4
    let a = 3.2
    var sum = 0.0
    var term = 1.0
    for k in 0..<c {
      if k > 0 { term *= a / Double(k) }
      sum += term
    }
    let top = term * a / Double(c) * Double(c) / (Double(c) - a)
    let erlangC = top / (sum + top)
    let wq = erlangC / (Double(c) - a)  // in units of the mean service time (ms)
    let r = Self.replicate(
      replications: 10, seed: 404, arrivals: .exponential(mean: .seconds(1e-3 / a)),
      service: .exponential(mean: .ms(1)), servers: c, warmup: .seconds(4), length: .seconds(40))
    Self.check("M/M/4 a=3.2 Wq (ms)", r.wait, theory: wq, tolerance: 0.03)
    Self.check("M/M/4 a=3.2 U", r.utilisation, theory: a / Double(c), tolerance: 0.01)
  }
}
