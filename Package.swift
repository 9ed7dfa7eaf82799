// swift-tools-version: 6.1
// vrsim: a discrete-event simulator of virtualized routers.
// Module arrows point one way (see docs/DESIGN.md):
// vrsim -> VrsimCLI -> {Experiment, Calibration, Testbed, Report} -> Scenario -> {SettingText, Platforms};
// SettingText -> {SimCore, Yams}; Platforms -> {NetModel, HostModel} -> SimCore -> GSLKit -> CGSL.
import PackageDescription

let strict: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
  .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
  name: "vrsim",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "vrsim", targets: ["vrsim"]),
    .executable(name: "vrsim-benchmarks", targets: ["vrsim-benchmarks"]),
    .library(name: "SimCore", targets: ["SimCore"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/swiftcsv/SwiftCSV", exact: "0.10.0"),
    // `swift package generate-documentation` (the DocC catalog in Sources/Experiment).
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
  ],
  targets: [
    .systemLibrary(
      name: "CGSL",
      pkgConfig: "gsl",
      providers: [.apt(["libgsl-dev"])]
    ),
    .target(name: "CAllocCounter"),
    .target(name: "CSimSupport"),
    // Each CPU's exact softirq time by two hand-assembled BPF programs (Linux; the testbed's
    // softirq_exact rows).
    .target(name: "CSoftirqTime"),
    .target(name: "GSLKit", dependencies: ["CGSL"], swiftSettings: strict),
    .target(
      name: "SimCore",
      dependencies: [
        "GSLKit", "CSimSupport",
        .product(name: "Histogram", package: "hdrhistogram-swift"),
      ],
      swiftSettings: strict
    ),
    .target(name: "HostModel", dependencies: ["SimCore", "GSLKit"], swiftSettings: strict),
    .target(name: "NetModel", dependencies: ["SimCore", "GSLKit", "HostModel"], swiftSettings: strict),
    .target(name: "Platforms", dependencies: ["NetModel", "HostModel", "SimCore"], swiftSettings: strict),
    // How a declared setting is written: YAML read into a tree with origins, quantities with
    // units, each SettingDomain's text and parser, located diagnostics (scenarios and profiles).
    .target(name: "SettingText", dependencies: ["SimCore", "Yams"], swiftSettings: strict),
    .target(
      name: "Scenario", dependencies: ["SimCore", "SettingText", "Platforms", "NetModel", "HostModel"],
      swiftSettings: strict),
    .target(
      name: "ScenarioRun",
      dependencies: [
        "SimCore", "CAllocCounter", "HostModel", "NetModel", "Platforms", "Scenario", "Experiment", "Report",
      ],
      swiftSettings: strict),
    .target(
      name: "VrsimCLI",
      dependencies: [
        "SimCore", "GSLKit", "CAllocCounter", "HostModel", "NetModel", "Platforms", "Scenario", "Experiment",
        "ScenarioRun", "Report", "Testbed", "Calibration",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: strict
    ),
    .target(name: "Report", dependencies: ["SimCore"], swiftSettings: strict),
    .target(
      name: "Testbed",
      dependencies: [
        "Scenario", "NetModel", "SimCore", "Report", "Experiment", "ScenarioRun", "CSoftirqTime",
      ],
      swiftSettings: strict),
    .target(
      name: "Calibration",
      dependencies: [
        "GSLKit", "SimCore", "Platforms", "Scenario", "Experiment", "ScenarioRun", "Report",
        .product(name: "SwiftCSV", package: "SwiftCSV"),
      ],
      swiftSettings: strict
    ),
    .target(
      name: "Experiment",
      dependencies: ["SimCore", "Report", .product(name: "GRDB", package: "GRDB.swift")],
      swiftSettings: strict
    ),
    .executableTarget(name: "vrsim", dependencies: ["VrsimCLI"], swiftSettings: strict),
    // The paper's guest benchmarks in C (Super Pi with GNU MPFR, MASR, ZFG), run by
    // `vrsim testbed bench` inside router namespaces.
    .executableTarget(
      name: "vrsim-benchmarks", linkerSettings: [.linkedLibrary("mpfr"), .linkedLibrary("gmp")]),
    .testTarget(name: "GSLKitTests", dependencies: ["GSLKit"], swiftSettings: strict),
    .testTarget(name: "SimCoreTests", dependencies: ["SimCore", "GSLKit"], swiftSettings: strict),
    .testTarget(name: "HostModelTests", dependencies: ["HostModel", "SimCore"], swiftSettings: strict),
    .testTarget(
      name: "NetModelTests", dependencies: ["NetModel", "HostModel", "SimCore"], swiftSettings: strict),
    .testTarget(
      name: "PlatformsTests",
      dependencies: ["Platforms", "NetModel", "HostModel", "SimCore", "Scenario", "SettingText"],
      swiftSettings: strict),
    .testTarget(
      name: "ScenarioTests", dependencies: ["Scenario", "SettingText", "SimCore", "Platforms"],
      exclude: ["Fixtures", "Golden"],
      swiftSettings: strict),
    // What several test targets share (the built vrsim's path, a tiny sweep scenario).
    .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strict),
    .testTarget(
      name: "VrsimCLITests", dependencies: ["VrsimCLI", "ScenarioRun", "TestSupport"], swiftSettings: strict),
    .testTarget(name: "ReportTests", dependencies: ["Report"], swiftSettings: strict),
    .testTarget(
      name: "TestbedTests",
      dependencies: ["Testbed", "Scenario", "SimCore", "Report", "Calibration", "vrsim", "TestSupport"],
      exclude: ["Goldens"],
      swiftSettings: strict),
    .testTarget(
      name: "CalibrationTests", dependencies: ["Calibration", "Scenario", "Report", "GSLKit"],
      swiftSettings: strict),
    .executableTarget(
      name: "vrsim-campaign-fixture",
      dependencies: ["Experiment"],
      path: "Tests/CampaignFixture",
      swiftSettings: strict
    ),
    .testTarget(
      name: "ExperimentTests",
      dependencies: [
        "Experiment", "Report", "SimCore", "vrsim-campaign-fixture",
        .product(name: "GRDB", package: "GRDB.swift"),
      ],
      swiftSettings: strict
    ),
    // A real single-node Slurm (munged, slurmctld, slurmd) started by the test; skipped unless root.
    .testTarget(
      name: "SlurmTests", dependencies: ["Experiment", "vrsim", "TestSupport"], swiftSettings: strict),
  ],
  swiftLanguageModes: [.v6]
)

