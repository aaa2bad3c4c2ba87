import Foundation
import SyncCore
import SyncProtocol
import SwiftProtobuf
import Testing

/// Golden encodings in Protocol/vectors: the bytes of changes made from fixed inputs (a fixed
/// key; Ed25519 signatures are deterministic). Any implementation must decode them, re-encode
/// them to the same bytes and verify them. The test also rebuilds them from the inputs, so an
/// accidental change of the encoder fails here. After a deliberate format change, regenerate
/// with `KCSYNC_WRITE_VECTORS=1 swift test --filter GoldenVectorTests` and commit the files.
@Suite struct GoldenVectorTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Protocol/vectors")

    static func key() throws -> ReplicaKey {
        try ReplicaKey(rawRepresentation: Data((1...32).map { UInt8($0) }))
    }

    /// The fixed changes: a first change with every op and value kind, its successor, and the
    /// successor with its only group erased.
    static func vectors() throws -> [(name: String, bytes: Data)] {
        let key = try key()
        let scope = try Scope.school("12AB")
        let entity = EntityID(high: 0x0192_0000_0000_7abc, low: 0x8000_0000_0000_0001)
        let replica = key.replicaID
        let earlier = OpID(timestamp: Timestamp(millis: 1_767_225_600_000, counter: 0), replica: replica, index: 0)
        let ops: [RecordOperation] = [
            .assign("title", .text("Trendanalyse rekenen groep 6")),
            .assign("score", .real(-0.0)),
            .assign("measured", .date(Date(timeIntervalSinceReferenceDate: 788_918_400.125))),
            .assign("meetingDate", .day(20_513)),
            .assign("pupils", .integer(-48)),
            .assign("sensitive", .boolean(false)),
            .assign("origin", .id(EntityID(high: 1, low: 2))),
            .assign("retainUntil", .null, pred: [earlier]),
            RecordOperation(field: "tags", kind: .add(.text("groep 6"))),
            RecordOperation(field: "tags", kind: .remove(.text("oud"), observed: [earlier])),
            RecordOperation(field: "body", kind: .insertText(TextInsertion(parent: nil, left: false, text: "Daling in groep 6 🙂"))),
            RecordOperation(field: "body", kind: .deleteText([CharRange(run: earlier, offset: 2, length: 3)])),
        ]
        let first = SignedChange(scope: scope, seq: 1, timestamp: Timestamp(millis: 1_767_225_600_001, counter: 3), previous: [],
                                 operations: [EntityOperations(entity: entity, type: "note", operations: ops)], key: key,
                                 salts: { _ in Data(repeating: 0x5a, count: 16) })
        var second = SignedChange(scope: scope, seq: 2, timestamp: Timestamp(millis: 1_767_225_600_002, counter: 0),
                                  previous: first.seal,
                                  operations: [EntityOperations(entity: entity, type: "note", operations: [
                                      RecordOperation(field: "", kind: .delete(seen: earlier)),
                                  ])], key: key, salts: { _ in Data(repeating: 0xa5, count: 16) })
        let secondBytes = second.serialized()
        second.erase(where: { _ in true })
        return [("change-1.bin", first.serialized()), ("change-2.bin", secondBytes), ("change-2-erased.bin", second.serialized())]
    }

    @Test func theVectorsDecodeReencodeAndVerify() throws {
        let expected = try GoldenVectorTests.vectors()
        if ProcessInfo.processInfo.environment["KCSYNC_WRITE_VECTORS"] == "1" {
            for (name, bytes) in expected { try bytes.write(to: GoldenVectorTests.directory.appendingPathComponent(name)) }
        }
        let key = try GoldenVectorTests.key()
        var previous: [UInt8] = []
        for (name, bytes) in expected {
            let stored = try Data(contentsOf: GoldenVectorTests.directory.appendingPathComponent(name))
            #expect(stored == bytes, "\(name): the encoder no longer produces the golden bytes")
            let change = try SignedChange(serialized: stored)
            #expect(change.serialized() == stored, "\(name) does not re-encode byte for byte")
            try change.verifyPayload()
            try change.verifySignature(publicKey: key.publicKey)
            #expect(change.header.replica == key.replicaID)
            if change.header.seq == 1 { previous = change.seal } else { #expect(change.header.previous == previous) }
        }
        let first = try SignedChange(serialized: try Data(contentsOf: GoldenVectorTests.directory.appendingPathComponent("change-1.bin")))
        let ops = try first.entityOperations()[0].operations
        #expect(ops.count == 12)
        #expect(ops[1] == .assign("score", .real(-0.0)))
        let erased = try SignedChange(serialized: try Data(contentsOf: GoldenVectorTests.directory.appendingPathComponent("change-2-erased.bin")))
        #expect(try erased.entityOperations().isEmpty)
    }

    /// The fixed membership statements: the board (the fixed key) certifies a school's key,
    /// that school's replica admits a laptop, and the board revokes the laptop.
    static func membershipVectors() throws -> [(name: String, bytes: Data)] {
        let board = try key()
        let desktop = try ReplicaKey(rawRepresentation: Data((33...64).map { UInt8($0) }))
        let laptop = try ReplicaKey(rawRepresentation: Data((65...96).map { UInt8($0) }))
        let certified = SignedMembership(board: "41234", school: "12AB", memberKey: desktop.publicKey, issuer: board, issued: 1_767_225_600_000)
        let admitted = SignedMembership(board: "41234", school: "12AB", memberKey: laptop.publicKey, issuer: desktop, issued: 1_767_225_600_001)
        let revoked = SignedMembership(board: "41234", school: "12AB", memberKey: laptop.publicKey, issuer: board, issued: 1_767_225_600_002,
                                       revoked: true)
        return [("membership-1.bin", certified.serialized()), ("membership-2-admitted.bin", admitted.serialized()),
                ("membership-3-revoked.bin", revoked.serialized())]
    }

    @Test func theMembershipVectorsDecodeVerifyAndResolve() throws {
        let expected = try GoldenVectorTests.membershipVectors()
        if ProcessInfo.processInfo.environment["KCSYNC_WRITE_VECTORS"] == "1" {
            for (name, bytes) in expected { try bytes.write(to: GoldenVectorTests.directory.appendingPathComponent(name)) }
        }
        var statements: [SignedMembership] = []
        for (name, bytes) in expected {
            let stored = try Data(contentsOf: GoldenVectorTests.directory.appendingPathComponent(name))
            #expect(stored == bytes, "\(name): the encoder no longer produces the golden bytes")
            let statement = try SignedMembership(serialized: stored)      // checks the signature
            #expect(statement.serialized() == stored, "\(name) does not re-encode byte for byte")
            statements.append(statement)
        }
        let boardKey = try GoldenVectorTests.key().publicKey
        let desktop = statements[0].statement.memberReplica, laptop = statements[1].statement.memberReplica
        #expect(MembershipRoster.resolve(Array(statements.prefix(2)), board: "41234", boardKey: boardKey) == [desktop: "12AB", laptop: "12AB"])
        #expect(MembershipRoster.resolve(statements, board: "41234", boardKey: boardKey) == [desktop: "12AB"], "the board's revocation is final")
        #expect(MembershipRoster.resolve(Array(statements.suffix(2)), board: "41234", boardKey: boardKey).isEmpty,
                "without the desktop's own statement the laptop's counts for nothing")
        // A statement whose bytes were altered does not verify.
        var altered = Array(try Data(contentsOf: GoldenVectorTests.directory.appendingPathComponent("membership-1.bin")))
        altered[8] ^= 0x01
        #expect(throws: SyncError.self) { try SignedMembership(serialized: Data(altered)) }
    }

    /// The session frames that came with membership and per-change refusal: a `Members` frame,
    /// an `Ack` that refuses one change, and a `Vector` carrying the receiver's tip hash.
    static func frameVectors() throws -> [(name: String, bytes: Data)] {
        let statements = try membershipVectors().prefix(2).map(\.bytes)
        var members = Kcsync_V1_Frame()
        members.members.memberships = Array(statements)
        let desktop = try SignedMembership(serialized: statements[0]).statement.memberReplica
        let laptop = try SignedMembership(serialized: statements[1]).statement.memberReplica
        var entry = Kcsync_V1_VectorEntry()
        entry.replica = Data(desktop.bytes)
        entry.seq = 7
        var refusal = Kcsync_V1_Refusal()
        refusal.replica = Data(laptop.bytes)
        refusal.seq = 2
        refusal.code = "notOwner"
        refusal.reason = "the note belongs to school 34CD"
        var ack = Kcsync_V1_Frame()
        ack.ack.scope = "board/41234"
        ack.ack.batch = 3
        ack.ack.vector = [entry]
        ack.ack.refused = [refusal]
        var vector = Kcsync_V1_Frame()
        vector.vector.scope = "board/41234"
        vector.vector.entries = [entry]
        vector.vector.peerTip = Data(Hashing.sha256(Data("tip".utf8)))
        return [("frame-members.bin", try members.serializedBytes()), ("frame-ack-refused.bin", try ack.serializedBytes()),
                ("frame-vector-tip.bin", try vector.serializedBytes())]
    }

    @Test func theFrameVectorsDecodeAndReencode() throws {
        let expected = try GoldenVectorTests.frameVectors()
        if ProcessInfo.processInfo.environment["KCSYNC_WRITE_VECTORS"] == "1" {
            for (name, bytes) in expected { try bytes.write(to: GoldenVectorTests.directory.appendingPathComponent(name)) }
        }
        for (name, bytes) in expected {
            let stored = try Data(contentsOf: GoldenVectorTests.directory.appendingPathComponent(name))
            #expect(stored == bytes, "\(name): the encoder no longer produces the golden bytes")
            let frame = try Kcsync_V1_Frame(serializedBytes: stored)
            #expect(try frame.serializedBytes() == stored, "\(name) does not re-encode byte for byte")
        }
        let ack = try Kcsync_V1_Frame(serializedBytes: try Data(contentsOf: GoldenVectorTests.directory.appendingPathComponent("frame-ack-refused.bin")))
        #expect(ack.ack.refused.first?.code == "notOwner" && ack.ack.refused.first?.seq == 2 && ack.ack.refused.first?.transient == false)
        let members = try Kcsync_V1_Frame(serializedBytes: try Data(contentsOf: GoldenVectorTests.directory.appendingPathComponent("frame-members.bin")))
        #expect(try members.members.memberships.map { try SignedMembership(serialized: $0).statement.school } == ["12AB", "12AB"])
    }
}
