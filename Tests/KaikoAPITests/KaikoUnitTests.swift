import Foundation
import Testing

@testable import KaikoAPI

@Suite("Retry policy, Retry-After, endpoints, API key")
struct KaikoUnitTests {
    @Test func backoffIsExponentialWithFullJitterAndCapped() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(100), maxDelay: .seconds(2))
        #expect(policy.delay(afterAttempt: 1, randomFraction: 1, retryAfter: nil) == .milliseconds(100))
        #expect(policy.delay(afterAttempt: 3, randomFraction: 1, retryAfter: nil) == .milliseconds(400))
        #expect(policy.delay(afterAttempt: 3, randomFraction: 0.5, retryAfter: nil) == .milliseconds(200))
        #expect(policy.delay(afterAttempt: 3, randomFraction: 0, retryAfter: nil) == .zero)
        #expect(policy.delay(afterAttempt: 9, randomFraction: 1, retryAfter: nil) == .seconds(2))
        #expect(policy.delay(afterAttempt: 60, randomFraction: 1, retryAfter: nil) == .seconds(2))
    }

    @Test func retryAfterIsAFloorNeverShortened() {
        let policy = RetryPolicy(baseDelay: .milliseconds(100), maxDelay: .seconds(2))
        #expect(policy.delay(afterAttempt: 1, randomFraction: 1, retryAfter: .seconds(5)) == .seconds(5))
        #expect(policy.delay(afterAttempt: 5, randomFraction: 1, retryAfter: .milliseconds(10)) == .milliseconds(1600))
    }

    @Test func retriesStopAtTheAttemptOrTimeBudget() {
        let policy = RetryPolicy(maxAttempts: 3, totalBudget: .seconds(10))
        #expect(policy.allowsRetry(afterAttempt: 2, elapsed: .seconds(1), delay: .seconds(1)))
        #expect(!policy.allowsRetry(afterAttempt: 3, elapsed: .seconds(1), delay: .seconds(1)))
        #expect(!policy.allowsRetry(afterAttempt: 1, elapsed: .seconds(9), delay: .seconds(2)))
    }

    @Test func retryAfterParsesSecondsAndHTTPDates() {
        let now = Date(timeIntervalSince1970: 1_445_412_480)  // Wed, 21 Oct 2015 07:28:00 GMT
        #expect(RetryAfter.parse("120", now: now) == .seconds(120))
        #expect(RetryAfter.parse(" 0 ", now: now) == .zero)
        #expect(RetryAfter.parse("Wed, 21 Oct 2015 07:28:30 GMT", now: now) == .seconds(30))
        #expect(RetryAfter.parse("Wed, 21 Oct 2015 07:27:00 GMT", now: now) == .zero, "a date in the past: retry now")
        #expect(RetryAfter.parse("soon", now: now) == nil)
        #expect(RetryAfter.parse("-5", now: now) == nil)
        #expect(RetryAfter.parse(nil, now: now) == nil)
    }

    /// IMF-fixdate only, every field checked (the obsolete RFC 850 and asctime forms, which RFC
    /// 9110 no longer lets senders use, are not read).
    @Test func httpDatesAreReadFieldByField() {
        #expect(RetryAfter.httpDate("Sun, 06 Nov 1994 08:49:37 GMT") == Date(timeIntervalSince1970: 784_111_777))
        #expect(RetryAfter.httpDate("Thu, 29 Feb 2024 23:59:59 GMT") == Date(timeIntervalSince1970: 1_709_251_199))
        for unreadable in [
            "Sun, 06 Nov 1994 08:49:37 UTC", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
            "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 nov 1994 08:49:37 GMT", "Sun, 30 Feb 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:49 GMT", "Dim, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994  08:49:37 GMT", "",
        ] {
            #expect(RetryAfter.httpDate(unreadable) == nil, "\(unreadable)")
        }
    }

    @Test func aContinuationTokenIsPercentEncodedAsAQueryValue() {
        #expect(PageURLs.percentEncoded("4AQYBmrXFXrf-._~") == "4AQYBmrXFXrf-._~")
        #expect(PageURLs.percentEncoded("a+b/c=d&e f") == "a%2Bb%2Fc%3Dd%26e%20f")
        #expect(PageURLs.percentEncoded("é%") == "%C3%A9%25")
    }

    @Test func regionsAndBaseURLs() throws {
        #expect(KaikoEndpoint(region: .us).origin == "https://us.market-api.kaiko.io")
        #expect(KaikoEndpoint(region: .eu).origin == "https://eu.market-api.kaiko.io")
        let local = try KaikoEndpoint(baseURL: "http://127.0.0.1:8089/")
        #expect(local.origin == "http://127.0.0.1:8089" && local.basePath == "")
        #expect(throws: KaikoError.self) { try KaikoEndpoint(baseURL: "ftp://x") }
        #expect(throws: KaikoError.self) { try KaikoEndpoint(baseURL: "https://user:pw@host") }
        #expect(throws: KaikoError.self) { try KaikoEndpoint(baseURL: "not a url") }
    }

    @Test func sameOriginMeansSchemeHostAndPort() throws {
        let endpoint = KaikoEndpoint(region: .us)
        func check(_ url: String) -> Bool { endpoint.isSameOrigin(URLComponents(string: url)!) }
        #expect(check("https://us.market-api.kaiko.io/v2/x?continuation_token=a"))
        #expect(check("https://US.market-api.kaiko.io:443/v2/x"))
        #expect(!check("http://us.market-api.kaiko.io/v2/x"))
        #expect(!check("https://us.market-api.kaiko.io:8443/v2/x"))
        #expect(!check("https://eu.market-api.kaiko.io/v2/x"))
        #expect(!check("https://us.market-api.kaiko.io.evil.example/v2/x"))
        #expect(!check("/v2/relative"))
    }

    @Test func apiKeyNeverPrints() throws {
        let key = try #require(APIKey("  abc123secret \n"))
        #expect(key.revealedForRequestHeader == "abc123secret")
        #expect("\(key)" == "****")
        #expect(String(reflecting: key) == "APIKey(****)")
        #expect(!"\([key])".contains("abc123"))
        #expect(APIKey("   ") == nil)
    }
}

