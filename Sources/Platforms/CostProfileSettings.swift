import HostModel
import NetModel
import SimCore

// Every cost of a profile, declared once: its key in profile files and under `profile.` in
// scenarios and `--set`, its unit, valid range, calibration bounds and meaning, bound to the
// `CostProfile` property the packet paths read. Defaults are `CostProfile()`'s (paper-2012).
// Calibration bounds are wide (about 0 ... 4x the hand-derived value, more where the paper's
// figures leave a cost weakly constrained): they bound the search, they are no claim.

extension FIBCostModel {
  /// Settings of the FIB lookup cost model.
  public static let settings: [Setting<FIBCostModel>] = [
    .cycles(
      "fib_base", \.baseCycles, fit: 0...2_000, "Fixed cost of a FIB lookup (hashing, function calls)."),
    .cycles("fib_hit", \.hitCycles, fit: 0...200, "A FIB memory access that hits the last-level cache."),
    .cycles(
      "fib_miss", \.missCycles, fit: 0...2_000, "A FIB memory access that misses the last-level cache."),
    .integer(
      "fib_cache", \.cacheBytes, 4_096...1_099_511_627_776, unit: .bytes,
      "Bytes of last-level cache available to the routing table."),
  ]
}

extension CostProfile {
  // Priors of a Bayesian calibration (`vrsim calibrate --method posterior`), each with its
  // source. The native path's whole per-packet budget is 4,080 cycles (750 kp/s on one
  // 3.06 GHz core, platform-facts.md), so no one part of it can cost more; RouteBricks (SOSP
  // 2009) forwards for 1,000-1,500 cycles per packet in all, so a part costs at least a tenth
  // of that. The bridge-mode budget is at least 20,400 cycles per packet (< 150 kp/s).
  static let nativePartPrior = PriorDistribution.logUniform(
    150...4_080,
    source: "a part of the native path: at most its 4,080-cycle budget (750 kp/s on 3.06 GHz, paper Fig. 9), "
      + "at least a tenth of RouteBricks' 1,000-1,500 cycles per packet (SOSP 2009); scale known to an order "
      + "of magnitude")
  static let xenPathPrior = PriorDistribution.uniform(
    0...20_000,
    source: "a part of the Xen bridge path: at most its >= 20,400-cycle budget per packet (< 150 kp/s on "
      + "3.06 GHz, paper Fig. 9); no lower bound beyond 0 (Santos et al., ATC 2008, give shares, not cycles)")

  /// Descriptive keys of a profile file (text, not costs): where the numbers come from.
  public static let provenanceKeys:
    [(key: String, path: any WritableKeyPath<CostProfile, String> & Sendable, doc: String)] =
      [
        ("name", \.name, "Name of the profile."),
        ("provenance", \.provenance, "Where the numbers come from."),
        ("method", \.method, "How they were obtained: hand-derived, or the fitting method."),
        ("data_set", \.dataSet, "The data set they were derived from or fitted to."),
        ("date", \.date, "When (ISO 8601 date)."),
        ("residuals", \.residuals, "Fit residuals, or why there are none."),
      ]

