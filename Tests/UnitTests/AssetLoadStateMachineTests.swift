import LiquidationModel
import LiquidationStore
import Testing

@testable import Ingest

/// The pipeline's rules, one by one, each with its failure branch: events in, actions out, no
/// server. (`IngestInProcessTests` and the end-to-end suites run the same rules against
/// PostgreSQL.)
@Suite("Pipeline rules: the asset load state machine")
struct AssetLoadStateMachineTests {
    typealias Machine = AssetLoadStateMachine

    /// A machine that has the claim and a plan of windows.
    func loading(recordsFailures: Bool = true, abandonable: Bool = false) -> Machine {
        var machine = Machine(recordsFailures: recordsFailures)
        #expect(machine.start() == .claim)
        #expect(machine.claimed(true) == .plan)
        #expect(machine.planned(abandonable: abandonable) == .load)
        return machine
    }

    // MARK: - The claim comes first

    @Test func everyWindowIsWrittenUnderTheClaimWhichIsThenReleased() {
        var machine = loading()
        #expect(machine.windowCommitted() == .writeNext)
        #expect(machine.windowCommitted() == .writeNext)
        #expect(machine.committed == 2)
        #expect(machine.windowsDone() == .release)
        #expect(machine.released() == .finish(.completed))
    }

    @Test func anAssetAnotherLiqsyncHasIsLeftUntouched() {
        var machine = Machine(recordsFailures: true)
        #expect(machine.start() == .claim)
        #expect(machine.claimed(false) == .finish(.notClaimed), "nothing planned, recorded or released")
    }

    @Test func nothingPlannedReleasesTheClaim() {
        var machine = Machine(recordsFailures: true)
        _ = machine.start()
        _ = machine.claimed(true)
        #expect(machine.planned(abandonable: nil) == .release)
        #expect(machine.released() == .finish(.notPlanned))
    }

    // MARK: - A failure is recorded before the claim is released

    @Test func aFailedWindowIsRecordedBeforeTheClaimIsReleased() {
        var machine = loading()
        _ = machine.windowCommitted()
        #expect(machine.failed(.error) == .recordFailure)
        #expect(machine.recorded() == .release)
        #expect(machine.released() == .finish(.failed))
    }

    @Test func aFailedPlanIsRecordedBeforeTheClaimIsReleased() {
        var machine = Machine(recordsFailures: true)
        _ = machine.start()
        _ = machine.claimed(true)
        #expect(machine.failed(.error) == .recordFailure)
        #expect(machine.recorded() == .release)
        #expect(machine.released() == .finish(.failed))
    }

    /// Taking the claim failed (the database refused): recorded, with no claim to release.
    @Test func aClaimThatCouldNotBeTakenIsRecordedAndNothingIsReleased() {
        var machine = Machine(recordsFailures: true)
        _ = machine.start()
        #expect(machine.failed(.error) == .recordFailure)
        #expect(machine.recorded() == .finish(.failed))
    }

    // MARK: - A repair records nothing

    @Test func aRepairsFailedWindowIsOnlyReported() {
        var machine = loading(recordsFailures: false)
        #expect(machine.failed(.error) == .release)
        #expect(machine.released() == .finish(.failed))
    }

    @Test func aRepairsFailedPlanOrClaimIsOnlyReported() {
        var planning = Machine(recordsFailures: false)
        _ = planning.start()
        _ = planning.claimed(true)
        #expect(planning.failed(.error) == .release)
        #expect(planning.released() == .finish(.failed))

        var claiming = Machine(recordsFailures: false)
        _ = claiming.start()
        #expect(claiming.failed(.error) == .finish(.failed))
    }

    // MARK: - Cancellation is not failure

    @Test(arguments: [0, 2])
    func aCancelledWindowIsNeitherRecordedNorAbandonedAndReleasesTheClaim(committed: Int) {
        var machine = loading(abandonable: true)
        for _ in 0..<committed { _ = machine.windowCommitted() }
        #expect(machine.failed(.cancelled) == .release)
        #expect(machine.released() == .finish(.interrupted))
    }

    @Test func aCancelledPlanReleasesTheClaimAndACancelledClaimEndsAtOnce() {
        var planning = Machine(recordsFailures: true)
        _ = planning.start()
        _ = planning.claimed(true)
        #expect(planning.failed(.cancelled) == .release)
        #expect(planning.released() == .finish(.interrupted))

        var claiming = Machine(recordsFailures: true)
        _ = claiming.start()
        #expect(claiming.failed(.cancelled) == .finish(.interrupted))
    }

    // MARK: - A first load is abandoned only before its first commit

    @Test func aFirstLoadThatFailsBeforeAnyCommitIsAbandonedAndNotRecorded() {
        var machine = loading(abandonable: true)
        #expect(machine.failed(.error) == .abandon)
        #expect(machine.abandoned(true) == .release)
        #expect(machine.released() == .finish(.failed))
    }

    @Test func aFailureTheDriverCannotUndoIsRecorded() {
        var machine = loading(abandonable: true)
        #expect(machine.failed(.error) == .abandon)
        #expect(machine.abandoned(false) == .recordFailure)
        #expect(machine.recorded() == .release)
        #expect(machine.released() == .finish(.failed))
    }

    @Test func aFirstLoadThatFailsAfterACommitIsRecordedNotAbandoned() {
        var machine = loading(abandonable: true)
        _ = machine.windowCommitted()
        #expect(machine.failed(.error) == .recordFailure)
    }

    @Test func aLoadThatIsNotAFirstOneIsNeverAbandoned() {
        var machine = loading(abandonable: false)
        #expect(machine.failed(.error) == .recordFailure)
    }

    // MARK: - A lost claim stops the asset

    /// The asset may be another liqsync's by then: nothing of it is undone (abandoning would
    /// purge an asset someone else now loads), the failure is recorded (the store writes the
    /// asset's state only where the claim allows) and no window follows.
    @Test func aLostClaimStopsTheAssetAndIsNeverAbandoned() {
        var machine = loading(abandonable: true)
        #expect(machine.failed(.claimLost) == .recordFailure)
        #expect(machine.recorded() == .release)
        #expect(machine.released() == .finish(.failed))
    }

    @Test func aRepairThatLostItsClaimStopsWithoutRecording() {
        var machine = loading(recordsFailures: false)
        _ = machine.windowCommitted()
        #expect(machine.failed(.claimLost) == .release)
        #expect(machine.released() == .finish(.failed))
    }

    // MARK: - How the runner reads errors

    @Test func errorsAreReadAsTheRulesSeeThem() throws {
        let btc = try AssetCode(validating: "btc")
        #expect(WindowPipeline.failure(CancellationError()) == .cancelled)
        #expect(WindowPipeline.failure(StoreError.claimLost(btc)) == .claimLost)
        #expect(WindowPipeline.failure(StoreError.assetNotTracked(btc)) == .error)
    }
}
