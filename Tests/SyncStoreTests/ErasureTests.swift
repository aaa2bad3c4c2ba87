import Foundation
import SyncCore
import SyncProtocol
import SyncStore
import SyncTestKit
import Testing

/// AVG erasure: the content goes from every table and every stored change on every replica,
/// the chains still verify, and the content never comes back through a later sync.
@Suite struct ErasureTests {
    @Test func erasedContentIsGoneEverywhereAndNeverReturns() throws {
        let dir = try TemporaryDirectory()
        let canary = "CANARY-\(UUID().uuidString)"
        func open(_ name: String) throws -> ReplicaStore {
            let store = try ReplicaStore.open(path: dir.path(name), schemas: SampleSchemas.all)
            try store.addScope(school)
            return store
        }
        let a = try open("a.db"), b = try open("b.db"), stale = try open("stale.db")
        try writeNote(a, title: "blijft staan", body: "gewone tekst")
        let secret = try writeNote(a, title: "Gesprek \(canary)", body: "Diagnose \(canary)")
        try a.write(in: school) { w throws(SyncError) in      // an edit in a later change, mixed with another note
            try w.add(.text(canary), to: "tags", of: secret, type: "note")
            let other = w.newEntity(type: "note")
            try w.assign(.text("andere notitie"), to: "title", of: other, type: "note")
        }
        try Exchange.sync(a, b)
        try Exchange.sync(a, stale)                      // holds the content, misses the erasure
        try a.erase(secret, type: "note", in: school)
        try Exchange.sync(a, b)

        for (name, store) in [("a.db", a), ("b.db", b)] {
            #expect(try store.entityState(secret, type: "note", in: school) == nil)
            #expect(try store.erasedEntities(in: school) == [secret])
            #expect(try store.integrityCheck() == "ok")
            let data = try Data(contentsOf: URL(fileURLWithPath: dir.path(name)))
            let wal = (try? Data(contentsOf: URL(fileURLWithPath: dir.path(name) + "-wal"))) ?? Data()
            #expect(data.range(of: Data(canary.utf8)) == nil, "\(name) still holds the content")
            #expect(wal.range(of: Data(canary.utf8)) == nil, "\(name)'s log still holds the content")
        }
        // The other note of the mixed change survives, and the chains still verify elsewhere.
        #expect(try b.stateHash() == a.stateHash())
        let fresh = try ReplicaStore.inMemory(schemas: SampleSchemas.all)
        try fresh.addScope(school)
        try Exchange.push(from: b, to: fresh)
        #expect(try fresh.stateHash() == a.stateHash())
        #expect(try fresh.entityIDs(type: "note", in: school).count == 2)

        // The stale replica syncs afterwards: the content does not come back, and it is erased there too.
        try Exchange.sync(stale, a)
        try Exchange.sync(stale, b)
        #expect(try a.entityState(secret, type: "note", in: school) == nil)
        #expect(try stale.entityState(secret, type: "note", in: school) == nil)
        #expect(try stale.stateHash() == a.stateHash())
        let staleLog = try stale.changes(in: school, missingFrom: VersionVector())
        #expect(!staleLog.contains { $0.range(of: Data(canary.utf8)) != nil })
    }

    @Test func contentArrivingAfterTheErasureIsDroppedOnArrival() throws {
        let clock = ManualClock()
        let a = try makeReplica(clock: clock), b = try makeReplica(clock: clock), c = try makeReplica(clock: clock)
        let secret = try writeNote(a, title: "vertrouwelijk")
        try Exchange.sync(a, b)
        clock.advance(by: 5)
        try b.write(in: school) { w throws(SyncError) in try w.setText("nog meer vertrouwelijks", field: "body", of: secret, type: "note") }
        try a.erase(secret, type: "note", in: school)
        // c hears of the erasure first, then gets b's edit of the erased note.
        try Exchange.push(from: a, to: c)
        let result = try c.apply(try b.changes(in: school, missingFrom: try c.versionVector(school)))
        #expect(result.erasedOnArrival == 1)
        let stored = try c.changes(in: school, missingFrom: VersionVector())
        #expect(!stored.contains { $0.range(of: Data("vertrouwelijk".utf8)) != nil })
        try Exchange.sync(b, a); try Exchange.sync(a, c); try Exchange.sync(b, c)
        #expect(try a.stateHash() == b.stateHash())
        #expect(try b.stateHash() == c.stateHash())
        #expect(throws: SyncError.self) {
            try a.write(in: school) { w throws(SyncError) in try w.assign(.text("terug?"), to: "title", of: secret, type: "note") }
        }
    }
}
