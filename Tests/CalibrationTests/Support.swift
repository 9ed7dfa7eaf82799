import Foundation

/// A scratch folder for one test, removed by the caller.
func scratchDirectory(_ label: String) -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent(
    "vrsim-calibration-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
  try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

/// A one-router scenario on the Fig. 9 forwarder (4 cores, 3.06 GHz, SR-IOV NIC), short runs.
let forwarderScenario = """
  name: calibration-test
  host: { cpus: 4, clock: 3.06GHz, nic: { rate: 1Gbps, rx_ring: 256, tx_ring: 256, vfs: 7 } }
  platform: native
  profile: paper-2012.yaml
  dom0: { vcpus: 1, weight: 256 }
  routers: { count: 1, each: { vcpus: 1, weight: 256, cap: 0, routes: 1000 } }
  traffic: [ { to: all, rate: 1000kpps, frame: 64B, arrival: cbr } ]
  run: { duration: 12ms, warmup: 2ms, replications: 1, seed: 7 }

  """

let header = "source,experiment,scenario,set,scope,metric,unit,value,ci95_low,ci95_high,n,kind"

/// Normal deviates from a fixed 64-bit LCG (Knuth's MMIX constants) through Box-Muller, so
/// the synthetic noise is the same on every run.
struct NoiseSource {
  var state: UInt64
  mutating func uniform() -> Double {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return (Double(state >> 11) + 0.5) / 9_007_199_254_740_992
  }
  mutating func normal() -> Double {
    (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())
  }
}
