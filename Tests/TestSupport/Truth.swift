import Foundation
import LiquidationModel

/// The stand-in's truth endpoint (`/_fake/truth/{asset}`): the final figures of a range, decoded
/// independently of the client under test, amounts as exact decimals (`Decimal` from JSON keeps
/// every digit).
public struct TruthEnvelope: Decodable {
    public let data: [TruthRecord]
}

public struct TruthRecord: Decodable, Equatable, Sendable {
    public struct Figures: Decodable, Equatable, Sendable, CustomStringConvertible {
        public let total_trades: Int64
        public let total_amount: Decimal
        public let long_trades: Int64
        public let long_amount: Decimal
        public let short_trades: Int64
        public let short_amount: Decimal

        public init(
            total_trades: Int64, total_amount: Decimal, long_trades: Int64, long_amount: Decimal, short_trades: Int64,
            short_amount: Decimal
        ) {
            self.total_trades = total_trades
            self.total_amount = total_amount
            self.long_trades = long_trades
            self.long_amount = long_amount
            self.short_trades = short_trades
            self.short_amount = short_amount
        }

        public static let zero = Figures(total_trades: 0, total_amount: 0, long_trades: 0, long_amount: 0, short_trades: 0, short_amount: 0)

        public var description: String {
            "\(total_trades) (\(total_amount)) = \(long_trades) long (\(long_amount)) + \(short_trades) short (\(short_amount))"
        }
    }

    public struct Exchange: Decodable, Equatable, Sendable {
        public let exchange: String
        public let figures: Figures

        public init(from decoder: any Decoder) throws {
            exchange = try decoder.container(keyedBy: Key.self).decode(String.self, forKey: .exchange)
            figures = try Figures(from: decoder)
        }

        enum Key: String, CodingKey { case exchange }
    }

    public let interval_time: String
    public let figures: Figures
    public let exchanges: [Exchange]

    enum Key: String, CodingKey { case interval_time, exchanges }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        interval_time = try container.decode(String.self, forKey: .interval_time)
        exchanges = try container.decode([Exchange].self, forKey: .exchanges)
        figures = try Figures(from: decoder)
    }

    /// The hour the record is about.
    public var hour: UTCHour { UTCHour(containing: (try? UTCTimestamp.parse(interval_time)) ?? 0) }

    /// Decodes a truth answer's body.
    public static func decode(_ body: Data) throws -> [TruthRecord] {
        try JSONDecoder().decode(TruthEnvelope.self, from: body).data
    }
}
