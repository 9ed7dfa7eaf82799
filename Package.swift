// swift-tools-version: 6.1
// vrsim: a discrete-event simulator of virtualized routers.
// Module arrows point one way (see docs/DESIGN.md):
// vrsim -> VrsimCLI -> {Experiment, Calibration, Testbed, Report} -> Scenario -> Platforms -> {NetModel, HostModel}
//   -> SimCore -> GSLKit -> CGSL.
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
    .target(
      name: "Scenario", dependencies: ["SimCore", "Yams", "Platforms", "NetModel", "HostModel"],
      swiftSettings: strict),
    .target(
      name: "ScenarioRun", dependencies: ["SimCore", "Platforms", "Scenario", "Experiment", "Report"],
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
      name: "Testbed", dependencies: ["Scenario", "NetModel", "SimCore", "Report"], swiftSettings: strict),
    .target(
      name: "Calibration",
      dependencies: [
        "GSLKit", "SimCore", "Platforms", "Scenario", "ScenarioRun", "Report",
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
      name: "PlatformsTests", dependencies: ["Platforms", "NetModel", "HostModel", "SimCore", "Scenario"],
      swiftSettings: strict),
    .testTarget(
      name: "ScenarioTests", dependencies: ["Scenario", "SimCore", "Platforms"], exclude: ["Fixtures"],
      swiftSettings: strict),
    .testTarget(name: "VrsimCLITests", dependencies: ["VrsimCLI"], swiftSettings: strict),
    .testTarget(name: "ReportTests", dependencies: ["Report"], swiftSettings: strict),
    .testTarget(
      name: "TestbedTests",
      dependencies: ["Testbed", "Scenario", "SimCore", "Report", "Calibration", "vrsim"],
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
      dependencies: ["Experiment", "Report", "SimCore", "vrsim-campaign-fixture"],
      swiftSettings: strict
    ),
    // A real single-node Slurm (munged, slurmctld, slurmd) started by the test; skipped unless root.
    .testTarget(name: "SlurmTests", dependencies: ["Experiment", "vrsim"], swiftSettings: strict),
  ],
  swiftLanguageModes: [.v6]
)
