import HostModel
import NetModel

/// The CPU cost parameters of every packet-path stage, in cycles of the host clock (so a
/// profile moves between machines of different clock rates), with where they came from.
///
/// `paper2012` is hand-derived from docs/platform-facts.md ("The origin paper"): native Linux forwards
/// ~750 kp/s on one 3.06 GHz core (≈ 4,080 cycles per packet in total); the Xen dom0 bridge
/// path saturates below 150 kp/s and the dom0 router path below 200 kp/s, so dom0's share per
/// packet is ≥ ~20,400 and ≥ ~15,300 cycles; netback/grant operations dominate it (Santos et
/// al., ATC 2008). The two dom0 hops (in and out) explain the ~5,100-cycle difference between
/// the modes, so a bridge hop (with bridge netfilter hooks and a promiscuous NIC) costs ~2,550
/// cycles more than a route lookup; the netback costs are what remains of the router budget:
/// dom0 ≈ 15,700 cycles (router, ~195 kp/s) and ≈ 20,800 (bridge, ~147 kp/s) per packet.
/// The fitted profiles in scenarios/profiles replace these by values fitted to measured data
/// (docs/calibration.md).
public struct CostProfile: Sendable, Codable, Equatable {
  /// Name of the profile.
  public var name = "paper-2012"
  /// Where the numbers come from.
  public var provenance = "hand-derived from docs/platform-facts.md (origin paper figures), not fitted"
  /// How they were obtained: `hand-derived`, or the fitting method.
  public var method = "hand-derived"
  /// The data set they were derived from or fitted to.
  public var dataSet = "docs/platform-facts.md (origin paper, 2012)"
  /// When (ISO 8601 date).
  public var date = "2026-11-25"
  /// Fit residuals (empty: not fitted).
  public var residuals = "none (not fitted)"

  // Linux NIC driver and stack
  /// NIC interrupt entry and exit (per notification).
  public var irq: Int64 = 1_500
  /// One NAPI poll invocation (per batch).
  public var napiPoll: Int64 = 500
  /// Driver receive work per packet (descriptor, skb, netif_receive_skb).
  public var driverRx: Int64 = 1_250
  /// Driver transmit work per packet (qdisc, descriptor, completion).
  public var driverTx: Int64 = 1_150
  /// IP forwarding per packet, excluding the FIB lookup (checks, TTL, neighbour, output).
  public var ipForward: Int64 = 1_400
  /// FIB lookup cost model.
  public var fib = FIBCostModel()
  /// Each extra copy when the bridge floods a frame (skb clone, queueing to a vif).
  public var bridgeFloodCopy: Int64 = 1_000
  /// Linux bridge per packet (MAC table lookup and forwarding).
  public var bridge: Int64 = 4_100

  // Xen split driver
  /// Netback guest-receive per packet: grant copy of the frame into the guest's buffer.
  public var netbackRxPerPacket: Int64 = 4_300
  /// Netback guest-receive per byte copied.
  public var netbackRxPerByte: Double = 1.0
  /// Netback guest-receive per batch (one grant-copy multicall).
  public var netbackRxPerBatch: Int64 = 2_500
  /// Netback guest-transmit per packet: grant map, 72 B header copy, unmap, response.
  public var netbackTxPerPacket: Int64 = 5_100
  /// Netback guest-transmit per batch (one grant-map hypercall, one unmap batch).
  public var netbackTxPerBatch: Int64 = 4_000
  /// Queueing a packet towards a vif in dom0 (vif start_xmit, rx_queue).
  public var vifXmit: Int64 = 700
  /// Event-channel upcall into a domain (per notification received).
  public var eventChannelUpcall: Int64 = 2_000
  /// Sending an event-channel notification (`EVTCHNOP_send` hypercall), paid by the sender per
  /// notification: netback once per guest whose ring it filled in a batch, netfront once per
  /// transmit kick. More guests, more sends per dom0 batch.
  public var eventChannelSend: Int64 = 1_500
  /// Netfront receive per packet (response, skb, refill share).
  public var netfrontRx: Int64 = 1_600
  /// Netfront transmit per packet (request, grant, push).
  public var netfrontTx: Int64 = 1_500
  /// Per-packet penalty of forwarding inside a paravirtual guest (TLB and cache misses after
  /// domain switches: Xenoprof, VEE 2005).
  public var guestForwardPenalty: Int64 = 1_000

