import Foundation
import Scenario
import Testing

@Suite("workloads: and testbed: sections")
struct WorkloadsSectionTests {
  @Test("jobs decode with their kind's keys, names and placement; Super Pi maps to cycles")
  func decodesJobs() throws {
    let spec = try ScenarioLoader.load(
      text: """
        host: { clock: 2GHz }
        routers: { count: 2 }
        workloads:
          - { in: vr1, kind: superpi, superpi_k: 18 }
          - { name: tick, in: dom0, kind: periodic, period: 5ms, cycles_per_period: 1000cycles, start: 1s }
        """, fileName: "w.yaml")
    #expect(spec.jobs.count == 2)
    #expect(spec.jobs[0].name == "job0" && spec.jobs[0].place == "vr1" && spec.jobs[0].kind == .superpi)
    // Calibration: 1.40 s at k = 20, c * n * k^3: k = 18 is 1.40 / 4 * (18/20)^3 = 0.25515 s,
    // times 2 GHz = 510,300,000 cycles.
    #expect(spec.jobs[0].totalCycles(clockHz: 2_000_000_000) == 510_300_000)
    #expect(
      spec.jobs[1].period == .ms(5) && spec.jobs[1].cyclesPerPeriod == 1_000 && spec.jobs[1].start == .s(1))
    #expect(spec.jobs[1].totalCycles(clockHz: 1) == nil)
  }

  @Test("bad jobs are reported with file, line, column and key")
  func errorsNameFileLineKey() {
    let text = """
      routers: { count: 2 }
      workloads:
        - { in: vr2, cycles: 5 }
        - { name: a, kind: superpi, superpi_k: 40, period: 1ms }
        - { name: a, kind: cpu, cylces: 1cycles }
        - 7
      """
    #expect(
      diagnosticsText(text: text, fileName: "w.yaml") == """
        w.yaml:3:11: workloads[0].in: 'vr2' is not a router or dom0; allowed: dom0, or vr0 to vr1 (routers.count is 2)
        w.yaml:3:24: workloads[0].cycles: '5' is not a valid cycle count: the unit is missing; allowed: a number with a unit (cycles)
        w.yaml:4:42: workloads[1].superpi_k: 40 is out of range; allowed: an integer from 10 to 26
        w.yaml:4:46: workloads[1].period: 'period' is only used with kind periodic; allowed: the keys of kind superpi: name, in, kind, start, superpi_k
        w.yaml:5:13: workloads[2].name: job name 'a' is used twice; allowed: a name no other job has
        w.yaml:5:27: workloads[2].cylces: unknown key 'cylces' (did you mean 'cycles'?); allowed: the keys of workloads[2]: name, in, kind, cycles, superpi_k, period, cycles_per_period, start
        w.yaml:6:5: workloads[3]: expected a job mapping, found '7'; allowed: a mapping with the keys name, in, kind, cycles, superpi_k, period, cycles_per_period, start
        """)
  }

  @Test("--set reaches a job's keys")
  func setReachesJobs() throws {
    let spec = try ScenarioLoader.load(
      text: "workloads: [ { kind: cpu, cycles: 1000cycles } ]\n", fileName: "w.yaml",
      overrides: ["workloads[0].cycles=2000cycles"])
    #expect(spec.jobs[0].cycles == 2_000)
  }

  @Test("testbed roles: an ssh target per role, hostile names refused")
  func testbedRoles() throws {
    let spec = try ScenarioLoader.load(
      text: """
        testbed:
          time_keeper: { ssh: { user: lab, host: 10.0.0.5, port: 2222, identity: keys/id, options: { StrictHostKeyChecking: "no" } } }
        """, fileName: "t.yaml")
    let t = try #require(spec.testbed?.target(.timeKeeper))
    #expect(
      t
        == SSHTarget(
          user: "lab", host: "10.0.0.5", port: 2222, identity: "keys/id",
          options: [SSHOption("StrictHostKeyChecking", "no")]))
    #expect(spec.testbed?.target(.generator) == nil)
    #expect(
      diagnosticsText(
        text: "testbed:\n  sink: { ssh: { host: -oProxyCommand=x, port: 0 } }\n  dut: { ssh: { user: u } }\n",
        fileName: "t.yaml") == """
          t.yaml:2:24: testbed.sink.ssh.host: '-oProxyCommand=x' is not a host name ssh can take as one word; allowed: letters, digits and . - _ : %, not starting with -
          t.yaml:2:48: testbed.sink.ssh.port: 0 is out of range; allowed: an integer from 1 to 65535
          t.yaml:3:15: testbed.dut.ssh.host: an ssh target needs a host; allowed: host: a host name or address
          """)
  }
}
