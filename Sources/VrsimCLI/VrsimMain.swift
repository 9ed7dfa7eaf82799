import ArgumentParser
import Foundation
import ScenarioRun

/// Entry point of the `vrsim` executable: parses the command line, runs the command and maps
/// errors to exit codes: 0 success, 1 a run failed, 2 bad usage (unknown option, malformed
/// value), 130 interrupted.
public enum VrsimMain {
  /// Runs `vrsim` with `arguments` (the process arguments by default) and exits.
  public static func main(_ arguments: [String]? = nil) -> Never {
    let code = run(arguments ?? Array(CommandLine.arguments.dropFirst()))
    exit(code)
  }

  /// Runs `vrsim` with `arguments` and returns the exit code (used by tests).
  public static func run(_ arguments: [String]) -> Int32 {
    do {
      var command = try VrsimCommand.parseAsRoot(arguments)
      try command.run()
      return 0
    } catch let error as RunError {
      FileHandle.standardError.write(Data("vrsim: error: \(error.message)\n".utf8))
      return error.exitCode
    } catch let stop as CampaignInterrupted {
      return stop.exitCode
    } catch {
      let code = VrsimCommand.exitCode(for: error)
      let message = VrsimCommand.fullMessage(for: error)
      if code == .success {
        if !message.isEmpty { print(message) }
        return 0
      }
      if code == .validationFailure {
        // Usage errors: one line naming the value and what is allowed (the usage summary is
        // one `--help` away).
        let line = VrsimCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? message
        FileHandle.standardError.write(Data("vrsim: error: \(line)\n".utf8))
        return 2
      }
      if !message.isEmpty { FileHandle.standardError.write(Data("\(message)\n".utf8)) }
      return code.rawValue
    }
  }
}

/// A failure reported on stderr as `vrsim: error: ...`: exit code 1 when a run failed, 2 when
/// the user's input (a scenario file, a `--set` value) is invalid. The same type as the
/// scenario-run library's error, so either reaches the user the same way.
public typealias RunError = ScenarioRunError

/// The `vrsim` command: the root of every subcommand.
struct VrsimCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "vrsim",
    abstract: "A discrete-event simulator of virtualized routers.",
    discussion: """
      vrsim simulates virtual routers sharing one host (Xen dom0 bridge or router, SR-IOV, \
      containers, native Linux) to tell how many fit before packets are lost or one router \
      starves the others. Every value has a unit; every run is reproducible from its seed.
      """,
    version: VrsimVersion.string,
    subcommands: [
      RunCommand.self, VersionCommand.self, BenchCommand.self, HostDemoCommand.self, ReproduceCommand.self,
      SweepCommand.self, ResultsCommand.self, MergeCommand.self, SearchCommand.self, CalibrateCommand.self,
      ValidateCommand.self, TestbedCommand.self, SlurmCommand.self, ExportCommand.self, PlotCommand.self,
    ]
  )
}

/// The version of vrsim.
public enum VrsimVersion {
  /// Semantic version of this build.
  public static let string = "0.1.0"
}

struct VersionCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "version", abstract: "Print the version of vrsim.")
  func run() throws { print("vrsim \(VrsimVersion.string)") }
}
