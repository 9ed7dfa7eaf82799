import Foundation
import NetModel
import SimCore

#if canImport(Glibc)
  import Glibc
#endif

/// An Ethernet + IPv4 + UDP frame, laid out as `Trafgen.frame` lays out trafgen's (the same
/// addresses, ports 1024 -> 1024, TTL 64, DF set, UDP checksum 0, zero padding).
public enum UDPFrame {
  /// The frame's bytes as they are handed to the socket: `bytes` counts the 4-byte FCS the
  /// NIC adds (veth adds none), so `bytes - 4` bytes are returned.
  public static func bytes(srcMAC: String, dstMAC: String, source: String, destination: String, bytes: Int)
    -> [UInt8]
  {
    precondition(bytes >= 64 && bytes <= 1518, "frame size \(bytes) B is outside 64 ... 1518 B")
    func mac(_ m: String) -> [UInt8] { m.split(separator: ":").map { UInt8($0, radix: 16) ?? 0 } }
    func ip(_ a: String) -> [UInt8] { a.split(separator: ".").map { UInt8($0) ?? 0 } }
    let ipLength = bytes - 4 - 14
    let udpLength = ipLength - 20
    var f = mac(dstMAC) + mac(srcMAC) + [0x08, 0x00]
    var header: [UInt8] = [
      0x45, 0x00, UInt8(ipLength >> 8), UInt8(ipLength & 0xff), 0, 0, 0x40, 0x00, 64, 17, 0, 0,
    ]
    header += ip(source) + ip(destination)
    let sum = ExternalTimer.checksum(header)
    header[10] = UInt8(sum >> 8)
    header[11] = UInt8(sum & 0xff)
    f += header
    f += [0x04, 0x00, 0x04, 0x00, UInt8(udpLength >> 8), UInt8(udpLength & 0xff), 0, 0]
    f += [UInt8](repeating: 0, count: udpLength - 8)
    return f
  }
}

/// What one run of the testbed's own sender does (`vrsim testbed _send --job FILE`, written by
/// `TrafficTrial`): the flows of the scenario, the routers whose flows leave through this
/// device with each one's addresses, and the seed of the draws.
public struct SenderJob: Codable, Sendable, Equatable {
  /// The addresses of the frames toward one router.
  public struct Addresses: Codable, Sendable, Equatable {
    /// The router (0-based).
    public var router: Int
    /// Source and destination MAC (`aa:bb:...`).
    public var srcMAC: String
    /// Destination MAC: the next hop's.
    public var dstMAC: String
    /// Source IPv4 address.
    public var source: String
    /// Destination IPv4 address.
    public var destination: String
  }
  /// The interface to send on (in the namespace the sender runs in).
  public var device: String
  /// Every flow of the trial (the stream names depend on all of them).
  public var flows: [FlowSpec]
  /// The routers sent to through this device, with their frames' addresses.
  public var addresses: [Addresses]
  /// Seed and replication of the draws (`RandomStreams`).
  public var seed: UInt64
  /// The trial's number, used as the replication of the draws.
  public var replication: Int
  /// Departures from 0 up to this many nanoseconds are sent.
  public var durationNs: Int64
}

/// How the sender kept to its schedule.
public struct SenderReport: Sendable, Equatable {
  /// Frames sent.
  public var sent: Int
  /// From the schedule's start to the end of the last send, seconds (at least the duration).
  public var seconds: Double
  /// How far behind its departure time each frame was handed to the socket: mean, 99th
  /// percentile and largest, microseconds.
  public var lateMeanMicroseconds: Double
  /// See `lateMeanMicroseconds`.
  public var lateP99Microseconds: Double
  /// See `lateMeanMicroseconds`.
  public var lateMaxMicroseconds: Double

  /// The one line the sender prints and `TrafficTrial` reads back.
  public var line: String {
    "vrsim-send sent \(sent) seconds \(seconds) late_mean_us \(lateMeanMicroseconds) late_p99_us "
      + "\(lateP99Microseconds) late_max_us \(lateMaxMicroseconds)"
  }

  /// Reads `line` back; nil when the output holds no report.
  public static func parse(_ output: String) -> SenderReport? {
    guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("vrsim-send ") }) else {
      return nil
    }
    let w = line.split(separator: " ").map(String.init)
    func value(_ key: String) -> Double? {
      w.firstIndex(of: key).flatMap { $0 + 1 < w.count ? Double(w[$0 + 1]) : nil }
    }
    guard let sent = value("sent"), let seconds = value("seconds"), let mean = value("late_mean_us"),
      let p99 = value("late_p99_us"), let max = value("late_max_us")
    else { return nil }
    return SenderReport(
      sent: Int(sent), seconds: seconds, lateMeanMicroseconds: mean, lateP99Microseconds: p99,
      lateMaxMicroseconds: max)
  }
}

