import Foundation
import SettingText
import SimCore

/// One job of the scenario's `workloads:` section: CPU work placed in a router (`vrN`) or in
/// dom0, run beside the forwarding routers. The simulator runs it as the platform's `JobSpec`
/// (the host model's jobs) on the placed domain's first vCPU; the testbed runs it inside the
/// router's namespace and cgroup (its weight, cap and cpuset), timed by the external ICMP timer.
/// The code says "job" throughout; the YAML key stays `workloads:`, the name scenario files and
/// the CLI goldens already use.
public struct ScenarioJob: Codable, Sendable, Equatable {
  /// What the job does.
  public enum Kind: String, Codable, Sendable, CaseIterable {
    /// A CPU-bound job of `cycles` cycles of the host clock, then done.
    case cpu
    /// Super Pi: pi to 2^`superpiK` digits (Gauss-Legendre), a CPU-bound job whose cycles are
    /// `ScenarioJob.superPiCycles(k:clockHz:)`.
    case superpi
    /// Periodic work: every `period`, `cyclesPerPeriod` cycles (a timer-driven task), for the
    /// whole run.
    case periodic
  }

  /// Name in reports (scope `job:NAME`); `job<i>` when not written.
  public var name: String = ""
  /// What the job does.
  public var kind: Kind = .cpu
  /// Where it runs: `vrN` (router N's domain; on the testbed its namespace and cgroup) or
  /// `dom0` (the driver domain; on netns platforms the host).
  public var place: String = "vr0"
  /// Cycles of a `cpu` job, at the host clock.
  public var cycles: Int64 = 1_000_000_000
  /// Super Pi size: 2^k digits.
  public var superpiK: Int = 20
  /// Period of a `periodic` job.
  public var period: SimDuration = .ms(10)
  /// Cycles of work per period of a `periodic` job.
  public var cyclesPerPeriod: Int64 = 1_000_000
  /// When the job starts, from the start of the run (warm-up included).
  public var start: SimDuration = .zero

  /// A job at the defaults (a `cpu` job of 10^9 cycles in vr0).
  public init() {}

  /// The router index of the placement (`vr3` -> 3), nil for dom0.
  public var routerIndex: Int? {
    guard place.hasPrefix("vr") else { return nil }
    return Int(place.dropFirst(2))
  }

  /// Cycles of a finite job (`cpu`, `superpi`) at `clockHz`; nil for a periodic one.
  public func totalCycles(clockHz: Int64) -> Int64? {
    switch kind {
    case .cpu: cycles
    case .superpi: Self.superPiCycles(k: superpiK, clockHz: clockHz)
    case .periodic: nil
    }
  }

  /// CPU seconds Super Pi to 2^k digits takes alone on one core of the reference machine,
  /// `c · n · k^3` with n = 2^k: Gauss-Legendre runs k iterations, each a few multiplications
  /// and a square root of n-digit numbers, and GMP's multiplication costs about n·k^2 at these
  /// sizes. Calibration: `vrsim-benchmarks superpi K` (GNU MPFR) on the 2-core AMD EPYC VM of
  /// docs/testbed.md, user CPU seconds, fitted at k = 20 (1.40 s); the same machine measured
  /// 0.25 s at k = 18 (the formula: 0.255 s), 0.60 s at 19 (0.60), 3.39 s at 21 (3.24) and
  /// 7.73 s at 22 (7.45): within 5% from k = 18 to 22.
  public static func superPiSeconds(k: Int) -> Double {
    let scale = Double(1 << k) / Double(1 << 20) * pow(Double(k) / 20, 3)
    return superPiSecondsAt20 * scale
  }

  /// Measured user CPU seconds of Super Pi at 2^20 digits on the reference machine (the
  /// calibration point of `superPiSeconds(k:)`).
  public static let superPiSecondsAt20 = 1.40

  /// Cycles of Super Pi to 2^k digits at `clockHz`: its reference CPU seconds times the clock
  /// (so a scenario's job takes as long alone as the benchmark on the reference machine when
  /// `host.clock` is that machine's).
  public static func superPiCycles(k: Int, clockHz: Int64) -> Int64 {
    Int64((superPiSeconds(k: k) * Double(clockHz)).rounded())
  }

  /// The declared keys of one job (`workloads[].KEY`).
  static let settings: [Setting<ScenarioJob>] = [
    Setting.text("name", \.name, maxLength: 40, "Name of the job in reports (letters, digits, - and _).")
      .noting("job0, job1, ... by position"),
    .text(
      "in", \.place, maxLength: 10,
      "Where the job runs: a router vrN (its domain; on the testbed its namespace and cgroup, with its weight, cap and cpuset) or dom0 (the driver domain; the host on netns platforms)."
    ),
    .choice(
      "kind", \.kind,
      "What the job does: cpu (a CPU-bound job of cycles), superpi (Super Pi to 2^superpi_k digits), "
        + "periodic (cycles_per_period every period, for the whole run)."),
    .integer64(
      "cycles", \.cycles, 1...1_000_000_000_000_000, unit: .cycles,
      "kind cpu: the job's work in cycles of host.clock (alone on a pCPU it takes cycles / host.clock)."),
    .integer(
      "superpi_k", \.superpiK, 10...26,
      "kind superpi: pi to 2^k digits; its cycles are its reference CPU seconds times host.clock, "
        + "calibrated on the testbed machine: 2^20 digits = 1.40 CPU seconds, c * n * k^3 (docs/testbed.md)."),
    .duration(
      "period", \.period, SimDuration.us(10)...SimDuration.s(10), "kind periodic: time between wake-ups."),
    .integer64(
      "cycles_per_period", \.cyclesPerPeriod, 0...10_000_000_000, unit: .cycles,
      "kind periodic: work per wake-up, in cycles of host.clock."),
    .duration(
      "start", \.start, SimDuration.zero...SimDuration.s(3_600),
      "When the job starts, from the start of the run (warm-up included)."),
  ]
}