@Suite("Retry-After and body excerpts: values from the network cannot trap")
struct NetworkValueBoundsTests {
    @Test func retryAfterIsBoundedWhateverTheServerSends() {
        let now = Date(timeIntervalSince1970: 1_445_412_480)
        #expect(RetryAfter.parse("99999999999999999999", now: now) == .seconds(86_400))
        #expect(RetryAfter.parse(String(Int64.max), now: now) == .seconds(86_400))
        #expect(RetryAfter.parse("86401", now: now) == .seconds(86_400))
        #expect(RetryAfter.parse("Fri, 31 Dec 9999 23:59:59 GMT", now: now) == .seconds(86_400))
        #expect(RetryAfter.parse("1e400", now: now) == nil)
    }

    @Test func aHugeDelayIsRefusedWithoutOverflow() {
        let policy = RetryPolicy(totalBudget: .seconds(300))
        let huge = Duration.seconds(Int64.max)
        #expect(!policy.allowsRetry(afterAttempt: 1, elapsed: .seconds(Int64.max), delay: huge))
        #expect(!policy.allowsRetry(afterAttempt: 1, elapsed: .zero, delay: huge))
        #expect(policy.delay(afterAttempt: 1, randomFraction: 1, retryAfter: huge) == policy.maxRetryAfter)
    }

    func excerpt(_ text: String, limit: Int = 120, masking secret: String? = nil) -> String {
        Array(text.utf8).withUnsafeBytes { BodyExcerpt.of($0, limit: limit, masking: secret) }
    }

    @Test func anExcerptIsOneShortLineWithoutSecrets() {
        #expect(excerpt("") == "an empty body")
        #expect(excerpt("{}") == "{}")
        #expect(excerpt("<html>\r\n  <h1>502</h1>\u{0}\t</html>") == "<html> <h1>502</h1> </html>")
        let long = String(repeating: "x", count: 500)
        #expect(excerpt(long, limit: 10) == "xxxxxxxxxx… (500 bytes)")
        #expect(excerpt(#"{"echo":"X-Api-Key: k-123456"}"#, masking: "k-123456") == #"{"echo":"X-Api-Key: ****"}"#)
        // A key that straddles the cut is masked whole before the text is cut.
        #expect(!excerpt("0123456789secret-key-abc", limit: 14, masking: "secret-key-abc").contains("secr"))
        let invalidUTF8: [UInt8] = [0xFF, 0xFE, 0x41]
        #expect(invalidUTF8.withUnsafeBytes { BodyExcerpt.of($0) } == "\u{FFFD}\u{FFFD}A")
    }
}

@Suite("Reference data: exchange names")
struct ReferenceDataTests {
    func parse(_ text: String) throws -> [ExchangeReference] {
        try Array(text.utf8).withUnsafeBytes { try ReferenceData.parseExchanges($0) }
    }

    @Test func bothShapesAreReadAndUnusableEntriesLeftOut() throws {
        let listed = #"[{"code":"bbit","name":"Bybit","kaiko_legacy_slug":"bbit"},{"code":"okex","name":"OKX"}]"#
        #expect(try parse(listed).map(\.code) == ["bbit", "okex"])
        #expect(try parse(#"{"result":"success","data":\#(listed)}"#).map(\.name) == ["Bybit", "OKX"])
        let odd = #"[{"code":"","name":"x"},{"code":"a","name":null},{"name":"no code"},{"code":"b\u0007","name":"bell"},{"code":"c","name":"C"}]"#
        #expect(try parse(odd) == [ExchangeReference(code: "c", name: "C")])
        #expect(throws: (any Error).self) { try parse(#"{"result":"error","message":"nope"}"#) }
        #expect(throws: (any Error).self) { try parse("<html>") }
    }
}
