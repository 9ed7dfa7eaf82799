import HostModel
import SimCore

/// A CPU job run beside the forwarding routers on one domain's first vCPU (the scenario's
/// `workloads:` section).
public struct JobSpec: Sendable, Equatable {
  /// What the job does.
  public enum Work: Sendable, Equatable {
    /// A finite CPU-bound job of this many cycles (`FiniteCPUJob`).
    case cycles(Int64)
    /// `cycles` every `period` for the whole run (`PeriodicIOJob`).
    case periodic(period: SimDuration, cycles: Int64)
  }

  /// Name in reports (scope `job:NAME`).
  public var name: String
  /// The domain it runs on (`vr0`, `dom0`, `host`).
  public var domain: String
  /// Its work.
  public var work: Work
  /// When it starts, from the start of the run.
  public var start: SimDuration

  /// A job.
  public init(name: String, domain: String, work: Work, start: SimDuration = .zero) {
    self.name = name
    self.domain = domain
    self.work = work
    self.start = start
  }

  /// Largest work item of a finite job: 100 us of the host clock, so that the domain's
  /// forwarding on the same vCPU waits at most that long behind the job (a kernel preempts a
  /// user process for its softirq at once; 100 us bounds the difference).
  public static func chunkCycles(clockGHz: Double) -> Int64 { max(1, Int64((clockGHz * 100_000).rounded())) }
}

/// What one job achieved.
public struct JobResult: Codable, Sendable, Equatable {
  /// The job's name.
  public var name: String
  /// The domain it ran on.
  public var domain: String
  /// Finite jobs: start to finish, seconds (nil when the run ended first).
  public var seconds: Double?
  /// Share of one pCPU the job got: a finite job over its life (up to the end of the run when
  /// unfinished), a periodic one over the measured window.
  public var share: Double
  /// Periodic jobs: mean wake-up to done time, microseconds.
  public var responseMeanUs: Double?
}

/// The running jobs of one host.
final class JobSet {
  private var finite: [(spec: JobSpec, job: FiniteCPUJob)] = []
  private var periodic: [(spec: JobSpec, job: PeriodicIOJob)] = []
  private let clockHz: Double
  private var windowStart: SimTime = .zero

  /// Attaches every job of `specs` to its domain of `host`.
  init(_ specs: [JobSpec], host: Host, sim: Simulation) throws {
    clockHz = host.config.clockGHz * 1e9
    for s in specs {
      guard let d = host.domains.first(where: { $0.name == s.domain }), let v = d.vcpus.first else {
        throw PlatformError(
          "job \(s.name) runs in \(s.domain), which this host does not have (domains: "
            + host.domains.map(\.name).joined(separator: ", ") + ")")
      }
      switch s.work {
      case .cycles(let c):
        let job = FiniteCPUJob(
          sim: sim, vcpu: v, totalCycles: c, chunkCycles: JobSpec.chunkCycles(clockGHz: host.config.clockGHz),
          start: s.start)
        finite.append((s, job))
      case .periodic(let period, let cycles):
        periodic.append(
          (s, PeriodicIOJob(sim: sim, vcpu: v, period: period, cycles: cycles, phase: s.start)))
      }
    }
  }

  var isEmpty: Bool { finite.isEmpty && periodic.isEmpty }

  /// Forgets the periodic jobs' statistics (warm-up deletion); finite jobs keep their times.
  func resetStatistics(at now: SimTime) {
    windowStart = now
    for p in periodic { p.job.resetStatistics() }
  }

  /// The jobs' figures at `now`, in the order given.
  func results(now: SimTime) -> [JobResult] {
    var out: [JobResult] = []
    for (s, j) in finite {
      let end = j.finish ?? now
      let life = Double((end - j.start).nanoseconds) * 1e-9
      let seconds = j.finish.map { Double(($0 - j.start).nanoseconds) * 1e-9 }
      out.append(
        JobResult(
          name: s.name, domain: s.domain, seconds: seconds,
          share: life > 0 ? Double(j.doneCycles) / (clockHz * life) : 0, responseMeanUs: nil))
    }
    for (s, j) in periodic {
      let window = Double((now - windowStart).nanoseconds) * 1e-9
      out.append(
        JobResult(
          name: s.name, domain: s.domain, seconds: nil,
          share: window > 0 ? Double(j.completed) * Double(j.cycles) / (clockHz * window) : 0,
          responseMeanUs: j.completed > 0 ? j.response.mean / 1000 : nil))
    }
    return out
  }
}