  /// Every cost and batching parameter, in profile-file order.
  public static let settings: [Setting<CostProfile>] =
    [
      .cycles("irq", \.irq, fit: 0...10_000, "NIC interrupt entry and exit, per notification."),
      .cycles("napi_poll", \.napiPoll, fit: 0...5_000, "One NAPI poll invocation, per batch."),
      .cycles(
        "driver_rx", \.driverRx, fit: 0...10_000, prior: nativePartPrior,
        "Driver receive work per packet (descriptor, skb, netif_receive_skb)."),
      .cycles(
        "driver_tx", \.driverTx, fit: 0...10_000,
        "Driver transmit work per packet (qdisc, descriptor, completion)."),
      .cycles(
        "ip_forward", \.ipForward, fit: 0...10_000, prior: nativePartPrior,
        "IP forwarding per packet, excluding the FIB lookup (checks, TTL, neighbour, output)."),
    ]
    + FIBCostModel.settings.map { $0.mounted(at: \CostProfile.fib, prefix: "") }
    + [
      .cycles(
        "bridge_flood_copy", \.bridgeFloodCopy, fit: 0...10_000,
        "Each extra copy when the bridge floods a frame (skb clone, queueing to a vif)."),
      .cycles(
        "bridge", \.bridge, fit: 0...20_000, prior: xenPathPrior,
        "Linux bridge per packet (MAC table lookup and forwarding)."),
      .cycles(
        "netback_rx_per_packet", \.netbackRxPerPacket, fit: 0...20_000, prior: xenPathPrior,
        "Netback guest-receive per packet: grant copy of the frame into the guest's buffer."),
      .real(
        "netback_rx_per_byte", \.netbackRxPerByte, 0...1_000, unit: .cyclesPerByte,
        calibration: CalibrationBounds(0...10), "Netback guest-receive per byte copied."),
      .cycles(
        "netback_rx_per_batch", \.netbackRxPerBatch, fit: 0...20_000,
        "Netback guest-receive per batch (one grant-copy multicall)."),
      .cycles(
        "netback_tx_per_packet", \.netbackTxPerPacket, fit: 0...20_000, prior: xenPathPrior,
        "Netback guest-transmit per packet: grant map, 72 B header copy, unmap, response."),
      .cycles(
        "netback_tx_per_batch", \.netbackTxPerBatch, fit: 0...20_000,
        "Netback guest-transmit per batch (one grant-map hypercall, one unmap batch)."),
      .cycles(
        "vif_xmit", \.vifXmit, fit: 0...5_000,
        "Queueing a packet towards a vif in dom0 (vif start_xmit, rx_queue)."),
      .cycles(
        "event_channel_upcall", \.eventChannelUpcall, fit: 0...10_000,
        prior: .uniform(
          0...10_000,
          source: "an upcall is an interrupt-like entry into a guest: 0 ... its calibration bound; a VM "
            + "switch costs 1.4-9 us (Denali, OSDI 2002), 4,300-27,500 cycles, an upper scale"),
        "Event-channel upcall into a domain, per notification received."),
      .cycles(
        "event_channel_send", \.eventChannelSend, fit: 0...10_000,
        "Sending an event-channel notification (EVTCHNOP_send hypercall), paid by the sender."),
      .cycles(
        "netfront_rx", \.netfrontRx, fit: 0...10_000,
        "Netfront receive per packet (response, skb, refill share)."),
      .cycles(
        "netfront_tx", \.netfrontTx, fit: 0...10_000, "Netfront transmit per packet (request, grant, push)."),
      .cycles(
        "guest_forward_penalty", \.guestForwardPenalty, fit: 0...10_000,
        "Per-packet penalty of forwarding inside a paravirtual guest (TLB and cache misses; Xenoprof, VEE 2005)."
      ),
      .cycles(
        "sriov_injection", \.sriovInjection, fit: 0...20_000,
        "Hypervisor interrupt injection into the guest for a VF interrupt, per notification."),
      .cycles("vf_driver_rx", \.vfDriverRx, fit: 0...10_000, "VF driver (igbvf) receive per packet."),
      .cycles("vf_driver_tx", \.vfDriverTx, fit: 0...10_000, "VF driver transmit per packet."),
      .cycles(
        "venet_hop", \.venetHop, fit: 0...10_000,
        "venet hop between the host and a container, per packet and direction."),
      .cycles(
        "vmk_emulation", \.vmkEmulation, fit: 0...20_000,
        "VMkernel device emulation per packet and direction."),
      .real(
        "vmk_cluster_threshold", \.vmkClusterThresholdPps, 1...1_000_000_000, unit: .packetsPerSecond,
        "Offered rate per VM above which VMkernel clusters packets."),
      .integer64(
        "vmk_cluster_interval", \.vmkClusterIntervalNs, 1_000...1_000_000_000, unit: .nanoseconds,
        "Interrupt coalescing interval while VMkernel clusters packets."),
      .cycles(
        "veth_hop", \.vethHop, fit: 0...10_000,
        prior: .logUniform(
          100...10_000,
          source: "a veth hop is a queue and a softirq in one kernel: above a cache-resident enqueue "
            + "(~100 cycles), below the netns bridge path's whole ~21,000-cycle budget (118 kp/s on "
            + "2.5 GHz, netns-vm-fit)"), "veth hop between namespaces, per packet."),
      .integer("napi_weight", \.napiWeight, 1...4_096, "NAPI weight: packets per poll (Linux default 64)."),
      .integer(
        "netback_rx_batch", \.netbackRxBatch, 1...4_096,
        "Netback guest-receive batch: slots per grant-copy multicall (256 - 18)."),
      .integer(
        "netback_tx_batch", \.netbackTxBatch, 1...4_096, "Netback guest-transmit batch: pending requests."),
      .integer(
        "netfront_rx_target_min", \.netfrontRxTargetMin, 1...256,
        "netfront's lowest receive-buffer target (RX_DFL_MIN_TARGET 64); it grows up to the 256-slot ring."),
      .integer(
        "vif_queue", \.vifQueue, 1...1_000_000,
        "txqueuelen of a dom0 vif: packets its qdisc holds while netback's queue is stopped (no free guest "
          + "buffer); netback sets netbk_queue_length = 32 (drivers/xen/netback/interface.c)."),
      .integer(
        "backlog", \.backlog, 1...1_000_000,
        "Per-CPU backlog (netdev_max_backlog) of the software hops (venet, veth)."),
    ]
    + ContextSwitchCosts.settings.map { $0.mounted(at: \CostProfile.contextSwitch, prefix: "") }
    + [
      .cycles(
        "vif_scan", \.vifScan, fit: 0...5_000,
        "dom0 per vif it serves and per batch (netback walking its vifs, the bridge's forwarding database); 0 = off."
      ),
      .cycles(
        "event_delivery", \.eventDelivery, fit: 0...10_000,
        "Xen's time to deliver an event or interrupt, per notification taken on a Xen platform; 0 = off."),
      .integer64(
        "dom0_footprint", \.dom0Footprint, 0...1_099_511_627_776, unit: .bytes,
        calibration: CalibrationBounds(0...16_777_216),
        "Working set of dom0 for the working-set refill (cache_refill); 0 = none."),
      .integer64(
        "guest_footprint", \.guestFootprint, 0...1_099_511_627_776, unit: .bytes,
        calibration: CalibrationBounds(0...16_777_216),
        "Working set of each router guest or container for the working-set refill; 0 = none."),
    ]
    + [
      .cycles(
        "generator_user", \.generatorUser, fit: 0...20_000,
        "netns generator: user-space cycles per frame (user time on its CPU)."),
      .cycles(
        "generator_system", \.generatorSystem, fit: 0...20_000,
        "netns generator: kernel cycles per frame in its send call, up to the veth's transmit (system time)."),
      .cycles(
        "generator_syscall", \.generatorSyscall, fit: 0...20_000,
        "netns generator: cycles per send call (syscall entry and exit; system time)."),
      .integer(
        "generator_burst", \.generatorBurst, 1...4_096,
        "netns generator: frames per send call (1 = a sendto per frame; more = a TX_RING flushed per burst)."),
      .cycles(
        "sink_blackhole", \.sinkBlackhole, fit: 0...20_000,
        "netns sink: IP receive, the FIB lookup that finds the blackhole route, the free, per frame."),
      .cycles(
        "softirq_entry", \.softirqEntry, fit: 0...20_000,
        "One NET_RX softirq run (do_softirq, net_rx_action, the backlog poll set-up)."),
      .integer(
        "dev_weight", \.devWeight, 1...65_536, "dev_weight: backlog entries per backlog poll (Linux 64)."),
      .integer(
        "netdev_budget", \.netdevBudget, 1...1_000_000,
        "netdev_budget: backlog entries per NET_RX softirq run before the rest goes to ksoftirqd (Linux 300)."
      ),
      .integer64(
        "netdev_budget_time", \.netdevBudgetTimeNs, 1_000...1_000_000_000, unit: .nanoseconds,
        "netdev_budget_usecs: longest NET_RX softirq run (Linux 2 jiffies, 8 ms at HZ=250)."),
      .integer(
        "veth_ring", \.vethRing, 1...65_536,
        "Frames a threaded veth's ring holds (VETH_RING_SIZE 256): the threaded mode's drop place vrN.veth.rx."
      ),
      .integer64(
        "testbed_window_extra", \.testbedWindowExtraNs, 0...60_000_000_000, unit: .nanoseconds,
        calibration: CalibrationBounds(0...2_000_000_000),
        "netns CPU rows: how long the testbed's CPU counters ran past the send time, idle (the 2026-12-02 "
          + "testbed: sender start-up, the 100 ms drain and the counter reads; 0 = the send time alone)."),
      .integer64(
        "testbed_window_per_sender", \.testbedWindowPerSenderNs, 0...60_000_000_000, unit: .nanoseconds,
        "netns CPU rows: how much longer the testbed's CPU window is per trafgen sender process (its ip netns "
          + "exec, start-up and exit inside the window, outside the send time); a process's own row is over the "
          + "send time; 0 = none."),
      .integer64(
        "testbed_trial", \.testbedTrialNs, 1_000_000...3_600_000_000_000, unit: .nanoseconds,
        "netns CPU rows: the testbed trial's nominal length (it sends target rate x this many frames; a "
          + "sender short of its target sends for longer); read only with testbed_window_extra or "
          + "testbed_window_per_sender > 0."),
      .integer64(
        "generator_window", \.generatorWindowNs, 0...3_600_000_000_000, unit: .nanoseconds,
        "netns generator: trafgen's rate shaper window; each window's frames leave back to back from its "
          + "start (trafgen --rate: 1 s, netsniff-ng trafgen.c shaper_delay); 0 = each frame at its own time."
      ),
      .integer64(
        "cpu_background", \.cpuBackground, 0...100_000_000, unit: .millionthsOfAPercent,
        "netns CPU rows: percent of every CPU busy with the machine's background work (not the testbed's), "
          + "counted in the CPU's idle time; 0 = none."),
      .cycles(
        "linux_context_switch", \.linuxContextSwitch, fit: 0...50_000,
        "netns platforms: one context switch between Linux tasks on a CPU (senders, kernel threads), direct "
          + "cycles, charged instead of the Xen domain-switch costs (default: 3.8 us, Li, Ding, Shen 2007)."),
      .cycles(
        "linux_switch_refill", \.linuxSwitchRefill, fit: 0...2_000_000,
        "netns generator: a sender's extra work after a switch from another sender on its CPU (trafgen "
          + "processes time-sharing it), on top of linux_context_switch; 0 = none."),
      .cycles(
        "veth_poll", \.vethPoll, fit: 0...10_000,
        "netns threaded mode: the part of veth_hop paid once per poll, not per frame (a threaded NAPI poll "
          + "and the softirq run after it take up to napi_weight frames); 0 = all per frame."),
      .real(
        "veth_per_byte", \.vethPerByte, 0...1_000, unit: .cyclesPerByte,
        calibration: CalibrationBounds(0...20),
        "netns platforms: cycles per frame byte of each veth crossing with its namespace's work (forward, "
          + "bridge, sink), on top of the per-frame hop costs; no payload copy (same-host veth, header-only "
          + "forwarding): a measured figure; 0 = none."),
      .cycles(
        "fib_rules", \.fibRules, fit: 0...50_000,
        "netns-router: cycles a route lookup adds in a namespace with policy-routing rules (dom0's ip rule "
          + "iif ...: fib_rules_lookup, and fib_validate_source's full reverse-path check), per dom0 IP-forward "
          + "hop; per frame, any size; 0 = none."),
      .cycles(
        "generator_start", \.generatorStart, fit: 0...50_000_000,
        "netns generator: a trafgen process's CPU outside its send loop (ip netns exec, start-up, exit), cycles "
          + "per CBR sender and trial; system time on its CPU, counted in the CPU rows over the trial's window; "
          + "0 = none."),
      // UDP sockets: the netns generator and sink as iperf3 runs them (host.generator: iperf3)
      .cycles(
        "udp_send_user", \.udpSendUser, fit: 0...50_000,
        "netns UDP sender: user-space cycles per datagram (iperf3 filling and counting it; user time)."),
      .cycles(
        "udp_send_system", \.udpSendSystem, fit: 0...50_000,
        "netns UDP sender: kernel cycles per datagram, one sendto up to the veth's transmit (UDP/IP output)."),
      .integer64(
        "udp_pacing", \.udpPacingNs, 1_000...1_000_000_000, unit: .nanoseconds,
        "netns UDP sender: iperf3's pacing timer; each tick it sends back to back while its average rate "
          + "since the start is below the target (iperf3 --pacing-timer, default 1000 us)."),
      .cycles(
        "udp_wakeup", \.udpWakeup, fit: 0...1_000_000,
        "netns UDP sender: cycles per wake-up on a pacing tick after a sleep (iperf3's select and timers, the "
          + "CPU's exit from idle; system time); 0 = free."),
      .cycles(
        "udp_deliver", \.udpDeliver, fit: 0...50_000,
        "netns UDP sink: IP local delivery, udp_rcv, socket lookup and queueing, per datagram (softirq)."),
      .cycles(
        "udp_recv_user", \.udpRecvUser, fit: 0...50_000,
        "netns UDP receiver: user-space cycles per datagram (iperf3's server loop; user time)."),
      .cycles(
        "udp_recv_system", \.udpRecvSystem, fit: 0...50_000,
        "netns UDP receiver: kernel cycles per datagram (select and recvmsg, copy out, free; system time)."),
      .cycles(
        "udp_recv_wakeup", \.udpRecvWakeup, fit: 0...100_000,
        "netns UDP receiver: kernel cycles per wake-up, on the first datagram read after it blocked on an "
          + "empty buffer (select's return from its sleep; system time); 0 = none."),
      .cycles(
        "udp_wake_remote", \.udpWakeRemote, fit: 0...100_000,
        "netns UDP sink: softirq cycles to wake a reader sleeping on another CPU, once per wake-up, on the "
          + "delivering CPU (the cross-CPU wake-up, its IPI: a VM exit in a guest); 0 = free."),
      .integer64(
        "udp_rcvbuf", \.udpRcvbuf, 1...1_073_741_824, unit: .bytes,
        "netns UDP sink: each socket's receive buffer (sk_rcvbuf, twice SO_RCVBUF; Linux default 212992); "
          + "a datagram is dropped (UdpRcvbufErrors) when the bytes queued exceed it."),
      .integer64(
        "udp_truesize", \.udpTruesize, 1...1_048_576, unit: .bytes,
        "netns UDP sink: bytes a queued datagram charges to the receive buffer (skb truesize)."),
    ]
}
