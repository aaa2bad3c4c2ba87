import Foundation
import SyncCore
import SyncProtocol
import SyncStore
import SyncTestKit
import Testing

/// The full-text index of a record type (FTS5): local writes, remote changes and edits keep it
/// in step, deleted records are not found, and an erasure takes its words out of the file.
@Suite struct SearchTests {
    static let memo = RecordSchema(name: "memo", fields: [
        FieldSchema("title", .register(.text)),
        FieldSchema("body", .text),
        FieldSchema("tags", .set(.text)),
        FieldSchema("owner", .register(.text)),
    ], searchable: ["title", "body", "tags"])

    static func memo(_ store: ReplicaStore, title: String, body: String, tags: [String] = []) throws -> EntityID {
        var id: EntityID?
        try store.write(in: school) { b throws(SyncError) in
            let memo = b.newEntity(type: "memo")
            try b.assign(.text(title), to: "title", of: memo, type: "memo")
            try b.setText(body, field: "body", of: memo, type: "memo")
            for tag in tags { try b.add(.text(tag), to: "tags", of: memo, type: "memo") }
            id = memo
        }
        return id!
    }

    @Test func wordsAreFoundByPrefixWithoutAccentsInWhicheverReplicaWroteThem() throws {
        let a = try ReplicaStore.inMemory(schemas: [Self.memo]), b = try ReplicaStore.inMemory(schemas: [Self.memo])
        for store in [a, b] { try store.addScope(school) }
        let reading = try Self.memo(a, title: "Leesbegrip groep 6", body: "De resultaten dalen sinds de méérdere wisselingen.", tags: ["lezen"])
        let sums = try Self.memo(a, title: "Rekenen", body: "Automatiseren tafels.", tags: ["rekenen"])
        try Exchange.sync(a, b)
        let other = try Self.memo(b, title: "Leerteam", body: "Afspraken over rekenen in groep 6.")
        try Exchange.sync(a, b)

        for store in [a, b] {
            #expect(try store.search("leesbeg", type: "memo", in: school) == [reading], "a prefix")
            #expect(try store.search("meerdere", type: "memo", in: school) == [reading], "without accents")
            #expect(try Set(store.search("rekenen", type: "memo", in: school)) == [sums, other], "title, tag or body")
            #expect(try store.search("groep rekenen", type: "memo", in: school) == [other], "every word")
            #expect(try store.search("rekenen", type: "memo", in: board).isEmpty, "another scope")
            // Query syntax is only text: no error, no match-everything.
            #expect(try store.search("\"* OR title:", type: "memo", in: school).isEmpty)
            #expect(try store.search("   ", type: "memo", in: school).isEmpty)
        }

        // An edit replaces the old words; a deleted record is not found.
        try a.write(in: school) { w throws(SyncError) in
            try w.setText("Begrijpend lezen stijgt weer.", field: "body", of: reading, type: "memo")
            try w.delete(sums, type: "memo")
        }
        #expect(try a.search("meerdere", type: "memo", in: school).isEmpty)
        #expect(try a.search("stijgt", type: "memo", in: school) == [reading])
        #expect(try a.search("automatiseren", type: "memo", in: school).isEmpty)
        #expect(throws: SyncError.self) { try a.search("x", type: "nothing", in: school) }
    }

    @Test func anErasureTakesTheWordsOutOfTheIndexAndTheFile() throws {
        let dir = try TemporaryDirectory()
        let store = try ReplicaStore.open(path: dir.path("a.db"), schemas: [Self.memo])
        try store.addScope(school)
        // A word the tokenizer keeps whole (lower case, letters only), so its bytes would be in
        // the index's pages if the erasure left it there.
        let canary = "kanarie" + String(UUID().uuidString.lowercased().filter(\.isLetter).prefix(12))
        let kept = try Self.memo(store, title: "Blijft", body: "gewone tekst")
        let secret = try Self.memo(store, title: "Gesprek", body: "Over \(canary) en meer.", tags: [canary])
        #expect(try store.search(canary, type: "memo", in: school) == [secret])
        try store.erase(secret, type: "memo", in: school)
        #expect(try store.search(canary, type: "memo", in: school).isEmpty)
        #expect(try store.search("gewone", type: "memo", in: school) == [kept])
        for file in ["a.db", "a.db-wal"] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: dir.path(file)))) ?? Data()
            #expect(bytes.range(of: Data(canary.utf8)) == nil, "\(file) still holds the erased word")
        }
    }
}
