import Foundation
import Report
import Scenario
import SimCore

#if canImport(Glibc)
  import Glibc
#endif

/// Sends traffic through a built topology and measures it at every hop.
///
/// The rate is counted at the receiver (the sink's interface counters), never trusted from
/// the sender; drops are attributed to the place whose counters saw them (a router's ports
/// and IP MIB, dom0's, the host's softnet backlog), as the simulator attributes them.
public final class TrafficTrial: @unchecked Sendable {
  let plan: TopologyPlan
  let runner: any CommandRunner
  let ledger: ResourceLedger
  let workDirectory: String
  /// The generator's ceiling (packets per second straight to the sink), once measured.
  public private(set) var ceiling: Double?
  /// The ceilings of the repeated ceiling measurement (`measureCeiling(rate:seconds:repeats:)`),
  /// packets per second, in order.
  public private(set) var ceilings: [Double] = []
  /// How long a trial waits after its senders stopped before reading the counters, seconds
  /// (the backlogs of a veth path drain in microseconds; RFC 2544 asks 2 s of real devices).
  public var drainSeconds = 0.1
  /// The noise gate in front of each trial (nil: none).
  public var gate: NoiseGate?
  /// What the gate saw of each trial run so far, in order.
  public private(set) var gateRecords: [GateRecord] = []
  /// The forwarding threads whose scheduling is read in every trial: scope name -> pid
  /// (`TopologyBuilder` adds the NAPI threads of threaded mode; ksoftirqd are always read).
  public var forwardingThreads: [String: Int32] = [:]
  /// Where a trial's frames go: through the platform (the default), or, for identifying the
  /// generator and the sink alone, on the generator's direct link to the sink.
  public var path: TrialPath = .platform
  /// CPUs each given a CPU hog (a busy loop of its own, pinned) for every trial's window.
  public var hogCPUs: [Int] = []
  /// Whether the run has said that the measured host has no cpuidle residency to read.
  var saidNoCPUIdle = false
  /// The program run as `PROGRAM testbed _send` for Poisson and on-off flows: this vrsim.
  public var senderProgram = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path

  /// CPUs of the generator's host, over which the trafgen processes are pinned.
  let generatorCPUs: Int

  /// A trial runner for `plan`, writing trafgen configurations under `workDirectory`;
  /// `generatorCPUs`: the generator host's CPUs (nil: the plan's `hostCPUs`).
  public init(
    plan: TopologyPlan, runner: any CommandRunner, ledger: ResourceLedger, workDirectory: String,
    generatorCPUs: Int? = nil
  ) {
    self.plan = plan
    self.runner = runner
    self.ledger = ledger
    self.workDirectory = workDirectory
    self.generatorCPUs = generatorCPUs ?? plan.setup.hostCPUs
  }

  struct Sender {
    var process: Process
    var output: PipeSink
  }

  /// Starts `argv` in the ledger with stdout captured, `input` on its stdin.
  func start(_ argv: [String], input: String? = nil) throws -> Sender {
    let p = try SystemCommandRunner.makeProcess(argv)
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    let inp = Pipe()
    p.standardInput = input == nil ? FileHandle.nullDevice : inp
    try ledger.start(p)
    if let input {
      inp.fileHandleForWriting.write(Data(input.utf8))
      try? inp.fileHandleForWriting.close()
    }
    return Sender(process: p, output: PipeSink(out.fileHandleForReading))
  }

  /// Starts trafgen sending `config` on the generator's host: locally from a file in the
  /// work directory; on a remote generator over ssh with the configuration on ssh's stdin
  /// (`--in -`), so nothing is written there. Either way it stops by itself after `count`
  /// frames and its report comes back on stdout.
  func startTrafgen(
    configName: String, config: String, device: TopologyPort, pps: Int?, count: Int
  ) throws -> Sender {
    if let host = plan.setup.roles.target(.generator) {
      let argv = Trafgen.command(
        ns: device.namespace, device: device.name, config: "-", pps: pps, count: count)
      return try start(try RemoteLauncher(target: host).argv(argv), input: config)
    }
    let cfg = try writeConfig(configName, config)
    return try start(
      Trafgen.command(ns: device.namespace, device: device.name, config: cfg, pps: pps, count: count))
  }

  /// Waits for `senders` until `deadline` (seconds from now), killing those still running;
  /// returns each one's output.
  func wait(_ senders: [Sender], deadline: Double) -> [String] {
    let end = Date().addingTimeInterval(deadline)
    for s in senders {
      while s.process.isRunning && Date() < end { usleep(5_000) }
      if s.process.isRunning { kill(s.process.processIdentifier, SIGKILL) }
      s.process.waitUntilExit()
      ledger.finished(s.process)
    }
    return senders.map { $0.output.text() }
  }

