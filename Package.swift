// swift-tools-version:6.1
import PackageDescription

// Every target is built in the Swift 6 language mode (strict concurrency).
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "liqsync",
    platforms: [.macOS(.v15)],
    products: [
        // Executables only: the libraries are this package's layers, used by nothing outside it.
        .executable(name: "liqsync", targets: ["liqsync"]),
        .executable(name: "fake-kaiko", targets: ["fake-kaiko"]),
        .executable(name: "liqsync-demo", targets: ["liqsync-demo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
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
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),

        // Metrics declared once beside the code that emits them (name, type, help), emitted
        // through swift-metrics with their handles cached.
        .target(
            name: "Telemetry",
            dependencies: [.product(name: "CoreMetrics", package: "swift-metrics")],
            swiftSettings: strictSettings
        ),

        // Domain values shared by every layer: asset codes, UTC hours, windows.
        .target(
            name: "LiquidationModel",
            swiftSettings: strictSettings
        ),

        // The Kaiko REST client: requests, pagination, retries, rate limit, exact decoding,
        // validation of every record against the request.
        .target(
            name: "KaikoAPI",
            dependencies: [
                "LiquidationModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationEssentialsCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                "Telemetry",
            ],
            swiftSettings: strictSettings
        ),

        // A faithful stand-in for the Kaiko endpoint (tests, benchmark, demo): synthetic data,
        // a controllable clock, revisions, and fault injection.
        .target(
            name: "FakeKaiko",
            dependencies: [
                "LiquidationModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "fake-kaiko",
            dependencies: [
                "FakeKaiko",
                "LiquidationModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // Schema-aware SQL: migrations, assets, the interval writer, runs, backfill jobs, data quality.
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

        // The sync engine: planning windows, fetch → validate → write per chunk, the scheduler
        // service, systemd notifications, metrics.
        .target(
            name: "Ingest",
            dependencies: [
                "KaikoAPI",
                "LiquidationStore",
                "LiquidationModel",
                "Postgres",
                "Telemetry",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),

        // What the command-line programs share: console output, tables, logging set-up, exit
        // statuses from Ingest's one error classification, the demo's options.
        .target(
            name: "CommandLineSupport",
            dependencies: [
                "Ingest",
                "LiquidationStore",
                "LiquidationModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // The command line: parses options, wires the layers together, presents the results.
        .executableTarget(
            name: "liqsync",
            dependencies: [
                "CommandLineSupport",
                "Ingest",
                "KaikoAPI",
                "LiquidationStore",
                "LiquidationModel",
                "Postgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),

        // The demo (`liqsync demo` hands over to it): a throwaway PostgreSQL and the stand-in API
        // in-process, so the production binary carries neither.
        .executableTarget(
            name: "liqsync-demo",
            dependencies: [
                "CommandLineSupport",
                "FakeKaiko",
                "Ingest",
                "KaikoAPI",
                "LiquidationStore",
                "LiquidationModel",
                "Postgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
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

        // What the test targets share: the stand-in's truth, polling for asynchronous effects.
        .target(
            name: "TestSupport",
            dependencies: ["LiquidationModel"],
            path: "Tests/TestSupport",
            swiftSettings: strictSettings
        ),

        // Unit tests: no server needed.
        .testTarget(
            name: "UnitTests",
            dependencies: [
                "CommandLineSupport",
                "Ingest",
                "KaikoAPI",
                "Telemetry",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                "Postgres",
                "LiquidationModel",
                "LiquidationStore",
                "liqsync",
            ],
            swiftSettings: strictSettings
        ),

        // The Kaiko client against FakeKaiko served in-process on a free port.
        .testTarget(
            name: "KaikoAPITests",
            dependencies: [
                "KaikoAPI",
                "TestSupport",
                "FakeKaiko",
                "LiquidationModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strictSettings
        ),

        // Integration tests: a real PostgreSQL server (started by scripts/test) and the
        // liqsync binary run as a subprocess.
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Ingest",
                "KaikoAPI",
                "liqsync-demo",
                "Postgres",
                "TestSupport",
                "LiquidationModel",
                "LiquidationStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
