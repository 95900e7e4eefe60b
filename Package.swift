// swift-tools-version:6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "casetrack",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "casetrackd", targets: ["casetrackd"]),
        .executable(name: "casetrackctl", targets: ["casetrackctl"]),
        .executable(name: "casetrack-bench", targets: ["LoadGenerator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .target(name: "CaseTrackCore", swiftSettings: strict),
        // The case file format casetrackctl imports: RFC 4180 CSV and the row rules.
        .target(name: "CaseFileFormat", swiftSettings: strict),
        .target(
            name: "CaseTrackStore",
            dependencies: [
                "CaseTrackCore", .product(name: "GRDB", package: "GRDB.swift"),
                // The writer's hot statements step through SQLite's C API directly.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict),
        .target(
            name: "Varlink",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .target(
            name: "Systemd",
            dependencies: ["CSystemd", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .target(
            name: "CaseTrackDaemon",
            dependencies: [
                "CaseTrackCore", "CaseTrackStore", "Varlink", "Systemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ],
            exclude: ["io.casetrack.Tracker.varlink"],
            swiftSettings: strict),
        .executableTarget(
            name: "casetrackd",
            dependencies: [
                "CaseTrackDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "casetrackctl",
            dependencies: [
                "Varlink", "CaseFileFormat", "CaseTrackCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "LoadGenerator",
            dependencies: [
                "Varlink", "CaseTrackCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/LoadGenerator",
            swiftSettings: strict),
        // Fuzz targets (Tests/Fuzz/README.md). A plain build makes each a
        // program that replays inputs; `make fuzz` builds them with
        // -sanitize=fuzzer -DCASETRACK_FUZZING as libFuzzer targets.
        .executableTarget(
            name: "casetrack-fuzz-varlink",
            dependencies: ["CaseTrackDaemon", "FuzzSupport", .product(name: "Logging", package: "swift-log")],
            path: "Tests/Fuzz/VarlinkFuzzer",
            swiftSettings: strict),
        .executableTarget(
            name: "casetrack-fuzz-csv",
            dependencies: ["CaseFileFormat", "FuzzSupport"],
            path: "Tests/Fuzz/CSVFuzzer",
            swiftSettings: strict),
        .executableTarget(
            name: "casetrack-fuzz-plain",
            dependencies: ["CaseTrackDaemon", "Varlink", "FuzzSupport"],
            path: "Tests/Fuzz/PlainFuzzer",
            swiftSettings: strict),
        .target(name: "FuzzSupport", path: "Tests/Fuzz/Support", swiftSettings: strict),
        .testTarget(
            name: "CaseTrackCoreTests",
            dependencies: ["CaseTrackCore", "LedgerTestSupport", .product(name: "Yams", package: "Yams")]),
        // The in-memory ledger model that the core and store tests share.
        .target(name: "LedgerTestSupport", dependencies: ["CaseTrackCore"], path: "Tests/LedgerTestSupport"),
        .testTarget(
            name: "CaseTrackStoreTests",
            dependencies: [
                "CaseTrackStore", "CaseTrackCore", "LedgerTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "VarlinkTests", dependencies: ["Varlink", .product(name: "NIOPosix", package: "swift-nio")]),
        .testTarget(name: "SystemdTests", dependencies: ["Systemd"], exclude: ["start-journald.sh"]),
        .testTarget(name: "CaseTrackDaemonTests", dependencies: ["CaseTrackDaemon", "Varlink"]),
        .testTarget(name: "IntegrationTests", dependencies: ["Varlink"], exclude: ["varlink_conformance.py", "notify_activation.py"]),
    ]
)
