import Foundation
import Scenario

/// The remote command line of an ssh call. ssh sends its command as one string that the
/// remote account's shell (`$SHELL -c`) splits again, so an argument vector must be turned
/// into a string that a POSIX shell splits back into exactly the same words: each word in
/// single quotes, each `'` inside written `'\''`. Nothing between single quotes is special
/// to a POSIX shell (no `$`, backquote, backslash, glob or newline), so no word can become
/// code, an option of the shell, or two words.
public enum RemoteCommand {
  /// `word` quoted for a POSIX shell. Words holding a NUL byte cannot be passed to any
  /// program (C strings end there) and are refused.
  public static func quote(_ word: String) throws -> String {
    guard !word.utf8.contains(0) else {
      throw TestbedError("an argument holds a NUL byte, which no remote command can receive", usage: true)
    }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }

  /// The argument vector `argv` as one command line a POSIX shell splits back into `argv`.
  public static func join(_ argv: [String]) throws -> String {
    precondition(!argv.isEmpty, "a remote command needs a program")
    return try argv.map(quote).joined(separator: " ")
  }
}

/// How one role reaches its remote host: the ssh target of the scenario's `testbed:` section,
/// and optionally a local namespace the ssh client runs in (when the host is reached through
/// one of the testbed's own links, as in the tests).
public struct RemoteLauncher: Sendable, Equatable {
  /// The host.
  public var target: SSHTarget
  /// A local network namespace to run `ssh` in; nil: the caller's.
  public var clientNamespace: String?

  /// A launcher; the client namespace defaults to the target's (`ssh.client_namespace`).
  public init(target: SSHTarget, clientNamespace: String? = nil) {
    self.target = target
    self.clientNamespace = clientNamespace ?? target.clientNamespace
  }

  /// The local argument vector that runs `remote` (an argument vector) on the target:
  /// `ssh -o BatchMode=yes [-l USER] -p PORT [-i FILE] [-o NAME=VALUE ...] -- HOST 'word' ...`,
  /// every part its own word (the host and user were checked by `SSHTarget.isSafeName`, and
  /// `--` ends ssh's options before the host in any case).
  public func argv(_ remote: [String]) throws -> [String] {
    guard SSHTarget.isSafeName(target.host), target.user.map(SSHTarget.isSafeName) ?? true else {
      throw TestbedError(
        "ssh target '\(target.host)' is not a host name ssh can take as one word", usage: true)
    }
    var a = ["ssh", "-o", "BatchMode=yes"]
    if let u = target.user { a += ["-l", u] }
    a += ["-p", String(target.port)]
    if let i = target.identity { a += ["-i", i] }
    for o in target.options { a += ["-o", "\(o.name)=\(o.value)"] }
    a += ["--", target.host, try RemoteCommand.join(remote)]
    if let ns = clientNamespace { a = ["ip", "netns", "exec", ns] + a }
    return a
  }
}

/// Runs commands on a remote host over ssh: every command is an argument vector, quoted word
/// by word (`RemoteCommand`) into the one string ssh carries; the local side is itself an
/// argument vector (no local shell).
public struct SSHCommandRunner: CommandRunner {
  /// How the host is reached.
  public let launcher: RemoteLauncher
  let local: any CommandRunner

  /// A runner through `launcher`, starting ssh with `local`.
  public init(_ launcher: RemoteLauncher, local: any CommandRunner = SystemCommandRunner()) {
    self.launcher = launcher
    self.local = local
  }

  public func run(_ argv: [String], input: String?) throws -> CommandResult {
    try local.run(try launcher.argv(argv), input: input)
  }
}

extension SSHTarget {
  /// A runner for this host: ssh through `local`.
  func runner(local: any CommandRunner) -> any CommandRunner {
    SSHCommandRunner(RemoteLauncher(target: self), local: local)
  }
}

/// The runner of a host: `local` for this machine (nil), ssh to the target otherwise.
func runner(on host: SSHTarget?, local: any CommandRunner) -> any CommandRunner {
  host.map { $0.runner(local: local) } ?? local
}