/// The testbed's own traffic sender, for the arrival laws trafgen has no mode for (Poisson,
/// on-off): departures come from `ArrivalSchedule`, the simulator's own generators with its
/// stream names, seeded from the scenario's `run.seed` and the trial number; each frame is
/// handed to an AF_PACKET socket when the monotonic clock reaches its departure (a busy wait,
/// so the sender holds the CPU it is pinned to for the whole trial). A frame that falls
/// behind is sent at once and its lateness recorded: the report says how closely the real
/// departures followed the law.
public enum ScheduledSender {
  /// Sends `job` (run inside the generator's namespace); returns the report.
  /// - Throws: `TestbedError` when the socket cannot be opened or bound, or a send fails.
  public static func run(_ job: SenderJob) throws -> SenderReport {
    let streams = RandomStreams(seed: job.seed, replication: job.replication)
    let schedule = try ArrivalSchedule(
      flows: job.flows, streams: streams, routers: Set(job.addresses.map(\.router)))
    let byRouter = Dictionary(job.addresses.map { ($0.router, $0) }, uniquingKeysWith: { a, _ in a })
    var frames: [Int: [Int: [UInt8]]] = [:]  // router -> size -> bytes
    func frame(_ router: Int, _ size: Int) -> [UInt8] {
      if let f = frames[router]?[size] { return f }
      let a = byRouter[router]!
      let f = UDPFrame.bytes(
        srcMAC: a.srcMAC, dstMAC: a.dstMAC, source: a.source, destination: a.destination,
        bytes: min(1518, max(64, size)))
      frames[router, default: [:]][size] = f
      return f
    }
    let fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue), 0)  // protocol 0: send only
    guard fd >= 0 else { throw TestbedError("sender: AF_PACKET socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    let index = if_nametoindex(job.device)
    guard index != 0 else { throw TestbedError("sender: no interface \(job.device) in this namespace") }
    // struct sockaddr_ll (linux/if_packet.h, which Glibc's module leaves out), 20 bytes in
    // host order but for the protocol: family u16, protocol be16 (0), ifindex i32, hatype u16,
    // pkttype u8, halen u8, addr[8].
    var addr = [UInt8](repeating: 0, count: 20)
    withUnsafeBytes(of: UInt16(AF_PACKET)) { addr.replaceSubrange(0..<2, with: $0) }
    withUnsafeBytes(of: Int32(index)) { addr.replaceSubrange(4..<8, with: $0) }
    addr[11] = 6
    let bound = addr.withUnsafeBytes {
      bind(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count))
    }
    guard bound == 0 else {
      throw TestbedError("sender: bind to \(job.device): \(String(cString: strerror(errno)))")
    }
    var late: [Int64] = []
    late.reserveCapacity(1 << 16)
    let t0 = Int64(ExternalTimer.monotonicNanoseconds())
    var sent = 0
    while let d = schedule.next(), d.time < job.durationNs {
      let bytes = frame(d.router, d.size)
      let due = t0 + d.time
      var now = Int64(ExternalTimer.monotonicNanoseconds())
      while now < due { now = Int64(ExternalTimer.monotonicNanoseconds()) }
      late.append(now - due)
      while true {
        let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        if n == bytes.count { break }
        // A full device queue (ENOBUFS) means the link is behind: wait for it, as trafgen does.
        guard n < 0, errno == ENOBUFS || errno == EAGAIN || errno == EINTR else {
          throw TestbedError("sender: send on \(job.device): \(String(cString: strerror(errno)))")
        }
      }
      sent += 1
    }
    let end = Int64(ExternalTimer.monotonicNanoseconds())
    late.sort()
    let mean = late.isEmpty ? 0 : Double(late.reduce(0, +)) / Double(late.count)
    let p99 = late.isEmpty ? 0 : Double(late[min(late.count - 1, Int(Double(late.count) * 0.99))])
    return SenderReport(
      sent: sent, seconds: max(Double(job.durationNs), Double(end - t0)) * 1e-9,
      lateMeanMicroseconds: mean / 1000, lateP99Microseconds: p99 / 1000,
      lateMaxMicroseconds: Double(late.last ?? 0) / 1000)
  }
}

extension ScheduledSender {
  /// Runs the sender job in the JSON file `path` (what `vrsim testbed _send --job` runs); a
  /// file that cannot be read or is no job is a usage error naming it.
  public static func run(jobFile path: String) throws -> SenderReport {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw TestbedError("\(path): cannot be read", usage: true)
    }
    let spec: SenderJob
    do { spec = try JSONDecoder().decode(SenderJob.self, from: data) } catch {
      throw TestbedError("\(path): not a sender job: \(error)", usage: true)
    }
    return try run(spec)
  }
}
