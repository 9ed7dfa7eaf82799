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

  /// A metric; use the catalogue below rather than making new ones ad hoc.
  public init(_ name: String, _ unit: String, _ doc: String) {
    self.name = name
    self.unit = unit
    self.doc = doc
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

  // Measured only (the testbed's benchmarks and the origin paper's Figs. 5-6): no model of
  // vrsim produces them, so calibration and validation list their rows as not simulated.
  /// Execution time of one round of a testbed benchmark (Super Pi, MASR, Bonnie++, ZFG).
  public static let benchmarkTime = Metric(
    "benchmark_time", "s",
    "Execution time of one round of a testbed benchmark (Super Pi, MASR, Bonnie++, ZFG); measured only.")

  /// Every metric vrsim reports or the measured data may name, in report order.
  public static let all: [Metric] = [
    offeredPps, forwardedPps, frameBps, wireBps, droppedPps, loss, latencyMean, latencyP50, latencyP99,
    latencyMax, jainIndex, switches, notifications, notificationsPerPacket, boostWakeups, utilisation, cpu,
    delayMean, delayMax, drops, jobSeconds, jobShare, jobResponse, benchmarkTime,
  ]

  /// The metric called `name`, if vrsim reports one.
  public static func named(_ name: String) -> Metric? { all.first { $0.name == name } }
}
