import Foundation
import GRDB
import SyncCore
import SyncProtocol
@testable import SyncStore
import SyncTestKit
import Synchronization
import Testing

/// Batches that arrive while the writer is busy are stored a group to a transaction (one
/// commit, one upkeep of the kept tables), and each is judged exactly as alone: a batch that
/// is refused takes nothing of the others with it, and each caller hears its own result.
@Suite struct IntakeTests {
    /// Counts the commits of the store's writer that stored a change.
    final class Commits: TransactionObserver, @unchecked Sendable {
        let count = Atomic<Int>(0)
        let changed = Atomic<Bool>(false)
        func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { eventKind.tableName == "change" }
        func databaseDidChange(with event: DatabaseEvent) { changed.store(true, ordering: .relaxed) }
        func databaseDidCommit(_ db: Database) {
            if changed.exchange(false, ordering: .relaxed) { count.add(1, ordering: .relaxed) }
        }
        func databaseDidRollback(_ db: Database) { changed.store(false, ordering: .relaxed) }
    }

    /// Four senders with five shared notes each, and what each would send the receiver.
    func fourSenders() throws -> (senders: [ReplicaStore], batches: [[Data]]) {
        let senders = try (0..<4).map { _ in try makeReplica(scopes: [school, board]) }
        for (i, sender) in senders.enumerated() {
            for j in 0..<5 { _ = try writeNote(sender, title: "\(i)-\(j)", in: board) }
        }
        return (senders, try senders.map { try $0.changes(in: board, missingFrom: VersionVector()) })
    }

    /// Each batch received in its scope while the receiver's writer is busy (a long local
    /// write) until all of them wait; each caller's result, by batch.
    func receiveWhileTheWriterIsHeld(_ receiver: ReplicaStore, _ batches: [[Data]], scopes: [Scope]) async throws
        -> [Int: Result<ApplyResult, SyncError>] {
        let holding = Atomic<Bool>(false), release = Atomic<Bool>(false)
        let held = Task.detached {
            try await receiver.writer.write { _ in
                holding.store(true, ordering: .relaxed)
                while !release.load(ordering: .relaxed) { Thread.sleep(forTimeInterval: 0.005) }
            }
        }
        try await SessionLink.until(seconds: 60) { holding.load(ordering: .relaxed) }
        let arriving = Task {
            await withTaskGroup(of: (Int, Result<ApplyResult, SyncError>).self) { group in
                for (i, batch) in batches.enumerated() {
                    group.addTask {
                        do throws(SyncError) { return (i, .success(try await receiver.receive(batch: batch, in: scopes[i]))) } catch { return (i, .failure(error)) }
                    }
                }
                var out: [Int: Result<ApplyResult, SyncError>] = [:]
                for await (i, result) in group { out[i] = result }
                return out
            }
        }
        try await SessionLink.until(seconds: 60) { receiver.intake.waitingCount == batches.count }
        release.store(true, ordering: .relaxed)
        let results = await arriving.value
        try await held.value
        return results
    }

    @Test func batchesThatWaitAreStoredInOneTransactionEachJudgedAlone() async throws {
        let receiver = try makeReplica(scopes: [board])
        let (senders, batches) = try fourSenders()
        let commits = Commits()
        try await receiver.writer.write { db in db.add(transactionObserver: commits, extent: .observerLifetime) }
        // A kept table noting every stored change: the group that leaves nobody waiting
        // brings it up to date before its commit.
        let refreshes = Atomic<Int>(0)
        try receiver.maintain(DerivedTable(name: "stored changes noted", install: { db in
            try db.execute(sql: """
                CREATE TABLE noted (seq INTEGER);
                CREATE TRIGGER noting AFTER INSERT ON change BEGIN INSERT INTO noted VALUES (NEW.seq); END
                """)
        }, refresh: { db in
            refreshes.add(1, ordering: .relaxed)
            try db.execute(sql: "DELETE FROM noted")
        }))
        let refreshesBefore = refreshes.load(ordering: .relaxed)
        let before = commits.count.load(ordering: .relaxed)
        // The third batch is for a scope its changes are not of.
        let results = try await receiveWhileTheWriterIsHeld(receiver, batches, scopes: [board, board, school, board]).mapValues { try $0.get() }

        for i in [0, 1, 3] {
            #expect(results[i]?.applied == 5 && results[i]?.refused.isEmpty == true, "batch \(i): \(String(describing: results[i]))")
            #expect(try receiver.versionVector(board)[senders[i].replicaID] == 5)
        }
        #expect(results[2]?.applied == 0)
        #expect(results[2]?.refused.map(\.code) == Array(repeating: "scopeNotAllowed", count: 5))
        #expect(try receiver.versionVector(board)[senders[2].replicaID] == 0)
        // One transaction stored the four batches.
        #expect(commits.count.load(ordering: .relaxed) - before == 1)
        #expect(try receiver.changeCount(board) == 15)
        // Its upkeep ran once, and left nothing noted.
        #expect(refreshes.load(ordering: .relaxed) - refreshesBefore == 1)
        #expect(try receiver.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM noted") } == 0)
    }

    /// A batch of a group that fails in storage (here a trigger that aborts its change's
    /// insert, as a full disk would) fails alone: the group's transaction is rolled back and
    /// each batch is stored again on its own, so the other three are kept, their callers hear
    /// they were, and the failed one's caller hears a storage error.
    @Test func aBatchThatFailsInStorageTakesNothingOfTheOthersWithIt() async throws {
        let receiver = try makeReplica(scopes: [board])
        let (senders, batches) = try fourSenders()
        let commits = Commits()
        let hex = senders[2].replicaID.bytes.map { String(format: "%02x", $0) }.joined()
        try await receiver.writer.write { db in
            db.add(transactionObserver: commits, extent: .observerLifetime)
            try db.execute(sql: """
                CREATE TEMP TRIGGER failing_disk BEFORE INSERT ON main.change
                WHEN NEW.replica = (SELECT id FROM main.replica WHERE replica = x'\(hex)')
                BEGIN SELECT RAISE(ABORT, 'the disk failed'); END
                """)
        }

        let before = commits.count.load(ordering: .relaxed)
        let results = try await receiveWhileTheWriterIsHeld(receiver, batches, scopes: Array(repeating: board, count: 4))

        for i in [0, 1, 3] {
            guard case .success(let applied)? = results[i] else { Issue.record("batch \(i): \(String(describing: results[i]))"); continue }
            #expect(applied.applied == 5 && applied.refused.isEmpty, "batch \(i): \(applied)")
            #expect(try receiver.versionVector(board)[senders[i].replicaID] == 5)
        }
        guard case .failure(let error)? = results[2] else { Issue.record("batch 2 was not refused: \(String(describing: results[2]))"); return }
        #expect(error.code == .storage)
        #expect(try receiver.versionVector(board)[senders[2].replicaID] == 0)
        // The group's transaction stored nothing; three transactions of their own did.
        #expect(commits.count.load(ordering: .relaxed) - before == 3)
        #expect(try receiver.changeCount(board) == 15)
        // What the store sends on is exactly what it holds (the rolled-back group left nothing
        // behind in the change tail).
        let held15 = try receiver.changes(in: board, missingFrom: VersionVector())
        #expect(held15.count == 15)
        #expect(Set(try held15.map { try SignedChange(serialized: $0).header.replica }) == Set([0, 1, 3].map { senders[$0].replicaID }))
    }
}
