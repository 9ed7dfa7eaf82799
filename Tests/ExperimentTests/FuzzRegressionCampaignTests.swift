import Experiment
import Foundation
import GRDB
import Testing

/// The campaign inputs the fuzz target found (Tests/FuzzRegressions/campaign/, see its README):
/// each is the manifest's plan JSON, then `--` and stored metric rows, written into a campaign as
/// a damaged or hostile `campaign.sqlite` would hold them. Opening must refuse a plan the
/// runner would refuse, naming the campaign, rather than trap later in the summaries.
@Suite struct FuzzRegressionCampaignTests {
  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("FuzzRegressions/campaign")

  @Test func aStoredPlanWithAConfidenceLevelAboveOneIsRefusedNamingTheCampaign() throws {
    // The metric rows hold bytes that are not UTF-8 (as the fuzzer left them); the plan is text.
    let bytes = try Data(contentsOf: Self.folder.appendingPathComponent("confidence-level-1.95.txt"))
    let input = String(decoding: bytes, as: UTF8.self)
    let planJSON = input.components(separatedBy: "\n--\n")[0]
    let directory = temporaryCampaignDirectory()
    defer { removeTemporary(directory) }
    let valid = CampaignPlan(
      scenarioText: "about: x\n", vrsimVersion: "test", masterSeed: 1, points: [PlanPoint(index: 0)],
      replications: .fixed(1))
    _ = try CampaignStore.open(at: directory, plan: valid)
    let queue = try DatabaseQueue(path: directory.appendingPathComponent(CampaignStore.databaseName).path)
    try queue.write { db in
      try db.execute(sql: "UPDATE manifest SET value = ? WHERE key = 'plan'", arguments: [planJSON])
    }
    try queue.close()
    // The input's plan states confidenceLevel 1.95; a level must lie in (0, 1).
    do {
      _ = try CampaignStore.open(at: directory)
      Issue.record("a plan with confidence level 1.95 was opened")
    } catch let error as CampaignError {
      #expect(
        "\(error)"
          == "campaign store \(directory.path): the manifest's plan is invalid: "
          + "invalid campaign plan: confidence level 1.95 is not in (0, 1)")
    }
  }
}
