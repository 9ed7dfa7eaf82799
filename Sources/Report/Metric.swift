/// A quantity vrsim reports: its name (snake case, as in CSV and JSON), its unit and what it
/// means. Every output names metrics through these values, and the measured-data schema of
/// calibration and validation accepts exactly these names, so a measured row and a simulated
/// row of the same metric can never disagree on spelling or unit.
public struct Metric: Sendable, Hashable, CustomStringConvertible {
  /// Name in snake case, e.g. `forwarded_pps`.
  public let name: String
  /// Unit of its values (`pps`, `bit/s`, `us`, `fraction`, `pCPU`, `1/s`, `1`).
  public let unit: String
  /// What it measures.
  public let doc: String
  /// True for a quantity only a measurement gives (a testbed's counters, a benchmark's time):
  /// no model of vrsim produces it, so calibration and validation list its rows as not
  /// simulated, whatever their scenario.
  public let measuredOnly: Bool
  /// True for a difference that can fall below 0 (`timer_difference`, `shortfall`); every
  /// other metric is a rate, count, time, CPU share or fraction, never negative, and the
  /// measured-data loader refuses a negative value of it.
  public let canBeNegative: Bool

  /// A metric; use the catalogue below rather than making new ones ad hoc.
  public init(
    _ name: String, _ unit: String, _ doc: String, measuredOnly: Bool = false, canBeNegative: Bool = false
  ) {
    self.name = name
    self.unit = unit
    self.doc = doc
    self.measuredOnly = measuredOnly
    self.canBeNegative = canBeNegative
  }

  public var description: String { name }

  // Traffic, per router (`vrN`) and in aggregate.
  /// Offered packets per second after the warm-up.
  public static let offeredPps = Metric("offered_pps", "pps", "Packets offered per second.")
  /// Packets leaving the host per second.
  public static let forwardedPps = Metric(
    "forwarded_pps", "pps", "Packets forwarded (leaving the host) per second.")
  /// Forwarded frame bits per second (frame bytes only).
  public static let frameBps = Metric(
    "frame_bps", "bit/s", "Forwarded frame bits per second (frame bytes only).")
  /// Forwarded bits per second on the wire (frame plus 20 B of preamble and gap).
  public static let wireBps = Metric(
    "wire_bps", "bit/s", "Forwarded bits per second on the wire, with preamble and gap.")
  /// Packets lost per second.
  public static let droppedPps = Metric(
    "dropped_pps", "pps", "Packets lost per second, anywhere on the path.")
  /// Lost share of the offered packets.
  public static let loss = Metric("loss", "fraction", "Lost share of the offered packets.")
  /// Mean one-way latency through the host.
  public static let latencyMean = Metric(
    "latency_mean", "us", "Mean latency from the wire in to the wire out.")
  /// Median latency.
  public static let latencyP50 = Metric("latency_p50", "us", "Median latency.")
  /// 99th-percentile latency.
  public static let latencyP99 = Metric("latency_p99", "us", "99th-percentile latency.")
  /// Largest latency.
  public static let latencyMax = Metric("latency_max", "us", "Largest latency.")

