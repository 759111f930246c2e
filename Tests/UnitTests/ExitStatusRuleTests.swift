import CommandLineSupport
import Ingest
import Testing

/// The one exit-status rule of the commands that handle several assets (sync, backfill,
/// reconcile): the same mix of failures exits the same way whichever command met it.
@Suite("Exit status: one rule for every command over several assets")
struct ExitStatusRuleTests {
    @Test func nothingFailedIsSuccess() {
        #expect(ExitStatus.of(assetFailures: []) == .success)
    }

    @Test(arguments: FailureKind.allCases)
    func assetsThatFailedTheSameWayExitWithThatWaysStatus(kind: FailureKind) {
        #expect(ExitStatus.of(assetFailures: [kind]) == kind.exitStatus)
        #expect(ExitStatus.of(assetFailures: [kind, kind, kind]) == kind.exitStatus)
    }

    @Test func assetsThatFailedInDifferentWaysExit1() {
        #expect(ExitStatus.of(assetFailures: [.temporary, .badData]) == .failure)
        #expect(ExitStatus.of(assetFailures: [.temporary, .temporary, .access]) == .failure)
    }

    /// Differences `reconcile` found and left are one more way: 1 alone, and 1 beside a failure.
    @Test func problemsFoundCountAsAWayOfTheirOwn() {
        #expect(ExitStatus.of(assetFailures: [], problemsFound: true) == .failure)
        #expect(ExitStatus.of(assetFailures: [.temporary], problemsFound: true) == .failure)
        #expect(ExitStatus.of(assetFailures: [.temporary], problemsFound: false) == .temporaryFailure)
    }

    @Test func everyKindHasAStatusOfItsOwnApartFromSuccessAnd1() {
        let statuses = FailureKind.allCases.map(\.exitStatus)
        #expect(Set(statuses).count == FailureKind.allCases.count)
        #expect(!statuses.contains(.success) && !statuses.contains(.failure))
    }
}
