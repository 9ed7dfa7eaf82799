import Foundation
import Scenario

#if canImport(Glibc)
  import Glibc
#endif

/// An OpenSSH server inside one of a testbed session's own namespaces, so the ssh path of the
/// remote roles runs for real without a second machine: a temporary host key, a temporary
/// client key authorised for root, its own `sshd_config`, listening only on one address of
/// that namespace. Everything lives in the session's work directory (`/tmp/vrt<hex>-work.XXXXXX/ssh`,
/// so `vrsim testbed clean` removes it after a SIGKILL); sshd runs in the session's namespace
/// (deleting it kills sshd, so the session's teardown on error, SIGINT, SIGTERM and SIGHUP
/// does) and is stopped by its pid in `stop()`.
public final class NamespaceSSHServer: @unchecked Sendable {
  /// How a client in `clientNamespace` reaches this server (host key checked against the
  /// temporary key, `BatchMode`, the temporary identity).
  public let launcher: RemoteLauncher
  /// sshd's process id.
  public let pid: Int32
  let directory: String
  let madePrivsepDirectory: Bool
  private var stopped = false

  /// sshd's privilege separation directory (compiled into Debian's sshd). The package's
  /// tmpfiles.d creates it at boot; where it is missing it is created here and removed again
  /// by `stop()`.
  static let privsepDirectory = "/run/sshd"

  /// Starts sshd in `namespace` listening on `address`:`port`, for clients in
  /// `clientNamespace`. Throws (usage) when sshd or ssh-keygen is missing.
  public convenience init(
    session: TestbedSession, namespace: String, address: String, port: Int, clientNamespace: String
  ) throws {
    let ledger = session.ledger
    try self.init(
      directory: session.workDirectory + "/ssh", namespace: namespace, address: address, port: port,
      clientNamespace: clientNamespace, runner: session.runner, whileOpen: { try ledger.whileOpen($0) })
  }

  /// Starts sshd in `namespace` as above, outside any session: keys and configuration in
  /// `directory` (created here, mode 0700; removed by `stop()`), commands run with `runner`,
  /// sshd started inside `whileOpen` (the caller's guard against a concurrent teardown). The
  /// caller owns `namespace` and removes it (`stop()` ends sshd by its pid first).
  ///
  /// With `networkOnly`, sshd enters only the namespace's network (`nsenter --net`), keeping
  /// this machine's mounts: its sessions see the real /sys/fs/cgroup (`ip netns exec` mounts
  /// a /sys of the namespace, without cgroups) and the namespaces they add are visible here,
  /// as a remote dut's host needs in a lab of namespaces.
  public init(
    directory dir: String, namespace: String, address: String, port: Int, clientNamespace: String?,
    runner: any CommandRunner,
    whileOpen: (() throws -> CommandResult) throws -> CommandResult = { try $0() },
    networkOnly: Bool = false
  ) throws {
    guard let sshd = ProgramPath.resolve("sshd"), ProgramPath.resolve("ssh-keygen") != nil,
      ProgramPath.resolve("ssh") != nil
    else {
      throw TestbedError(
        "sshd, ssh and ssh-keygen are needed (Debian: openssh-server, openssh-client; scripts/install-deps.sh)",
        usage: true)
    }
    directory = dir
    let fm = FileManager.default
    try fm.createDirectory(
      atPath: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
    var made = false
    if !fm.fileExists(atPath: Self.privsepDirectory) {
      try fm.createDirectory(
        atPath: Self.privsepDirectory, withIntermediateDirectories: false,
        attributes: [.posixPermissions: 0o755])
      made = true
    }
    madePrivsepDirectory = made
    do {
      for key in ["host_key", "client_key"] {
        try runner.check([
          "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "vrsim-testbed-\(key)", "-f", dir + "/" + key,
        ])
      }
      func publicKey(_ name: String) throws -> String {
        let text = try String(contentsOfFile: dir + "/" + name + ".pub", encoding: .utf8)
        return text.split(separator: " ").prefix(2).joined(separator: " ")
      }
      try (publicKey("client_key") + "\n").write(
        toFile: dir + "/authorized_keys", atomically: true, encoding: .utf8)
      try ("[\(address)]:\(port) " + publicKey("host_key") + "\n").write(
        toFile: dir + "/known_hosts", atomically: true, encoding: .utf8)
      let config = [
        "ListenAddress \(address):\(port)", "HostKey \(dir)/host_key",
        "AuthorizedKeysFile \(dir)/authorized_keys",
        "PidFile \(dir)/sshd.pid", "PermitRootLogin prohibit-password", "PubkeyAuthentication yes",
        "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no", "PrintMotd no",
        "AllowTcpForwarding no", "X11Forwarding no", "PermitTunnel no", "AllowAgentForwarding no",
        "MaxStartups 10:30:100", "LogLevel INFO",
        // The keys sit in /tmp/vrt<hex>-work/ssh (mode 0700, root): StrictModes would refuse them
        // because /tmp is world-writable.
        "StrictModes no",
      ]
      try (config.joined(separator: "\n") + "\n").write(
        toFile: dir + "/sshd_config", atomically: true, encoding: .utf8)
      // sshd daemonises (its foreground process exits once it listens and has written its
      // pid file): run in the foreground, it would close the descriptors Foundation's Process
      // watches for its exit, which then blocks in waitpid on a live process. The daemon runs
      // in the namespace, so deleting the namespace kills it on every exit path.
      let r = try whileOpen {
        try runner.run(
          (networkOnly ? ["nsenter", "--net=/run/netns/" + namespace] : ["ip", "netns", "exec", namespace])
            + [sshd, "-f", dir + "/sshd_config", "-E", dir + "/sshd.log"],
          input: nil)
      }
      var daemon: Int32? = nil
      for _ in 0..<250 where r.status == 0 {
        if let text = try? String(contentsOfFile: dir + "/sshd.pid", encoding: .utf8),
          let p = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
          daemon = p
          break
        }
        usleep(20_000)
      }
      guard let daemon else {
        let log = (try? String(contentsOfFile: dir + "/sshd.log", encoding: .utf8)) ?? ""
        throw TestbedError(
          "sshd did not start in \(namespace) (status \(r.status)): \(r.stderr.suffix(200)) \(log.suffix(300))"
        )
      }
      pid = daemon
    } catch {
      SafeRemove.directory(dir)
      if made { rmdir(Self.privsepDirectory) }
      throw error
    }
    launcher = RemoteLauncher(
      target: SSHTarget(
        user: "root", host: address, port: port, identity: dir + "/client_key",
        options: [
          SSHOption("StrictHostKeyChecking", "yes"), SSHOption("UserKnownHostsFile", dir + "/known_hosts"),
          SSHOption("GlobalKnownHostsFile", "/dev/null"), SSHOption("IdentitiesOnly", "yes"),
          SSHOption("ConnectTimeout", "5"),
        ]),
      clientNamespace: clientNamespace)
  }

