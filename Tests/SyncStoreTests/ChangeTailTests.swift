import Foundation
import GRDB
import SyncCore
import SyncProtocol
@testable import SyncStore
import SyncTestKit
import Testing

/// The changes a store committed last are pushed from memory: every read answered from there
/// is the read the log would give, whatever another process committed meanwhile, and an
/// erasure's scrubbed changes are never sent as they were.
@Suite struct ChangeTailTests {
    /// The log's own answer, bypassing the tail.
    func fromLog(_ store: ReplicaStore, _ scope: Scope, missingFrom known: VersionVector, limit: Int = .max) throws -> [Data] {
        try store.read { db in
            let scopeID = try Int64.fetchOne(db, sql: "SELECT id FROM scope WHERE name = ?", arguments: [scope.name])!
            let missing = try ReplicaStore.versionVector(db, scope: scope).missing(from: known)
            return missing.isEmpty ? [] : try store.logChanges(db, scope: scopeID, missing: missing, limit: limit)
        }
    }

    /// What the tail answers for `known`, or nil when it would leave the read to the log.
    func fromTail(_ store: ReplicaStore, _ scope: Scope, missingFrom known: VersionVector, limit: Int = .max) throws -> [Data]? {
        try store.read { db in
            let scopeID = try Int64.fetchOne(db, sql: "SELECT id FROM scope WHERE name = ?", arguments: [scope.name])!
            let (position, ours) = try store.positionedVector(db, scope: scope)
            return store.changeTail.changes(scope: scopeID, missing: ours.missing(from: known), position: position, limit: limit)
        }
    }

