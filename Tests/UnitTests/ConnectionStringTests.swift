import Testing

@testable import Postgres

/// What of a connection string may reach a message, decided before libpq sees it.
@Suite("Connection strings: refused when libpq would misread them, passwords masked")
struct ConnectionStringTests {
    @Test(arguments: [
        "postgresql://u:S3cr@tP4ss@host/db",
        "postgresql://u:pa/ss@host/db",
        "postgres://u@x:p@host:5432/db?sslmode=require",
    ])
    func aURLWhosePasswordHoldsAnUnencodedDelimiterIsRefusedUnseen(_ url: String) throws {
        let problem = try #require(ConnectionString(url).problem)
        #expect(problem.contains("percent-encoded"))
        for piece in ["S3cr", "tP4ss", "pa/ss", "host/db", "x:p"] { #expect(!problem.contains(piece)) }
    }

    @Test(arguments: [
        "postgresql://u:S3cr%40tP4ss@host/db",
        "postgresql://u:pa%2Fss@host/db?application_name=a@b",
        "postgresql:///liq?host=/tmp&user=x@y",
        "postgresql://u:pa?ss@host/db",
        "host=db user=liq password='a b' dbname=liq",
    ])
    func whatLibpqReadsAsWrittenIsAccepted(_ text: String) {
        #expect(ConnectionString(text).problem == nil)
    }

    @Test func aConninfoLibpqCannotParseIsRefusedWithEveryQuotedFragmentMasked() throws {
        let problem = try #require(ConnectionString("host=x password=abc def").problem)
        #expect(problem.contains(#"missing "=" after "…" in connection info string"#), "\(problem)")
        #expect(problem.contains("single quotes"))
        #expect(problem.range(of: #"\babc\b|\bdef\b"#, options: .regularExpression) == nil)
    }

    @Test func everyFormOfThePasswordAndAnyQuotedFragmentSharingARunWithItAreMasked() {
        let url = ConnectionString("postgresql://liq:S3cr%40tP4ss@db/liq")
        #expect(url.redact("password S3cr@tP4ss or S3cr%40tP4ss") == "password **** or ****")
        #expect(url.redact(#"could not translate host name "tP4ss@db" to address"#) == #"could not translate host name "****" to address"#)
        #expect(url.redact(#"role "liq" does not exist"#) == #"role "liq" does not exist"#, "unrelated fragments stay")

        let conninfo = ConnectionString("host=x password = 's3 cr\\'et' port=5")
        #expect(conninfo.problem == nil)
        #expect(conninfo.redact("it was s3 cr'et") == "it was ****")
        // Masks are merged over the original text, so they cannot combine into a new occurrence.
        #expect(ConnectionString.redact("aab", secrets: ["ab", "a"]) == "****b" || ConnectionString.redact("aab", secrets: ["ab", "a"]) == "****")
    }

    @Test func thePasswordAsAPersonWroteItIsFoundWhateverLibpqMakesOfIt() {
        #expect(ConnectionString.writtenPasswords("postgresql://u:S3cr@tP4ss@host/db", isURL: true).contains("S3cr@tP4ss"))
        let words = ConnectionString.writtenPasswords("host=x password=abc def user=y", isURL: false)
        #expect(Set(words) == ["abc def", "abc", "def"])
        #expect(ConnectionString.writtenPasswords("password = one password = two", isURL: false).contains("one"))
        #expect(!ConnectionString.writtenPasswords("password = one password = two", isURL: false).contains("password"))
        let shouted = ConnectionString.writtenPasswords("HOST=x PassWord =ab cd\tUSER_name = y", isURL: false)
        #expect(Set(shouted) == ["ab cd", "ab", "cd"], "any case; the value ends before the next keyword=, tabs too")
        #expect(Set(ConnectionString.writtenPasswords("password=a=b", isURL: false)) == ["a=b"], "an = inside a word")
    }

    @Test func percentEscapesAreDecodedOnlyWhenWellFormed() {
        #expect(ConnectionString.percentDecoded("S3cr%40tP4ss%2f%C3%A9") == "S3cr@tP4ss/é")
        #expect(ConnectionString.percentDecoded("plain") == "plain")
        #expect(ConnectionString.percentDecoded("50%") == nil)
        #expect(ConnectionString.percentDecoded("%4") == nil)
        #expect(ConnectionString.percentDecoded("%zz") == nil)
        #expect(ConnectionString.percentDecoded("%FF") == nil, "not UTF-8")
    }
}
