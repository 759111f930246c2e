import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import LiquidationModel
import LiquidationStore

struct AssetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assets",
        abstract: "Choose which assets liqsync keeps current.",
        subcommands: [Add.self, List.self, Enable.self, Disable.self, Lookback.self, Remove.self],
        defaultSubcommand: List.self)

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start tracking assets.",
            discussion: """
                The next sync loads each asset from --since (default and earliest: the dataset's first hour, \
                \(KaikoDataset.firstHour), unless --before-dataset-start) up to the last settled hour. An asset \
                that is already tracked is left as it is; load earlier history with 'liqsync backfill'.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var datasetStart: DatasetStartOption

        @Argument(help: ArgumentHelp("Kaiko asset codes, e.g. btc eth sol.", valueName: "asset"), transform: AssetArgument.parse)
        var assets: [AssetCode]

        @Option(
            help: ArgumentHelp(
                "Where the history starts: a date (2025-01-08) or a UTC time (2025-01-08T10:00Z), floored to the hour.",
                valueName: "date"),
            transform: HourArgument.parser("--since"))
        var since: HourArgument?

        @Option(help: ArgumentHelp(
            "Hours below the watermark each sync re-reads for revisions (older hours are final). Default: 24.",
            valueName: "hours"))
        var lookbackHours: Int?

        func validate() throws {
            if let since, since.hour.secondsSinceEpoch > Int64(Date().timeIntervalSince1970) {
                throw ValidationError("--since \(since.text) is in the future")
            }
            try Lookback.check(lookbackHours)
        }

        func run() async throws {
            let unique = AssetArgument.unique(assets)
            if let since, since.wasRounded {
                Console.warn("--since \(since.text) starts the history at \(since.hour), the start of its hour")
            }
            let syncFrom = since.map { datasetStart.start($0, option: "--since") } ?? KaikoDataset.firstHour
            let logger = global.makeLogger()
            let outcomes = try await global.withConnection(logger: logger) { connection in
                try await AssetStore(connection: connection).add(unique, syncFrom: syncFrom, lookbackHours: lookbackHours)
            }
            for outcome in outcomes {
                switch outcome {
                case .added(let asset, let from):
                    Console.print("Added \(asset): history from \(from).")
                case .alreadyTracked(let asset, let from):
                    Console.print("\(asset) is already tracked (history from \(from)); left unchanged.")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the tracked assets.")

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Print JSON (stable keys, for scripts).")
        var json = false

        func run() async throws {
            let logger = global.makeLogger()
            let assets = try await global.withConnection(logger: logger) { connection in
                try await AssetStore(connection: connection).list()
            }
            if json {
                Console.print(try AssetListJSON.render(assets))
                return
            }
            guard !assets.isEmpty else {
                Console.print("No assets are tracked. Add some with 'liqsync assets add btc eth'.")
                return
            }
            var table = TextTable(headers: ["ASSET", "ENABLED", "SYNC FROM", "WATERMARK", "HOURS", "LOOKBACK", "LAST ERROR"])
            for asset in assets {
                table.rows.append([
                    asset.asset.rawValue, asset.enabled ? "yes" : "no", asset.syncFrom.description,
                    asset.watermark.description, String(asset.storedHours), "\(asset.lookbackHours)h", asset.lastError ?? "",
                ])
            }
            Console.print(table.render())
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume syncing an asset.")

        @OptionGroup var target: OneAsset

        func run() async throws {
            try await target.setEnabled(true, saying: ("Enabled \(target.asset).", "\(target.asset) was already enabled."))
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop syncing an asset and keep its data.")

        @OptionGroup var target: OneAsset

        func run() async throws {
            try await target.setEnabled(
                false, saying: ("Disabled \(target.asset); its data is kept.", "\(target.asset) was already disabled."))
        }
    }

    struct Lookback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set how many hours below the watermark each sync re-reads.",
            discussion: """
                Kaiko revises recent hours; each sync re-reads this many hours below the watermark to pick \
                the revisions up (default 24). Older hours are final: the views' is_final column says so.
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("Asset codes.", valueName: "asset"), transform: AssetArgument.parse)
        var assets: [AssetCode]
        @Option(help: ArgumentHelp("Hours to re-read.", valueName: "hours"))
        var hours: Int

        static func check(_ hours: Int?) throws {
            if let hours, !(0...100_000).contains(hours) {
                throw ValidationError("the lookback must be between 0 and 100000 hours")
            }
        }

        func validate() throws { try Self.check(hours) }

        func run() async throws {
            let hours = self.hours
            let previous = try await global.withConnection(logger: global.makeLogger()) { connection in
                var previous: [(AssetCode, Int)] = []
                for asset in AssetArgument.unique(assets) {
                    previous.append((asset, try await AssetStore(connection: connection).setLookback(asset, hours: hours)))
                }
                return previous
            }
            for (asset, before) in previous {
                Console.print("\(asset): each sync re-reads \(hours) hours below the watermark (was \(before)).")
            }
        }
    }

    /// The database and the one asset `enable` and `disable` act on.
    struct OneAsset: ParsableArguments {
        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("The asset code.", valueName: "asset"), transform: AssetArgument.parse)
        var asset: AssetCode

        /// Enables or disables the asset and says whether that changed anything.
        func setEnabled(_ enabled: Bool, saying messages: (changed: String, unchanged: String)) async throws {
            let asset = self.asset
            let changed = try await global.withConnection(logger: global.makeLogger()) { connection in
                try await AssetStore(connection: connection).setEnabled(asset, enabled)
            }
            Console.print(changed ? messages.changed : messages.unchanged)
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop tracking an asset.",
            discussion: "Refuses when hours are stored for it, unless --purge is given, which deletes them.")

        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("The asset code.", valueName: "asset"), transform: AssetArgument.parse)
        var asset: AssetCode

        @Flag(help: "Also delete every stored hour of the asset.")
        var purge = false

        func run() async throws {
            let deleted = try await global.withConnection(logger: global.makeLogger()) { connection in
                try await AssetStore(connection: connection).remove(asset, purge: purge)
            }
            Console.print(deleted > 0 ? "Removed \(asset) and deleted its \(deleted) stored hours." : "Removed \(asset).")
        }
    }
}

/// The `assets list --json` format: an array of objects with snake_case keys, times in ISO 8601,
/// every key present (null when empty) so that scripts can rely on it.
enum AssetListJSON {
    static func render(_ assets: [TrackedAsset]) throws -> String {
        try JSONValue.array(assets.map { asset in
            .object([
                "asset": .string(asset.asset.rawValue),
                "enabled": .bool(asset.enabled),
                "sync_from": .string(asset.syncFrom.description),
                "watermark": .string(asset.watermark.description),
                "stored_hours": .number(asset.storedHours),
                "lookback_hours": .number(asset.lookbackHours),
                "last_synced_at": .text(asset.lastSyncedAt.map { UTCTimestamp.format($0) }),
                "last_error": .text(asset.lastError),
            ])
        }).rendered()
    }
}
