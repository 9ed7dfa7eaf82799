import Foundation
import Testing

@testable import Testbed

/// What the iperf3 trials read for the UDP model: the sink namespace's Udp MIB and each iperf3
/// process's own figures, from inputs written here by hand (the layouts of Linux 6.18's
/// /proc/net/snmp and iperf 3.12's `-J` report on this machine kind).
@Suite struct UDPCounterTests {
  @Test func theUdpTableIsReadBesideTheIpTable() {
    let snmp = """
      Ip: Forwarding DefaultTTL InReceives
      Ip: 1 64 700
      Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
      Udp: 67340 2 31281 5 31279 0 0 0 0
      UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
      UdpLite: 0 0 0 0 0 0 0 0 0
      """
    let udp = CounterReader.parseSNMP(snmp, table: "Udp")
    #expect(udp["InDatagrams"] == 67_340)
    #expect(udp["RcvbufErrors"] == 31_279)
    #expect(udp["InErrors"] == 31_281)
    #expect(udp["NoPorts"] == 2)
    #expect(CounterReader.parseSNMP(snmp, table: "Ip")["InReceives"] == 700, "UdpLite's line is not Udp's")
  }

  @Test func aProcessReportIsReadPastIperfsWarning() throws {
    let text = """
      warning: UDP block size 1472 exceeds TCP MSS 1448, may result in fragmentation / drops
      {"start": {"sock_bufsize": 0, "sndbuf_actual": 212992, "rcvbuf_actual": 212992},
       "end": {"sum_sent": {"seconds": 2.000061, "packets": 202000},
               "cpu_utilization_percent": {"host_total": 63.9, "host_user": 3.757, "host_system": 60.15,
                                           "remote_total": 35.97, "remote_user": 4.084, "remote_system": 31.88}}}
      """
    let f = try IperfProcessFigures.parse(text)
    // percent of one CPU as fractions: 3.757% -> 0.03757 ...
    #expect(abs(f.user - 0.03757) < 1e-12)
    #expect(abs(f.system - 0.6015) < 1e-12)
    #expect(abs(f.remoteUser! - 0.04084) < 1e-12)
    #expect(abs(f.remoteSystem! - 0.3188) < 1e-12)
    #expect(f.receiveBuffer == 212_992)
    #expect(f.sendSeconds == 2.000061)
  }

  @Test func aReportWithoutCPUFiguresIsNamed() {
    #expect {
      _ = try IperfProcessFigures.parse(#"{"end": {"sum": {}}}"#)
    } throws: { error in
      "\(error)".contains("cpu_utilization_percent")
    }
    #expect {
      _ = try IperfProcessFigures.parse(#"{"error": "the server is busy running a test"}"#)
    } throws: { error in
      "\(error)".contains("iperf3: the server is busy")
    }
  }
}
