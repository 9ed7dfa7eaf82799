import Foundation

/// trafgen (netsniff-ng) packet configurations and command lines.
///
/// Rates are set with `--rate Npps` (accurate on this kind of machine, unlike the `--gap`
/// option); one process per device (`--cpus 1`); it stops by itself after `--num` packets,
/// so a generator outlives a killed run by at most one trial.
public enum Trafgen {
  /// The CPU every trafgen sender runs on: trafgen 0.6.8 with `--cpus 1` forks one worker and
  /// pins it to CPU 0 itself, whatever `taskset` said (measured here: started under
  /// `taskset -c 1` it reports "on CPU0" and CPU 0 does the work); a cpuset without CPU 0
  /// makes it exit ("Can't set this cpu affinity!"). So the testbed plans every trafgen on
  /// CPU 0, the model puts a CBR sender there (NetnsPath), and each trial checks trafgen's
  /// own report (`reportedCPUs`).
  public static let workerCPU = 0

  /// One frame of a trafgen configuration: Ethernet + IPv4 + UDP to `destination`, `bytes`
  /// long on the wire with FCS (the kernel adds no FCS on veth, so `bytes - 4` are sent).
  public static func frame(srcMAC: String, dstMAC: String, source: String, destination: String, bytes: Int)
    -> String
  {
    let l2 = bytes - 4
    let ipLength = l2 - 14
    let udpLength = ipLength - 20
    let pad = udpLength - 8
    func mac(_ m: String) -> String { m.split(separator: ":").map { "0x\($0)" }.joined(separator: ", ") }
    func ip(_ a: String) -> String { a.split(separator: ".").joined(separator: ", ") }
    return """
      {
        \(mac(dstMAC)), \(mac(srcMAC)), const16(0x0800),
        0x45, 0x00, const16(\(ipLength)), const16(0), const16(0x4000), 64, 17, csumip(14, 33),
        \(ip(source)), \(ip(destination)),
        const16(1024), const16(1024), const16(\(udpLength)), const16(0),
        fill(0x00, \(pad))
      }

      """
  }

  /// The configuration for one device: the frames of each flow leaving through it, repeated
  /// in the ratio of their rates and frame weights (trafgen sends the frames of its
  /// configuration in turn).
  public static func configuration(device: GeneratorDevice, plan: TopologyPlan, flows: [TestbedFlow])
    -> String
  {
    let mine = flows.filter { device.routers.contains($0.router) && $0.packetsPerSecond > 0 }
    guard let smallest = mine.map(\.packetsPerSecond).min() else { return "" }
    var text = "/* vrsim testbed: \(device.port.name) */\n"
    for f in mine {
      let repeats = max(1, min(100, Int((f.packetsPerSecond / smallest).rounded())))
      for _ in 0..<repeats {
        for fr in f.frames {
          for _ in 0..<max(1, fr.weight) {
            text += frame(
              srcMAC: device.port.mac, dstMAC: plan.nextHopMAC(router: f.router),
              source: device.port.address ?? "10.1.0.1",
              destination: TopologyPlan.destination(router: f.router), bytes: fr.bytes)
          }
        }
      }
    }
    return text
  }

  /// The command that sends `count` frames of `config` on `device` in namespace `ns`, at
  /// `pps` (nil: as fast as it can); its worker runs on `workerCPU`.
  public static func command(ns: String, device: String, config: String, pps: Int?, count: Int) -> [String] {
    var argv = [
      "ip", "netns", "exec", ns, "trafgen", "--in", config, "--dev", device,
      "--num", String(count), "--cpus", "1", "--no-sock-mem",
    ]
    if let pps { argv += ["--rate", "\(max(1, pps))pps"] }
    return argv
  }

  /// The CPUs trafgen's report says its workers ran on (`... usec on CPUk (N packets)`), in
  /// the report's order; empty if absent.
  public static func reportedCPUs(_ output: String) -> [Int] {
    output.split(separator: "\n").compactMap { line in
      guard let r = line.range(of: " usec on CPU") else { return nil }
      return Int(line[r.upperBound...].prefix { $0.isNumber })
    }
  }

  /// The send time trafgen reports (`N sec, M usec on CPUk`), in seconds; nil if absent.
  public static func reportedSeconds(_ output: String) -> Double? {
    var best: Double? = nil
    for line in output.split(separator: "\n") where line.contains(" usec on CPU") {
      let words = line.split(separator: " ")
      guard let si = words.firstIndex(of: "sec,"), si > 0, let s = Double(words[si - 1]),
        si + 1 < words.count, let us = Double(words[si + 1])
      else { continue }
      best = max(best ?? 0, s + us * 1e-6)
    }
    return best
  }
}
