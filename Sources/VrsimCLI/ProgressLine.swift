import Experiment
import Foundation

/// A one-line progress display on stderr, drawn only when stderr is a terminal.
final class ProgressLine: @unchecked Sendable {
  private let enabled = isatty(2) != 0
  private let lock = NSLock()
  private var drawn = false

  func update(_ p: CampaignProgress, label: String) {
    guard enabled else { return }
    lock.lock()
    defer { lock.unlock() }
    let width = 30
    let filled = Int(Double(width) * p.fraction)
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    let eta = p.etaSeconds.map { String(format: " ETA %.0fs", $0) } ?? ""
    let line = String(
      format: "\r%@ [%@] %d/%d runs, %.1fs%@ ", label, bar, p.completed, p.total, p.elapsedSeconds, eta)
    FileHandle.standardError.write(Data(line.utf8))
    drawn = true
  }

  func finish() {
    guard enabled, drawn else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
  }
}
