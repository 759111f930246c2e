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
        // In code order, whatever order the API sent; the order is sorted as positions, so the
        // exchanges themselves are not copied.
        let order = exchanges.indices.sorted { exchanges[$0].exchange < exchanges[$1].exchange }
        for index in order {
            hash.add(field: exchanges[index].exchange)
            hash.add(exchanges[index].figures)
        }
        return Int64(bitPattern: hash.value)
    }
}

extension FNV1a {
    /// A text field, then a byte no decimal text or exchange code contains, so that fields
    /// cannot run together.
    fileprivate mutating func add(field text: String) {
        add(utf8: text)
        add(byte: 0x1f)
    }

    /// An amount's text, as a field (its bytes read in place).
    fileprivate mutating func add(field amount: DecimalAmount) {
        amount.withUTF8 { add(bytes: $0) }
        add(byte: 0x1f)
    }

    /// Every measure in `Measure.allCases` order: a count as its eight bytes, an amount as its
    /// text. (The order and the encoding are those of the fingerprints already stored: change
    /// either and every stored hour reads as changed once.)
    fileprivate mutating func add(_ figures: LiquidationFigures) {
        for measure in Measure.allCases {
            switch figures[measure] {
            case .count(let count): add(UInt64(bitPattern: count))
            case .amount(let amount): add(field: amount)
            }
        }
    }
}
