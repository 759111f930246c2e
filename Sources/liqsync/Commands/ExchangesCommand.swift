import ArgumentParser
import CommandLineSupport
import Ingest
import KaikoAPI
import LiquidationStore

struct ExchangesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exchanges",
        abstract: "Exchange codes and their display names.",
        subcommands: [Refresh.self])

    struct Refresh: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Update exchange names from Kaiko's reference data.",
            discussion: """
                Reads GET /v1/exchanges of the reference data API (no API key is sent there) and stores \
                each exchange's name; codes not known yet are added. When the API cannot be reached the \
                names stored stay (exit 75). The service does this once a day by itself.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var kaiko: KaikoOptions

        func run() async throws {
            let logger = global.makeLogger()
            let reference = try kaiko.referenceData()
            let listed = try await reference.exchanges()
            let update = try await global.withConnection(logger: logger) { connection in
                try await ExchangeNames.update(listed.map { ($0.code, $0.name) }, on: connection)
            }
            Console.print(
                "\(listed.count) exchanges listed by \(reference.endpoint.host): \(update.renamed) renamed, "
                    + "\(update.added) added.")
        }
    }
}
