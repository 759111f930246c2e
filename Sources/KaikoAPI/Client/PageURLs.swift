import LiquidationModel

/// The URLs the client asks: the first page of a window, with every documented parameter
/// explicit, and the endpoint called with a continuation token alone.
struct PageURLs: Sendable {
    let endpoint: KaikoEndpoint
    let pageSize: Int
    let sort: PageOrder

    static let path = "/v2/data/liquidation.v1/token/"

    func firstPage(asset: AssetCode, window: HourWindow) -> String {
        endpoint.origin + endpoint.basePath + Self.path + asset.rawValue
            + "?interval=1h&page_size=\(pageSize)&sort=\(sort.rawValue)&start_time=\(window.start)&end_time=\(window.end)"
    }

    /// For an answer that carries the token without a `next_url` ("calling the endpoint again
    /// with it returns the next page").
    func continuation(asset: AssetCode, token: String) -> String {
        endpoint.origin + endpoint.basePath + Self.path + asset.rawValue + "?continuation_token=" + Self.percentEncoded(token)
    }

    /// `text` as a query value: every byte but RFC 3986's unreserved characters percent-encoded.
    static func percentEncoded(_ text: String) -> String {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var encoded: [UInt8] = []
        encoded.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                encoded.append(byte)
            default:
                encoded += [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }
}
