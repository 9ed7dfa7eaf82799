import Foundation
import Scenario
import Testing

/// The profile files the project ships (scenarios/profiles/*.yaml) state every declared cost.
/// A profile written before a cost was declared loads with a warning that lists the costs it
/// takes at their defaults (ProfileFile); the shipped profiles must not, or every run of them
/// prints that warning. When a new cost is declared, each shipped profile gains it: either the
/// value its data identify, or the declared default under a comment that says so.
@Suite struct CommittedProfilesTests {
  @Test func everyShippedProfileStatesEveryDeclaredCost() throws {
    let folder = FixturePaths.repository.appendingPathComponent("scenarios/profiles")
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
      .filter { $0.hasSuffix(".yaml") }.sorted()
    // The folder holds the built-in paper profile and the fitted ones (11 on 2026-12-06);
    // fewer than two would mean the folder was not found where the test looks.
    #expect(files.count >= 2)
    for f in files {
      let text = try String(contentsOf: folder.appendingPathComponent(f), encoding: .utf8)
      let warning = ProfileFile.missingCostsWarning(text: text, file: f)
      #expect(warning == nil, "\(warning ?? "")")
    }
  }

  @Test func aProfileWithoutACostIsNamedInTheWarning() {
    // The check above must be able to fail: a profile that states one cost leaves the others
    // out and is named, with one of the costs it leaves out.
    let warning = ProfileFile.missingCostsWarning(
      text: "name: partial\ndriver_rx: 1250cycles\n", file: "p.yaml")
    #expect(warning?.hasPrefix("p.yaml: ") == true)
    #expect(warning?.contains("veth_hop = ") == true)
    // vf_driver_rx holds the same letters: match the listed entry itself.
    #expect(warning?.contains(", driver_rx = ") == false)
    #expect(warning?.contains(": driver_rx = ") == false)
  }
}
