import Foundation
import Platforms
import Scenario
import Testing

/// scenarios/profiles/paper-2012.yaml is the built-in `CostProfile.paper2012` written out: a
/// comment header, then exactly `ProfileFile.text(.paper2012)`. These tests keep the two
/// from drifting apart; `VRSIM_UPDATE_GOLDEN=1` rewrites the file from the built-in profile.
@Suite("paper-2012 profile file")
struct ProfileDriftTests {
  static let path = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("scenarios/profiles/paper-2012.yaml").path

  /// The comment block above the encoded profile.
  static let header = """
    # paper-2012: the hand-derived cost profile of the origin paper's testbeds.
    #
    # Provenance: derived by hand from docs/platform-facts.md ("The origin paper"),
    # not fitted to any measurement. Native Linux forwards ~750 kp/s of 64 B packets on one
    # 3.06 GHz core, about 4,080 cycles per packet (driver rx + IP forward + FIB + driver tx);
    # the Xen dom0 bridge path saturates below 150 kp/s and the dom0 router path below
    # 200 kp/s, so dom0 spends at least ~20,400 / ~15,300 cycles per packet, mostly in netback
    # grant copies and maps (Santos et al., USENIX ATC 2008); SR-IOV forwards about as much as
    # native. Costs are in cycles of the host clock, so the profile moves between clock rates.
    # Residuals: none (no fit). The fitted profiles beside this one replace it by values fitted
    # to measurements (docs/calibration.md). Every value carries its unit; every key, its range
    # and its meaning are listed in scenarios/README.md (section profile), and any of them can be set
    # in a scenario (profile: {file: ..., driver_rx: 1300cycles}) or with --set profile.KEY=...
    #
    # This file is CostProfile.paper2012 (Sources/Platforms/CostProfile.swift) written by
    # ProfileFile.text; Tests/VrsimCLITests/ProfileDriftTests.swift fails when they differ.
    # Rewrite it with: VRSIM_UPDATE_GOLDEN=1 swift test --filter ProfileDriftTests

    """

  @Test func fileIsTheEncodedBuiltInProfile() throws {
    let expected = ProfileFile.text(.paper2012, header: Self.header)
    if ProcessInfo.processInfo.environment["VRSIM_UPDATE_GOLDEN"] == "1" {
      try expected.write(toFile: Self.path, atomically: true, encoding: .utf8)
    }
    let actual = try String(contentsOfFile: Self.path, encoding: .utf8)
    #expect(actual == expected, "scenarios/profiles/paper-2012.yaml drifted from CostProfile.paper2012")
  }

  @Test func fileDecodesToTheBuiltInProfile() throws {
    let decoded = try ProfileFile.load(path: Self.path)
    #expect(decoded == CostProfile.paper2012)
  }

  /// Every profile committed in scenarios/profiles (the hand-derived one and the fitted ones)
  /// loads: a cost added to the model and not to a fitted file would make the file unusable,
  /// since a profile must name every cost. Expected: no load error for any file.
  @Test func everyCommittedProfileLoads() throws {
    let folder = URL(fileURLWithPath: Self.path).deletingLastPathComponent()
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter {
      $0.hasSuffix(".yaml")
    }
    #expect(files.count >= 3, "expected paper-2012 and the fitted profiles in \(folder.path)")
    for file in files.sorted() {
      #expect(throws: Never.self, "\(file)") {
        _ = try ProfileFile.load(path: folder.appendingPathComponent(file).path)
      }
    }
  }
}
