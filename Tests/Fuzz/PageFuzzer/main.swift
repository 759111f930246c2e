// libFuzzer target: a response body, as any server could send it, through what decides whether
// it is a data page and what it holds (scripts/fuzz builds and runs it; not a SwiftPM target).
//
// Beyond "no crash, no sanitizer report", every input must end in one of the five documented
// outcomes, and what passes must be what the writer may trust: a page whose echo names the asked
// asset, hours inside the window, each once, no negative figure, long + short = total, amounts
// that are decimal literals.

@testable import KaikoAPI
import LiquidationModel

private let asset = try! AssetCode(validating: "btc")
/// 2025-02-27T21:00:00Z and the 47 hours after it.
private let window = HourWindow(start: UTCHour(containing: 1_740_690_000), end: UTCHour(containing: 1_740_690_000).advanced(by: 48))
private let apiKey = "fuzz-api-key-0123"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)

    let excerpt = BodyExcerpt.of(bytes, limit: 120, masking: apiKey)
    precondition(excerpt.count <= 120 + "… (\(size) bytes)".count, "excerpt too long")
    precondition(!excerpt.contains(apiKey), "the key shows in an excerpt")
    precondition(!excerpt.unicodeScalars.contains { $0.value < 0x20 }, "control character in an excerpt")

    do {
        let wire = try WireResponse.parse(bytes)
        try AskedQuestion(asset: asset, window: window).check(wire.query)
        if let token = wire.query?.token { precondition(token.lowercased() == "btc", "another asset's page passed") }
        var validator = RecordValidator(asset: asset, window: window)
        let records = try validator.validate(wire.data)
        var hours: Set<UTCHour> = []
        for record in records {
            precondition(window.contains(record.hour), "an hour outside the window passed")
            precondition(hours.insert(record.hour).inserted, "an hour passed twice")
            check(record.totals)
            var codes: Set<String> = []
            for exchange in record.exchanges {
                precondition(!exchange.exchange.isEmpty && codes.insert(exchange.exchange).inserted, "bad exchange code passed")
                check(exchange.figures)
            }
        }
    } catch is JSONSyntaxError {
    } catch is NotADataPage {
    } catch is NotAnAnswer {
    } catch is WireShapeError {
    } catch let error as KaikoError {
        guard case .invalidRecord = error else { preconditionFailure("unexpected KaikoError \(error)") }
    } catch {
        preconditionFailure("undocumented error \(error)")
    }
    return 0
}

private func check(_ figures: LiquidationFigures) {
    precondition(figures.totalTrades >= 0 && figures.longTrades >= 0 && figures.shortTrades >= 0, "negative count passed")
    precondition(figures.longTrades + figures.shortTrades == figures.totalTrades, "long + short != total passed")
    for amount in [figures.totalAmount, figures.longAmount, figures.shortAmount] {
        precondition(!amount.isNegative, "negative amount passed")
        precondition(DecimalAmount(amount.text) != nil, "an amount that is not a decimal literal passed")
    }
}
