import Foundation

/// The right to run a campaign's missing runs: an exclusive `flock` on `campaign.lock` in the
/// campaign directory. A second process sweeping into the same directory waits for the first
/// to finish and then runs only what is still missing, instead of computing every run twice.
///
/// The kernel releases the lock when the holder exits, however it exits (SIGKILL included), so
/// a lock is never stale. The holder's pid is written into the file for the waiter's message.
public final class CampaignLock {
  /// Name of the lock file inside a campaign directory.
  public static let fileName = "campaign.lock"
  private let descriptor: Int32

  private init(descriptor: Int32) { self.descriptor = descriptor }

  deinit {
    flock(descriptor, LOCK_UN)
    close(descriptor)
  }

  /// Takes the lock of `directory` (created when missing). When another process holds it,
  /// calls `waiting` once with that process's pid (nil when unknown) and polls until the lock
  /// is free or `cancellation` is set; returns nil when cancelled while waiting.
  /// - Throws: `CampaignError.store` when the lock file cannot be opened.
  public static func acquire(
    directory: URL, cancellation: CancellationFlag, waiting: (Int32?) -> Void
  ) throws -> CampaignLock? {
    try CampaignStore.checkDirectoryPath(directory)
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
      throw CampaignError.store(
        directory: directory.path,
        message: "cannot create the directory: \((error as NSError).localizedDescription)")
    }
    let path = directory.appendingPathComponent(fileName).path
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw CampaignError.store(
        directory: directory.path, message: "cannot open \(fileName): \(String(cString: strerror(errno)))")
    }
    var told = false
    while flock(fd, LOCK_EX | LOCK_NB) != 0 {
      if errno != EWOULDBLOCK && errno != EINTR {
        let why = String(cString: strerror(errno))
        close(fd)
        throw CampaignError.store(directory: directory.path, message: "cannot lock \(fileName): \(why)")
      }
      if !told {
        waiting(holder(fd))
        told = true
      }
      if cancellation.isCancelled {
        close(fd)
        return nil
      }
      usleep(100_000)
    }
    let pid = Array("\(getpid())\n".utf8)
    ftruncate(fd, 0)
    _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    return CampaignLock(descriptor: fd)
  }

  private static func holder(_ fd: Int32) -> Int32? {
    var buffer = [UInt8](repeating: 0, count: 32)
    let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
    guard n > 0 else { return nil }
    return Int32(
      String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
  }
}
