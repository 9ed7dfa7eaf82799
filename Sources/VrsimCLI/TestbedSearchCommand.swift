import ArgumentParser
import Testbed

/// `vrsim testbed search FILE`: NDR and PDR on the real path.
struct TestbedSearchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "search",
    abstract: "Find the no-drop rate (NDR, 0% loss) and partial-drop rate (PDR, 0.5%) on the testbed.",
    discussion: """
      MLRsearch (IETF BMWG draft-ietf-bmwg-mlrsearch, as FD.io CSIT runs it; docs/testbed.md): \
      NDR and PDR in one search between search.low and search.high (or --low/--high, aggregate \
      packets per second), trials growing from --initial-duration to --final-duration; a load \
      is decided by --final-trials full-length trials (duration sum), of which at most \
      --exceed-ratio of the duration may fail. Loss counts against the frames the generator \
      sent; the shortfall of the generator against the load asked for is its own column \
      (shortfall), and a trial short by more than --shortfall-tolerance fails the load as a \
      shortfall, not as loss. The whole search runs --repeat times; each result carries its \
      bracket (ndr_pps and ndr_upper_pps: highest passing, lowest failing load) and the \
      spread over the repeats (ndr_spread). A noise gate reads steal time, the load average \
      and the CPU time of processes that are not the testbed's before and during every \
      trial, repeats a noisy trial (--gate-retries) and flags it (gate_quiet = 0); a search \
      with a flagged trial says so on its first line. The generator's ceiling is measured \
      on the trials' send path at --high, --ceiling-repeats times. Every trial is reported \
      (experiment search or --experiment, the warm-up EXPERIMENT-warmup; set: the scenario \
      with every traffic rate scaled to the trial's load; note: load, phase, duration, \
      repeat, trial), then per repeat and over all repeats the NDR and PDR rows (measured \
      only); the sidecar records the gate's readings and each repeat's brackets.
      """
  )

  @Argument(help: "Scenario file (YAML) with a netns platform.")
  var file: String
  @Option(name: .customLong("set"), help: "Override a key (repeatable).")
  var overrides: [String] = []
  @Option(name: .long, parsing: .unconditional, help: "Lowest aggregate load, packets per second.")
  var low: Double?
  @Option(name: .long, parsing: .unconditional, help: "Highest aggregate load, packets per second.")
  var high: Double?
  @Option(
    name: .long, parsing: .unconditional,
    help: "Relative bracket width to stop at, (upper - lower) / upper (default 0.02).")
  var resolution = 0.02
  @Option(name: .long, parsing: .unconditional, help: "PDR loss bound as a fraction (default 0.005).")
  var pdrLoss = 0.005
  @Option(name: .long, parsing: .unconditional, help: "Duration of the first, shortest trials, seconds.")
  var initialDuration = 1.0
  @Option(name: .long, parsing: .unconditional, help: "Duration of a final (full-length) trial, seconds.")
  var finalDuration = 10.0
  @Option(
    name: .long, parsing: .unconditional,
    help: "Full-length trials a final load needs (its duration sum is this times --final-duration).")
  var finalTrials = 3
  @Option(
    name: .long, parsing: .unconditional,
    help: "Share of a load's duration sum that may fail while it still passes, in [0, 1) (0: every trial).")
  var exceedRatio = 0.5
  @Option(
    name: .long, parsing: .unconditional,
    help: "Largest generator shortfall (1 - sent rate / load) of a passing trial, as a fraction.")
  var shortfallTolerance = 0.01
  @Option(
    name: .long, parsing: .unconditional, help: "Times the whole search runs (the spread is over them).")
  var `repeat` = 3
  @Option(name: .long, parsing: .unconditional, help: "Wait after a trial's senders stop, seconds.")
  var drain = 0.5
  @Option(name: .long, parsing: .unconditional, help: "Ceiling measurements per repeat (1 s each).")
  var ceilingRepeats = 3
  @Flag(name: .long, help: "Run without the noise gate.")
  var noGate = false
  @Option(
    name: .long, parsing: .unconditional,
    help: "Gate: most CPU time of processes that are not the testbed's, pCPU (CPU-seconds per second).")
  var gateForeignCPU = 0.1
  @Option(name: .long, parsing: .unconditional, help: "Gate: most steal share of all CPUs' time.")
  var gateSteal = 0.02
  @Option(
    name: .long, parsing: .unconditional, help: "Gate: highest 1-minute load average (default: the CPUs).")
  var gateLoad: Double?

  // Optional, so that the help shows no "(default: 2)", which reads as a CPU count.
  @Option(name: .long, parsing: .unconditional, help: "Gate: times a noisy trial is repeated (default two).")
  var gateRetries: Int?
  @Option(name: .long, help: "Write the CSV here (and the host facts beside it as .json).")
  var out: String?
  @Option(name: .long, help: "The experiment column of the rows.")
  var experiment = "search"
  @Option(name: .long, help: .testbedGenerator)
  var generator: TestbedGenerator?

  /// The search the options ask for.
  var library: TestbedSearch {
    var c = TestbedSearch(file: file)
    (c.overrides, c.low, c.high, c.resolution, c.pdrLoss) = (overrides, low, high, resolution, pdrLoss)
    (c.initialDuration, c.finalDuration, c.finalTrials) = (initialDuration, finalDuration, finalTrials)
    (c.exceedRatio, c.shortfallTolerance, c.repeat, c.drain) = (
      exceedRatio, shortfallTolerance, `repeat`, drain
    )
    (c.ceilingRepeats, c.noGate, c.gateForeignCPU, c.gateSteal) = (
      ceilingRepeats, noGate, gateForeignCPU, gateSteal
    )
    (c.gateLoad, c.gateRetries, c.out, c.experiment, c.generator) = (
      gateLoad, gateRetries, out, experiment, generator
    )
    return c
  }

  func validate() throws {
    do { try library.validate() } catch { throw ValidationError(error.message) }
  }

  func run() throws {
    let (rows, facts) = try library.collect(version: VrsimVersion.string)
    try TestbedCommon.emit(rows: rows, facts: facts, out: out, announce: false)
  }
}