  // Host (`host` scope), pCPUs (`pcpuN`), domains (their names), stages and drop places.
  /// Jain's fairness index of the routers' forwarded rates.
  public static let jainIndex = Metric(
    "jain_index", "1", "Jain's fairness index of the routers' forwarded rates.")
  /// Context switches per second, all pCPUs.
  public static let switches = Metric("switches", "1/s", "Context switches per second, all pCPUs together.")
  /// Notifications (interrupts, event-channel upcalls) per second.
  public static let notifications = Metric(
    "notifications", "1/s", "Notifications taken (interrupts, event-channel upcalls) per second.")
  /// Event-channel notifications of one router's vif per second (scope `vrN`, Xen split driver).
  public static let routerNotifications = Metric(
    "vif_notifications", "1/s",
    "Event-channel notifications of one router's vif per second, both directions (RX responses, TX requests, TX completions, queue wake-ups); Xen split driver only."
  )
  /// Notifications per forwarded packet.
  public static let notificationsPerPacket = Metric(
    "notifications_per_packet", "1", "Notifications taken per forwarded packet.")
  /// BOOSTed wake-ups per second (Xen credit).
  public static let boostWakeups = Metric(
    "boost_wakeups", "1/s", "vCPU wake-ups that got BOOST priority, per second.")
  /// Busy share of one pCPU (scope `pcpuN`).
  public static let utilisation = Metric("utilisation", "fraction", "Busy share of one pCPU.")
  /// CPU used by a domain, in pCPUs (scope: the domain's name).
  public static let cpu = Metric(
    "cpu", "pCPU", "CPU used by a domain, in pCPUs (1 = one pCPU busy all the time).")
  /// Mean time a packet spends in a stage (scope `stage:NAME`).
  public static let delayMean = Metric(
    "delay_mean", "us", "Mean time a packet spends in a stage (ring and batch).")
  /// Longest time a packet spent in a stage.
  public static let delayMax = Metric("delay_max", "us", "Longest time a packet spent in a stage.")
  /// Packets dropped per second at one place (scope `drop:PLACE`).
  public static let drops = Metric("drops", "pps", "Packets dropped per second at one place of the path.")

  // CPU jobs of the scenario's `workloads:` (scope `job:NAME`), simulated and measured alike.
  /// Start-to-finish time of a finite job (cpu, superpi).
  public static let jobSeconds = Metric(
    "job_seconds", "s",
    "Start-to-finish time of a workloads: job (cpu, superpi); testbed: external ICMP time.")
  /// Share of one CPU a job got.
  public static let jobShare = Metric(
    "job_share", "pCPU", "Share of one CPU a workloads: job got (its CPU time over its elapsed time).")
  /// Mean wake-up-to-done time of a periodic job.
  public static let jobResponse = Metric(
    "job_response", "us", "Mean time from a periodic job's wake-up to the end of its work.")

