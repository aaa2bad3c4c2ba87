import Foundation
import SyncCore
import SyncProtocol
import SyncStore
import SyncTestKit
import Testing

/// A store that keeps its version vectors between reads (a board or daemon with a store
/// watcher) still answers every read with what it holds: its own commits clear the cache
/// whatever path they take, and what another process commits comes in with a fresh read.
@Suite struct VectorCacheTests {
    @Test func everyCommitOfThisProcessShowsInTheNextVector() throws {
        let directory = try TemporaryDirectory()
        let store = try ReplicaStore.open(path: directory.path("kcsync.db"), schemas: SampleSchemas.all)
        try store.addScope(school)
        store.cacheVersionVectors()
        #expect(try store.versionVector(school) == VersionVector())
        // A local write.
        let note = try writeNote(store, title: "een")
        #expect(try store.versionVector(school)[store.replicaID] == 1)
        // Changes received from another replica.
        let other = try ReplicaStore.inMemory(schemas: SampleSchemas.all)
        try other.addScope(school)
        for title in ["a", "b", "c"] { try writeNote(other, title: title) }
        _ = try store.receive(try other.changes(in: school, missingFrom: VersionVector()), in: school)
        #expect(try store.versionVector(school)[other.replicaID] == 3)
        // What is read for a peer follows too.
        #expect(try store.changes(in: school, missingFrom: VersionVector()).count == 4)
        // An erasure (its own write path) and another note.
        try store.write(in: school) { b throws(SyncError) in try b.erase(note, type: "note") }
        #expect(try store.versionVector(school)[store.replicaID] == 2)
    }

    @Test func whatAnotherProcessWritesComesInWithAFreshRead() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("kcsync.db")
        let server = try ReplicaStore.open(path: path, schemas: SampleSchemas.all)
        try server.addScope(school)
        server.cacheVersionVectors()
        #expect(try server.versionVector(school) == VersionVector())
        // A `kcsync` command: another connection to the same file.
        let command = try ReplicaStore.open(path: path, schemas: SampleSchemas.all)
        try writeNote(command, title: "van de opdrachtregel")
        // The watcher's fresh read brings it in, and every read after it shows it.
        #expect(try server.versionVector(school, fresh: true)[server.replicaID] == 1)
        #expect(try server.versionVector(school)[server.replicaID] == 1)
        #expect(try server.changes(in: school, missingFrom: VersionVector()).count == 1)
    }
}
