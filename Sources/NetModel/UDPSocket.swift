import HostModel
import SimCore

/// A UDP socket in the sink namespace and the process that reads it, as iperf3's server runs:
/// the softirq that delivers a datagram queues it on the socket's receive buffer, or drops it
/// when the buffer is full; the receiver, a process pinned to a CPU, reads one datagram per
/// call and blocks when the buffer is empty.
///
/// Linux (net/ipv4/udp.c, `__udp_enqueue_schedule_skb`): a datagram is refused when the bytes
/// already charged to the socket (`sk_rmem_alloc`, each datagram its skb's truesize) exceed
/// `sk_rcvbuf`; the refusal counts UdpRcvbufErrors and UdpInErrors. So a buffer of B bytes
/// holds floor(B / truesize) + 1 datagrams of one truesize: the bound is a count of datagrams,
/// here `capacity`. `udp_recvmsg` counts UdpInDatagrams when the process reads one.
///
/// The softirq's part (IP local delivery, `udp_rcv`, the queueing) is a hop of the chain that
/// reaches the socket, charged where that chain runs; the receiver's part is a work item per
/// datagram on its own vCPU (`userCycles` + `systemCycles`), scheduled like any process: the
/// first datagram queued on an empty buffer wakes it (`sk_data_ready`), and it reads until the
/// buffer is empty. The first read after such a wake-up also pays `wakeCycles` (the `select` the
/// reader slept in returning: a per-turn cost, not a per-datagram one). No allocation per
/// datagram.
public final class UDPSocket: PacketSink, WorkClient {
  /// `sink.udp0`, ...
  public let name: String
  /// The receive buffer: a drop place (`sink.rcvbuf`), `capacity` datagrams.
  public let buffer: PacketRing
  /// The receiving process's thread (pinned).
  public unowned(unsafe) let vcpu: VCPU
  /// The CPU it is pinned to.
  public let cpu: Int
  /// Cycles per datagram read, in user space and in the kernel.
  public let userCycles: Int64, systemCycles: Int64
  /// Kernel cycles of each wake-up from an empty buffer, paid on the read that follows it.
  public let wakeCycles: Int64
  private var reading = false
  private var woken = false
  /// Whether the reader reads now (false: it sleeps on an empty buffer; the next datagram
  /// queued wakes it).
  public var isReading: Bool { reading }
  /// Set by the softirq run that charged the wake-up of this sleeping reader, until its
  /// datagram wakes it (`SoftirqCPU.chargeRemoteWakes`): one charge per wake-up.
  var wakeCharged = false
  /// Wake-ups of the reader (turns begun on an empty buffer), since the last reset.
  public private(set) var wakeups: UInt64 = 0

  /// Datagrams the receiver read (UdpInDatagrams), since the last reset.
  public private(set) var inDatagrams: UInt64 = 0
  /// The receiver's user and system cycles, since the last reset.
  public private(set) var modes = CPUModeCycles()

  /// Datagrams dropped because the buffer was full (UdpRcvbufErrors), since the last reset.
  public var rcvbufErrors: UInt64 { buffer.windowDrops }

  /// Datagrams a buffer of `bytes` holds when each charges `truesize` bytes: it takes one
  /// more while what is queued is at most `bytes`.
  public static func capacity(rcvbuf bytes: Int64, truesize: Int64) -> Int {
    precondition(bytes >= 1 && truesize >= 1, "a receive buffer and a truesize are >= 1 byte")
    return Int(bytes / truesize) + 1
  }

  /// Creates socket `name` with a buffer of `capacity` datagrams (`capacity(rcvbuf:truesize:)`),
  /// read by a process on `vcpu` (pinned to `cpu`) for `userCycles` + `systemCycles` each, plus
  /// `wakeCycles` (system) on the first read after each wake-up from an empty buffer.
  public init(
    name: String, capacity: Int, flows: Int, vcpu: VCPU, cpu: Int, userCycles: Int64, systemCycles: Int64,
    wakeCycles: Int64 = 0
  ) {
    precondition(userCycles >= 0 && systemCycles >= 0 && wakeCycles >= 0, "costs must be >= 0")
    self.wakeCycles = wakeCycles
    self.name = name
    buffer = PacketRing(name: "sink.rcvbuf", capacity: capacity, flows: flows)
    self.vcpu = vcpu
    self.cpu = cpu
    self.userCycles = userCycles
    self.systemCycles = systemCycles
  }

  /// Queues a datagram (false: the buffer was full, dropped and counted).
  @discardableResult
  public func accept(_ packet: Packet, at now: SimTime) -> Bool {
    guard buffer.accept(packet, at: now) else { return false }
    if !reading {
      reading = true
      woken = true
      wakeCharged = false
      vcpu.submit(self, tag: 0, arg: 0)
    }
    return true
  }

  public func beginWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) -> Int64 {
    let wake = woken ? wakeCycles : 0
    if woken {
      woken = false
      wakeups &+= 1
    }
    modes.user &+= userCycles
    modes.system &+= systemCycles &+ wake
    return userCycles + systemCycles + wake
  }

  public func finishWork(tag: UInt32, arg: UInt64, on vcpu: VCPU, at now: SimTime) {
    _ = buffer.pop()  // freed after the copy (skb_consume_udp): it holds its bytes until then
    inDatagrams &+= 1
    if buffer.isEmpty {
      reading = false
    } else {
      vcpu.submit(self, tag: 0, arg: 0)
    }
  }

  /// Forgets the counters (warm-up deletion).
  public func resetStatistics(from start: SimTime) {
    buffer.resetStatistics(from: start)
    inDatagrams = 0
    wakeups = 0
    modes = CPUModeCycles()
  }
}
