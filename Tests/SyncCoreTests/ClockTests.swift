import SyncCore
import Testing

@Suite struct ClockTests {
    @Test func ticksAreStrictlyIncreasingEvenWhenTheWallClockGoesBack() {
        var clock = HybridLogicalClock()
        let a = clock.tick(wallMillis: 1_000)
        let b = clock.tick(wallMillis: 1_000)
        let c = clock.tick(wallMillis: 900)
        let d = clock.tick(wallMillis: 2_000)
        #expect(a < b && b < c && c < d)
        #expect(a.millis == 1_000 && b.counter == 1 && c.millis == 1_000 && c.counter == 2)
        #expect(d == Timestamp(millis: 2_000, counter: 0))
    }

    @Test func counterOverflowBorrowsTheNextMillisecond() {
        var clock = HybridLogicalClock(last: Timestamp(millis: 5, counter: .max))
        let next = clock.tick(wallMillis: 5)
        #expect(next == Timestamp(millis: 6, counter: 0))
    }

    @Test func observingARemoteReadingOrdersLaterTicksAfterIt() throws {
        var clock = HybridLogicalClock()
        try clock.observe(Timestamp(millis: 10_000, counter: 7), wallMillis: 9_000)
        #expect(clock.tick(wallMillis: 9_500) == Timestamp(millis: 10_000, counter: 8))
    }

    @Test func aRemoteClockFarAheadIsRefusedNotAdopted() {
        var clock = HybridLogicalClock(maximumDrift: 60_000)
        let far = Timestamp(millis: 1_000_000, counter: 0)
        #expect(throws: SyncError.self) { try clock.observe(far, wallMillis: 1_000) }
        do { try clock.observe(far, wallMillis: 1_000) } catch { #expect(error.code == .clockSkew) }
        #expect(clock.last == .zero)
        #expect(clock.tick(wallMillis: 1_000).millis == 1_000)
    }
}

@Suite struct IdentifierTests {
    @Test func entityIDsAreTimeOrderedAndRoundTripThroughHexAndBytes() {
        var rng = SystemRandomNumberGenerator()
        let early = EntityID(millis: 1_000, using: &rng)
        let late = EntityID(millis: 2_000, using: &rng)
        #expect(early < late)
        #expect(early.millis == 1_000)
        #expect(EntityID(hex: early.hex) == early)
        #expect(EntityID(bytes: early.bytes) == early)
        #expect(EntityID(hex: "not hex") == nil)
        #expect(ReplicaID(bytes: [1, 2, 3]) == nil)
    }

    @Test func scopesParseOnlyValidBRINsAndBoardNumbers() throws {
        #expect(try Scope(parsing: "school/12AB").name == "school/12AB")
        #expect(try Scope(parsing: "board/41234").kind == .board)
        for bad in ["school/1234", "school/AB12", "board/4123", "board/4123a", "class/12AB", "school/12AB/x", "school/12ab"] {
            #expect(throws: SyncError.self, "\(bad)") { try Scope(parsing: bad) }
        }
    }

    @Test func versionVectorsSayExactlyWhatIsMissing() {
        let a = ReplicaID(high: 1, low: 1), b = ReplicaID(high: 2, low: 2)
        let ours = VersionVector([a: 5, b: 2])
        let theirs = VersionVector([a: 3, b: 4])
        #expect(ours.missing(from: theirs) == [a: 4...5])
        #expect(theirs.missing(from: ours) == [b: 3...4])
        #expect(ours.merged(with: theirs) == VersionVector([a: 5, b: 4]))
        #expect(ours.merged(with: theirs).dominates(ours))
        #expect(!ours.dominates(theirs))
    }

    @Test func daysRoundTripThroughText() {
        for text in ["1970-01-01", "2026-03-01", "2024-02-29", "1999-12-31", "2100-02-28"] {
            #expect(Value.day(parsing: text).map(Value.dayString) == text)
        }
        #expect(Value.day(parsing: "1970-01-02") == 1)
        #expect(Value.day(parsing: "2025-02-29") == nil)
        #expect(Value.day(parsing: "2026-13-01") == nil)
    }
}