  /// Stops sshd (by its pid), removes the keys and configuration and, when it was made here,
  /// the privilege separation directory. Idempotent.
  public func stop() {
    guard !stopped else { return }
    stopped = true
    // Only the daemon this server started: its pid file names it, and it must still be the
    // sshd of this configuration (a pid is reused only after the process is gone).
    if isOurDaemon() {
      kill(pid, SIGTERM)
      for _ in 0..<50 where isOurDaemon() { usleep(20_000) }
      if isOurDaemon() { kill(pid, SIGKILL) }
    }
    SafeRemove.directory(directory)
    if madePrivsepDirectory { rmdir(Self.privsepDirectory) }
  }

  /// Whether `pid` is still this server's sshd (its command line names this configuration).
  func isOurDaemon() -> Bool {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
    return String(decoding: data, as: UTF8.self).contains(directory + "/sshd_config")
  }

  deinit { stop() }
}

extension NamespaceSSHServer {
  /// `vrsim testbed _sshd`: starts the bench topology with an OpenSSH server in the
  /// time-keeper's namespace (as the ssh tests do), prints `ready <pid> <prefix>` and waits
  /// until killed (the SIGKILL test of `vrsim testbed clean`).
  public static func serveUntilKilled() throws -> Never {
    let session = try TestbedSession(tools: ["ip", "sysctl"], log: TestbedCommon.note)
    let router = TestbedRouter(vcpus: 1, weight: 256, cap: 0, generatedRoutes: 0, routePrefixes: nil)
    let bench = try BenchRunner(
      session: session, router: router, selfPath: TestbedCommon.selfPath, startKeeper: false)
    let server = try NamespaceSSHServer(
      session: session, namespace: bench.keeperNamespace, address: BenchRunner.keeperAddress(.host),
      port: 2222, clientNamespace: session.prefix.name("host"))
    FileHandle.standardOutput.write(Data("ready \(server.pid) \(session.prefix)\n".utf8))
    withExtendedLifetime((session, bench, server)) {}
    while true { sleep(60) }
  }
}