  // SR-IOV
  /// Hypervisor interrupt injection into the guest for a VF interrupt (per notification).
  public var sriovInjection: Int64 = 3_000
  /// VF driver receive per packet (igbvf).
  public var vfDriverRx: Int64 = 1_300
  /// VF driver transmit per packet.
  public var vfDriverTx: Int64 = 1_200

  // OpenVZ, VMware, netns
  /// venet hop between the host and a container, per packet and direction.
  public var venetHop: Int64 = 900
  /// VMkernel device emulation per packet and direction.
  public var vmkEmulation: Int64 = 4_500
  /// Offered rate per VM above which VMkernel clusters packets, packets per second.
  public var vmkClusterThresholdPps: Double = 20_000
  /// Interrupt coalescing interval when clustering, in ns.
  public var vmkClusterIntervalNs: Int64 = 100_000
  /// veth hop between namespaces, per packet.
  public var vethHop: Int64 = 600

  // Batching
  /// NAPI weight (packets per poll).
  public var napiWeight = 64
  /// Netback guest-receive batch (slots per multicall: 256 - 18).
  public var netbackRxBatch = 238
  /// Netback guest-transmit batch (pending requests).
  public var netbackTxBatch = 256
  /// netfront's lowest receive-buffer target (mainline RX_DFL_MIN_TARGET 64; the target grows
  /// up to the 256-slot ring under load).
  public var netfrontRxTargetMin = 64
  /// The txqueuelen of a dom0 vif: packets its qdisc holds while netback has stopped the vif's
  /// queue (the guest has no free receive buffer); more are dropped there, before any copy.
  /// netback sets it to `netbk_queue_length` = 32 (drivers/xen/netback/interface.c,
  /// `dev->tx_queue_len = netbk_queue_length`, in the XenLinux and 2.6.32 netbacks; mainline
  /// xen-netback's `XENVIF_QUEUE_LENGTH` is 32 too).
  public var vifQueue = 32
  /// Per-CPU backlog (netdev_max_backlog) for software hops (venet, veth).
  public var backlog = 1_000

