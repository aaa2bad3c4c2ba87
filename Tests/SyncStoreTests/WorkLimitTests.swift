import Foundation
import SyncCore
import SyncProtocol
import SyncStore
import SyncTestKit
import Testing

/// Bounded work per change: a change cannot make a receiver do quadratic work on text
/// deletes, however it is built (Protocol/SPEC.md section 2).
struct WorkLimitTests {
    static let body = "body"

    /// A delete op of `count` one-character ranges spaced two apart, from the end backwards
    /// (the order that made every insert sort the whole list).
    static func deletes(run: OpID, count: Int, from start: UInt32) -> RecordOperation {
        let ranges = (0..<count).reversed().map { CharRange(run: run, offset: start + UInt32($0) * 2, length: 1) }
        return RecordOperation(field: body, kind: .deleteText(ranges))
    }

    @Test func tooManyRangesInOneChangeAreRefusedAndNothingChanges() throws {
        let store = try ReplicaStore.inMemory(schemas: SampleSchemas.all)
        let key = ReplicaKey()
        let entity = EntityID(high: 0x0192_0000_0000_7000, low: 1)
        let run = OpID(timestamp: Timestamp(millis: 1, counter: 0), replica: key.replicaID, index: 0)
        var forger = ChainForger(key: key, scope: try Scope.school("12AB"), after: nil)
        try store.addScope(try Scope.school("12AB"))
        // Ten ops of 1,000 ranges each pass (10,000 in the change)…
        let fine = forger.next([EntityOperations(entity: entity, type: "note",
                                                 operations: (0..<10).map { WorkLimitTests.deletes(run: run, count: 1_000, from: UInt32($0) * 2_000) })])
        #expect(try store.receive([fine.serialized()], in: try Scope.school("12AB")).applied == 1)
        // …one range more is refused, and the replica is as it was.
        let held = try store.stateHash()
        let over = forger.next([EntityOperations(entity: entity, type: "note",
                                                 operations: (0..<10).map { WorkLimitTests.deletes(run: run, count: 1_000, from: 100_000 + UInt32($0) * 2_000) }
                                                    + [WorkLimitTests.deletes(run: run, count: 1, from: 90_000)])])
        let result = try store.receive([over.serialized()], in: try Scope.school("12AB"))
        #expect(result.refused.map(\.code) == ["malformedChange"])
        #expect(try store.stateHash() == held)
    }

    @Test func oneTextHoldsAtMostSoManyDeletedRanges() throws {
        let store = try ReplicaStore.inMemory(schemas: SampleSchemas.all)
        let key = ReplicaKey()
        let scope = try Scope.school("12AB")
        try store.addScope(scope)
        let entity = EntityID(high: 0x0192_0000_0000_7000, low: 2)
        let run = OpID(timestamp: Timestamp(millis: 1, counter: 0), replica: key.replicaID, index: 0)
        var forger = ChainForger(key: key, scope: scope, after: nil)
        var applied = 0
        for change in 0..<6 {
            let ops = (0..<10).map { WorkLimitTests.deletes(run: run, count: 1_000, from: UInt32(change * 10 + $0) * 2_000) }
            let result = try store.receive([forger.next([EntityOperations(entity: entity, type: "note", operations: ops)]).serialized()], in: scope)
            applied += result.applied
            if change == 5 { #expect(result.refused.map(\.code) == ["malformedChange"], "the sixth change takes the text past 50,000 ranges") }
        }
        #expect(applied == 5)
    }

    /// Deleting ranges in any order gives the same sorted, merged list as the sort-and-merge
    /// it replaced.
    @Test func rangesMergeTheSameInAnyOrder() {
        var generator = SeededGenerator(seed: 7)
        let run = OpID(timestamp: Timestamp(millis: 1, counter: 0), replica: ReplicaID(high: 1, low: 1), index: 0)
        for _ in 0..<200 {
            let ranges = (0..<Int.random(in: 1...60, using: &generator)).map { _ in
                CharRange(run: run, offset: UInt32.random(in: 0...200, using: &generator), length: UInt32.random(in: 0...12, using: &generator))
            }
            var text = TextSequence()
            text.delete(ranges)
            var reference: [Range<UInt32>] = []
            for r in ranges.filter({ $0.length > 0 }).map({ $0.offset..<($0.offset + $0.length) }).sorted(by: { $0.lowerBound < $1.lowerBound }) {
                if let last = reference.last, r.lowerBound <= last.upperBound {
                    reference[reference.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
                } else {
                    reference.append(r)
                }
            }
            #expect(text.deletedRanges.map { $0.offset..<($0.offset + $0.length) } == reference)
            var shuffled = TextSequence()
            shuffled.delete(ranges.shuffled(using: &generator))
            #expect(shuffled.deletedRanges == text.deletedRanges)
        }
    }
}
