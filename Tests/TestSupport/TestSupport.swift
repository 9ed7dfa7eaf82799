import Foundation

/// What several test targets share: where the built `vrsim` is, and the tiny sweep scenario
/// the campaign tests run.
public enum TestSupport {
  /// The `vrsim` executable SwiftPM built beside the running test bundle (`swift build
  /// --build-tests` puts both in one build directory), found from the process's own path;
  /// nil when there is none.
  public static func builtVrsim() -> URL? {
    let starts = [
      URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
      URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath(),
      Bundle.main.bundleURL,
    ]
    for start in starts {
      var dir = start.deletingLastPathComponent()
      while dir.path.contains(".xctest") { dir = dir.deletingLastPathComponent() }
      for candidate in [dir, dir.deletingLastPathComponent()] {
        let url = candidate.appendingPathComponent("vrsim")
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
      }
    }
    return nil
  }

  /// One native router at three offered rates, 2 replications: 6 runs of 20 ms each.
  public static let tinySweep = """
    name: tiny
    about: one native router, three offered rates
    platform: native
    routers: { count: 1 }
    traffic: [ { to: all, rate: 50kpps, frame: 64B } ]
    run: { duration: 20ms, warmup: 5ms, replications: 2, seed: 7 }
    sweep:
      traffic[0].rate: [20kpps, 50kpps, 2Mpps]

    """
}