  // The netns platforms as Linux runs them on veth (NetnsPath): the in-model generator and
  // sink, the NET_RX softirq's bounds, the threaded mode's rings
  /// The generator's user-space cycles per frame (filling it), charged as user time.
  public var generatorUser: Int64 = 300
  /// The generator's kernel cycles per frame in its send call (packet socket, skb, up to the
  /// veth's transmit), charged as system time.
  public var generatorSystem: Int64 = 1_200
  /// The generator's cycles per send call (syscall entry and exit), system time.
  public var generatorSyscall: Int64 = 700
  /// Frames per send call: 1 = one sendto per frame; more = a TX_RING flushed per burst.
  public var generatorBurst = 1
  /// The sink's blackhole route per frame: IP receive, the FIB lookup that finds the
  /// blackhole, the free (softirq of the CPU the chain runs on).
  public var sinkBlackhole: Int64 = 900
  /// One NET_RX softirq run: do_softirq, net_rx_action and the backlog poll set-up.
  public var softirqEntry: Int64 = 300
  /// dev_weight: backlog entries per process_backlog poll (Linux 64).
  public var devWeight = 64
  /// netdev_budget: backlog entries per NET_RX softirq run before it yields (Linux 300).
  public var netdevBudget = 300
  /// netdev_budget_usecs as a duration: a run stops after this long (Linux 2 jiffies; 8 ms at
  /// HZ=250).
  public var netdevBudgetTimeNs: Int64 = 8_000_000
  /// Frames a threaded veth's ring holds (VETH_RING_SIZE 256).
  public var vethRing = 256
  /// How long the testbed's CPU counters kept running past the senders' send time, during
  /// which the measured CPU was idle (a fit of the data this profile is fitted to; 0 = the
  /// window is the send time, as the testbed counts since 2026-12-05). The netns platforms'
  /// CPU rows are busy time over (send time + this), as that testbed divided them.
  public var testbedWindowExtraNs: Int64 = 0
  /// How much longer the testbed's CPU window is per trafgen sender process, on top of
  /// `testbedWindowExtraNs`: the window runs from before the senders start until the last one
  /// exits, and each process's `ip netns exec`, start-up and exit lie inside it, outside the send
  /// time (validation/netns-window-validation.md, "Why CPU 1 per frame falls with the router
  /// count": 15.2 ms per process measured with 6 ... 10 s trials). The netns CPU rows are busy time
  /// over (send time + `testbedWindowExtraNs` + trafgen senders x this); a process's own CPU row
  /// (the testbed's getrusage over the send time) is not. Not counted for iperf3 senders nor for
  /// the testbed's own sender (not measured). 0 = none (every result as before).
  public var testbedWindowPerSenderNs: Int64 = 0
  /// A testbed trial's nominal length: it sends (target rate x this) frames, so a trial whose
  /// sender falls short of the target sends for longer (its send time, which the CPU window
  /// covers). Only read when the window is longer than the send time (`testbedWindowExtraNs` or
  /// `testbedWindowPerSenderNs` > 0).
  public var testbedTrialNs: Int64 = 1_000_000_000
  /// trafgen's rate shaper window (`--rate N pps`): the sender sends each window's frames back
  /// to back from the window's start, then sleeps to its end (netsniff-ng trafgen.c,
  /// `shaper_delay`: 1 s). 0 = each frame leaves at its own departure time (paced).
  public var generatorWindowNs: Int64 = 0
  /// Share of every CPU that the machine's background work (kernel threads, other daemons: not
  /// the testbed's) keeps busy, in millionths of a percent (1% = 1,000,000); the netns
  /// platforms' CPU rows count it on top of the modelled work, in the CPU's idle time (0 = none).
  public var cpuBackground: Int64 = 0
  /// One context switch between two Linux tasks on a CPU (the netns platforms' senders, kernel
  /// threads and ksoftirqd), direct cost, cycles; the netns platforms charge it on every switch
  /// instead of the Xen domain switch costs (`context_switch*`). The default is a process
  /// switch's direct cost, 3.8 us (Li, Ding, Shen 2007; docs/platform-facts.md), at 3.06 GHz.
  public var linuxContextSwitch: Int64 = 11_600
  /// A sender's extra work after a switch from another sender on its CPU (two trafgen processes
  /// time-sharing the generator's CPU: the incoming one refills what the other evicted), cycles,
  /// on top of `linuxContextSwitch`; 0 = none. Identified with N trafgen processes sharing one
  /// CPU, to the sink (scripts/netns-sender-share.py).
  public var linuxSwitchRefill: Int64 = 0
  /// The part of `vethHop` paid once per poll rather than per frame (the poll's set-up: the
  /// NAPI or backlog poll entry, its ring bookkeeping and flush), cycles. In softirq mode every
  /// frame's chain is a run of its own, so a crossing costs `vethHop` either way; a threaded
  /// NAPI poll (and the softirq run after it) takes up to `napi_weight` frames and pays this
  /// once per poll per crossing. 0 = all of `vethHop` per frame. Above `vethHop` it counts as
  /// `vethHop`.
  public var vethPoll: Int64 = 0
  /// netns platforms: cycles per frame byte of one veth crossing with the work of the namespace it
  /// enters, on top of `vethHop` and that work's per-frame cycles; 0 = none (every netns result
  /// as before). Linux does not copy the payload on a same-host veth crossing
  /// (`__dev_forward_skb`: orphan, scrub, `eth_type_trans` over the 14-byte header), nor in IP
  /// forwarding or bridging (header-only, unless `skb_cow` must copy a cloned head), nor in the
  /// softirq's UDP delivery (the copy to user space is the receiver's `recvmsg`, in
  /// `udpRecvSystem`). So this is a measured figure, not a copy: what a larger frame adds per
  /// crossing (its cache lines touched through the chain, its skb's size), identified from the
  /// NET_RX softirq share of the sending CPU at 1518 B against the per-frame hop costs fitted at
  /// 64 B.
  public var vethPerByte: Double = 0
  /// netns platforms: the cycles a route lookup adds in a namespace with policy-routing rules,
  /// charged on each of netns-router's dom0 IP-forward hops (the testbed routes there with
  /// `ip rule iif ... table ...`); 0 = none (every netns result as before). With custom rules,
  /// `fib_lookup` walks the rule list (`fib_rules_lookup`, `fib4_rule_action`, a table lookup
  /// per rule tried) instead of the main table alone, and `fib_validate_source` takes its full
  /// check, a reverse-path lookup through the rules again, even with rp_filter off
  /// (net/ipv4/fib_frontend.c: `fib4_has_custom_rules` sends it to `__fib_validate_source`).
  /// The router namespaces and the sink have no rules, so their lookups do not pay it. Per
  /// frame, whatever its size (perf on this machine: about 1,800 cycles per dom0 lookup at 64
  /// and at 1518 B; validation/netns-udp-validation.md, "The router hop").
  public var fibRules: Int64 = 0
  /// netns platforms: the CPU a trafgen sender process uses outside its send loop in one testbed
  /// trial, cycles per process per trial: `ip netns exec` entering the namespace, trafgen's
  /// start-up (its packet configuration, the socket and ring set-up) and its exit. The testbed
  /// counts a generator's CPU as the whole process (getrusage of the waited-for children), so
  /// each trafgen sender adds this once per trial, in system time on its CPU and in its own CPU
  /// row, outside the simulated send time: a row over the send time gets
  /// senders x this / (clock x send time), a row over the testbed's counter window (with
  /// `testbedWindowExtraNs` > 0) the same cycles over that window. A run's measured window is one
  /// trial. Not charged for iperf3 senders (not measured) nor for the testbed's own sender
  /// (Poisson, on-off flows). 0 = none (every result as before).
  public var generatorStart: Int64 = 0

