import Foundation

/// The outcome of one external command.
public struct CommandResult: Sendable, Equatable {
  /// Exit status (or 128 + signal number when the command was killed).
  public var status: Int32
  /// Everything the command wrote to stdout.
  public var stdout: String
  /// Everything the command wrote to stderr.
  public var stderr: String
}

/// A failure of the testbed: a command that failed, a missing capability, a bad setting.
public struct TestbedError: Error, CustomStringConvertible, Sendable {
  /// One line saying what went wrong and what to do about it.
  public var message: String
  /// True when the user's input or environment is at fault (exit code 2), false for a run
  /// that failed midway (exit code 1).
  public var isUsage: Bool
  /// The exit code of the signal that interrupted the run (130, 143, 129), when a signal's
  /// teardown closed the ledger under the operation that failed.
  public var signalExitCode: Int32?
  /// Creates an error.
  public init(_ message: String, usage: Bool = false, signalExitCode: Int32? = nil) {
    self.message = message
    self.isUsage = usage
    self.signalExitCode = signalExitCode
  }
  public var description: String { message }
}

/// Runs external commands as argument vectors: the only place the testbed starts processes.
///
/// Every command is an array of words handed to `execve` through Foundation's `Process`;
/// no shell ever parses a string built from input. Implementations: `SystemCommandRunner`
/// (the real machine); tests may substitute their own.
public protocol CommandRunner: Sendable {
  /// Runs `argv` to completion with `input` on stdin and returns its status and output.
  func run(_ argv: [String], input: String?) throws -> CommandResult
}

extension CommandRunner {
  /// Runs `argv` and throws when it exits non-zero, quoting its stderr.
  @discardableResult
  public func check(_ argv: [String], input: String? = nil) throws -> String {
    let r = try run(argv, input: input)
    guard r.status == 0 else {
      let err = r.stderr.split(separator: "\n").prefix(3).joined(separator: "; ")
      throw TestbedError("command failed (status \(r.status)): \(argv.joined(separator: " ")): \(err)")
    }
    return r.stdout
  }
}

/// Resolves a program name the way `execvp` would, plus the sbin directories root uses.
public enum ProgramPath {
  /// The absolute path of the program `name` (a path when it holds a `/`), or nil.
  public static func resolve(_ name: String) -> String? {
    if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    var dirs = path.split(separator: ":").map(String.init)
    for extra in ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin", "/bin"]
    where !dirs.contains(extra) {
      dirs.append(extra)
    }
    for dir in dirs {
      let candidate = (dir as NSString).appendingPathComponent(name)
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }
}

/// A byte buffer filled from a pipe on another thread.
final class PipeSink: @unchecked Sendable {
  private let lock = NSLock()
  private var data = Data()
  private let done = DispatchSemaphore(value: 0)

  /// Starts draining `handle` on a background thread.
  init(_ handle: FileHandle) {
    Thread.detachNewThread { [self] in
      let chunk = handle.readDataToEndOfFile()
      lock.lock()
      data = chunk
      lock.unlock()
      done.signal()
    }
  }

  /// Waits for end of file and returns the text read.
  func text() -> String {
    done.wait()
    lock.lock()
    defer { lock.unlock() }
    return String(decoding: data, as: UTF8.self)
  }
}

/// Runs commands on this machine.
public struct SystemCommandRunner: CommandRunner {
  /// Creates a runner.
  public init() {}

  public func run(_ argv: [String], input: String?) throws -> CommandResult {
    let process = try Self.makeProcess(argv)
    let out = Pipe()
    let err = Pipe()
    let inp = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input == nil ? FileHandle.nullDevice : inp
    try process.run()
    let outSink = PipeSink(out.fileHandleForReading)
    let errSink = PipeSink(err.fileHandleForReading)
    if let input {
      inp.fileHandleForWriting.write(Data(input.utf8))
      try? inp.fileHandleForWriting.close()
    }
    let stdout = outSink.text()
    let stderr = errSink.text()
    process.waitUntilExit()
    let status =
      process.terminationReason == .uncaughtSignal
      ? 128 + process.terminationStatus : process.terminationStatus
    return CommandResult(status: status, stdout: stdout, stderr: stderr)
  }

  /// A `Process` for `argv` with its program resolved on PATH (and the sbin directories).
  static func makeProcess(_ argv: [String]) throws -> Process {
    guard let name = argv.first, let path = ProgramPath.resolve(name) else {
      throw TestbedError("program '\(argv.first ?? "")' not found on PATH; see docs/testbed.md", usage: true)
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = Array(argv.dropFirst())
    return process
  }
}