  // Measured only (the testbed's counters and benchmarks, the origin paper's Figs. 5-6): no
  // model of vrsim produces them, so calibration and validation list their rows as not
  // simulated.
  /// Execution time of one round of a testbed benchmark (Super Pi, MASR, Bonnie++, ZFG), timed
  /// externally by ICMP echo as in the paper.
  public static let benchmarkTime = Metric(
    "benchmark_time", "s",
    "Execution time of one round of a testbed benchmark (Super Pi, MASR, Bonnie++, ZFG), timed externally by ICMP echo; measured only.",
    measuredOnly: true)
  /// The benchmark's own time for the same round (its process's clock around the work).
  public static let benchmarkOwnTime = Metric(
    "benchmark_own_time", "s", "A testbed benchmark's own time for one round; measured only.",
    measuredOnly: true)
  /// The wall time of the benchmark process around the round (the timing child's clock).
  public static let benchmarkWallTime = Metric(
    "benchmark_wall_time", "s", "Wall time around one round of a testbed benchmark; measured only.",
    measuredOnly: true)
  /// External minus wall time of a benchmark round: the external timer's error.
  public static let timerDifference = Metric(
    "timer_difference", "s", "External (ICMP) minus wall time of a benchmark round; measured only.",
    measuredOnly: true, canBeNegative: true)
  /// How long the two echo requests' sends took: the bound of `timer_difference` (the
  /// time-keeper's kernel stamps are taken inside the sends).
  public static let timerSendTime = Metric(
    "timer_send_time", "s",
    "Time the start and end echo requests' sends took (bounds the timer difference); measured only.",
    measuredOnly: true)
  /// Time the benchmark's cgroup was throttled by its CFS quota during the round.
  public static let cgroupThrottledTime = Metric(
    "cgroup_throttled_time", "s", "Time a benchmark's cgroup was throttled by its CPU cap; measured only.",
    measuredOnly: true)
  /// UDP payload bits per second an iperf3 receiver got in a testbed benchmark run.
  public static let udpGoodputBps = Metric(
    "udp_goodput_bps", "bit/s",
    "UDP payload bits per second the iperf3 receiver got in a testbed benchmark run; measured only.",
    measuredOnly: true)
  /// Lost share of the datagrams an iperf3 sender sent in a testbed benchmark run.
  public static let udpLoss = Metric(
    "udp_loss", "fraction",
    "Lost share of the datagrams iperf3 sent in a testbed benchmark run (its receiver's count); measured only.",
    measuredOnly: true)
  /// How far behind its schedule the testbed's own sender (Poisson, on-off) handed frames
  /// to the socket, mean over the trial's frames.
  public static let sendLatenessMean = Metric(
    "send_lateness_mean", "us",
    "Mean time the testbed's own sender (Poisson, on-off) handed a frame to the socket after its departure time; measured only.",
    measuredOnly: true)
  /// The 99th percentile of the same lateness (the largest over the trial's devices).
  public static let sendLatenessP99 = Metric(
    "send_lateness_p99", "us",
    "99th-percentile lateness of the testbed's own sender (Poisson, on-off) against its schedule; measured only.",
    measuredOnly: true)
  /// Rate a testbed trial asked its generators for (aggregate).
  public static let targetPps = Metric(
    "target_pps", "pps", "Packets per second a testbed trial asked its generators for; measured only.",
    measuredOnly: true)
  /// Loss counted against the rate asked for (a generator that could not send counts as loss).
  public static let lossVsTarget = Metric(
    "loss_vs_target", "fraction",
    "Lost share counted against the rate asked for (CSIT style: frames not sent count as lost); measured only.",
    measuredOnly: true)
  /// Frames the generators sent in a trial.
  public static let sentPackets = Metric(
    "sent_packets", "packets", "Frames the testbed's generators sent in one trial; measured only.",
    measuredOnly: true)
  /// Frames the sink received in a trial.
  public static let receivedPackets = Metric(
    "received_packets", "packets", "Frames the testbed's sink received in one trial; measured only.",
    measuredOnly: true)
  /// How long the generators took to send a trial's frames.
  public static let sendTime = Metric(
    "send_time", "s", "Time the testbed's generators took to send one trial's frames; measured only.",
    measuredOnly: true)
  /// The generator's own ceiling: frames per second straight to the sink.
  public static let generatorCeilingPps = Metric(
    "generator_ceiling_pps", "pps",
    "The testbed generator's own ceiling, straight to the sink; measured only.",
    measuredOnly: true)
  /// 1 when a trial's rate was limited by the generator rather than the path, else 0.
  public static let generatorBound = Metric(
    "generator_bound", "1",
    "1 when a testbed trial was limited by its generator (offered < 97% of the target, or the target >= 90% of the ceiling); measured only.",
    measuredOnly: true)
  /// Frames the generators' own devices dropped per second (never sent).
  public static let generatorDroppedPps = Metric(
    "generator_dropped_pps", "pps",
    "Frames the testbed generator's devices refused per second (tx_dropped: the next hop's backlog or ring was full; the sender sends them again, so they are back-pressure, not loss); measured only.",
    measuredOnly: true)
  /// Datagrams a namespace's IP layer forwarded per second (its IP MIB's ForwDatagrams).
  public static let ipForwardedPps = Metric(
    "ip_forwarded_pps", "pps",
    "Datagrams a namespace's IP layer forwarded per second (IP MIB); measured only.",
    measuredOnly: true)
  /// Packets a hop of the testbed path (dom0's bridge or forwarder) sent towards the sink.
  public static let hopForwardedPps = Metric(
    "hop_forwarded_pps", "pps",
    "Packets a hop of the testbed path (dom0's bridge or forwarder) sent towards the sink per second; measured only.",
    measuredOnly: true)
  /// Packets a hop of the testbed path dropped per second (its ports and IP MIB).
  public static let hopDroppedPps = Metric(
    "hop_dropped_pps", "pps",
    "Packets a hop of the testbed path (dom0) dropped per second (its ports and IP MIB); measured only.",
    measuredOnly: true)
  /// Packets the host's softnet backlogs dropped per second (all CPUs).
  public static let softnetDroppedPps = Metric(
    "softnet_dropped_pps", "pps", "Packets the host's softnet backlogs dropped per second; measured only.",
    measuredOnly: true)
  /// Times per second the host's softirq ran out of budget with work left (softnet squeezed).
  public static let softnetSqueezed = Metric(
    "softnet_squeezed", "1/s", "Times per second the host's NET_RX softirq ran out of budget; measured only.",
    measuredOnly: true)
  /// Packet losses no counter of the testbed path accounts for, per second.
  public static let unattributedDroppedPps = Metric(
    "unattributed_dropped_pps", "pps",
    "Packets lost per second that no testbed counter accounts for; measured only.",
    measuredOnly: true)
  /// Share of one pCPU's time spent in softirq (scope `pcpuN`).
  public static let softirq = Metric(
    "softirq", "fraction",
    "Share of one pCPU's time in softirq, where forwarding over veth runs (simulated on the netns platforms)."
  )
  /// An iperf3 process's time on a CPU over a testbed trial's window (the difference of its
  /// /proc/PID/schedstat run time, sum_exec_runtime, at the window's two counter snapshots),
  /// per second of the window; scope `gen<k>` (client k) or `iperf3-s<r>` (router r's server).
  /// Unlike `cpu` (getrusage over the whole test), over the same window as the CPU rows.
  public static let processWindowCPU = Metric(
    "process_window_cpu", "pCPU",
    "An iperf3 process's time on a CPU (/proc/PID/schedstat) over a testbed trial's window, per second of it (scope gen<k> or iperf3-s<r>); measured only.",
    measuredOnly: true)
  /// Busy share of one CPU from its idle states' residency (scope `pcpuN`): the window minus
  /// the time cpuidle counted the CPU in any idle state
  /// (`/sys/devices/system/cpu/cpuN/cpuidle/stateK/time`, microseconds, summed over K), over
  /// the same window as `utilisation`. Not tick-sampled: the kernel adds each idle period's
  /// length when it ends, and the testbed reads it on the CPU itself (pinned), so that no
  /// idle period is open at the read. Resolution: 1 us per idle period and the reads' clock
  /// (`date +%s%N`), about 1e-5 of a 1 s window. It counts as busy the idle loop's own work
  /// outside the idle states (entry, exit, timer programming), which /proc/stat counts idle.
  /// The model's value (netns platforms) is its `utilisation` plus the pCPU's exits from idle
  /// (`profile.idle_exit`), which `utilisation` leaves out as /proc/stat does.
  public static let busyExact = Metric(
    "busy_exact", "share of a CPU",
    "Busy share of one pCPU from cpuidle's idle-state residency over the same window as utilisation: not tick-sampled (simulated on the netns platforms)."
  )
  /// Share of one CPU's time in softirq (scope `pcpuN`), timed exactly: two BPF programs on
  /// the irq:softirq_entry / softirq_exit tracepoints add every softirq's duration (monotonic
  /// clock, nanoseconds) to a per-CPU sum, read at the same moments as the other CPU rows
  /// (testbed iperf3 trials). Not tick-sampled, unlike `softirq` (/proc/stat, which on a kernel
  /// without IRQ time accounting charges a whole tick to whatever the tick interrupted). The
  /// model's value (netns platforms) is the same as its `softirq`: the pCPU's time in softirq
  /// over the window.
  public static let softirqExact = Metric(
    "softirq_exact", "share of a CPU",
    "Share of one pCPU's time in softirq, every softirq timed (BPF on irq:softirq_entry/exit), over the same window as utilisation: not tick-sampled (simulated on the netns platforms)."
  )
  /// The part of `softirqExact` in the NET_RX vector (scope `pcpuN`); measured only.
  public static let netRxSoftirqExact = Metric(
    "net_rx_softirq_exact", "share of a CPU",
    "Share of one pCPU's time in the NET_RX softirq, every softirq timed (BPF), over the same window as utilisation; measured only.",
    measuredOnly: true)
  /// NET_RX softirqs per second on one pCPU (scope `pcpuN`).
  public static let netRxSoftirqs = Metric(
    "net_rx_softirqs", "1/s", "NET_RX softirq runs per second on one pCPU (simulated on the netns platforms)."
  )
  /// Time building a testbed point's topology took: namespaces, links, cgroups and the routes
  /// loaded into every router (what a 1M-route table costs).
  public static let setupTime = Metric(
    "setup_time", "s",
    "Time building a testbed point's topology took (namespaces, links, cgroups, routes loaded); measured only.",
    measuredOnly: true)
  /// Highest rate found with no loss (FD.io CSIT NDR) by a testbed search.
  public static let ndrPps = Metric(
    "ndr_pps", "pps", "No-drop rate (0% loss) found by a testbed throughput search; measured only.",
    measuredOnly: true)
  /// Highest rate found with partial loss (PDR, 0.5% by default) by a testbed search.
  public static let pdrPps = Metric(
    "pdr_pps", "pps",
    "Partial-drop rate (0.5% loss by default) found by a testbed throughput search; measured only.",
    measuredOnly: true)

