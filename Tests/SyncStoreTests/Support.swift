import Foundation
import GRDB
import SyncCore
import SyncProtocol
import SyncStore
import SyncTestKit

let school = try! Scope.school("12AB")
let board = try! Scope.board("41234")

/// An in-memory replica holding the school and board scopes, on a shared manual clock.
func makeReplica(clock: ManualClock = ManualClock(), scopes: [Scope] = [school, board]) throws -> ReplicaStore {
    let store = try ReplicaStore.inMemory(schemas: SampleSchemas.all, wallClock: clock.closure)
    for scope in scopes { try store.addScope(scope) }
    return store
}

/// Writes a note and returns its id.
@discardableResult
func writeNote(_ store: ReplicaStore, title: String, body: String = "", in scope: Scope = school) throws -> EntityID {
    var id: EntityID?
    try store.write(in: scope) { b throws(SyncError) in
        let note = b.newEntity(type: "note")
        try b.assign(.text(title), to: "title", of: note, type: "note")
        if !body.isEmpty { try b.setText(body, field: "body", of: note, type: "note") }
        id = note
    }
    return id!
}

func title(_ store: ReplicaStore, _ id: EntityID, in scope: Scope = school) throws -> String? {
    try store.entityState(id, type: "note", in: scope)?.value(of: "title")?.text
}

/// A temporary directory removed when the test ends.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// The replica's signing key, read from its database (tests forge changes with it).
func storedKey(_ store: ReplicaStore) throws -> ReplicaKey {
    let raw = try store.read { db in try Data.fetchOne(db, sql: "SELECT privateKey FROM identity")! }
    return try ReplicaKey(rawRepresentation: raw)
}
