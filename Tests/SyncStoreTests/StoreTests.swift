import Foundation
import GRDB
import SyncCore
import SyncProtocol
import SyncStore
import SyncTestKit
import Testing

@Suite struct StoreTests {
    @Test func aWriteIsMaterializedLoggedAndCountedInTheVector() throws {
        let store = try makeReplica()
        var id: EntityID?
        try store.write(in: school) { b throws(SyncError) in
            let note = b.newEntity(type: "note")
            try b.assign(.text("Groepsbespreking 6"), to: "title", of: note, type: "note")
            try b.assign(.day(Value.day(parsing: "2026-03-01")!), to: "meetingDate", of: note, type: "note")
            try b.assign(.real(87.5), to: "score", of: note, type: "note")
            try b.add(.text("rekenen"), to: "tags", of: note, type: "note")
            try b.add(.text("groep 6"), to: "tags", of: note, type: "note")
            try b.setText("Rekenen daalt.", field: "body", of: note, type: "note")
            id = note
        }
        let row = try store.read { db in
            try Row.fetchOne(db, sql: "SELECT title, meetingDate, score, tags, body, deleted FROM record_note WHERE id = ?", arguments: [Data(id!.bytes)])
        }
        #expect(row?["title"] == "Groepsbespreking 6")
        #expect(row?["meetingDate"] == "2026-03-01")
        #expect(row?["score"] == 87.5)
        #expect(row?["tags"] == #"["groep 6","rekenen"]"#)
        #expect(row?["body"] == "Rekenen daalt.")
        #expect(row?["deleted"] == 0)
        #expect(try store.versionVector(school) == VersionVector([store.replicaID: 1]))
        #expect(try store.changeCount(school) == 1)
        #expect(try store.changeCount(board) == 0)
    }

    @Test func aWriteThatFitsNoSchemaIsRefusedAndChangesNothing() throws {
        let store = try makeReplica()
        let id = try writeNote(store, title: "Eerste")
        let before = try store.stateHash()
        #expect(throws: SyncError.self) {
            try store.write(in: school) { b throws(SyncError) in
                try b.assign(.text("Tweede"), to: "title", of: id, type: "note")
                try b.assign(.text("geen getal"), to: "score", of: id, type: "note")
            }
        }
        #expect(try store.stateHash() == before)
        #expect(try title(store, id) == "Eerste")
        #expect(try store.versionVector(school)[store.replicaID] == 1)
        #expect(throws: SyncError.self) { try writeNote(store, title: "x", in: try .school("99ZZ")) }
    }

    @Test func twoReplicasConvergeAndJournalConcurrentTitleEditsWhileKeepingBothBodyEdits() throws {
        let clock = ManualClock()
        let a = try makeReplica(clock: clock), b = try makeReplica(clock: clock)
        let id = try writeNote(a, title: "Trendanalyse rekenen", body: "Groep 6 daalt. Actie volgt.")
        try Exchange.sync(a, b)
        clock.advance(by: 10)
        // Offline: both edit the title and the body.
        try a.write(in: school) { w throws(SyncError) in
            try w.assign(.text("Trendanalyse rekenen M"), to: "title", of: id, type: "note")
            try w.setText("Groep 6 daalt sterk. Actie volgt.", field: "body", of: id, type: "note")
        }
        try b.write(in: school) { w throws(SyncError) in
            try w.assign(.text("Trendanalyse rekenen 2025-2026"), to: "title", of: id, type: "note")
            try w.setText("Groep 6 daalt. Actie volgt in maart.", field: "body", of: id, type: "note")
        }
        try Exchange.sync(a, b)
        #expect(try a.stateHash() == b.stateHash())
        #expect(try a.versionVector(school) == b.versionVector(school))
        let body = try a.entityState(id, type: "note", in: school)!.text(of: "body")
        #expect(body == "Groep 6 daalt sterk. Actie volgt in maart.")
        for store in [a, b] {
            let conflicts = try store.conflicts()
            #expect(conflicts.count == 1)
            #expect(conflicts.first?.field == "title")
            #expect(Set([conflicts.first?.loserValue, conflicts.first?.winnerValue])
                    == ["Trendanalyse rekenen M", "Trendanalyse rekenen 2025-2026"])
        }
    }

    /// Found by the network simulation: looking at an entity inside a write made an empty row.
    @Test func lookingAtAnEntityInAWriteStoresNothingForIt() throws {
        let store = try makeReplica()
        let id = try writeNote(store, title: "op school")
        let before = try store.stateHash()
        let change = try store.write(in: board) { b throws(SyncError) in
            #expect(try b.state(of: id, type: "note") == nil)      // it lives in the school scope only
            _ = b.newEntity(type: "note")                           // made, but never written
        }
        #expect(change == nil)
        #expect(try store.stateHash() == before)
        #expect(try store.entityIDs(type: "note", in: board).isEmpty)
    }

    @Test func applyingIsIdempotentAndReportsDuplicates() throws {
        let a = try makeReplica(), b = try makeReplica()
        for i in 0..<5 { try writeNote(a, title: "n\(i)") }
        let all = try a.changes(in: school, missingFrom: VersionVector())
        #expect(try b.apply(all) == ApplyResult(applied: 5))
        let hash = try b.stateHash()
        #expect(try b.apply(all + all) == ApplyResult(applied: 0, duplicates: 10))
        #expect(try b.stateHash() == hash)
        #expect(try b.changes(in: school, missingFrom: VersionVector()) == all)   // stored byte for byte
    }

    @Test func aReplicaReopenedFromDiskContinuesItsChainAndClock() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("replica.db")
        var replica: ReplicaID
        do {
            let store = try ReplicaStore.open(path: path, schemas: SampleSchemas.all)
            try store.addScope(school)
            try writeNote(store, title: "voor de herstart")
            replica = store.replicaID
        }
        let reopened = try ReplicaStore.open(path: path, schemas: SampleSchemas.all)
        #expect(reopened.replicaID == replica)
        try writeNote(reopened, title: "na de herstart")
        #expect(try reopened.versionVector(school)[replica] == 2)
        let other = try ReplicaStore.inMemory(schemas: SampleSchemas.all)   // on the system clock too
        try other.addScope(school)
        try Exchange.push(from: reopened, to: other)     // the chain still verifies end to end
        #expect(try other.stateHash() == reopened.stateHash())
    }
}