  func writeConfig(_ name: String, _ text: String) throws -> String {
    let path = (workDirectory as NSString).appendingPathComponent(name)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  /// Measures the generator's own ceiling on the trials' send path: trafgen's per-packet
  /// path (`--rate`, as in every trial; nil: 10 Mp/s, so that it never waits), the first
  /// flow's frame sizes, on the generator's direct link to the sink, `seconds` long,
  /// `repeats` times; counted at the sink over trafgen's own send time. Returns the mean
  /// and keeps every value in `ceilings`.
  @discardableResult
  public func measureCeiling(rate: Double?, seconds: Double = 1, repeats: Int = 3) throws -> Double {
    let (g, s) = plan.ceilingPorts
    let frames = plan.setup.flows.first?.frames ?? [FrameShare(bytes: 64, weight: 1)]
    var text = ""
    for f in frames {
      for _ in 0..<max(1, f.weight) {
        text += Trafgen.frame(
          srcMAC: g.mac, dstMAC: s.mac, source: g.address!, destination: TopologyPlan.destination(router: 0),
          bytes: f.bytes)
      }
    }
    let ask = rate ?? 10_000_000
    let packets = max(1_000, Int(ask * seconds))
    let key = "\(s.namespace)/\(s.name)"
    let reader = CounterReader(runner: runner, plan: plan)
    var values: [Double] = []
    for k in 0..<max(1, repeats) {
      let before = try reader.snapshot(namespaces: [plan.sinkNamespace])
      let t0 = DispatchTime.now().uptimeNanoseconds
      let sender = try startTrafgen(
        configName: "ceiling\(k).cfg", config: text, device: g, pps: Int(ask.rounded()), count: packets)
      let out = wait([sender], deadline: max(30, seconds * 5))
      let wall = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
      usleep(useconds_t(drainSeconds * 1e6))
      let after = try reader.snapshot(namespaces: [plan.sinkNamespace])
      let got = Double((after.links[key]?.rxPackets ?? 0) &- (before.links[key]?.rxPackets ?? 0))
      values.append(got / max(Trafgen.reportedSeconds(out[0]) ?? wall, 1e-3))
    }
    ceilings = values
    let c = values.reduce(0, +) / Double(values.count)
    ceiling = c
    return c
  }

  /// Measures the generator's own ceiling with `packets` frames on the trials' per-packet
  /// path as fast as it goes (what `vrsim testbed run` reports), once.
  @discardableResult
  public func measureCeiling(packets: Int = 200_000) throws -> Double {
    try measureCeiling(rate: nil, seconds: Double(packets) / 10_000_000, repeats: 1)
  }

  /// Runs one trial of `setup`'s flows (already scaled to the load wanted) for its duration
  /// and returns every measurement. With a `gate`, the trial runs only after a quiet window,
  /// and runs again (at most `gate.retries` times) when it was noisy before or during; the
  /// kept trial's rows say whether it was quiet (`gate_quiet`) and what the gate read.
  public func run(_ setup: TestbedSetup, index: Int) throws -> [MetricRow] {
    guard let gate else {
      // No gate: the trial's window is still read, so every row set says how busy the
      // machine was.
      let r = try runOnce(setup, index: index)
      guard let during = r.during else { return r.rows }
      return r.rows + [
        MetricRow(scope: "host", .foreignCPU, value: during.foreignCPU),
        MetricRow(scope: "host", .stealShare, value: during.steal),
        MetricRow(scope: "host", .loadAverage, value: during.load),
      ]
    }
    var record = GateRecord()
    var rows: [MetricRow] = []
    for attempt in 0...max(0, gate.retries) {
      if attempt > 0 { usleep(useconds_t(gate.backoffSeconds * 1e6)) }
      let before = gate.preWindow()
      var violations = gate.violations(before, checkLoad: true).map { "before: " + $0 }
      if !violations.isEmpty && attempt < gate.retries {
        record.attempts.append(.init(before: before, during: nil, violations: violations))
        continue
      }
      let r = try runOnce(setup, index: index)
      rows = r.rows
      if let during = r.during {
        violations += gate.violations(during, checkLoad: false).map { "during: " + $0 }
      }
      record.attempts.append(.init(before: before, during: r.during, violations: violations))
      if violations.isEmpty { break }
    }
    gateRecords.append(record)
    rows.append(MetricRow(scope: "host", .gateQuiet, value: record.quiet ? 1 : 0))
    rows.append(MetricRow(scope: "host", .gateAttempts, value: Double(record.attempts.count)))
    if let last = record.attempts.last {
      rows.append(MetricRow(scope: "host", .loadAverage, value: last.before.load))
      if let d = last.during {
        rows.append(MetricRow(scope: "host", .foreignCPU, value: d.foreignCPU))
        rows.append(MetricRow(scope: "host", .stealShare, value: d.steal))
      }
    }
    return rows
  }

  /// One trial, without the gate: its rows and the gate's reading of the trial's window
  /// (nil for iperf3).
  func runOnce(_ setup: TestbedSetup, index: Int) throws -> (rows: [MetricRow], during: NoiseGate.Reading?) {
    if setup.generator == .iperf3 { return (try runIperf3(setup), nil) }
    let reader = CounterReader(runner: runner, plan: plan)
    let seconds = setup.duration.seconds
    var sends: [(name: String, config: String, device: TopologyPort, pps: Int, count: Int)] = []
    var own: [[String]] = []  // the testbed's own senders, started after the trafgens
    if path != .platform {
      sends.append(try directSend(setup, index: index))
    }
    for (k, dev) in plan.generators.enumerated() where path == .platform {
      let flows = setup.flows.filter { dev.routers.contains($0.router) }
      let pps = flows.reduce(0) { $0 + $1.packetsPerSecond }
      guard pps > 0 else { continue }
      if flows.contains(where: { $0.arrival != .cbr }) {
        // `TestbedSetup` refuses this with a remote generator: the sender is this vrsim.
        guard plan.setup.roles.target(.generator) == nil else {
          throw TestbedError(
            "testbed.generator.ssh: Poisson and on-off flows need the generator local (the testbed's own sender)",
            usage: true)
        }
        // trafgen has no Poisson or on-off mode: the testbed's own sender, pinned likewise.
        let job = SenderJob(
          device: dev.port.name, flows: setup.flows.map(\.flowSpec),
          addresses: flows.map {
            SenderJob.Addresses(
              router: $0.router, srcMAC: dev.port.mac, dstMAC: plan.nextHopMAC(router: $0.router),
              source: dev.port.address ?? "10.1.0.1", destination: TopologyPlan.destination(router: $0.router)
            )
          }, seed: setup.seed, replication: index, durationNs: setup.duration.nanoseconds)
        let path = try writeConfig(
          "gen\(k)-t\(index).json", String(decoding: try JSONEncoder().encode(job), as: UTF8.self))
        own.append([
          "ip", "netns", "exec", plan.generatorNamespace, "taskset", "-c", String(senderCPU(k)),
          senderProgram, "testbed", "_send", "--job", path,
        ])
        continue
      }
      let count = max(1, Int((pps * seconds).rounded()))
      sends.append(
        (
          "gen\(k)-t\(index).cfg", Trafgen.configuration(device: dev, plan: plan, flows: setup.flows),
          dev.port,
          Int(pps.rounded()), count
        ))
    }
    let scheduled = own.count
    let hogs = try startHogs(seconds: seconds * 3 + 6)
    defer { stopHogs(hogs) }
    let before = try reader.snapshot(namespaces: plan.namespaces)
    let threads = threadScopes()
    let threadsBefore = threads.mapValues(ThreadSched.read)
    let usageBefore = Self.childrenCPUSeconds()
    let mark0 = NoiseGate.mark()
    let t0 = DispatchTime.now().uptimeNanoseconds
    let senders =
      try sends.map {
        try startTrafgen(
          configName: $0.name, config: $0.config, device: $0.device, pps: $0.pps, count: $0.count
        )
      } + own.map { try start($0) }
    let outputs = wait(senders, deadline: seconds * 3 + 5)
    // The trial's window: from just before the senders start to just after they stop.
    let mark1 = NoiseGate.mark()
    let usageAfter = Self.childrenCPUSeconds()
    let threadsAfter = threads.mapValues(ThreadSched.read)
    let wall = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
    usleep(useconds_t(drainSeconds * 1e6))  // let the last packets drain through the backlogs
    let after = try reader.snapshot(namespaces: plan.namespaces)
    let reports = try outputs.suffix(scheduled).map { out -> SenderReport in
      guard let r = SenderReport.parse(out) else {
        throw TestbedError("the testbed sender reported nothing: \(out.suffix(300))")
      }
      return r
    }
    if let cpu = outputs.dropLast(scheduled).flatMap(Trafgen.reportedCPUs).first(where: {
      $0 != Trafgen.workerCPU
    }) {
      throw TestbedError(
        "trafgen reported sending on CPU \(cpu), not on CPU \(Trafgen.workerCPU) where the testbed and the model place "
          + "it (trafgen 0.6.8 pins its one worker there; docs/testbed.md, Traffic): this trafgen places itself "
          + "differently, so the trial's per-CPU rows would be misread")
    }
    let sendTime =
      (outputs.dropLast(scheduled).compactMap(Trafgen.reportedSeconds) + reports.map(\.seconds)).max() ?? wall
    var rows = measure(setup: setup, before: before, after: after, seconds: max(sendTime, 1e-3))
    rows += windowRows(
      from: mark0, to: mark1, threadsBefore: threadsBefore, threadsAfter: threadsAfter,
      generatorCPUSeconds: plan.setup.roles.target(.generator) == nil ? usageAfter - usageBefore : nil,
      sendTime: max(sendTime, 1e-3),
      received: rows.first { $0.scope == "aggregate" && $0.metric == Metric.receivedPackets.name }?.value ?? 0
    )
    if !reports.isEmpty {
      let sent = reports.reduce(0) { $0 + $1.sent }
      let mean = reports.reduce(0.0) { $0 + $1.lateMeanMicroseconds * Double($1.sent) } / Double(max(1, sent))
      rows.append(MetricRow(scope: "aggregate", .sendLatenessMean, value: mean))
      rows.append(
        MetricRow(scope: "aggregate", .sendLatenessP99, value: reports.map(\.lateP99Microseconds).max() ?? 0))
    }
    return (rows, NoiseGate.reading(from: mark0, to: mark1))
  }

  /// The one trafgen send of an identification trial (`path` not `.platform`): the flows'
  /// frames and total rate on the generator's direct link `cg -> cs`, addressed to the sink
  /// (which routes them into its blackhole) or, for `.generatorAlone`, to a MAC address no
  /// port has (the sink's stack drops them on arrival as another host's, before any route
  /// lookup), so that only the generator's send path and the veth's receive remain.
  func directSend(_ setup: TestbedSetup, index: Int) throws -> (
    name: String, config: String, device: TopologyPort, pps: Int, count: Int
  ) {
    guard setup.generator == .trafgen, !setup.flows.contains(where: { $0.arrival != .cbr }),
      plan.setup.roles.target(.generator) == nil, plan.setup.roles.target(.sink) == nil
    else {
      throw TestbedError(
        "--path \(path.rawValue): identification trials send CBR with trafgen, every role local", usage: true)
    }
    let (g, s) = plan.ceilingPorts
    let dstMAC = path == .generatorAlone ? TrialPath.nobodysMAC : s.mac
    let flows = setup.flows.filter { $0.packetsPerSecond > 0 }
    let smallest = flows.map(\.packetsPerSecond).min() ?? 1
    var text = "/* vrsim testbed: \(path.rawValue) on \(g.name) */\n"
    for f in flows {
      for _ in 0..<max(1, min(100, Int((f.packetsPerSecond / smallest).rounded()))) {
        for fr in f.frames {
          for _ in 0..<max(1, fr.weight) {
            text += Trafgen.frame(
              srcMAC: g.mac, dstMAC: dstMAC, source: g.address ?? "10.1.0.1",
              destination: TopologyPlan.destination(router: f.router), bytes: fr.bytes)
          }
        }
      }
    }
    let pps = flows.reduce(0) { $0 + $1.packetsPerSecond }
    return (
      "direct-t\(index).cfg", text, g, Int(pps.rounded()),
      max(1, Int((pps * setup.duration.seconds).rounded()))
    )
  }

  /// Starts a CPU hog on each of `hogCPUs`: a shell busy loop pinned with taskset, under
  /// `timeout` (which makes itself a process group leader) so that it ends by itself after
  /// `seconds` even if this process is killed.
  func startHogs(seconds: Double) throws -> [Sender] {
    try hogCPUs.map { cpu in
      try start([
        "timeout", "--kill-after=1", String(format: "%.0f", seconds.rounded(.up)), "taskset", "-c",
        String(cpu),
        "sh", "-c", "while :; do :; done",
      ])
    }
  }

  /// Stops the hogs: SIGKILL to each one's whole process group (`timeout` and its loop, so
  /// that no loop outlives its `timeout`), then waits for them.
  func stopHogs(_ hogs: [Sender]) {
    for h in hogs where h.process.isRunning { kill(-h.process.processIdentifier, SIGKILL) }
    _ = wait(hogs, deadline: 5)
  }

  /// The CPU the testbed's own sender `k` (Poisson, on-off) is pinned to (trafgen places
  /// itself: `Trafgen.workerCPU`): the generator host's CPUs in turn, leaving out those
  /// a router is pinned to (`routers.each.pin`; in threaded mode also `dom0.pin`, where dom0's
  /// NAPI thread runs) when the generator runs beside the routers
  /// and some CPU is left (the generator then never shares a CPU with a pinned router).
  func senderCPU(_ k: Int) -> Int {
    let all = Array(0..<max(1, generatorCPUs))
    var free = all
    if plan.setup.roles.sameHost(.generator, .dut) {
      let threads = plan.setup.routers.flatMap(\.pin) + (plan.setup.threaded ? plan.setup.dom0Pin : [])
      let pinned = Set(threads.map { $0 % max(1, plan.setup.hostCPUs) })
      free = all.filter { !pinned.contains($0) }
      if free.isEmpty { free = all }
    }
    return free[k % free.count]
  }

  /// One trial with iperf3: a server per router in the sink (one test each, `-1`), pinned to
  /// `setup.udpReceiverCPU` (the scenario's `host.udp_receiver_cpu`, as the model pins its
  /// receivers; the CPU the clients and their softirq run on makes the servers compete with
  /// them, and their sockets drop when they fall behind), a client per router flow in the
  /// generator namespace (client k on CPU k mod CPUs) sending UDP datagrams of 1472 B at the
  /// flow's rate (`-b` counts the datagrams' payload bits) for the trial's duration.
  ///
  /// The counters are read over an inner window of the sending: the first snapshot from `lead`
  /// after the clients start (lead = min(0.25 s, duration / 4)), the second so that it ends
  /// before their nominal end (it starts `lead` plus 1.5 times the first snapshot's length
  /// before it), so that no start-up, control exchange or drain is in it; a trial too short for
  /// that is an error. Every CPU row is over the window between the two snapshots' CPU reads,
  /// and each namespace's counts over the interval between its own two reads, scaled to that
  /// window (`measure(ownIntervals:)`). Besides `measure`'s rows: the sink namespace's UDP MIB over the window
  /// (`udp_in_datagrams`, `udp_rcvbuf_errors`, also as the drop place `drop:sink.rcvbuf`,
  /// `udp_in_errors`, `udp_no_ports`), each server's receive buffer (`udp_rcvbuf`), and each
  /// iperf3 process's own time over its test (`cpu`, its user and system parts `process_user`,
  /// `process_system`; scopes `gen<k>` for client k and `iperf3-s<r>` for router r's server,
  /// from `iperf3 -J`'s `cpu_utilization_percent`).
  func runIperf3(_ setup: TestbedSetup) throws -> [MetricRow] {
    if let role = TestbedRole.allCases.first(where: { setup.roles.target($0) != nil }) {
      throw TestbedError(
        "testbed.\(role.rawValue).ssh: the iperf3 generator runs with every role local only (use trafgen)",
        usage: true)
    }
    // every CPU's exact softirq time over the window, when this machine allows the timer
    let timer = SoftirqTimer.ifAvailable()
    let reader = CounterReader(runner: runner).reading(softirq: timer)
    let seconds = setup.duration.seconds
    let lead = min(0.25, seconds / 4)
    var servers: [Sender] = []
    for i in 0..<setup.routers.count {
      servers.append(
        try start([
          "ip", "netns", "exec", plan.sinkNamespace, "taskset", "-c", String(setup.udpReceiverCPU), "iperf3",
          "-s", "-1", "-J", "-B", TopologyPlan.destination(router: i),
        ]))
    }
    // a process parked in each namespace for the trial, whose /proc/PID/net the snapshots
    // read with no command (`CounterReader.snapshot(anchors:)`); it ends by itself
    var anchorProcesses: [Sender] = []
    defer { _ = wait(anchorProcesses, deadline: 0) }
    for ns in plan.namespaces {
      anchorProcesses.append(
        try start([
          "ip", "netns", "exec", ns, "sleep", String(format: "%.0f", (seconds * 3 + 30).rounded(.up)),
        ]))
    }
    usleep(300_000)  // let the servers listen
    let anchors = try Self.anchorPIDs(zip(plan.namespaces, anchorProcesses.map(\.process)))
    var clients: [Sender] = []
    var clientRouters: [Int] = []
    let t0 = DispatchTime.now().uptimeNanoseconds
    for (k, f) in setup.flows.enumerated() where f.packetsPerSecond > 0 {
      let bits = Int((f.packetsPerSecond * 1472 * 8).rounded())
      clients.append(
        try start([
          "ip", "netns", "exec", plan.generatorNamespace, "taskset", "-c", String(k % max(1, setup.hostCPUs)),
          "iperf3", "-J",
          "-c", TopologyPlan.destination(router: f.router), "-u", "-l", "1472", "-b", String(bits), "-t",
          String(format: "%.3f", seconds),
        ]))
      clientRouters.append(f.router)
    }
    func sleep(until t: Double) {
      let now = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
      if t > now { usleep(useconds_t((t - now) * 1e6)) }
    }
    sleep(until: lead)
    // each iperf3 process's run time (single-threaded: its schedstat) at the window's edges,
    // just before each snapshot, beside its first reads (/proc/stat, the idle residency)
    let processes =
      clients.enumerated().map { ("gen\($0.offset)", $0.element.process.processIdentifier) }
      + servers.enumerated().map { ("iperf3-s\($0.offset)", $0.element.process.processIdentifier) }
    let runBefore = processes.map { ThreadSched.read($0.1)?.runNs }
    let snapStart = DispatchTime.now().uptimeNanoseconds
    let before = try reader.snapshot(namespaces: plan.namespaces, cpuFirst: true, anchors: anchors)
    // (a snapshot's `time` is its CPU counters' read, at its start: its end is taken here)
    let firstDone = DispatchTime.now().uptimeNanoseconds
    // The second snapshot must end while the clients still send: its namespaces are read one
    // after another (0.3-0.4 s in all here), and a namespace read after the clients stopped
    // would count too few frames over its interval. It starts half as long again as the first
    // took (the second runs under the same load) before the last `lead`.
    let took = Double(firstDone &- snapStart) * 1e-9
    let secondAt = seconds - lead - 1.5 * took
    let firstEnd = Double(firstDone &- t0) * 1e-9
    guard secondAt > firstEnd + 0.1 else {
      throw TestbedError(
        String(
          format:
            "an iperf3 trial of %.3f s is too short for its counter snapshots (%.3f s each, from %.3f s in): "
            + "run.duration must leave at least 0.1 s between them; use %.1f s or more",
          seconds, took, lead, (firstEnd + 0.1 + lead + 1.5 * took + 0.05).rounded(.up)), usage: true)
    }
    sleep(until: secondAt)
    let runAfter = processes.map { ThreadSched.read($0.1)?.runNs }
    let after = try reader.snapshot(namespaces: plan.namespaces, cpuFirst: true, anchors: anchors)
    let window = Double(after.time &- before.time) * 1e-9
    let outputs = wait(clients, deadline: seconds * 3 + 10)
    let serverOutputs = wait(servers, deadline: 3)
    if let bad = outputs.first(where: { $0.contains("\"error\"") }) {
      throw TestbedError("iperf3 failed: \(bad.split(separator: "\n").prefix(4).joined(separator: "; "))")
    }
    // the traffic runs through both snapshots: each namespace's counts over its own reads
    var rows = measure(
      setup: setup, before: before, after: after, seconds: max(window, 1e-3), ownIntervals: true)
    func add(_ scope: String, _ metric: Metric, _ value: Double) {
      rows.append(MetricRow(scope: scope, metric, value: value))
    }
    let ns = plan.sinkNamespace
    var udpWindow = max(window, 1e-3)
    if let b = before.snmpTimes[ns], let a = after.snmpTimes[ns], a > b { udpWindow = Double(a - b) * 1e-9 }
    func udp(_ field: String) -> Double {
      Double((after.udp[ns]?[field] ?? 0) &- (before.udp[ns]?[field] ?? 0)) / udpWindow
    }
    add("sink", .udpInDatagrams, udp("InDatagrams"))
    add("sink", .udpRcvbufErrors, udp("RcvbufErrors"))
    add("drop:sink.rcvbuf", .drops, udp("RcvbufErrors"))
    add("sink", .udpInErrors, udp("InErrors"))
    add("sink", .udpNoPorts, udp("NoPorts"))
    for (k, out) in outputs.enumerated() {
      let c = try IperfProcessFigures.parse(out)
      // the process's whole time (getrusage: precise in total, split by tick samples; with
      // tick accounting it includes the softirq the process ran in its own context), beside the
      // model's time of its thread
      add("gen\(k)", .cpu, c.user + c.system)
      add("gen\(k)", .processUser, c.user)
      add("gen\(k)", .processSystem, c.system)
      if let u = c.remoteUser, let sys = c.remoteSystem {
        add("iperf3-s\(clientRouters[k])", .cpu, u + sys)
        add("iperf3-s\(clientRouters[k])", .processUser, u)
        add("iperf3-s\(clientRouters[k])", .processSystem, sys)
      }
    }
    for (r, out) in serverOutputs.enumerated() {
      if let b = (try? IperfProcessFigures.parse(out))?.receiveBuffer { add("iperf3-s\(r)", .udpRcvbuf, b) }
    }
    // over the window of the CPU rows (the snapshots' starts), beside getrusage's
    // whole test
    var idleWindow = window
    if let x = after.cpuIdle?.first, let y = before.cpuIdle?.first, x.timeNs > y.timeNs {
      idleWindow = Double(x.timeNs - y.timeNs) * 1e-9
    }
    if let x = after.softirq, let y = before.softirq {
      for (k, v) in (x.shares(since: y) ?? []).enumerated() { add("pcpu\(k)", .softirqExact, v) }
      let netRx = SoftirqReading.vectors.firstIndex(of: "NET_RX")
      for (k, v) in (x.shares(since: y, vector: netRx) ?? []).enumerated() {
        add("pcpu\(k)", .netRxSoftirqExact, v)
      }
    }
    for (i, (scope, _)) in processes.enumerated() {
      if let x = runAfter[i], let y = runBefore[i], x >= y {
        let run: Double = Double(x - y) * 1e-9
        add(scope, .processWindowCPU, run / max(idleWindow, 1e-3))
      }
    }
    return rows
  }

  /// Turns two snapshots into measurements over `seconds` of sending.
  ///
  /// With `ownIntervals` (a trial whose traffic runs through both snapshots, the iperf3 one)
  /// each namespace's counts are scaled from the interval between its own two reads
  /// (`CounterSnapshot.linkTimes`, `snmpTimes`) to `seconds`: the namespaces are read one
  /// after another, and one read later than another in the first snapshot than in the second
  /// would otherwise count fewer frames of the same flow. Without it (traffic only between the
  /// snapshots) every count is over `seconds` as it is.
  func measure(
    setup: TestbedSetup, before: CounterSnapshot, after: CounterSnapshot, seconds: Double,
    ownIntervals: Bool = false
  ) -> [MetricRow] {
    let linkScale = Self.intervalScales(before.linkTimes, after.linkTimes, seconds: seconds, on: ownIntervals)
    let snmpScale = Self.intervalScales(before.snmpTimes, after.snmpTimes, seconds: seconds, on: ownIntervals)
    // a port's counters over the two snapshots, scaled to `seconds` (exactly as read when the
    // scale is 1)
    func d(_ p: TopologyPort) -> ScaledLinkCounters {
      let key = "\(p.namespace)/\(p.name)"
      let c = (after.links[key] ?? LinkCounters()).minus(before.links[key] ?? LinkCounters())
      return ScaledLinkCounters(c, scale: linkScale[p.namespace] ?? 1)
    }
    func ipDelta(_ ns: String, _ field: String) -> Double {
      Double((after.ip[ns]?[field] ?? 0) &- (before.ip[ns]?[field] ?? 0)) * (snmpScale[ns] ?? 1)
    }
    func ipDrops(_ ns: String) -> Double {
      ["InDiscards", "OutDiscards", "OutNoRoutes", "InAddrErrors", "InHdrErrors"].reduce(0) {
        $0 + ipDelta(ns, $1)
      }
    }
    var m: [MetricRow] = []
    func add(_ scope: String, _ metric: Metric, _ value: Double) {
      m.append(MetricRow(scope: scope, metric, value: value))
    }
    // What the generator actually sent: the frames its devices passed on. A frame a veth
    // could not hand to its peer (backlog or NAPI ring full) counts as the device's
    // tx_dropped and the sender gets ENOBUFS and sends it again (trafgen's per-packet path
    // and the own sender both do): measured, this is back-pressure, not loss (every frame
    // of a trial with tx_dropped > 0 still reached the sink).
    let genPorts = path == .platform ? plan.generators.map(\.port) : [plan.ceilingPorts.gen]
    let sinkPorts = path == .platform ? plan.sinkPorts : [plan.ceilingPorts.sink]
    let genDropped = genPorts.reduce(0.0) { $0 + d($1).txDropped }
    let sent = genPorts.reduce(0.0) { $0 + d($1).txPackets }
    let received = sinkPorts.reduce(0.0) { $0 + d($1).rxPackets }
    let target = setup.offeredPacketsPerSecond
    let offered = sent / seconds
    // The simulator's metrics first (names, units and scopes as `vrsim run` reports them),
    // then what only the testbed measures (`Metric.measuredOnly`).
    add("aggregate", .offeredPps, offered)
    add("aggregate", .forwardedPps, received / seconds)
    let loss = sent > 0 ? max(0, sent - received) / sent : 0
    add("aggregate", .loss, loss)
    add("aggregate", .droppedPps, max(0, sent - received) / seconds)
    add("aggregate", .targetPps, target)
    // How far the generator fell short of the load asked for, its own column: never folded
    // into loss (which counts against what was sent). Loss against the target is kept as
    // CSIT reports it, with no tolerance.
    let shortfall = target > 0 ? max(0, 1 - offered / target) : 0
    add("aggregate", .shortfall, shortfall)
    add("aggregate", .lossVsTarget, target > 0 ? max(0, 1 - (received / seconds) / target) : loss)
    add("aggregate", .sentPackets, sent)
    add("aggregate", .receivedPackets, received)
    add("aggregate", .sendTime, seconds)
    if let ceiling {
      add("aggregate", .generatorCeilingPps, ceiling)
      // Bound by the generator: the load asked for is within 10% of the lowest ceiling
      // measured on the same send path (a shortfall alone may be the path slowing the sender).
      let lowest = ceilings.min() ?? ceiling
      add("aggregate", .generatorBound, target >= 0.9 * lowest ? 1 : 0)
    }
    var attributed = 0.0
    for (i, ports) in plan.routerPorts.enumerated() where path == .platform {
      let ns = plan.routerNamespace(i)
      let rx = d(ports.rx)
      let tx = d(ports.tx)
      let drops = rx.rxDropped + tx.txDropped + rx.txDropped + tx.rxDropped + ipDrops(ns)
      attributed += drops
      add("vr\(i)", .offeredPps, rx.rxPackets / seconds)
      add("vr\(i)", .forwardedPps, tx.txPackets / seconds)
      add("vr\(i)", .droppedPps, drops / seconds)
      add("vr\(i)", .ipForwardedPps, ipDelta(ns, "ForwDatagrams") / seconds)
    }
    if path == .platform, plan.setup.platform != .direct, let sinkSide = plan.dom0SinkPort {
      // The simulator reports no per-hop figures for dom0's bridge or forwarder: measured only.
      let ns = plan.dom0Namespace
      let dom0Ports = plan.ports.filter { $0.namespace == ns }
      let drops = dom0Ports.reduce(0.0) { $0 + d($1).rxDropped + d($1).txDropped } + ipDrops(ns)
      attributed += drops
      add("dom0", .hopForwardedPps, d(sinkSide).txPackets / seconds)
      add("dom0", .ipForwardedPps, ipDelta(ns, "ForwDatagrams") / seconds)
      add("dom0", .hopDroppedPps, drops / seconds)
    }
    // The host: CPU busy (the simulator's host cpu and per-pCPU utilisation), softirq time,
    // softnet backlog drops (per CPU, any namespace).
    let b = before.cpu
    let a = after.cpu
    var busyTotal = 0.0
    var perCPU: [(k: Int, busy: Double, softirq: Double, netRx: Double?)] = []
    for k in 0..<min(a.total.count, b.total.count) {
      let total = Double(a.total[k] &- b.total[k])
      guard total > 0 else { continue }
      let busy = Double(a.busy[k] &- b.busy[k]) / total
      busyTotal += busy
      let netRx =
        k < a.netRx.count && k < b.netRx.count ? Double(a.netRx[k] &- b.netRx[k]) / seconds : nil
      perCPU.append((k, busy, Double(a.softirq[k] &- b.softirq[k]) / total, netRx))
    }
    add("host", .cpu, busyTotal)  // busy pCPUs, the simulator's host cpu
    for c in perCPU {
      add("pcpu\(c.k)", .utilisation, c.busy)
      add("pcpu\(c.k)", .softirq, c.softirq)
      if let n = c.netRx { add("pcpu\(c.k)", .netRxSoftirqs, n) }
    }
    let backlog = zip(a.softnetDropped, b.softnetDropped).reduce(0.0) { $0 + Double($1.0 &- $1.1) }
    attributed += backlog
    add("host", .softnetDroppedPps, backlog / seconds)
    add(
      "host", .softnetSqueezed,
      zip(a.softnetSqueezed, b.softnetSqueezed).reduce(0.0) { $0 + Double($1.0 &- $1.1) } / seconds)
    add("host", .generatorDroppedPps, genDropped / seconds)
    add(
      "aggregate", .unattributedDroppedPps, max(0, sent - received - attributed) / seconds)
    // Ring and backlog drops of each router's veths, where they happened (threaded mode: a
    // router's NAPI ring that filled while its thread waited).
    // A veth that cannot hand a frame to its peer counts it as its own tx_dropped: the
    // ring of router i is fed by dom0's i<i>d (or the generator's i<i>g on netns-direct).
    for (i, ports) in plan.routerPorts.enumerated() where path == .platform {
      let names = [plan.prefix.name("i\(i)d"), plan.prefix.name("i\(i)g")]
      let peerDropped = plan.ports.filter { names.contains($0.name) }.reduce(0.0) {
        $0 + d($1).txDropped
      }
      add("vr\(i)", .ringDroppedPps, (d(ports.rx).rxDropped + peerDropped) / seconds)
    }
    // The exact busy share of each CPU over the same two snapshots as `utilisation` (cpuidle's
    // idle residency, read on each CPU: not tick-sampled), after every other row so that those
    // stay as they were. Absent, and said once per run, when the host has no cpuidle driver.
    if let ia = after.cpuIdle, let ib = before.cpuIdle {
      for (k, (x, y)) in zip(ia, ib).enumerated() {
        if let busy = x.busyShare(since: y) { add("pcpu\(k)", .busyExact, busy) }
      }
    } else if !saidNoCPUIdle {
      saidNoCPUIdle = true
      TestbedCommon.note(
        "no cpuidle residency (/sys/devices/system/cpu/cpuN/cpuidle) on the measured host: no busy_exact rows"
      )
    }
    return m
  }
}

extension TrafficTrial {
  /// namespace -> pid of its parked process, once each has entered its namespace (`ip netns
  /// exec` execs `sleep` after joining it: its `comm` is then `sleep`); waits at most 5 s.
  static func anchorPIDs(_ started: Zip2Sequence<[String], [Process]>) throws -> [String: Int32] {
    var out: [String: Int32] = [:]
    for (ns, p) in started {
      let pid = p.processIdentifier
      let end = Date().addingTimeInterval(5)
      while (try? CounterReader.readFile("/proc/\(pid)/comm")) != "sleep\n" {
        guard p.isRunning, Date() < end else {
          throw TestbedError("the process parked in namespace \(ns) (pid \(pid)) did not start")
        }
        usleep(2_000)
      }
      out[ns] = pid
    }
    return out
  }
}

/// One port's counter deltas over two snapshots, as reals scaled to the trial's window (a
/// scale of exactly 1 leaves each count as read).
struct ScaledLinkCounters {
  var rxPackets: Double
  var rxDropped: Double
  var txPackets: Double
  var txDropped: Double

