import Foundation
import SyncCore
import SyncProtocol
import SyncStore
import SyncTestKit
import Testing

/// A store keeps its version vectors between reads, and still answers every read with what it
/// holds: whatever path a commit of its own takes, and whatever another process commits to
/// the same file (a `kcsync` command while the daemon runs), shows in the very next read.
@Suite struct VectorCacheTests {
    @Test func everyCommitOfThisProcessShowsInTheNextVector() throws {
        let directory = try TemporaryDirectory()
        let store = try ReplicaStore.open(path: directory.path("kcsync.db"), schemas: SampleSchemas.all)
        try store.addScope(school)
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

    @Test func whatAnotherProcessWritesShowsInTheNextRead() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("kcsync.db")
        let server = try ReplicaStore.open(path: path, schemas: SampleSchemas.all)
        try server.addScope(school)
        #expect(try server.versionVector(school) == VersionVector())
        // A `kcsync` command: another connection to the same file, whose commits no observer
        // of the server's sees. A peer that asks at once gets it (this was a daemon that sent a
        // laptop nothing of two notes written just before).
        let command = try ReplicaStore.open(path: path, schemas: SampleSchemas.all)
        try writeNote(command, title: "van de opdrachtregel")
        #expect(try server.versionVector(school)[server.replicaID] == 1)
        #expect(try server.changes(in: school, missingFrom: VersionVector()).count == 1)
        try writeNote(command, title: "nog een")
        #expect(try server.changes(in: school, missingFrom: VersionVector()).count == 2)
        #expect(try server.versionVector(school)[server.replicaID] == 2)
    }
}
