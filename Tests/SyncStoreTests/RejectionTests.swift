import Foundation
import SyncCore
import SyncProtocol
import SyncStore
import SyncTestKit
import Testing

/// Bad changes are refused with a clear error, and the receiving replica stays exactly as it was.
@Suite struct RejectionTests {
    struct Fixture {
        let clock = ManualClock()
        let author: ReplicaStore
        let receiver: ReplicaStore
        let changes: [Data]

        init() throws {
            author = try makeReplica(clock: clock)
            receiver = try makeReplica(clock: clock)
            try writeNote(receiver, title: "eigen notitie")
            for i in 0..<3 { try writeNote(author, title: "notitie \(i)", body: "tekst \(i)") }
            changes = try author.changes(in: school, missingFrom: VersionVector())
        }

        func expectRefused(_ batch: [Data], code: SyncError.Code) throws {
            let hash = try receiver.stateHash()
            let vector = try receiver.versionVector(school)
            do {
                try receiver.apply(batch)
                Issue.record("expected \(code), the batch was accepted")
            } catch {
                #expect(error.code == code, "\(error)")
                #expect(!error.message.isEmpty)
            }
            #expect(try receiver.stateHash() == hash)
            #expect(try receiver.versionVector(school) == vector)
        }
    }

    @Test func aTamperedPayloadBreaksItsHash() throws {
        let f = try Fixture()
        var tampered = f.changes[1]
        let range = tampered.range(of: Data("notitie 1".utf8))!
        tampered.replaceSubrange(range, with: Data("notitie X".utf8))
        try f.expectRefused([f.changes[0], tampered, f.changes[2]], code: .brokenChain)
    }

    @Test func aTamperedHeaderFailsTheSignature() throws {
        let f = try Fixture()
        // Re-sign nothing: change one byte of the newest header's timestamp.
        let change = try SignedChange(serialized: f.changes[2])
        var header = change.header
        header.timestamp = Timestamp(rawValue: header.timestamp.rawValue + 1)
        let forged = Kcsync.rebuild(change, headerBytes: header.serialized(), signature: change.signature)
        try f.expectRefused([f.changes[0], f.changes[1], forged], code: .badSignature)
    }

    @Test func aChangeSignedByAnotherKeyIsRefused() throws {
        let f = try Fixture()
        let stranger = ReplicaKey()
        let change = try SignedChange(serialized: f.changes[0])
        let forged = Kcsync.rebuild(change, headerBytes: change.headerBytes, signature: Data(stranger.sign(change.headerBytes)))
        try f.expectRefused([forged], code: .badSignature)
        // A stranger's own chain claiming to be the author: its key does not hash to the id.
        var header = change.header
        header.authorKey = stranger.publicKey
        let claimed = Kcsync.rebuild(change, headerBytes: header.serialized(), signature: Data(stranger.sign(header.serialized())))
        try f.expectRefused([claimed], code: .badSignature)
    }

    @Test func outOfOrderAndGappedChainsAreRefused() throws {
        let f = try Fixture()
        try f.expectRefused([f.changes[1], f.changes[0]], code: .unknownReplica)
        try f.receiver.apply([f.changes[0]])
        try f.expectRefused([f.changes[2]], code: .sequenceGap)
        try f.receiver.apply([f.changes[1], f.changes[2]])
        #expect(try f.receiver.stateHash() != f.author.stateHash())      // the receiver has its own note too
    }

    @Test func aForkedChainIsRefused() throws {
        let f = try Fixture()
        try f.receiver.apply(f.changes)
        let change = try SignedChange(serialized: f.changes[2])
        // The author's key makes a second, different change 3.
        let forkKey = try storedKey(f.author)
        let fork = SignedChange(scope: school, seq: 3, timestamp: Timestamp(rawValue: change.header.timestamp.rawValue + 5),
                                previous: change.header.previous,
                                operations: [EntityOperations(entity: EntityID(high: 1, low: 1), type: "note", operations: [.assign("title", .text("fork"))])],
                                key: forkKey).serialized()
        try f.expectRefused([fork], code: .forkedChain)
    }

    @Test func aClockFarAheadIsRefused() throws {
        let f = try Fixture()
        let key = try storedKey(f.author)
        let future = SignedChange(scope: school, seq: 1, timestamp: Timestamp(millis: f.clock.now + 3_600_000, counter: 0), previous: [],
                                  operations: [EntityOperations(entity: EntityID(high: 1, low: 1), type: "note", operations: [.assign("title", .text("later"))])],
                                  key: key).serialized()
        try f.expectRefused([future], code: .clockSkew)
    }

    @Test func aScopeTheReplicaDoesNotHoldIsRefused() throws {
        let f = try Fixture()
        let boardOnly = try makeReplica(scopes: [board])
        let hash = try boardOnly.stateHash()
        do { try boardOnly.apply(f.changes); Issue.record("accepted") } catch { #expect(error.code == .scopeNotAllowed) }
        #expect(try boardOnly.stateHash() == hash)
        #expect(try boardOnly.changeCount(school) == 0)
    }

    @Test func opsThatBreakTheSchemaAreRefused() throws {
        let f = try Fixture()
        let key = try storedKey(f.author)
        let bad = SignedChange(scope: school, seq: 1, timestamp: Timestamp(millis: f.clock.now, counter: 0), previous: [],
                               operations: [EntityOperations(entity: EntityID(high: 1, low: 1), type: "note",
                                                             operations: [.assign("score", .text("veel"))])],
                               key: key).serialized()
        try f.expectRefused([bad], code: .schemaViolation)
    }

    @Test func garbageIsRefusedAsMalformed() throws {
        let f = try Fixture()
        try f.expectRefused([Data([1, 2, 3])], code: .malformedChange)
        try f.expectRefused([f.changes[0], f.changes[1].prefix(20)], code: .malformedChange)
    }

    @Test func thePolicyRefusesWhatMayNotEnterAScope() throws {
        let policy = ReplicaStore.AdmissionPolicy { scope, _, state throws(SyncError) in
            if scope.kind == .board, state.value(of: "sensitive") == .boolean(true) {
                throw SyncError(.scopeNotAllowed, "a sensitive record may not enter \(scope)")
            }
        }
        let store = try ReplicaStore.inMemory(schemas: SampleSchemas.all, policy: policy)
        try store.addScope(board)
        let hash = try store.stateHash()
        do {
            try store.write(in: board) { b throws(SyncError) in
                let id = b.newEntity(type: "note")
                try b.assign(.text("zorg"), to: "title", of: id, type: "note")
                try b.assign(.boolean(true), to: "sensitive", of: id, type: "note")
            }
            Issue.record("accepted")
        } catch {
            #expect(error.code == .scopeNotAllowed)
        }
        #expect(try store.stateHash() == hash)
        #expect(try store.changeCount(board) == 0)
    }
}

/// Rebuilds a change's bytes from a (possibly forged) header and signature and the original groups.
enum Kcsync {
    static func rebuild(_ change: SignedChange, headerBytes: Data, signature: Data) -> Data {
        // A SignedChange is length-delimited fields: 1 header, 2 signature, then 3 groups.
        func field(_ number: UInt8, _ payload: Data) -> Data {
            var out = Data([number << 3 | 2])
            var n = payload.count
            while n >= 0x80 { out.append(UInt8(n & 0x7F) | 0x80); n >>= 7 }
            out.append(UInt8(n))
            out.append(payload)
            return out
        }
        let full = change.serialized()
        let prefix = field(1, change.headerBytes) + field(2, change.signature)
        return field(1, headerBytes) + field(2, signature) + full.dropFirst(prefix.count)
    }
}
