import Foundation

/// The receiver's figures of one iperf3 UDP test, read from its JSON report (`iperf3 -J`).
public struct IperfReport: Sendable, Equatable {
  /// UDP payload bits per second the receiver got (`end.sum_received.bits_per_second`).
  public var goodputBitsPerSecond: Double
  /// Lost share of the datagrams sent, as the receiver counted them
  /// (`end.sum_received.lost_percent` / 100).
  public var loss: Double

  /// Reads the report `json`. iperf3 3.7 and later put the receiver's totals in
  /// `end.sum_received`; older ones only in `end.sum`, used when the former is absent.
  /// - Throws: `TestbedError` quoting iperf3's own `error` field, or saying which field is
  ///   missing.
  public static func parse(_ json: String) throws -> IperfReport {
    guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
      throw TestbedError("iperf3 printed no JSON report: \(json.prefix(200))")
    }
    if let error = object["error"] as? String { throw TestbedError("iperf3: \(error)") }
    guard let end = object["end"] as? [String: Any],
      let sum = (end["sum_received"] ?? end["sum"]) as? [String: Any]
    else { throw TestbedError("iperf3's report has no end.sum_received or end.sum") }
    guard let bps = (sum["bits_per_second"] as? NSNumber)?.doubleValue,
      let lost = (sum["lost_percent"] as? NSNumber)?.doubleValue
    else {
      throw TestbedError("iperf3's report lacks bits_per_second or lost_percent (not a UDP test?)")
    }
    return IperfReport(goodputBitsPerSecond: bps, loss: lost / 100)
  }
}

/// One iperf3 process's own figures from its JSON report (`iperf3 -J`, client or server):
/// its CPU time over its test as iperf3 measures it (`end.cpu_utilization_percent`, from
/// getrusage over the test's wall time: user and system, percent of one CPU) and its data
/// socket's buffers (`start.rcvbuf_actual`, `start.sndbuf_actual`: what the kernel keeps).
public struct IperfProcessFigures: Sendable, Equatable {
  /// User time share of one CPU over the test (`host_user` / 100).
  public var user: Double
  /// System time share of one CPU over the test (`host_system` / 100).
  public var system: Double
  /// The peer's user share (`remote_user` / 100: the server's, in a client's report).
  public var remoteUser: Double?
  /// The peer's system share (`remote_system` / 100).
  public var remoteSystem: Double?
  /// The data socket's receive buffer, bytes (nil when the report has none).
  public var receiveBuffer: Double?
  /// Seconds the sender sent (`end.sum_sent.seconds`; nil when absent).
  public var sendSeconds: Double?

  /// Reads a report; anything before its opening brace (iperf3's warnings on stderr, such as
  /// "UDP block size 1472 exceeds TCP MSS 1448") is skipped.
  /// - Throws: `TestbedError` quoting iperf3's `error` field, or naming the missing field.
  public static func parse(_ text: String) throws -> IperfProcessFigures {
    let json = text.firstIndex(of: "{").map { String(text[$0...]) } ?? text
    guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
      throw TestbedError("iperf3 printed no JSON report: \(json.prefix(200))")
    }
    if let error = object["error"] as? String { throw TestbedError("iperf3: \(error)") }
    guard let end = object["end"] as? [String: Any],
      let cpu = end["cpu_utilization_percent"] as? [String: Any],
      let user = (cpu["host_user"] as? NSNumber)?.doubleValue,
      let system = (cpu["host_system"] as? NSNumber)?.doubleValue
    else {
      throw TestbedError("iperf3's report has no end.cpu_utilization_percent host_user and host_system")
    }
    let start = object["start"] as? [String: Any]
    let sent = end["sum_sent"] as? [String: Any]
    return IperfProcessFigures(
      user: user / 100, system: system / 100,
      remoteUser: (cpu["remote_user"] as? NSNumber).map { $0.doubleValue / 100 },
      remoteSystem: (cpu["remote_system"] as? NSNumber).map { $0.doubleValue / 100 },
      receiveBuffer: (start?["rcvbuf_actual"] as? NSNumber)?.doubleValue,
      sendSeconds: (sent?["seconds"] as? NSNumber)?.doubleValue)
  }
}
