import Foundation
import GRDB
import SyncCore
import SyncProtocol
@testable import SyncStore
import Testing

/// A refusal is cleared once the other side holds its chain past the refused change, whether
/// the link's refusals were kept in memory or not; what this process records is seen at once,
/// what another writes within the cache's age.
@Suite struct RefusalCacheTests {
    let a = ReplicaID(high: 1, low: 1), b = ReplicaID(high: 2, low: 2)

    func refusal(_ replica: ReplicaID, _ seq: UInt64) -> ChangeRefusal {
        ChangeRefusal(replica: replica, seq: seq, code: "notOwner", reason: "not its record", transient: false)
    }

    func held(_ store: ReplicaStore) throws -> [ReplicaID: UInt64] {
        Dictionary(uniqueKeysWithValues: try store.refusals(link: "12AB").map { ($0.refusal.replica, $0.refusal.seq) })
    }

    @Test func aRefusalIsClearedWhenItsChainIsHeldPastIt() throws {
        let store = try makeReplica()
        // Nothing recorded yet: the empty answer is kept.
        try store.clearRefusals(link: "12AB", direction: "sent", scope: board, heldBy: VersionVector())
        try store.recordRefusals([refusal(a, 3), refusal(b, 5)], link: "12AB", direction: "sent", scope: board)
        // Not yet past either (the kept empty answer was dropped by the recording).
        try store.clearRefusals(link: "12AB", direction: "sent", scope: board, heldBy: VersionVector([a: 2, b: 4]))
        #expect(try held(store) == [a: 3, b: 5])
        // Past a only; from the kept rows now.
        try store.clearRefusals(link: "12AB", direction: "sent", scope: board, heldBy: VersionVector([a: 3, b: 4]))
        #expect(try held(store) == [b: 5])
        // Another link, direction or scope is not touched.
        try store.clearRefusals(link: "99ZZ", direction: "sent", scope: board, heldBy: VersionVector([b: 9]))
        try store.clearRefusals(link: "12AB", direction: "received", scope: board, heldBy: VersionVector([b: 9]))
        try store.clearRefusals(link: "12AB", direction: "sent", scope: school, heldBy: VersionVector([b: 9]))
        #expect(try held(store) == [b: 5])
        // A refusal recorded right after a clearing is seen by the next acknowledgement.
        try store.recordRefusals([refusal(a, 7)], link: "12AB", direction: "sent", scope: board)
        try store.clearRefusals(link: "12AB", direction: "sent", scope: board, heldBy: VersionVector([a: 7, b: 5]))
        #expect(try held(store).isEmpty)
    }

    @Test func oneWrittenByAnotherConnectionIsSeenWithinTheCachesAge() async throws {
        let store = try makeReplica()
        try store.clearRefusals(link: "12AB", direction: "sent", scope: board, heldBy: VersionVector())
        // As another process would: straight into the table, past this store's cache.
        try await store.writer.write { db in
            try db.execute(sql: """
                INSERT INTO refusal (link, direction, scope, replica, seq, code, reason, transient, at)
                VALUES ('12AB', 'sent', ?, ?, 2, 'notOwner', 'not its record', 0, 0)
                """, arguments: [board.name, Data(a.bytes)])
        }
        try await Task.sleep(for: RefusalCache.maximumAge + .milliseconds(100))
        try store.clearRefusals(link: "12AB", direction: "sent", scope: board, heldBy: VersionVector([a: 2]))
        #expect(try held(store).isEmpty)
    }
}
