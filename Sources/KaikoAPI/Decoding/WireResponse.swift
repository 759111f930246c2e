import Foundation
import LiquidationModel

/// The endpoint's JSON, as sent. Decoding is tolerant where the API is loose (unknown fields
/// ignored, `exchanges` missing or null, amounts as numbers or numeric strings, times with or
/// without fractions) and strict where correctness is at stake (a count that is not an
/// integer, an amount that is not a number: the page is refused).
struct WireResponse: Decodable {
    let result: String?
    let message: String?
    let query: WireQuery?
    let data: [WireRecord]?
    let continuationToken: String?
    let nextURL: String?

    enum CodingKeys: String, CodingKey {
        case result, message, query, data
        case continuationToken = "continuation_token"
        case nextURL = "next_url"
    }
}

struct WireQuery: Decodable {
    let dataVersion: String?

    enum CodingKeys: String, CodingKey {
        case dataVersion = "data_version"
    }
}

/// An error body: `{"result":"error","message":"..."}`.
struct WireError: Decodable {
    let result: String?
    let message: String?
}

struct WireFigures: Decodable {
    let totalTrades: WireCount
    let totalAmount: WireAmount
    let longTrades: WireCount
    let longAmount: WireAmount
    let shortTrades: WireCount
    let shortAmount: WireAmount

    enum CodingKeys: String, CodingKey {
        case totalTrades = "total_trades", totalAmount = "total_amount"
        case longTrades = "long_trades", longAmount = "long_amount"
        case shortTrades = "short_trades", shortAmount = "short_amount"
    }

    var figures: LiquidationFigures {
        LiquidationFigures(
            totalTrades: totalTrades.value, totalAmount: totalAmount.value, longTrades: longTrades.value,
            longAmount: longAmount.value, shortTrades: shortTrades.value, shortAmount: shortAmount.value)
    }
}

struct WireRecord: Decodable {
    let intervalTime: String?
    let intervalTimestamp: Int64?
    let figures: WireFigures
    let exchanges: [WireExchange]

    enum CodingKeys: String, CodingKey {
        case intervalTime = "interval_time", intervalTimestamp = "interval_timestamp", exchanges
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        intervalTime = try container.decodeIfPresent(String.self, forKey: .intervalTime)
        intervalTimestamp = try container.decodeIfPresent(WireCount.self, forKey: .intervalTimestamp)?.value
        figures = try WireFigures(from: decoder)
        exchanges = try container.decodeIfPresent([WireExchange].self, forKey: .exchanges) ?? []
    }
}

struct WireExchange: Decodable {
    let exchange: String
    let figures: WireFigures

    enum CodingKeys: String, CodingKey { case exchange }

    init(from decoder: any Decoder) throws {
        exchange = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .exchange)
        figures = try WireFigures(from: decoder)
    }
}

/// An integer count: a JSON integer, or a string of digits.
struct WireCount: Decodable {
    let value: Int64

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            value = number
        } else if let text = try? container.decode(String.self), let number = Int64(text) {
            value = number
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an integer count")
        }
    }
}

/// A USD amount, exactly: a JSON number (decoded as `Decimal`, which keeps every digit of the
/// text up to 38 significant digits, never via `Double`), or a numeric string kept verbatim.
struct WireAmount: Decodable {
    let value: DecimalAmount

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard let amount = DecimalAmount(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not a decimal number")
            }
            value = amount
        } else if let number = try? container.decode(Decimal.self), !number.isNaN,
                  let amount = DecimalAmount(number.description)
        {
            value = amount
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a decimal amount")
        }
    }
}

extension DecodingError {
    /// `data[3].exchanges[1].long_amount: expected a decimal amount`, for error messages.
    var summary: String {
        func path(_ context: Context) -> String {
            context.codingPath.map { key in
                key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)"
            }.joined().trimmingPrefix(".").description
        }
        switch self {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let location = path(context)
            let detail = context.underlyingError.map { "\($0)" } ?? context.debugDescription
            return location.isEmpty ? detail : "\(location): \(context.debugDescription)"
                + (context.underlyingError == nil ? "" : " (\(detail))")
        case .keyNotFound(let key, let context):
            let location = path(context)
            return "missing field '\(key.stringValue)'" + (location.isEmpty ? "" : " in \(location)")
        @unknown default:
            return "\(self)"
        }
    }
}
