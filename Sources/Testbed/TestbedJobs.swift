import Foundation
import Report
import Scenario

#if canImport(Glibc)
  import Glibc
#endif

/// One job of the scenario's `workloads:` as the testbed runs it: a process in a router's
/// namespace and cgroup (its weight, cap and cpuset), or in the dom0 namespace, timed by the
/// external ICMP timer while the trial's traffic flows.
public struct TestbedJob: Sendable, Equatable {
  /// What runs.
  public enum Work: Sendable, Equatable {
    /// `vrsim-benchmarks superpi K`.
    case superpi(k: Int)
    /// The calibrated CPU loop for `seconds` of CPU time (cycles / host.clock).
    case cpu(seconds: Double)
    /// The calibrated loop for `busy` seconds every `period` seconds, for `total` seconds.
    case periodic(period: Double, busy: Double, total: Double)
  }

  /// The job's name (scope `job:NAME`).
  public var name: String
  /// The router it runs in, nil for dom0.
  public var router: Int?
  /// Its work.
  public var work: Work

  /// The jobs of `spec` (cycles become CPU seconds at the scenario's `host.clock`, the same
  /// conversion the simulator makes). Throws (usage) for a dom0 job on netns-direct, which has
  /// no dom0 namespace, and for a job that starts late (the testbed starts every job with
  /// the trial's traffic).
  public static func jobs(of spec: ScenarioSpec) throws -> [TestbedJob] {
    let f = Double(spec.host.clockHz)
    return try spec.jobs.enumerated().map { i, j in
      if j.routerIndex == nil && spec.platform == .netnsDirect {
        throw TestbedError(
          "workloads[\(i)].in: netns-direct has no dom0 namespace; place the job in a router (vrN)",
          usage: true)
      }
      if j.start.nanoseconds != 0 {
        throw TestbedError(
          "workloads[\(i)].start: the testbed starts every job with the trial's traffic; remove start",
          usage: true)
      }
      let work: Work
      switch j.kind {
      case .superpi: work = .superpi(k: j.superpiK)
      case .cpu: work = .cpu(seconds: Double(j.cycles) / f)
      case .periodic:
        work = .periodic(
          period: j.period.seconds, busy: Double(j.cyclesPerPeriod) / f, total: spec.run.duration.seconds)
      }
      return TestbedJob(name: j.name, router: j.routerIndex, work: work)
    }
  }

  /// The command the timed child runs: the benchmark program, or `vrsim testbed _cpuloop`
  /// with `iterationsPerSecond` of the calibrated loop (`CPULoop.calibrate()`).
  public func argv(selfPath: String, benchmarks: String, iterationsPerSecond: Double) -> [String] {
    func iterations(_ s: Double) -> String { String(Int64((s * iterationsPerSecond).rounded())) }
    switch work {
    case .superpi(let k): return [benchmarks, "superpi", String(k)]
    case .cpu(let s): return [selfPath, "testbed", "_cpuloop", "--iterations", iterations(s)]
    case .periodic(let period, let busy, let total):
      return [
        selfPath, "testbed", "_cpuloop", "--iterations", iterations(busy), "--period", String(period),
        "--for",
        String(total),
      ]
    }
  }
}

/// The CPU loop of `cpu` and `periodic` jobs, calibrated on this machine so that a job of
/// C cycles at clock f is C/f seconds of CPU time: the loop's iterations per CPU second are
/// measured with the thread's CPU clock (so other load on the machine does not bias it).
public enum CPULoop {
  /// Runs `n` iterations of the loop (a xorshift step each) and returns the final state (so
  /// the optimiser cannot drop the work).
  @inline(never)
  public static func spin(_ n: Int64, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> UInt64 {
    var x = seed
    var i: Int64 = 0
    while i < n {
      x ^= x << 13
      x ^= x >> 7
      x ^= x << 17
      i += 1
    }
    return x
  }

  /// Runs `iterations` of the loop every `period` seconds (absolute deadlines) for `seconds`
  /// and returns the mean response, µs: from each deadline to its work done (a periodic job).
  public static func periodic(iterations: Int64, period: Double, seconds: Double) -> Double {
    let periodNs = UInt64((period * 1e9).rounded())
    let start = ExternalTimer.monotonicNanoseconds()
    let end = start + UInt64((seconds * 1e9).rounded())
    var next = start
    var sum = 0.0
    var count = 0
    while next < end {
      var ts = timespec(tv_sec: Int(next / 1_000_000_000), tv_nsec: Int(next % 1_000_000_000))
      while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
      _ = spin(iterations)
      sum += Double(ExternalTimer.monotonicNanoseconds() - next) * 1e-3
      count += 1
      next += periodNs
    }
    return count > 0 ? sum / Double(count) : 0
  }

  /// The thread's CPU time, seconds.
  public static func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
  }

