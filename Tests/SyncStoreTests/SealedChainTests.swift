import Foundation
import GRDB
import SyncCore
import SyncProtocol
import SyncStore
import SyncTestKit
import Testing

/// A change names the seal (header and signature) of the one before it, so one signature at
/// the end of a run vouches for the whole run, and nobody between author and receiver can
/// swap a signature without the next link breaking.
@Suite struct SealedChainTests {
    static func note(_ title: String) -> EntityOperations {
        var rng = SystemRandomNumberGenerator()
        return ChainForger.assign(EntityID(millis: 1, using: &rng), type: "note", ["title": .text(title)])
    }

    /// A replica on the system clock, as the forged changes are.
    static func receiver() throws -> ReplicaStore {
        let store = try ReplicaStore.inMemory(schemas: SampleSchemas.all)
        try store.addScope(school)
        return store
    }

    static func run(_ forger: inout ChainForger, _ count: Int) -> [SignedChange] {
        (0..<count).map { forger.next([note("notitie \($0)")]) }
    }

    @Test func aRelayThatSwapsASignatureInsideARunIsCaughtByTheNextLink() throws {
        for bad in 0..<4 {
            var author = ChainForger(key: ReplicaKey(), scope: school)
            let authentic = SealedChainTests.run(&author, 4)
            var relayed = authentic.map { $0.serialized() }
            relayed[bad] = ChainForger.resigned(authentic[bad]).serialized()
            let receiver = try SealedChainTests.receiver()
            let result = try receiver.receive(relayed, in: school)
            #expect(result.applied == bad)
            #expect(result.refused.map(\.seq) == Array(UInt64(bad + 1)...4))
            #expect(result.refused.first?.code == "badSignature")
            #expect(try receiver.changes(in: school, missingFrom: VersionVector()) == authentic.prefix(bad).map { $0.serialized() })
            // The authentic run completes it.
            #expect(try receiver.receive(authentic.map { $0.serialized() }, in: school).applied == 4 - bad)
        }
    }

    @Test func theNewestSignatureVouchesForTheRunAndACutHeals() throws {
        // An author that signed its second change badly but sealed it in its third: the third
        // signature vouches for the second, byte for byte.
        var author = ChainForger(key: ReplicaKey(), scope: school)
        let first = author.next([SealedChainTests.note("een")])
        let second = ChainForger.resigned(author.next([SealedChainTests.note("twee")]))
        var after = ChainForger(key: author.key, scope: school, after: second)
        let third = after.next([SealedChainTests.note("drie")])
        let whole = [first, second, third].map { $0.serialized() }

        let a = try SealedChainTests.receiver()
        let taken = try a.receive(whole, in: school)
        #expect(taken.applied == 3 && taken.refused.isEmpty)
        #expect(try a.changes(in: school, missingFrom: VersionVector()) == whole)

        // Cut after the second change, nothing vouches for it: refused, not the first.
        let b = try SealedChainTests.receiver()
        let cut = try b.receive(Array(whole.prefix(2)), in: school)
        #expect(cut.applied == 1)
        #expect(cut.refused.map(\.code) == ["badSignature"])
        // The rest of the run, sent again from where b stands, passes.
        #expect(try b.receive(Array(whole.dropFirst()), in: school).applied == 2)
        #expect(try b.stateHash() == a.stateHash())
    }

    @Test func formatOneChainsStillVerifyAndGoOnInFormatTwo() throws {
        let key = ReplicaKey()
        func change(_ seq: UInt64, previous: [UInt8], format: UInt32) -> SignedChange {
            let ops = SealedChainTests.note("notitie \(seq)")
            return SignedChange(scope: school, seq: seq, timestamp: Timestamp(millis: 1_000 + seq, counter: 0), previous: previous,
                                groups: [.operations(ops.serialized(salt: EntityOperations.randomSalt()))], key: key, format: format)
        }
        let one = change(1, previous: [], format: 1)
        let two = change(2, previous: one.headerHash, format: 1)
        let three = change(3, previous: two.seal, format: 2)
        #expect(one.header.format == 1 && three.header.format == ChangeHeader.currentFormat)
        let receiver = try SealedChainTests.receiver()
        let result = try receiver.receive([one, two, three].map { $0.serialized() }, in: school)
        #expect(result.applied == 3 && result.refused.isEmpty)

        // A format-2 change that names only the header hash does not link.
        let wrong = change(4, previous: three.headerHash, format: 2)
        let refused = try receiver.receive([wrong.serialized()], in: school)
        #expect(refused.refused.map(\.code) == ["brokenChain"])
    }

    @Test func aReplicaFromBeforeSealsGetsThemOnOpeningAndItsChainGoesOn() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("kcsync.db")
        do {
            let store = try ReplicaStore.open(path: path, schemas: SampleSchemas.all)
            try store.addScope(school)
            try writeNote(store, title: "een")
            try writeNote(store, title: "twee")
        }
        // The database as the version before seals left it.
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(sql: "ALTER TABLE head DROP COLUMN seal")
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v5-sealed-chains'")
            }
        }
        let reopened = try ReplicaStore.open(path: path, schemas: SampleSchemas.all)
        try writeNote(reopened, title: "drie")
        let changes = try reopened.changes(in: school, missingFrom: VersionVector()).map { try SignedChange(serialized: $0) }
        #expect(changes.count == 3)
        #expect(changes[2].header.previous == changes[1].seal)
        let receiver = try SealedChainTests.receiver()
        #expect(try receiver.receive(changes.map { $0.serialized() }, in: school).applied == 3)
    }
}
