extension Duration {
    /// The duration in seconds, as a floating-point number (rates, logs, metrics).
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// Whole milliseconds, saturating instead of trapping on a duration too long for them.
    public var wholeMilliseconds: Int64 {
        let (product, overflow) = components.seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return components.seconds < 0 ? .min : .max }
        let (sum, sumOverflow) = product.addingReportingOverflow(components.attoseconds / 1_000_000_000_000_000)
        return sumOverflow ? .max : sum
    }

    /// `30 s`, `1.5 s`, `250 ms`: for messages.
    public var formattedSeconds: String {
        let milliseconds = wholeMilliseconds
        if milliseconds < 1000 { return "\(milliseconds) ms" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000) s" }
        return "\(Double(milliseconds) / 1000) s"
    }
}
