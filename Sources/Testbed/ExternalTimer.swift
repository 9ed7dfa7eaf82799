import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The paper's external time measurement (Sec. III): the benchmark's environment sends an
/// ICMP echo request to a time-keeper at start and another at end; the time-keeper stamps
/// both on its own clock and the difference is the benchmark's external time.
///
/// Here the time-keeper is a process in its own namespace reading an AF_PACKET socket and
/// stamping each echo request with CLOCK_MONOTONIC as it is received; the sender is a raw
/// ICMP socket in the benchmark's namespace (no `ping` process, so no fork/exec latency sits
/// inside the interval).
public enum ExternalTimer {
  /// An ICMP echo request (type 8) with identifier `id`, sequence `seq` and `payload`.
  public static func echoRequest(id: UInt16, seq: UInt16, payload: [UInt8] = Array("vrsim-timer".utf8))
    -> [UInt8]
  {
    var p: [UInt8] =
      [8, 0, 0, 0, UInt8(id >> 8), UInt8(id & 0xff), UInt8(seq >> 8), UInt8(seq & 0xff)] + payload
    let c = checksum(p)
    p[2] = UInt8(c >> 8)
    p[3] = UInt8(c & 0xff)
    return p
  }

  /// The Internet checksum (RFC 1071) of `bytes`.
  public static func checksum(_ bytes: [UInt8]) -> UInt16 {
    var sum: UInt32 = 0
    var i = 0
    while i + 1 < bytes.count {
      sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
      i += 2
    }
    if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
    while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
    return ~UInt16(sum)
  }

  /// The (id, seq) of an ICMP echo request in an Ethernet frame, or nil.
  public static func parseEchoRequest(frame: [UInt8]) -> (id: UInt16, seq: UInt16)? {
    guard frame.count >= 14 + 20 + 8, frame[12] == 0x08, frame[13] == 0x00 else { return nil }
    let ihl = Int(frame[14] & 0x0f) * 4
    guard frame[14] >> 4 == 4, frame[23] == 1, frame.count >= 14 + ihl + 8 else { return nil }
    let icmp = 14 + ihl
    guard frame[icmp] == 8 else { return nil }
    return (
      UInt16(frame[icmp + 4]) << 8 | UInt16(frame[icmp + 5]),
      UInt16(frame[icmp + 6]) << 8 | UInt16(frame[icmp + 7])
    )
  }

  /// Monotonic clock in nanoseconds (not namespaced: the same clock in every namespace).
  public static func monotonicNanoseconds() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
  }

  /// The time-keeper's loop (run inside its namespace): opens an AF_PACKET socket for IPv4
  /// with kernel receive timestamps (SO_TIMESTAMPNS: stamped when the frame enters the
  /// time-keeper's stack, not when this process is scheduled), prints `ready`, then
  /// `echo <id> <seq> <ns>` for every echo request received, until killed. The stamps are
  /// CLOCK_REALTIME nanoseconds of the kernel (only differences are used).
  public static func keepTime() throws -> Never {
    let fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue), Int32(UInt16(0x0800).bigEndian))  // ETH_P_IP
    guard fd >= 0 else {
      throw TestbedError("time-keeper: AF_PACKET socket: \(String(cString: strerror(errno)))")
    }
    var on: Int32 = 1
    let soTimestampNS: Int32 = 35  // SO_TIMESTAMPNS (= SCM_TIMESTAMPNS) on Linux
    guard setsockopt(fd, SOL_SOCKET, soTimestampNS, &on, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
      throw TestbedError("time-keeper: SO_TIMESTAMPNS: \(String(cString: strerror(errno)))")
    }
    FileHandle.standardOutput.write(Data("ready\n".utf8))
    var buf = [UInt8](repeating: 0, count: 2048)
    var control = [UInt8](repeating: 0, count: 512)
    while true {
      var stamp: UInt64? = nil
      let n = buf.withUnsafeMutableBytes { b in
        control.withUnsafeMutableBytes { c in
          var iov = iovec(iov_base: b.baseAddress, iov_len: b.count)
          return withUnsafeMutablePointer(to: &iov) { iovp in
            var msg = msghdr()
            msg.msg_iov = iovp
            msg.msg_iovlen = 1
            msg.msg_control = c.baseAddress
            msg.msg_controllen = c.count
            let n = recvmsg(fd, &msg, 0)
            if n > 0 {
              stamp = Self.timestamp(control: UnsafeRawBufferPointer(c), length: Int(msg.msg_controllen))
            }
            return n
          }
        }
      }
      let t = stamp ?? Self.monotonicNanoseconds()
      guard n > 0 else { continue }
      if let (id, seq) = parseEchoRequest(frame: Array(buf[0..<n])) {
        FileHandle.standardOutput.write(Data("echo \(id) \(seq) \(t)\n".utf8))
      }
    }
  }

  /// The SCM_TIMESTAMPNS `timespec` in a control buffer (struct cmsghdr: size_t len, int
  /// level, int type, then the data aligned to size_t), as nanoseconds.
  static func timestamp(control c: UnsafeRawBufferPointer, length: Int) -> UInt64? {
    let header = MemoryLayout<Int>.size + 8
    var off = 0
    while off + header <= length {
      let len = c.loadUnaligned(fromByteOffset: off, as: Int.self)
      let level = c.loadUnaligned(fromByteOffset: off + MemoryLayout<Int>.size, as: Int32.self)
      let type = c.loadUnaligned(fromByteOffset: off + MemoryLayout<Int>.size + 4, as: Int32.self)
      guard len >= header else { return nil }
      if level == SOL_SOCKET && type == 35 && off + header + 16 <= length {
        let sec = c.loadUnaligned(fromByteOffset: off + header, as: Int.self)
        let nsec = c.loadUnaligned(fromByteOffset: off + header + 8, as: Int.self)
        return UInt64(sec) * 1_000_000_000 + UInt64(nsec)
      }
      off += (len + MemoryLayout<Int>.size - 1) & ~(MemoryLayout<Int>.size - 1)
    }
    return nil
  }

  /// A raw ICMP socket in this process's namespace that sends echo requests to one address,
  /// opened in advance so that a send is one system call.
  public final class EchoSender {
    let fd: Int32
    var addr = sockaddr_in()

    /// Opens the socket toward `destination` (IPv4).
    public init(destination: String) throws {
      fd = socket(AF_INET, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_ICMP))
      guard fd >= 0 else { throw TestbedError("raw ICMP socket: \(String(cString: strerror(errno)))") }
      addr.sin_family = sa_family_t(AF_INET)
      guard inet_pton(AF_INET, destination, &addr.sin_addr) == 1 else {
        close(fd)
        throw TestbedError("not an IPv4 address: \(destination)")
      }
    }

    deinit { close(fd) }

    /// Sends echo request (`id`, `seq`) and returns CLOCK_MONOTONIC just before and just after
    /// the send. On a veth link the time-keeper's kernel stamp is taken inside the `sendto`
    /// (netif_rx stamps the frame as it is queued), so it lies between the two.
    public func sendBracketed(id: UInt16, seq: UInt16) throws -> (before: UInt64, after: UInt64) {
      let before = try send(id: id, seq: seq)
      return (before, ExternalTimer.monotonicNanoseconds())
    }

    /// Sends echo request (`id`, `seq`) and returns CLOCK_MONOTONIC just before the send.
    @discardableResult
    public func send(id: UInt16, seq: UInt16) throws -> UInt64 {
      let packet = ExternalTimer.echoRequest(id: id, seq: seq)
      let t = ExternalTimer.monotonicNanoseconds()
      let sent = withUnsafePointer(to: &addr) { ptr in
        ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          sendto(fd, packet, packet.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
      }
      guard sent == packet.count else { throw TestbedError("sendto: \(String(cString: strerror(errno)))") }
      return t
    }
  }
}