  // The testbed's search, noise gate and generator (docs/testbed.md): measured only.
  /// How far a testbed generator's achieved rate fell below the rate asked for.
  public static let shortfall = Metric(
    "shortfall", "fraction",
    "How far a testbed generator's achieved rate fell below the rate asked for (1 - offered/target), never folded into loss; measured only.",
    measuredOnly: true, canBeNegative: true)
  /// Lowest load a testbed search classified as failing the NDR goal (the bracket's top).
  public static let ndrUpperPps = Metric(
    "ndr_upper_pps", "pps",
    "Lowest load a testbed search classified as failing the NDR goal (the bracket above ndr_pps); measured only.",
    measuredOnly: true)
  /// Lowest load a testbed search classified as failing the PDR goal.
  public static let pdrUpperPps = Metric(
    "pdr_upper_pps", "pps",
    "Lowest load a testbed search classified as failing the PDR goal (the bracket above pdr_pps); measured only.",
    measuredOnly: true)
  /// Spread of the NDR over repeated searches.
  public static let ndrSpread = Metric(
    "ndr_spread", "fraction",
    "(largest - smallest) / mean of the NDR over a testbed search's repeats; measured only.",
    measuredOnly: true)
  /// Spread of the PDR over repeated searches.
  public static let pdrSpread = Metric(
    "pdr_spread", "fraction",
    "(largest - smallest) / mean of the PDR over a testbed search's repeats; measured only.",
    measuredOnly: true)
  /// 1 when the noise gate found a trial quiet (before and during), else 0.
  public static let gateQuiet = Metric(
    "gate_quiet", "1",
    "1 when the testbed's noise gate found the kept trial quiet before and during it, 0 when it never got quiet; measured only.",
    measuredOnly: true)
  /// How many times the noise gate ran a trial (or found it noisy before it).
  public static let gateAttempts = Metric(
    "gate_attempts", "1", "Attempts the testbed's noise gate made at one trial; measured only.",
    measuredOnly: true)
  /// CPU time of processes that are not the testbed's, per second of the trial.
  public static let foreignCPU = Metric(
    "foreign_cpu", "pCPU",
    "CPU time of user processes that are not the testbed's, per second of a trial's window; measured only.",
    measuredOnly: true)
  /// Steal share of all CPUs' time in a trial's window.
  public static let stealShare = Metric(
    "steal", "fraction", "Steal share of all CPUs' time in a testbed trial's window; measured only.",
    measuredOnly: true)
  /// The 1-minute load average before a trial.
  public static let loadAverage = Metric(
    "load_average", "1",
    "The machine's 1-minute load average before a testbed trial (with the noise gate) or at the end of its window (without); measured only.",
    measuredOnly: true)
  /// Length of a trial's CPU window (senders started to stopped).
  public static let cpuWindow = Metric(
    "cpu_window", "s",
    "Length of a testbed trial's CPU window, from just before its senders start to just after they stop; measured only.",
    measuredOnly: true)
  /// User CPU-seconds of one pCPU in a trial's window.
  public static let cpuUserSeconds = Metric(
    "cpu_user_seconds", "s",
    "User (and nice) CPU-seconds of one pCPU in a testbed trial's window; measured only.",
    measuredOnly: true)
  /// System CPU-seconds of one pCPU in a trial's window.
  public static let cpuSystemSeconds = Metric(
    "cpu_system_seconds", "s", "System CPU-seconds of one pCPU in a testbed trial's window; measured only.",
    measuredOnly: true)
  /// Softirq CPU-seconds of one pCPU in a trial's window.
  public static let cpuSoftirqSeconds = Metric(
    "cpu_softirq_seconds", "s", "Softirq CPU-seconds of one pCPU in a testbed trial's window; measured only.",
    measuredOnly: true)
  /// Stolen CPU-seconds of one pCPU in a trial's window.
  public static let cpuStealSeconds = Metric(
    "cpu_steal_seconds", "s", "Stolen CPU-seconds of one pCPU in a testbed trial's window; measured only.",
    measuredOnly: true)
  /// NET_TX softirqs per second on one pCPU.
  public static let netTxSoftirqs = Metric(
    "net_tx_softirqs", "1/s", "NET_TX softirqs raised per second on one pCPU; measured only.",
    measuredOnly: true)
  /// Packets one pCPU's softnet processed per second.
  public static let softnetProcessedPps = Metric(
    "softnet_processed_pps", "pps", "Packets one pCPU's softnet processed per second; measured only.",
    measuredOnly: true)
  /// Context switches per second of the whole machine.
  public static let hostSwitches = Metric(
    "host_switches", "1/s",
    "Context switches per second of the whole testbed machine (/proc/stat ctxt), every process's; measured only.",
    measuredOnly: true)
  /// The generator's CPU time in a trial.
  public static let generatorCPUSeconds = Metric(
    "generator_cpu_seconds", "s",
    "CPU-seconds (user + system) the testbed's generators used in one trial (their rusage); measured only.",
    measuredOnly: true)
  /// The generator's CPU time per second of sending.
  public static let generatorCPU = Metric(
    "generator_cpu", "pCPU", "The testbed generators' CPU time per second of sending; measured only.",
    measuredOnly: true)
  /// A forwarding thread's time on a CPU in a trial.
  public static let threadRunTime = Metric(
    "thread_run_time", "s",
    "A forwarding thread's time on a CPU in a testbed trial (schedstat); measured only.",
    measuredOnly: true)
  /// A forwarding thread's time waiting on a run queue in a trial.
  public static let threadWaitTime = Metric(
    "thread_wait_time", "s",
    "A forwarding thread's time waiting on a run queue in a testbed trial (schedstat); measured only.",
    measuredOnly: true)
  /// Timeslices a forwarding thread ran in a trial.
  public static let threadTimeslices = Metric(
    "thread_timeslices", "1",
    "Timeslices a forwarding thread ran in a testbed trial (schedstat); measured only.",
    measuredOnly: true)
  /// A forwarding thread's CPU share of a trial's window.
  public static let threadCPU = Metric(
    "thread_cpu", "pCPU", "A forwarding thread's time on a CPU per second of a testbed trial; measured only.",
    measuredOnly: true)
  /// A forwarding thread's context switches per second.
  public static let threadSwitches = Metric(
    "thread_switches", "1/s",
    "A forwarding thread's context switches (voluntary and involuntary) per second of a testbed trial; measured only.",
    measuredOnly: true)
  /// Frames a router's ingress ring (its veth) refused per second.
  public static let ringDroppedPps = Metric(
    "ring_dropped_pps", "pps",
    "Times per second a testbed router's ingress veth refused a frame (its NAPI ring or backlog full: the feeding veth's tx_dropped plus its own rx_dropped); fed by the generator (netns-direct) the frame is sent again, behind dom0 it is lost; measured only.",
    measuredOnly: true)
  /// CPU time of the forwarding per forwarded packet.
  public static let cpuPerPacket = Metric(
    "cpu_per_packet", "us",
    "CPU time of the routers' forwarding threads (threaded mode) per packet the sink received; measured only.",
    measuredOnly: true)

