import Foundation
import NetModel
import Platforms
import Scenario
import Testing

/// `routers.each.routes_file`: a route table read from a prefix file next to the scenario.
@Suite struct RouteFileTests {
  /// A fresh directory holding `files` (name -> text); returns its path.
  static func directory(_ files: [String: String]) throws -> String {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("vrsim-routes-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for (name, text) in files {
      try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    return dir.path
  }

  static let prefixes = """
    # three prefixes, two lengths
    10.0.0.0/8

    192.168.1.0/24
    192.168.2.0/24
    """

  @Test func tableIsReadFromTheFileRelativeToTheScenario() throws {
    let dir = try Self.directory([
      "routes.txt": Self.prefixes,
      "s.yaml": """
      platform: native
      routers: { count: 3, each: { routes_file: routes.txt }, overrides: [{ index: 2, routes: 50 }] }
      """,
    ])
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let spec = try ScenarioLoader.load(path: dir + "/s.yaml")
    #expect(spec.routers.each.routesFile == "routes.txt")
    let p = try spec.platformSpec(profile: .paper2012)
    #expect(p.routers[0].table.routes == 3)
    #expect(p.routers[0].table.prefixLengths == 2)
    #expect(p.routers[0].table.longerThan24 == 0)
    #expect(p.routers[1].table == p.routers[0].table)
    // An override's routes replaces the inherited file with a generated table.
    #expect(p.routers[2].table == .generated(routes: 50))
  }

  @Test func malformedLineIsNamedWithFileAndLine() throws {
    let dir = try Self.directory([
      "routes.txt": Self.prefixes + "\n10.1.2/16\n",
      "s.yaml": "routers: { each: { routes_file: routes.txt } }\n",
    ])
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let spec = try ScenarioLoader.load(path: dir + "/s.yaml")
    #expect(
      throws: PlatformError(
        "\(dir)/routes.txt:6:1: '10.1.2/16' is not an IPv4 prefix a.b.c.d/len; "
          + "allowed: an IPv4 prefix a.b.c.d/len (octets 0 ... 255, len 0 ... 32)")
    ) {
      try spec.platformSpec(profile: .paper2012)
    }
  }

  @Test func missingFileIsNamed() throws {
    let dir = try Self.directory(["s.yaml": "routers: { each: { routes_file: nope.txt } }\n"])
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let spec = try ScenarioLoader.load(path: dir + "/s.yaml")
    #expect(
      throws: PlatformError(
        "\(dir)/nope.txt: cannot read the route table file (routes_file) (no such file); allowed: a readable file"
      )
    ) {
      try spec.platformSpec(profile: .paper2012)
    }
  }

  @Test func routesAndRoutesFileTogetherAreRefused() {
    do {
      _ = try ScenarioLoader.load(
        text: "routers: { each: { routes: 10, routes_file: r.txt } }\n", fileName: "x.yaml")
      Issue.record("loaded a scenario with both routes and routes_file")
    } catch {
      #expect(
        error.description
          == "x.yaml:1:45: routers.each.routes_file: both routes and routes_file are given; allowed: one of routes (a generated table) or routes_file (a table read from the file)"
      )
    }
  }
}