/// Lines read from a pipe on a background thread, waited for by content.
final class LineReader: @unchecked Sendable {
  private let condition = NSCondition()
  private var lines: [String] = []
  private var buffer = Data()
  private var ended = false

  init(_ handle: FileHandle) {
    Thread.detachNewThread { [self] in
      while true {
        let chunk = handle.availableData
        condition.lock()
        if chunk.isEmpty {
          ended = true
          condition.broadcast()
          condition.unlock()
          return
        }
        buffer.append(chunk)
        while let nl = buffer.firstIndex(of: 0x0a) {
          lines.append(String(decoding: buffer[buffer.startIndex..<nl], as: UTF8.self))
          buffer.removeSubrange(buffer.startIndex...nl)
        }
        condition.broadcast()
        condition.unlock()
      }
    }
  }

  /// The first line satisfying `match`, waiting up to `timeout` seconds.
  func wait(timeout: Double, _ match: (String) -> Bool) -> String? {
    let end = Date().addingTimeInterval(timeout)
    condition.lock()
    defer { condition.unlock() }
    while true {
      if let l = lines.first(where: match) { return l }
      if ended || !condition.wait(until: end) { return lines.first(where: match) }
    }
  }
}

extension LineReader {
  /// The time-keeper's clock stamps (ns) of run `id`'s start and end echo requests (sequence
  /// numbers 1 and 2), each awaited for up to 5 s; nil when either did not arrive.
  func echoStamps(id: UInt16) -> (start: UInt64, end: UInt64)? {
    func stamp(_ seq: Int) -> UInt64? {
      wait(timeout: 5) { $0.hasPrefix("echo \(id) \(seq) ") }.flatMap { UInt64($0.split(separator: " ")[3]) }
    }
    guard let t1 = stamp(1), let t2 = stamp(2) else { return nil }
    return (t1, t2)
  }
}

extension TestbedSession {
  /// Starts the time-keeper (`vrsim testbed _timekeeper`, run by `argv`) under the session's
  /// ledger and waits at most 10 s for its `ready` line.
  /// - Throws: `TestbedError` ("the time-keeper did not start (`what`)") when it does not start.
  func startTimeKeeper(_ argv: [String], what: String) throws -> LineReader {
    let p = try SystemCommandRunner.makeProcess(argv)
    let out = Pipe()
    p.standardOutput = out
    p.standardInput = FileHandle.nullDevice
    try ledger.start(p)
    let reader = LineReader(out.fileHandleForReading)
    guard reader.wait(timeout: 10, { $0 == "ready" }) != nil else {
      throw TestbedError("the time-keeper did not start (\(what))")
    }
    return reader
  }
}
