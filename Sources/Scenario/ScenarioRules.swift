import HostModel
import Platforms
import SettingText
import SimCore

/// A rule that ties several keys together: each key is valid alone (its declaration checks
/// that), but not with the others. Checked on the decoded scenario, in table order, after every
/// key was read; a broken rule is reported at the key it names (or at the place it gives). An
/// error rule refuses the scenario; a warning rule lets it run and says what is off on stderr.
struct CrossKeyRule: Sendable {
  /// A broken rule: the concrete key path it is reported at, what is wrong, what is allowed,
  /// and where (nil: where the key was written).
  struct Broken {
    var keyPath: String
    var message: String
    var allowed: String
    var at: SourceOrigin? = nil
  }

  /// What a rule reads: the decoded scenario, the scheduler family as written (the decoder
  /// falls back to the platform's own when it does not fit, so that the other keys still read),
  /// and the forwarding mode the profile file states under its retired key, if it does.
  struct Input {
    var spec: ScenarioSpec
    var schedulerKindWritten: SchedulerKind?
    var profileForwarding: StatedForwarding? = nil
    /// Whether `host.udp_receiver_cpu` (or its old spelling) is written.
    var udpReceiverCPUGiven = false
  }

  /// Whether a broken rule refuses the scenario or is a warning.
  enum Severity: Sendable {
    /// Refused: exit 2, the diagnostic at the key.
    case error
    /// Run, with the message on stderr (`ScenarioSource.warnings`).
    case warning
  }

  /// The abstract key the rule is reported at (for the reader of this table).
  let key: String
  /// Error or warning.
  let severity: Severity
  /// Every place the rule is broken (none when it holds).
  let check: @Sendable (Input) -> [Broken]

  init(_ key: String, severity: Severity = .error, _ check: @escaping @Sendable (Input) -> [Broken]) {
    self.key = key
    self.severity = severity
    self.check = check
  }

  /// A rule reported at `key` itself, broken at most once.
  init(_ key: String, _ check: @escaping @Sendable (Input) -> (message: String, allowed: String)?) {
    self.init(key) { input in
      check(input).map { [Broken(keyPath: key, message: $0.message, allowed: $0.allowed)] } ?? []
    }
  }
}

/// Every cross-key rule of a scenario, with its message. Shapes that belong to one structured
/// key (index or indices in an override, routes or routes_file, the keys of an arrival or job
/// kind, a trace's file, an ssh target's host) are part of decoding that key, not rules here.
enum ScenarioRules {
  /// Most packet slots the rings of one simulated host may hold (32 bytes each: 2 GiB).
  static let maxRingSlots = 1 << 26