  /// Iterations per CPU second: the best of five rounds of about 0.1 s of CPU each (the best,
  /// since interruptions only ever slow a round down).
  public static func calibrate() -> Double {
    var n: Int64 = 1_000_000
    var best = 0.0
    var sink: UInt64 = 0
    for _ in 0..<5 {
      let t0 = threadCPUSeconds()
      sink &+= spin(n)
      let dt = threadCPUSeconds() - t0
      if dt > 0 { best = max(best, Double(n) / dt) }
      n = Int64(max(1e6, best * 0.1))
    }
    if sink == 42 { best += 0 }  // keeps `sink` alive
    return best
  }
}

/// The time-keeper links of the jobs: a namespace `tk` with one veth to each job's namespace
/// (job i: `k<i>t` 10.7.i.1 in tk, `k<i>j` 10.7.i.2 beside it), static neighbours, IPv6 off.
public enum JobKeeperPlan {
  /// The time-keeper's address seen from job `i`.
  public static func keeperAddress(_ i: Int) -> String { "10.7.\(i).1" }

  /// The namespace job `job` runs in.
  public static func namespace(_ job: TestbedJob, plan: TopologyPlan) -> String {
    job.router.map(plan.routerNamespace) ?? plan.dom0Namespace
  }

  /// The steps of the keeper links for `jobs` in the topology `plan`.
  public static func steps(_ jobs: [TestbedJob], plan: TopologyPlan) -> [PlanStep] {
    let p = plan.prefix
    let tk = p.name("tk")
    var steps: [PlanStep] = [
      .namespace(tk),
      .command(
        [
          "ip", "netns", "exec", tk, "sysctl", "-q", "-e", "-w", "net.ipv6.conf.all.disable_ipv6=1",
          "net.ipv6.conf.default.disable_ipv6=1",
        ], input: nil),
    ]
    var tkScript = ["link set dev lo up"]
    for (i, job) in jobs.enumerated() {
      let ns = namespace(job, plan: plan)
      let (mt, mj) = (String(format: "02:76:74:07:%02x:01", i), String(format: "02:76:74:07:%02x:02", i))
      let (kt, kj) = (p.name("k\(i)t"), p.name("k\(i)j"))
      tkScript += [
        "link add \(kt) address \(mt) type veth peer name \(kj) address \(mj) netns \(ns)",
        "addr add 10.7.\(i).1/24 dev \(kt)", "link set dev \(kt) up",
        "neigh replace 10.7.\(i).2 lladdr \(mj) dev \(kt) nud permanent",
      ]
      steps.append(
        .command(
          ["ip", "-n", ns, "-batch", "-"],
          input: TopologyPlan.script([
            "addr add 10.7.\(i).2/24 dev \(kj)", "link set dev \(kj) up",
            "neigh replace 10.7.\(i).1 lladdr \(mt) dev \(kj) nud permanent",
          ])))
    }
    // The tk side first: it creates the pairs the job sides then configure.
    steps.insert(.command(["ip", "-n", tk, "-batch", "-"], input: TopologyPlan.script(tkScript)), at: 2)
    return steps
  }

  /// The `cgroup.procs` files of router `n`'s cgroups in `plan` (empty for dom0).
  public static func cgroupProcs(router n: Int?, plan: TopologyPlan) -> [String] {
    guard let n else { return [] }
    let name = plan.routerCgroup(n)
    return plan.steps.compactMap { step in
      if case .cgroup(let c) = step, (c.path as NSString).lastPathComponent == name {
        return c.path + "/cgroup.procs"
      }
      return nil
    }
  }
}

/// What one job achieved in one trial.
public struct TestbedJobResult: Sendable {
  /// External time (time-keeper stamps of the end and start echoes), seconds.
  public var externalSeconds: Double
  /// CPU time of the job's process (user + system), seconds.
  public var cpuSeconds: Double
  /// Periodic jobs: mean wake-up-to-done time, microseconds.
  public var responseMeanUs: Double?

  /// The measurements of the job `name`: `job_seconds` (finite jobs), `job_share` (CPU time
  /// over external time) and `job_response` (periodic), in the metric names the simulator uses.
  public func measurements(name: String, periodic: Bool) -> [MetricRow] {
    let scope = "job:\(name)"
    var out: [MetricRow] = []
    if !periodic {
      out.append(MetricRow(scope: scope, .jobSeconds, value: externalSeconds))
    }
    out.append(
      MetricRow(
        scope: scope, .jobShare,
        value: externalSeconds > 0 ? cpuSeconds / externalSeconds : 0
      ))
    if let us = responseMeanUs {
      out.append(MetricRow(scope: scope, .jobResponse, value: us))
    }
    return out
  }
}

/// Runs the jobs of a topology beside its traffic trials: the keeper links and the
/// time-keeper are made once per topology; every trial starts every job, runs the traffic,
/// then waits for the jobs.
public final class TestbedJobRunner: @unchecked Sendable {
  let session: TestbedSession
  let plan: TopologyPlan
  let jobs: [TestbedJob]
  let argvs: [[String]]
  let selfPath: String
  var keeper: LineReader?
  var nextID: UInt16 = 1

