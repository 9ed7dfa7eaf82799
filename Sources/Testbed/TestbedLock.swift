import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// An exclusive advisory lock (`flock`) that keeps two testbed runs (or a run and a clean)
/// apart. The kernel drops it when the holder exits, even by SIGKILL, so a killed run never
/// leaves the lock taken.
public final class TestbedLock: @unchecked Sendable {
  /// Where the lock lives: a tmpfs that root can write, cleared at boot.
  public static let defaultPath = "/run/vrsim-testbed.lock"

  private let fd: Int32

  /// Takes the lock at `path` or throws naming who holds it.
  public init(path: String = TestbedLock.defaultPath) throws {
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw TestbedError(
        "cannot open the lock file \(path): \(String(cString: strerror(errno)))", usage: true)
    }
    if flock(fd, LOCK_EX | LOCK_NB) != 0 {
      var buf = [UInt8](repeating: 0, count: 64)
      let n = pread(fd, &buf, 63, 0)
      let holder =
        n > 0
        ? String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
      close(fd)
      throw TestbedError(
        "another testbed run (pid \(holder)) holds \(path); wait for it to finish", usage: true)
    }
    let me = "\(getpid())\n"
    _ = ftruncate(fd, 0)
    _ = me.withCString { pwrite(fd, $0, strlen($0), 0) }
    self.fd = fd
  }

  deinit {
    _ = flock(fd, LOCK_UN)
    close(fd)
  }
}