  // UDP sockets: the netns generator and sink as iperf3 runs them (the scenario's
  // `host.generator: iperf3`, `PlatformSpec.generator`)
  /// The UDP sender's user-space cycles per datagram (iperf3 filling and accounting a
  /// datagram, its rate check), user time.
  public var udpSendUser: Int64 = 1_000
  /// The UDP sender's kernel cycles per datagram: one sendto (syscall entry and exit, socket
  /// lookup, skb allocation and copy, the UDP and IP output path up to the veth's transmit),
  /// system time.
  public var udpSendSystem: Int64 = 4_000
  /// iperf3's pacing timer: a rate-limited client checks its average rate since the test
  /// began once per tick and, when it is below the target, sends datagrams back to back until
  /// it is not (iperf3 `--pacing-timer`, default 1,000 us; iperf_api.c `iperf_check_throttle`).
  public var udpPacingNs: Int64 = 1_000_000
  /// The UDP sender's cycles per wake-up on a pacing tick after it slept (iperf3's select
  /// returning, its timer list, the rate check; the CPU's exit from idle), system time. 0 = free.
  public var udpWakeup: Int64 = 0
  /// The sink's UDP receive per datagram, in the softirq of the CPU that runs the chain: IP
  /// local delivery (the FIB lookup that finds the local address), `udp_rcv`, the socket
  /// lookup and the queueing to the socket (or the drop when its buffer is full).
  public var udpDeliver: Int64 = 1_500
  /// The UDP receiver's user-space cycles per datagram (iperf3's server loop: its select and
  /// its accounting of the datagram), user time.
  public var udpRecvUser: Int64 = 1_000
  /// The UDP receiver's kernel cycles per datagram (select and recvmsg: the copy to user
  /// space, the skb free), system time.
  public var udpRecvSystem: Int64 = 3_000
  /// The UDP receiver's kernel cycles per wake-up: once per turn, on the first datagram it
  /// reads after it blocked on an empty buffer (iperf3's server returning from the `select`
  /// it slept in: the wake-up of the poll wait, the fds polled again), system time, on top of
  /// `udpRecvSystem`. 0 = none (every read costs the same).
  public var udpRecvWakeup: Int64 = 0
  /// The softirq's cycles to wake a UDP reader that sleeps on another CPU: once per wake-up,
  /// by the run that queues the first datagram on the reader's empty buffer, when the reader
  /// is pinned to a CPU other than the softirq's (a wake-up across CPUs: the remote wake list,
  /// the IPI or the idle CPU's polling flag, the socket's cache lines moving; an IPI is a VM
  /// exit in a guest). In the softirq's time on the delivering CPU, so in the sender's process
  /// time there too (no IRQ time accounting). 0 = free.
  public var udpWakeRemote: Int64 = 0
  /// The receive buffer of each sink socket, bytes (`sk_rcvbuf`: the kernel keeps twice what
  /// SO_RCVBUF asks; Linux's default net.core.rmem_default is 212,992): a datagram is queued
  /// while the bytes already queued are at most this, else dropped (UdpRcvbufErrors).
  public var udpRcvbuf: Int64 = 212_992
  /// Bytes one queued datagram charges to the receive buffer (its skb's truesize: the data
  /// buffer and `struct sk_buff`; 2,304 for a 1,472 B datagram in a 2 KiB buffer).
  public var udpTruesize: Int64 = 2_304