/// Keeps only the targets named in `names` and those they depend on (and the products made of
/// them): a sanitized or fuzz build then compiles nothing else.
@MainActor func keepOnly(_ names: Set<String>) {
  var keep = names
  var changed = true
  while changed {
    changed = false
    for target in package.targets where keep.contains(target.name) {
      for dependency in target.dependencies {
        switch dependency {
        case .targetItem(let name, _), .byNameItem(let name, _):
          if keep.insert(name).inserted { changed = true }
        default: break
        }
      }
    }
  }
  package.targets.removeAll { !keep.contains($0.name) }
  package.products.removeAll { product in
    let targets = (product as? Product.Executable)?.targets ?? (product as? Product.Library)?.targets ?? []
    return !targets.allSatisfy(keep.contains)
  }
  // Packages no kept target uses are dropped too (SwiftPM warns about unused dependencies).
  let targetNames = Set(package.targets.map(\.name))
  var used = Set<String>()
  for target in package.targets {
    for dependency in target.dependencies {
      switch dependency {
      case .productItem(_, let name?, _, _): used.insert(name.lowercased())
      case .byNameItem(let name, _) where !targetNames.contains(name): used.insert(name.lowercased())
      default: break
      }
    }
  }
  package.dependencies.removeAll { dependency in
    guard case .sourceControl(_, let location, _) = dependency.kind else { return false }
    let last = location.split(separator: "/").last.map(String.init) ?? location
    return !used.contains((last.hasSuffix(".git") ? String(last.dropLast(4)) : last).lowercased())
  }
}

// Fuzz targets (Fuzz/, issue 21): declared only when VRSIM_FUZZ is set, so the normal build and
// `make test` never see them; then they and what they read are the whole package.
// `scripts/fuzz.sh` builds them with libFuzzer and AddressSanitizer (`-sanitize=fuzzer,address
// -parse-as-library`) in its own scratch folder and runs them.
if Context.environment["VRSIM_FUZZ"] != nil {
  let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
    ("fuzz-scenario", ["Scenario", "Platforms"]),
    ("fuzz-set", ["Scenario"]),
    ("fuzz-profile", ["Scenario", "Platforms"]),
    ("fuzz-trace-csv", ["Scenario", "Platforms", "SimCore"]),
    ("fuzz-trace-pcap", ["Scenario", "Platforms"]),
    ("fuzz-routes", ["Scenario", "Platforms", "NetModel"]),
    ("fuzz-measured", ["Calibration", "Report"]),
    ("fuzz-campaign", ["Experiment", "Report", .product(name: "GRDB", package: "GRDB.swift")]),
  ]
  for target in fuzzTargets {
    package.targets.append(
      .executableTarget(
        name: target.name, dependencies: target.dependencies + ["FuzzSupport", "FuzzDriver"],
        path: "Fuzz/\(target.name)",
        swiftSettings: strict))
  }
  package.targets.append(.target(name: "FuzzDriver", path: "Fuzz/FuzzDriver"))
  package.targets.append(
    .target(
      name: "FuzzSupport", dependencies: ["Scenario", "SettingText"], path: "Fuzz/FuzzSupport",
      swiftSettings: strict))
  keepOnly(Set(fuzzTargets.map(\.name)))
}

// Sanitizer runs (scripts/sanitize.sh, issue 21): VRSIM_TEST_TARGETS=A,B keeps only those test
// targets and what they depend on. Unset: no change.
if let only = Context.environment["VRSIM_TEST_TARGETS"] {
  keepOnly(Set(only.split(separator: ",").map(String.init)))
}