  init(_ c: LinkCounters, scale: Double) {
    rxPackets = Double(c.rxPackets) * scale
    rxDropped = Double(c.rxDropped) * scale
    txPackets = Double(c.txPackets) * scale
    txDropped = Double(c.txDropped) * scale
  }
}

extension TrafficTrial {
  /// Per namespace, `seconds` over the interval between its reads in two snapshots
  /// (`before` and `after`: namespace -> monotonic ns): the factor that turns its counts into
  /// counts over `seconds`. Empty when `on` is false; a namespace missing from either
  /// snapshot, or read at the same instant in both, has no factor (its counts stay as read).
  static func intervalScales(
    _ before: [String: UInt64], _ after: [String: UInt64], seconds: Double, on: Bool
  ) -> [String: Double] {
    guard on else { return [:] }
    var out: [String: Double] = [:]
    for (ns, b) in before {
      guard let a = after[ns], a > b else { continue }
      out[ns] = seconds / (Double(a - b) * 1e-9)
    }
    return out
  }
}

/// Where the frames of a trial go (`vrsim testbed run --path`).
public enum TrialPath: String, CaseIterable, Sendable {
  /// Through the scenario's platform: generator, dom0, routers, sink.
  case platform
  /// On the generator's direct veth to the sink, which routes them into its blackhole: the
  /// generator and the sink's receive without any router.
  case generatorToSink = "generator-to-sink"
  /// On the same link, addressed to a MAC address no port has: the sink's stack drops each
  /// frame on arrival (another host's), so only the send path and the veth's receive remain.
  case generatorAlone = "generator-alone"

  /// The destination MAC of `.generatorAlone`: locally administered, owned by no port.
  public static let nobodysMAC = "02:76:74:ff:ff:fe"
}
