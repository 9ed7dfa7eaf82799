import GSLKit
import SimCore

/// A CPU-bound job: each vCPU of the domain always has one work item of `chunkCycles`
/// queued, so it is always runnable (Super Pi, a busy loop).
public final class CPUBoundJob: WorkClient {
  /// Cycles per work item (the size only changes how many completion events are simulated).
  public let chunkCycles: Int64
  /// Items completed.
  public private(set) var completed = 0

  /// A CPU-bound job in chunks of `chunkCycles` (> 0; default 100 M cycles).
  public init(chunkCycles: Int64 = 100_000_000) {
    precondition(chunkCycles > 0, "chunkCycles must be > 0")
    self.chunkCycles = chunkCycles
  }

  /// Starts keeping every vCPU of `domain` busy.
  public func attach(to domain: Domain) {
    for v in domain.vcpus { v.submit(self, tag: 0, arg: 0) }
  }

  public func beginWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) -> Int64 { chunkCycles }

  public func finishWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) {
    completed += 1
    vcpu.submit(self, tag: 0, arg: 0)
  }
}

/// A periodic I/O job: every `period` (first at `phase`) one item of `cycles` is submitted
/// to the vCPU, which wakes, runs it and blocks again (a timer interrupt or an event channel
/// driving a short handler). Records the response time of each item (submit -> finish).
public final class PeriodicIOJob: WorkClient, EventHandler {
  /// Wake-up period.
  public let period: SimDuration
  /// Cycles of work per wake-up.
  public let cycles: Int64
  /// The vCPU driven.
  public let vcpu: VCPU
  /// Submit -> finish time of every item.
  public private(set) var response = LatencyHistogram(highest: .s(60))
  /// Items completed.
  public private(set) var completed = 0
  private var handler = HandlerID(index: 0)
  private let phase: SimDuration

  /// A job on `vcpu` waking every `period` (> 0) after `phase` for `cycles` (>= 0).
  public init(sim: Simulation, vcpu: VCPU, period: SimDuration, cycles: Int64, phase: SimDuration = .zero) {
    precondition(period.nanoseconds > 0 && cycles >= 0, "period must be > 0 and cycles >= 0")
    self.period = period
    self.cycles = cycles
    self.vcpu = vcpu
    self.phase = phase
    handler = sim.register(self)
    sim.schedule(after: phase, to: handler)
  }

  public func handle(_ event: Event, in sim: Simulation) {
    vcpu.submit(self, tag: 0, arg: UInt64(event.time.nanoseconds))
    sim.schedule(after: period, to: handler)
  }

  public func beginWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) -> Int64 { cycles }

  public func finishWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) {
    completed += 1
    response.record(.ns(now.nanoseconds - Int64(arg)))
  }

  /// Forgets the response times recorded so far (warm-up deletion).
  public func resetStatistics() {
    response.reset()
    completed = 0
  }
}

/// An open-loop work source: items arrive at the vCPU as a Poisson process (exponential gaps
/// of mean `meanInterarrival`) with exponentially distributed cost of mean `meanCycles`, drawn
/// when the item starts (streams `host/load/<name>/arrivals` and `.../cost`). Records sojourn
/// times (arrival -> finish).
public final class OpenLoopSource: WorkClient, EventHandler {
  /// The vCPU fed.
  public let vcpu: VCPU
  /// Mean time between arrivals.
  public let meanInterarrival: SimDuration
  /// Mean cost in cycles.
  public let meanCycles: Double
  /// Arrival -> finish time of every item.
  public private(set) var sojourn = LatencyHistogram(highest: .s(60))
  /// Items completed.
  public private(set) var completed = 0
  private let arrivals: GSLRandom
  private let costs: GSLRandom
  private var handler = HandlerID(index: 0)

  /// A source named `name` (for its random streams) feeding `vcpu`.
  public init(sim: Simulation, name: String, vcpu: VCPU, meanInterarrival: SimDuration, meanCycles: Double) {
    precondition(meanInterarrival.nanoseconds > 0 && meanCycles >= 0, "invalid open-loop parameters")
    self.vcpu = vcpu
    self.meanInterarrival = meanInterarrival
    self.meanCycles = meanCycles
    arrivals = sim.streams.stream("host/load/\(name)/arrivals")
    costs = sim.streams.stream("host/load/\(name)/cost")
    handler = sim.register(self)
    sim.schedule(after: nextGap(), to: handler)
  }

  private func nextGap() -> SimDuration {
    .ns(max(1, Int64(arrivals.exponential(mean: Double(meanInterarrival.nanoseconds)).rounded())))
  }

  public func handle(_ event: Event, in sim: Simulation) {
    vcpu.submit(self, tag: 0, arg: UInt64(event.time.nanoseconds))
    sim.schedule(after: nextGap(), to: handler)
  }

  public func beginWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) -> Int64 {
    meanCycles > 0 ? Int64(costs.exponential(mean: meanCycles).rounded()) : 0
  }

  public func finishWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) {
    completed += 1
    sojourn.record(.ns(now.nanoseconds - Int64(arg)))
  }
}

/// A finite CPU-bound job (a Super Pi run, a calibrated loop): `totalCycles` of work on one
/// vCPU, starting at `start`, submitted in chunks of at most `chunkCycles` so that other work
/// on the same vCPU (a router's forwarding) waits at most one chunk. Records when it finished.
///
/// Alone on a pCPU it finishes at `start + totalCycles / clock`; sharing one pCPU with an
/// equal-weight busy domain under a proportional-share scheduler, at about twice that.
public final class FiniteCPUJob: WorkClient, EventHandler {
  /// The vCPU it runs on.
  public let vcpu: VCPU
  /// Work in cycles.
  public let totalCycles: Int64
  /// Largest work item.
  public let chunkCycles: Int64
  /// When it was submitted.
  public let start: SimTime
  /// Cycles completed so far.
  public private(set) var doneCycles: Int64 = 0
  /// When the last chunk finished (nil while running).
  public private(set) var finish: SimTime?
  private var inFlight: Int64 = 0

  /// A job of `totalCycles` (> 0) on `vcpu` from `start`, in chunks of `chunkCycles` (> 0).
  public init(sim: Simulation, vcpu: VCPU, totalCycles: Int64, chunkCycles: Int64, start: SimDuration) {
    precondition(totalCycles > 0 && chunkCycles > 0, "a job needs positive cycles and chunks")
    self.vcpu = vcpu
    self.totalCycles = totalCycles
    self.chunkCycles = chunkCycles
    self.start = .zero + start
    sim.schedule(after: start, to: sim.register(self))
  }

  public func handle(_ event: Event, in sim: Simulation) { vcpu.submit(self, tag: 0, arg: 0) }

  public func beginWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) -> Int64 {
    inFlight = min(chunkCycles, totalCycles - doneCycles)
    return inFlight
  }

  public func finishWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) {
    doneCycles += inFlight
    inFlight = 0
    if doneCycles >= totalCycles {
      finish = now
    } else {
      vcpu.submit(self, tag: 0, arg: 0)
    }
  }
}