  // UDP sockets (the netns platforms with `host.generator: iperf3`; the testbed's iperf3
  // generator): the sink namespace's UDP MIB and the iperf3 processes' own CPU time.
  /// Datagrams per second the sink's UDP sockets dropped because a receive buffer was full.
  public static let udpRcvbufErrors = Metric(
    "udp_rcvbuf_errors", "pps",
    "Datagrams per second the sink's UDP sockets dropped with a full receive buffer (UdpRcvbufErrors of the "
      + "sink namespace's /proc/net/snmp; simulated with UDP sockets).")
  /// Datagrams per second the sink's UDP receivers read.
  public static let udpInDatagrams = Metric(
    "udp_in_datagrams", "pps",
    "Datagrams per second the sink's UDP receivers read (UdpInDatagrams of the sink namespace; simulated with "
      + "UDP sockets).")
  /// Datagrams per second the sink's UDP layer counted as errors (buffer drops, bad checksums,
  /// no socket).
  public static let udpInErrors = Metric(
    "udp_in_errors", "pps",
    "Datagrams per second the sink namespace's UDP layer counted as errors (UdpInErrors: buffer drops "
      + "included); measured only.",
    measuredOnly: true)
  /// Datagrams per second the sink's UDP layer found no socket for.
  public static let udpNoPorts = Metric(
    "udp_no_ports", "pps",
    "Datagrams per second the sink namespace's UDP layer found no socket for (UdpNoPorts); measured only.",
    measuredOnly: true)
  /// The receive buffer of the sink's UDP socket.
  public static let udpRcvbuf = Metric(
    "udp_rcvbuf", "B",
    "Receive buffer of a sink UDP socket as the kernel keeps it (sk_rcvbuf, ss -m's rb); measured only.",
    measuredOnly: true)
  /// A process's user time over the window, as a share of one CPU.
  public static let processUser = Metric(
    "process_user", "fraction",
    "A process's own user time over the window as a share of one CPU (scope gen<k>: an iperf3 client, "
      + "iperf3-s<k>: its server; simulated on the netns platforms).")
  /// A process's system time over the window, as a share of one CPU.
  public static let processSystem = Metric(
    "process_system", "fraction",
    "A process's own system time over the window as a share of one CPU (scope gen<k>: an iperf3 client, "
      + "iperf3-s<k>: its server; simulated on the netns platforms).")

