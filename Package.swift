// swift-tools-version:6.1
import PackageDescription

// Every target is built in the Swift 6 language mode (strict concurrency).
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "liqsync",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "liqsync", targets: ["liqsync"]),
        .library(name: "Postgres", targets: ["Postgres"]),
        .library(name: "LiquidationStore", targets: ["LiquidationStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // libpq, found through pkg-config; Debian's libpq-dev provides it.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),

        // A small, safe Swift layer over libpq: one actor per connection, each on its own thread.
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // Domain values shared by every layer: asset codes, UTC hours, windows.
        .target(
            name: "LiquidationModel",
            swiftSettings: strictSettings
        ),

        // Schema-aware SQL: migrations, assets, and (later) the ingest write path.
        .target(
            name: "LiquidationStore",
            dependencies: [
                "Postgres",
                "LiquidationModel",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings,
            plugins: ["EmbedMigrations"]
        ),

        // The command line: wires the layers together from options, maps errors to sysexits.
        .executableTarget(
            name: "liqsync",
            dependencies: [
                "LiquidationStore",
                "LiquidationModel",
                "Postgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // Build-time tool and plugin that compile migrations/*.sql into the binary, so an
        // installed liqsync needs no source tree.
        .executableTarget(
            name: "MigrationEmbedder",
            swiftSettings: strictSettings
        ),
        .plugin(
            name: "EmbedMigrations",
            capability: .buildTool(),
            dependencies: ["MigrationEmbedder"]
        ),

        // Unit tests: no server needed.
        .testTarget(
            name: "UnitTests",
            dependencies: [
                "Postgres",
                "LiquidationModel",
                "LiquidationStore",
                "liqsync",
            ],
            swiftSettings: strictSettings
        ),

        // Integration tests: a real PostgreSQL server (started by scripts/test) and the
        // liqsync binary run as a subprocess.
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Postgres",
                "LiquidationModel",
                "LiquidationStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