  static let all: [CrossKeyRule] = [
    CrossKeyRule("scheduler.kind") { input in
      let platform = input.spec.platform
      guard let k = input.schedulerKindWritten, !platform.schedulerKinds.contains(k) else { return nil }
      let fits = platform.schedulerKinds.map(\.rawValue).joined(separator: " or ")
      return (
        "'\(k.rawValue)' does not fit platform \(platform.rawValue)",
        "\(fits) on \(platform.rawValue) (changing the platform with --set? set the scheduler too: "
          + "--set scheduler.kind=\(platform.schedulerKinds[0].rawValue))"
      )
    },
    CrossKeyRule("scheduler.credit2.min_timer") { input in
      let c = input.spec.scheduler.credit2
      guard c.minTimer > c.maxTimer else { return nil }
      return (
        "\(c.minTimer) is above scheduler.credit2.max_timer (\(c.maxTimer))",
        "a duration of at most scheduler.credit2.max_timer"
      )
    },
    // The decoder sets the 1ms default only where it is allowed, so a limit here was written.
    CrossKeyRule("scheduler.ratelimit") { input in
      let s = input.spec.scheduler
      guard s.credit.ratelimit != nil, s.kind != .credit || !s.version.hasRatelimit else { return nil }
      return (
        "a rate limit needs the credit scheduler version 4.2 or 4.3 (here: \(s.kind.rawValue)\(s.kind == .credit ? " \(s.version.rawValue)" : ""))",
        "off, or scheduler.kind credit with scheduler.version \"4.2\" or \"4.3\""
      )
    },
    CrossKeyRule("dom0.pin") { input in
      let cpus = input.spec.host.cpus
      guard let bad = input.spec.dom0.pin.first(where: { $0 >= cpus }) else { return nil }
      return ("CPU \(bad) does not exist (host.cpus is \(cpus))", "CPU numbers from 0 to \(cpus - 1)")
    },
    CrossKeyRule("routers.count") { input in
      let (count, vfs) = (input.spec.routers.count, input.spec.host.nic.vfs)
      guard input.spec.platform.hasVirtualFunctions && count > vfs else { return nil }
      return (
        "\(count) routers need \(count) virtual functions but host.nic.vfs is \(vfs)",
        "at most \(vfs) routers on xen-sriov (one VF each)"
      )
    },
    CrossKeyRule("host.nic.rx_queues") { input in
      let (queues, platform) = (input.spec.host.nic.rxQueues, input.spec.platform)
      guard queues > 1 && !platform.hasDom0ReceiveQueues else { return nil }
      return (
        "\(queues) receive queues, but only dom0's NIC on xen-bridge and xen-router has several",
        "1 on \(platform.rawValue)"
      )
    },
    CrossKeyRule("host.forwarding") { input in
      let (mode, platform) = (input.spec.host.forwarding, input.spec.platform)
      guard mode == .threaded && !platform.forwardsOverVeth else { return nil }
      return (
        "threaded is threaded NAPI on the veth hops of the netns platforms; \(platform.rawValue) has no veth hop "
          + "and would ignore it",
        "softirq (the default) on \(platform.rawValue); threaded on netns-bridge, netns-router or netns-direct"
      )
    },
    CrossKeyRule("host.generator") { input in
      let (generator, platform) = (input.spec.host.generator, input.spec.platform)
      guard generator == .iperf3 && !platform.hasOwnGenerator else { return nil }
      return (
        "iperf3 is the netns platforms' own UDP sender and sink; \(platform.rawValue) takes its traffic from the "
          + "wire and would ignore it",
        "trafgen (the default) on \(platform.rawValue); iperf3 on netns-bridge, netns-router or netns-direct"
      )
    },
    // iperf3 -b paces a constant rate: the model's iperf3 sender and the testbed's iperf3 both
    // send CBR only (the testbed refused other laws; the model read them as if iperf3 could).
    CrossKeyRule("traffic[].arrival") { input in
      guard input.spec.host.generator == .iperf3 else { return [] }
      return input.spec.traffic.enumerated().compactMap { (i, flow) in
        guard flow.arrival != .cbr else { return nil }
        return CrossKeyRule.Broken(
          keyPath: "traffic[\(i)].arrival",
          message:
            "host.generator iperf3 sends CBR only (iperf3 -b paces a constant rate), in the model and on "
            + "the testbed alike",
          allowed:
            "cbr with host.generator iperf3; or host.generator trafgen (the default) for other arrival laws")
      }
    },
    // Checked whenever the CPU is given (a CPU the host does not have is an error whatever the
    // generator, although trafgen does not read it), and with iperf3 when its default stands.
    CrossKeyRule("host.udp_receiver_cpu") { input in
      let host = input.spec.host
      guard (host.generator == .iperf3 || input.udpReceiverCPUGiven) && host.udpReceiverCPU >= host.cpus
      else {
        return nil
      }
      return (
        "CPU \(host.udpReceiverCPU) does not exist (host.cpus is \(host.cpus))",
        "CPU numbers from 0 to \(host.cpus - 1)"
      )
    },
    CrossKeyRule("routers.each.rx_queues") { input in
      let (routers, platform) = (input.spec.routers.perRouter, input.spec.platform)
      guard let i = routers.firstIndex(where: { $0.rxQueues > 1 }), !platform.hasVirtualFunctions else {
        return nil
      }
      return (
        "vr\(i) has \(routers[i].rxQueues) receive queues, but only a router's VF (xen-sriov) has several "
          + "(the split driver's vif and the software links have one queue in the modelled kernels)",
        "1 on \(platform.rawValue)"
      )
    },
    CrossKeyRule("routers.each.pin") { input in
      let cpus = input.spec.host.cpus
      for (i, r) in input.spec.routers.perRouter.enumerated() {
        if let bad = r.pin.first(where: { $0 >= cpus }) {
          return (
            "vr\(i) is pinned to CPU \(bad), which does not exist (host.cpus is \(cpus))",
            "CPU numbers from 0 to \(cpus - 1)"
          )
        }
      }
      return nil
    },
    // Rings are allocated whole: bound the packet slots of the whole path (an upper bound over
    // the platforms' rings per router: a vif's qdisc, netback's rx_queue share and two vif rings,
    // or two backlogs; the NIC's or a VF's queues) so no input can ask for more memory than the
    // machine has.
    CrossKeyRule("routers.count") { input in
      let (costs, nic, routers) = (input.spec.costs, input.spec.host.nic, input.spec.routers)
      let perRouter =
        costs.vifQueue + 2 * costs.backlog + 3 * 256 + nic.rxRing
        * Swift.max(nic.rxQueues, routers.perRouter.map(\.rxQueues).max() ?? 1) + nic.txRing
      guard routers.count * perRouter > maxRingSlots else { return nil }
      return (
        "\(routers.count) routers with rings of \(perRouter) packets each need "
          + "\(routers.count * perRouter) packet slots, more than the limit of \(maxRingSlots) "
          + "(\((maxRingSlots * 32) >> 30) GiB)",
        "fewer routers, or smaller profile.vif_queue, profile.backlog, host.nic.rx_ring, host.nic.tx_ring"
      )
    },
    CrossKeyRule("traffic[].to") { input in
      let count = input.spec.routers.count
      return input.spec.traffic.enumerated().compactMap { (i, flow) in
        guard case .router(let n) = flow.target, n >= count else { return nil }
        return CrossKeyRule.Broken(
          keyPath: "traffic[\(i)].to", message: "vr\(n) does not exist (routers.count is \(count))",
          allowed: "each, all, or vr0 to vr\(max(0, count - 1))")
      }
    },
    CrossKeyRule("workloads[].in") { input in
      let count = input.spec.routers.count
      return (input.spec.workloads ?? []).enumerated().compactMap { (i, job) in
        let router = job.routerIndex.map { (0..<count).contains($0) && job.place == "vr\($0)" } ?? false
        guard job.place != "dom0" && !router else { return nil }
        return CrossKeyRule.Broken(
          keyPath: "workloads[\(i)].in", message: "'\(job.place)' is not a router or dom0",
          allowed: "dom0, or vr0 to vr\(max(0, count - 1)) (routers.count is \(count))")
      }
    },
    CrossKeyRule("run.warmup") { input in
      let run = input.spec.run
      guard run.warmup >= run.duration else { return nil }
      return (
        "the warm-up (\(run.warmup)) is not shorter than run.duration (\(run.duration))",
        "a duration below run.duration"
      )
    },
    CrossKeyRule("run.max_replications") { input in
      let run = input.spec.run
      guard run.maxReplications < run.replications else { return nil }
      return (
        "\(run.maxReplications) is below run.replications (\(run.replications))",
        "an integer from \(run.replications) to 100000"
      )
    },
    CrossKeyRule("search.high") { input in
      guard let s = input.spec.search,
        s.low.packetsPerSecond(meanFrameBytes: 64) >= s.high.packetsPerSecond(meanFrameBytes: 64)
      else { return nil }
      return ("the highest rate is not above search.low", "a rate above search.low")
    },
    // A profile file written before the mode was the host's states one (`netns_forwarding`):
    // it is not read (the model and the testbed must run the same mode from the same scenario);
    // say so, and say it louder when the profile was written for the other mode.
    CrossKeyRule("profile.netns_forwarding", severity: .warning) { input in
      guard let stated = input.profileForwarding else { return [] }
      let used = input.spec.host.forwarding.rawValue
      let head =
        "the forwarding mode is now the scenario's option host.forwarding, not a cost: the profile's "
        + "'\(stated.mode.rawValue)' is not read, this run uses host.forwarding = \(used)"
      let tail =
        stated.mode == input.spec.host.forwarding
        ? " (the same mode); remove the key from the profile"
        : "; the profile was written for \(stated.mode.rawValue) mode and is used for a \(used) scenario: its costs "
          + "were fitted with the other execution contexts (set host.forwarding: \(stated.mode.rawValue) to run "
          + "it as fitted), and remove the key from the profile"
      return [CrossKeyRule.Broken(keyPath: stated.key, message: head + tail, allowed: "", at: stated.origin)]
    },
  ]
}