  /// Every metric vrsim reports or the measured data may name, in report order.
  public static let all: [Metric] = [
    offeredPps, forwardedPps, frameBps, wireBps, droppedPps, loss, latencyMean, latencyP50, latencyP99,
    latencyMax, jainIndex, switches, notifications, routerNotifications, notificationsPerPacket, boostWakeups,
    utilisation, cpu, delayMean, delayMax, drops, jobSeconds, jobShare, jobResponse,
    benchmarkTime, benchmarkOwnTime, benchmarkWallTime, timerDifference, timerSendTime, cgroupThrottledTime,
    udpGoodputBps,
    udpLoss, sendLatenessMean, sendLatenessP99, targetPps,
    lossVsTarget, sentPackets, receivedPackets, sendTime, generatorCeilingPps, generatorBound,
    generatorDroppedPps, ipForwardedPps, hopForwardedPps, hopDroppedPps, softnetDroppedPps, softnetSqueezed,
    unattributedDroppedPps, softirq, netRxSoftirqs, busyExact, softirqExact, netRxSoftirqExact, ndrPps,
    pdrPps, setupTime,
    shortfall, ndrUpperPps, pdrUpperPps, ndrSpread, pdrSpread, gateQuiet, gateAttempts, foreignCPU,
    stealShare,
    loadAverage, cpuWindow, cpuUserSeconds, cpuSystemSeconds, cpuSoftirqSeconds, cpuStealSeconds,
    netTxSoftirqs,
    softnetProcessedPps, hostSwitches, generatorCPUSeconds, generatorCPU, threadRunTime, threadWaitTime,
    threadTimeslices, threadCPU, processWindowCPU, threadSwitches, ringDroppedPps, cpuPerPacket,
    udpRcvbufErrors,
    udpInDatagrams,
    udpInErrors, udpNoPorts, udpRcvbuf, processUser, processSystem,
  ]

  /// The metric called `name`, if vrsim reports one.
  public static func named(_ name: String) -> Metric? { all.first { $0.name == name } }
}