  // Costs that grow with the number of routers (each 0 = off; docs/DESIGN.md, README "Costs
  // that grow with the router count")
  /// dom0 per vif it serves and batch: netback walking its vifs (schedule list, per-vif state)
  /// and the bridge's forwarding database, cycles (xen-bridge, xen-router; 0 = off).
  public var vifScan: Int64 = 0
  /// Xen's time to deliver one event (event channel or physical interrupt: `evtchn_set_pending`,
  /// the upcall set-up) on top of the receiver's own handling, cycles per notification taken
  /// by a stage of a Xen platform (0 = off).
  public var eventDelivery: Int64 = 0
  /// Working set of dom0 (or of the host kernel of the container platforms' `dom0`-kind
  /// domain), bytes, for the working-set refill (`cache_refill`; 0 = none).
  public var dom0Footprint: Int64 = 0
  /// Working set of each router guest or container, bytes (0 = none).
  public var guestFootprint: Int64 = 0

  // Host
  /// What a context switch costs (direct and warm-up parts), see `ContextSwitchCosts`.
  public var contextSwitch = ContextSwitchCosts()

  /// The hand-derived profile of the origin paper's testbeds.
  public static let paper2012 = CostProfile()

  /// The paper-2012 profile with a native path that costs exactly `cycles` per packet
  /// (driver receive 1,200 + IP forward 1,400 + route-cache lookup 135 + driver transmit, the
  /// rest) and nothing per batch or interrupt: a single-stage server whose saturation is
  /// clock / `cycles` packets per second (4,080 cycles at 3.06 GHz: 750,000 pps). Reference
  /// for saturation and throughput-search checks.
  public static func flatNative(cyclesPerPacket cycles: Int64) -> CostProfile {
    var p = CostProfile.paper2012
    p.irq = 0
    p.napiPoll = 0
    p.driverRx = 1_200
    p.ipForward = 1_400
    p.fib.baseCycles = 120
    p.fib.hitCycles = 15
    p.driverTx = cycles - 1_200 - 1_400 - 135
    precondition(p.driverTx >= 0, "a native path costs at least 2,735 cycles here")
    return p
  }

  /// Creates the default (paper-2012) profile.
  public init() {}
}
