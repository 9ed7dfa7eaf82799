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
