// libFuzzer target: a database URL or conninfo string, as an operator might type it, through
// what decides whether libpq gets to see it and what of it may reach a message (scripts/fuzz
// builds and runs it; not a SwiftPM target).
//
// Beyond "no crash, no sanitizer report": a URL whose credentials hold an unencoded '@' is never
// handed to libpq; and no message built from the string (the refusal, or what libpq would say
// quoting any value it parsed: "could not translate host name "…"") contains the password,
// as libpq reads it or as it was written.

@testable import Postgres

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConninfo(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let text = String(validating: bytes, as: UTF8.self), !text.utf8.contains(0) else { return 0 }
    let inspected = ConnectionString(text)
    let isURL = text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")

    if isURL, let schemeEnd = text.firstRange(of: "://") {
        // The authority ends at the path or the query: an '@' in a query value
        // (`?sslmode=require&application_name=a@b`) is not in the credentials, for libpq either.
        let authority = text[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" }
        if authority.filter({ $0 == "@" }).count > 1 {
            precondition(inspected.problem != nil, "a URL with two '@' in its credentials went to libpq")
        }
    }

    var messages = [inspected.problem ?? "", inspected.redact(text)]
    var secrets = ConnectionString.writtenPasswords(text, isURL: isURL).filter { $0.count >= 3 }
    if inspected.problem == nil, case .success(let options) = ConnectionString.parseWithLibpq(text) {
        if let password = options["password"] { secrets.append(password) }
        for (keyword, value) in options where keyword != "password" {
            messages.append(inspected.redact("could not translate host name \"\(value)\" to address"))
            messages.append(inspected.redact("invalid \(keyword) value: \"\(value)\""))
            messages.append(inspected.redact("connection to server at \"\(value)\", port \(value) failed: FATAL: role \"\(value)\""))
        }
    }
    for secret in secrets where secret.count >= 4 && !secret.contains("*") {
        for message in messages {
            precondition(!message.contains(secret), "a password reached a message")
        }
    }
    return 0
}