  /// Builds the keeper links in `plan`'s topology and starts the time-keeper.
  public init(
    session: TestbedSession, plan: TopologyPlan, jobs: [TestbedJob], selfPath: String, benchmarks: String
  )
    throws
  {
    self.session = session
    self.plan = plan
    self.jobs = jobs
    self.selfPath = selfPath
    let rate = jobs.contains { if case .superpi = $0.work { false } else { true } } ? CPULoop.calibrate() : 0
    argvs = jobs.map { $0.argv(selfPath: selfPath, benchmarks: benchmarks, iterationsPerSecond: rate) }
    try TopologyBuilder.build(
      steps: JobKeeperPlan.steps(jobs, plan: plan), runner: session.runner, ledger: session.ledger)
    keeper = try session.startTimeKeeper(
      ["ip", "netns", "exec", session.prefix.name("tk"), selfPath, "testbed", "_timekeeper"],
      what: "AF_PACKET socket in \(session.prefix.name("tk"))")
  }

  /// Starts every job, runs `traffic` (the trial), waits for the jobs and returns the trial's
  /// measurements with the jobs' appended.
  public func trial(_ traffic: () throws -> [MetricRow]) throws -> [MetricRow] {
    var running: [(process: Process, out: PipeSink, err: PipeSink, id: UInt16)] = []
    for (i, job) in jobs.enumerated() {
      let id = nextID
      nextID &+= 1
      let child =
        [
          "ip", "netns", "exec", JobKeeperPlan.namespace(job, plan: plan), selfPath, "testbed", "_timed",
          "--keeper",
          JobKeeperPlan.keeperAddress(i), "--id", String(id), "--",
        ] + argvs[i]
      let p = try SystemCommandRunner.makeProcess(child)
      let out = Pipe()
      let err = Pipe()
      let go = Pipe()
      p.standardOutput = out
      p.standardError = err
      p.standardInput = go
      try session.ledger.start(p)
      // Moved into the router's cgroups from here (ip netns exec remounts /sys), then told to go.
      for path in JobKeeperPlan.cgroupProcs(router: job.router, plan: plan) {
        try CgroupFiles.write(String(p.processIdentifier), to: path)
      }
      go.fileHandleForWriting.write(Data("go\n".utf8))
      try? go.fileHandleForWriting.close()
      running.append((p, PipeSink(out.fileHandleForReading), PipeSink(err.fileHandleForReading), id))
    }
    var out = try traffic()
    for (i, r) in running.enumerated() {
      let text = r.out.text()
      let errText = r.err.text()
      r.process.waitUntilExit()
      session.ledger.finished(r.process)
      guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("timed ") }) else {
        throw TestbedError("job \(jobs[i].name) printed no result: \(errText.suffix(300))")
      }
      let f = line.split(separator: " ")
      guard f.count >= 5, let status = Int32(f[2]), let cpu = Double(f[4]) else {
        throw TestbedError("job \(jobs[i].name): unexpected result line: \(line)")
      }
      guard status == 0 else {
        throw TestbedError("job \(jobs[i].name) failed (status \(status)): \(errText.suffix(300))")
      }
      guard let (t1, t2) = keeper?.echoStamps(id: r.id) else {
        throw TestbedError("the time-keeper did not see both echo requests of job \(jobs[i].name)")
      }
      let response = errText.split(separator: "\n").last { $0.hasPrefix("job_response_us ") }.flatMap {
        Double($0.split(separator: " ")[1])
      }
      let result = TestbedJobResult(
        externalSeconds: Double(t2 - t1) * 1e-9, cpuSeconds: cpu, responseMeanUs: response)
      var periodic = false
      if case .periodic = jobs[i].work { periodic = true }
      out += result.measurements(name: jobs[i].name, periodic: periodic)
    }
    return out
  }
}

extension TestbedSession {
  /// As `measure(_:trials:ceilingPackets:)`, with the scenario's jobs run beside every trial
  /// (in the routers' namespaces and cgroups, timed by the external ICMP timer).
  public func measure(
    _ setup: TestbedSetup, jobs: [TestbedJob], trials: Int, ceilingPackets: Int = 200_000, selfPath: String,
    benchmarks: String
  ) throws -> (trials: [[MetricRow]], seconds: Double, ceiling: Double, setup: Double) {
    let t0 = Date()
    return try withTopology(setup) { plan, trial in
      let built = Date().timeIntervalSince(t0)
      let ceiling = try trial.measureCeiling(packets: ceilingPackets)
      let runner = try TestbedJobRunner(
        session: self, plan: plan, jobs: jobs, selfPath: selfPath, benchmarks: benchmarks)
      let out = try (0..<trials).map { k in try runner.trial { try trial.run(setup, index: k) } }
      return (out, Date().timeIntervalSince(t0), ceiling, built)
    }
  }
}