    @Test func whatIsPushedFromMemoryIsWhatTheLogHolds() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let store = try ReplicaStore.open(path: directory.path("board.db"), schemas: SampleSchemas.all, wallClock: clock.closure)
        try store.addScope(board)
        let writers = try (0..<3).map { _ in try makeReplica(clock: clock, scopes: [board]) }
        var generator = SeededGenerator(seed: 13)
        var seen: [VersionVector] = [VersionVector()]
        // Local writes and batches of three other chains, interleaved, some several to a batch.
        for round in 0..<40 {
            clock.advance(by: UInt64.random(in: 1...50, using: &generator))
            if round % 4 == 0 {
                try writeNote(store, title: "eigen \(round)", in: board)
            } else {
                let writer = writers[Int.random(in: 0..<writers.count, using: &generator)]
                let known = try store.versionVector(board)
                for i in 0..<Int.random(in: 1...3, using: &generator) { try writeNote(writer, title: "\(round)-\(i)", in: board) }
                _ = try store.receive(try writer.changes(in: board, missingFrom: known), in: board)
            }
            seen.append(try store.versionVector(board))
        }
        // Every vector a peer may hold: each one seen, and mixtures of them.
        var asked = seen
        for _ in 0..<60 {
            var mixed = VersionVector()
            for replica in try store.versionVector(board).entries.keys {
                mixed[replica] = seen[Int.random(in: 0..<seen.count, using: &generator)][replica]
            }
            asked.append(mixed)
        }
        var servedFromMemory = 0
        for known in asked {
            for limit in [Int.max, 1, 3] {
                let expected = try fromLog(store, board, missingFrom: known, limit: limit)
                #expect(try store.changes(in: board, missingFrom: known, limit: limit) == expected)
                if let held = try fromTail(store, board, missingFrom: known, limit: limit), !expected.isEmpty {
                    #expect(held == expected)
                    servedFromMemory += 1
                }
            }
        }
        // Everything was committed by this process: every read with something missing is served from memory.
        let nonEmpty = try asked.filter { try !fromLog(store, board, missingFrom: $0).isEmpty }.count
        #expect(servedFromMemory == nonEmpty * 3)
        #expect(nonEmpty > 50)
    }

    @Test func whatAnotherProcessCommitsIsNeverLeftOut() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("kcsync.db")
        let server = try ReplicaStore.open(path: path, schemas: SampleSchemas.all)
        try server.addScope(school)
        try writeNote(server, title: "van de daemon")
        #expect(try fromTail(server, school, missingFrom: VersionVector()) != nil)
        // A `kcsync` command commits to the same file: the server's tail does not hold it, so the
        // read goes to the log.
        let command = try ReplicaStore.open(path: path, schemas: SampleSchemas.all)
        try writeNote(command, title: "van de opdrachtregel")
        #expect(try fromTail(server, school, missingFrom: VersionVector()) == nil)
        #expect(try server.changes(in: school, missingFrom: VersionVector()) == fromLog(server, school, missingFrom: VersionVector()))
        #expect(try server.changes(in: school, missingFrom: VersionVector()).count == 2)
        // The server's next commit does not follow on from what it held: it starts again from there.
        try writeNote(server, title: "weer van de daemon")
        let all = try server.changes(in: school, missingFrom: VersionVector())
        #expect(all.count == 3)
        #expect(try all == fromLog(server, school, missingFrom: VersionVector()))
        // (The command writes as the same replica: its key is in the same file.)
        #expect(command.replicaID == server.replicaID)
        var known = VersionVector()
        known[server.replicaID] = 2
        #expect(try fromTail(server, school, missingFrom: known)?.count == 1)
        // A vector missing the command's change again needs the log.
        known[server.replicaID] = 1
        #expect(try fromTail(server, school, missingFrom: known) == nil)
        #expect(try server.changes(in: school, missingFrom: known).count == 2)
    }

    @Test func anErasureIsNeverPushedFromMemoryAsItWas() throws {
        let canary = "CANARY-\(UUID().uuidString)"
        func holdsCanary(_ changes: [Data]) -> Bool { changes.contains { $0.range(of: Data(canary.utf8)) != nil } }
        // Erased where it was written.
        let writer = try makeReplica()
        let secret = try writeNote(writer, title: "Gesprek \(canary)")
        #expect(holdsCanary(try fromTail(writer, school, missingFrom: VersionVector()) ?? []))
        try writer.erase(secret, type: "note", in: school)
        #expect(!holdsCanary(try writer.changes(in: school, missingFrom: VersionVector())))
        // Erased by a change received, in the same batch as the content, and in a later one.
        let together = try makeReplica(), later = try makeReplica()
        let first = try makeReplica()
        let content = try writeNote(first, title: "Gesprek \(canary)")
        let beforeErasure = try first.changes(in: school, missingFrom: VersionVector())
        _ = try later.receive(beforeErasure, in: school)
        #expect(holdsCanary(try fromTail(later, school, missingFrom: VersionVector()) ?? []))
        try first.erase(content, type: "note", in: school)
        let erasure = try first.changes(in: school, missingFrom: try later.versionVector(school))
        _ = try later.receive(erasure, in: school)
        _ = try together.receive(beforeErasure + erasure, in: school)
        for store in [later, together] {
            #expect(!holdsCanary(try store.changes(in: school, missingFrom: VersionVector())))
            #expect(try store.versionVector(school)[first.replicaID] == 2)
        }
    }

    func entry(_ rowid: Int64, _ replica: ReplicaID, _ seq: UInt64) -> ChangeTail.Entry {
        ChangeTail.Entry(rowid: rowid, scope: 1, replica: replica, replicaRow: 1, seq: seq, timestamp: rowid,
                         bytes: Data("\(replica.hex.prefix(4))-\(seq)-\(rowid)".utf8))
    }

    @Test func aTransactionThatRollsBackLeavesNothingOfItsRows() {
        let tail = ChangeTail()
        let a = ReplicaID(high: 1, low: 1), b = ReplicaID(high: 2, low: 2)
        tail.inserted(entry(1, a, 1))
        tail.inserted(entry(2, a, 2))
        tail.didCommit()
        // A transaction (a group of batches) that rolls back whole adds nothing; the rowids
        // it took are taken again by the next.
        tail.inserted(entry(3, b, 1))
        tail.inserted(entry(4, b, 2))
        tail.didRollback()
        tail.inserted(entry(3, a, 3))
        tail.didCommit()
        #expect(tail.changes(scope: 1, missing: [b: 1...1], position: 3, limit: .max) == nil)
        #expect(tail.changes(scope: 1, missing: [a: 1...3], position: 3, limit: .max) == [1, 2, 3].map { entry($0, a, UInt64($0)).bytes })
    }

    @Test func theOldestGoPastTheLimitAndAreReadFromTheLog() {
        let tail = ChangeTail(maximumEntries: 10)
        let a = ReplicaID(high: 1, low: 1)
        for seq in 1...25 as ClosedRange<Int64> {
            tail.inserted(entry(seq, a, UInt64(seq)))
            tail.didCommit()
        }
        #expect(tail.changes(scope: 1, missing: [a: 15...25], position: 25, limit: .max) == nil)
        #expect(tail.changes(scope: 1, missing: [a: 16...25], position: 25, limit: .max)
            == (16...25).map { entry($0, a, UInt64($0)).bytes })
        // A snapshot older than what is held, or newer than it, is left to the log.
        #expect(tail.changes(scope: 1, missing: [a: 16...16], position: 14, limit: .max) == nil)
        #expect(tail.changes(scope: 1, missing: [a: 16...16], position: 26, limit: .max) == nil)
        // A scrubbing transaction drops everything held.
        tail.inserted(entry(26, a, 26))
        tail.scrubbed()
        tail.didCommit()
        #expect(tail.changes(scope: 1, missing: [a: 25...25], position: 25, limit: .max) == nil)
        #expect(tail.changes(scope: 1, missing: [a: 26...26], position: 26, limit: .max) == nil)
    }
}
