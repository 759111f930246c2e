import LiquidationModel

/// A stable 64-bit fingerprint (FNV-1a) of one hour as the API sent it: the totals and every
/// exchange's figures, exchanges in code order, amounts as their decimal text. Stored with the
/// hour, it lets a re-read of unchanged hours skip the merge entirely.
///
/// Equal fingerprints are taken as equal content. Not a defence against an adversary; for
/// revisions of the same hour a false match has a chance of about 2^-64. Different texts of the
/// same number (`1.50`, `1.5`) give different fingerprints, which only costs a merge that then
/// finds nothing to change.
enum HourFingerprint {
    /// The fingerprint of an hour the API did not list: zero figures, no exchanges.
    static let empty = of(totals: .zero, exchanges: [])

    static func of(_ record: IntervalRecord) -> Int64 {
        of(totals: record.totals, exchanges: record.exchanges)
    }

    static func of(totals: LiquidationFigures, exchanges: [ExchangeBreakdown]) -> Int64 {
        var hash = FNV1a()
        hash.add(totals)
        for exchange in exchanges.sorted(by: { $0.exchange < $1.exchange }) {
            hash.add(exchange.exchange)
            hash.add(exchange.figures)
        }
        return Int64(bitPattern: hash.value)
    }

    private struct FNV1a {
        private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

        mutating func add(_ text: String) {
            for byte in text.utf8 {
                value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
            separator()
        }

        mutating func add(_ number: Int64) {
            var remaining = UInt64(bitPattern: number)
            for _ in 0..<8 {
                value = (value ^ (remaining & 0xff)) &* 0x0000_0100_0000_01b3
                remaining >>= 8
            }
        }

        mutating func add(_ figures: LiquidationFigures) {
            add(figures.totalTrades)
            add(figures.totalAmount.text)
            add(figures.longTrades)
            add(figures.longAmount.text)
            add(figures.shortTrades)
            add(figures.shortAmount.text)
        }

        /// A byte no decimal text or exchange code contains, so fields cannot run together.
        private mutating func separator() {
            value = (value ^ 0x1f) &* 0x0000_0100_0000_01b3
        }
    }
}
