import Foundation
import SyncCore
import SyncProtocol
import SyncTestKit
import Testing

@Suite struct EncodingTests {
    static let awkwardValues: [Value] = [
        .null, .text(""), .text("Caf\u{65}\u{301} 🙂 groep 6–7"), .text("Café"),
        .integer(.min), .integer(.max), .integer(0),
        .real(0.0), .real(-0.0), .real(.nan), .real(Double(bitPattern: 0x7FF8_0000_0000_0ABC)), .real(.infinity),
        .real(-.infinity), .real(.leastNonzeroMagnitude), .real(.greatestFiniteMagnitude), .real(0.1 + 0.2),
        .boolean(true), .boolean(false),
        .date(Date(timeIntervalSinceReferenceDate: 0.1)), .date(Date(timeIntervalSince1970: 1_767_225_600.123456789)),
        .date(Date(timeIntervalSinceReferenceDate: -1e-300)),
        .day(0), .day(-1), .day(.max), .id(EntityID(high: 0x0123_4567_89AB_CDEF, low: .max)),
    ]

    @Test func everyValueRoundTripsBitExactThroughAChange() throws {
        let key = ReplicaKey()
        let entity = EntityID(high: 1, low: 2)
        let ops = EncodingTests.awkwardValues.map { RecordOperation.assign("field", $0) }
        let change = SignedChange(scope: try .school("12AB"), seq: 1, timestamp: Timestamp(millis: 5, counter: 1), previous: [],
                                  operations: [EntityOperations(entity: entity, type: "note", operations: ops)], key: key)
        let bytes = change.serialized()
        let decoded = try SignedChange(serialized: bytes)
        #expect(decoded.serialized() == bytes)
        #expect(decoded.header == change.header)
        let back = try decoded.entityOperations()[0].operations
        for (original, op) in zip(ops, back) {
            #expect(op == original)
            guard case .assign(let a, _) = original.kind, case .assign(let b, _) = op.kind else { Issue.record("kind"); continue }
            #expect(a.canonicalBytes == b.canonicalBytes)
            if case .real(let x) = a, case .real(let y) = b { #expect(x.bitPattern == y.bitPattern) }
        }
        try decoded.verifyPayload()
        try decoded.verifySignature(publicKey: key.publicKey)
    }

    @Test func everyOpKindRoundTrips() throws {
        let r = ReplicaID(high: 7, low: 7)
        let id = OpID(timestamp: Timestamp(millis: 3, counter: 2), replica: r, index: 4)
        let ops: [RecordOperation] = [
            .assign("title", .text("x"), pred: [id, id]),
            RecordOperation(field: "tags", kind: .add(.text("rekenen"))),
            RecordOperation(field: "tags", kind: .remove(.text("rekenen"), observed: [id])),
            RecordOperation(field: "body", kind: .insertText(TextInsertion(parent: nil, left: false, text: "Hallo"))),
            RecordOperation(field: "body", kind: .insertText(TextInsertion(parent: CharRef(run: id, offset: 3), left: true, text: "é"))),
            RecordOperation(field: "body", kind: .deleteText([CharRange(run: id, offset: 1, length: 2)])),
            RecordOperation(field: "", kind: .delete(seen: id)),
            RecordOperation(field: "", kind: .delete(seen: nil)),
        ]
        let group = EntityOperations(entity: EntityID(high: 9, low: 9), type: "note", operations: ops)
        let bytes = group.serialized()
        let decoded = try EntityOperations(serialized: bytes)
        #expect(decoded == group)
        #expect(decoded.serialized() == bytes)
    }

    @Test func aStoredEntityStateIsCanonical() throws {
        let history = (0..<20).map { i in
            (RecordOperation(field: "tags", kind: .add(.text("t\(i % 5)"))),
             OpID(timestamp: Timestamp(millis: UInt64(i), counter: 0), replica: ReplicaID(high: UInt64(i % 3), low: 0), index: 0))
        }
        var forward = EntityState(), backward = EntityState()
        for (op, id) in history { forward.apply(op, stamp: id) }
        for (op, id) in history.reversed() { backward.apply(op, stamp: id) }
        #expect(forward.serialized() == backward.serialized())
        #expect(try EntityState(serialized: forward.serialized()) == forward)
    }

    /// The hand-written state encoder writes exactly what SwiftProtobuf writes, over states
    /// with every CRDT, every value kind (defaults included), conflicts, supersessions, set
    /// removes, long and non-ASCII texts with deletions, and delete markers.
    @Test func theStateEncoderWritesWhatProtobufWrites() throws {
        var rng = SeededGenerator(seed: 42)
        let replicas = (0..<3).map { ReplicaID(high: UInt64($0) &* 0x9E37_79B9_7F4A_7C15, low: UInt64($0) + 1) }
        let values: [Value] = [.null, .text(""), .text("groep 6 🙂"), .integer(0), .integer(-48), .integer(.max), .integer(.min),
                               .real(0), .real(-0.0), .real(.nan), .date(Date(timeIntervalSinceReferenceDate: 0)),
                               .date(Date(timeIntervalSinceReferenceDate: 788_918_400.125)), .day(0), .day(-1), .day(20_513),
                               .id(EntityID(high: 1, low: 2)), .boolean(false), .boolean(true)]
        for round in 0..<200 {
            var state = EntityState()
            var stamps: [OpID] = []
            let opCount = Int.random(in: 1...40, using: &rng)
            for n in 0..<opCount {
                let stamp = OpID(timestamp: Timestamp(millis: UInt64(n / 3 + 1), counter: UInt16(n % 3)),
                                 replica: replicas[Int.random(in: 0..<3, using: &rng)], index: UInt32(n % 2 == 0 ? 0 : n << 16 | n))
                let field = ["title", "score", "tags", "body", "notes"][Int.random(in: 0..<5, using: &rng)]
                let op: RecordOperation
                switch Int.random(in: 0..<8, using: &rng) {
                case 0, 1:
                    let pred = stamps.isEmpty || Bool.random(using: &rng) ? [] : [stamps.randomElement(using: &rng)!]
                    op = .assign(field, values.randomElement(using: &rng)!, pred: pred)
                case 2: op = RecordOperation(field: field + "Set", kind: .add(values.randomElement(using: &rng)!))
                case 3: op = RecordOperation(field: field + "Set", kind: .remove(values.randomElement(using: &rng)!, observed: Array(stamps.suffix(2))))
                case 4, 5:
                    let length = [1, 5, 130, 400][Int.random(in: 0..<4, using: &rng)]
                    let alphabet: [Character] = ["a", "b", "c", "é", "🙂", " "]
                    let text = String((0..<length).map { _ in alphabet[Int.random(in: 0..<6, using: &rng)] })
                    let parent = stamps.isEmpty || Bool.random(using: &rng) ? nil : CharRef(run: stamps.last!, offset: 0)
                    op = RecordOperation(field: field + "Text", kind: .insertText(TextInsertion(parent: parent, left: Bool.random(using: &rng), text: text)))
                case 6 where !stamps.isEmpty:
                    op = RecordOperation(field: field + "Text", kind: .deleteText([CharRange(run: stamps.randomElement(using: &rng)!, offset: UInt32.random(in: 0..<3, using: &rng), length: UInt32.random(in: 1...200, using: &rng))]))
                default:
                    op = RecordOperation(field: "", kind: .delete(seen: stamps.last))
                }
                _ = state.apply(op, stamp: stamp)
                stamps.append(stamp)
            }
            if round % 50 == 49 { _ = state.apply(RecordOperation(field: "", kind: .erase), stamp: stamps.last!) }
            let fast = state.serialized()
            #expect(fast == state.serializedThroughProtobuf(), "round \(round): the hand-written encoder differs from SwiftProtobuf")
            #expect(try EntityState(serialized: fast) == state)
        }
    }

    /// What a sender notes of each change it sends (author, seq, clock) is read from the
    /// header without decoding the change: the same as the decoder finds, and nil, not a
    /// trap, for bytes that are not a change.
    @Test func thePeekFindsWhatTheDecoderFinds() throws {
        let key = ReplicaKey()
        var previous: [UInt8] = []
        for seq in UInt64(1)...40 {
            let ops = EntityOperations(entity: EntityID(high: seq, low: 1), type: "note",
                                       operations: [.assign("title", .text(String(repeating: "x", count: Int(seq) * 9)))])
            let change = SignedChange(scope: try .school("12AB"), seq: seq, timestamp: Timestamp(millis: 1_000 * seq, counter: UInt16(seq)),
                                      previous: previous, operations: [ops], key: key)
            previous = change.seal
            let bytes = change.serialized()
            let peeked = try #require(SignedChange.peek(bytes))
            #expect(peeked.replica == change.header.replica && peeked.seq == seq && peeked.timestamp == change.header.timestamp)
            for cut in stride(from: 0, to: bytes.count, by: 7) { _ = SignedChange.peek(bytes.prefix(cut)) }
        }
        #expect(SignedChange.peek(Data()) == nil)
        #expect(SignedChange.peek(Data([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F])) == nil)
        #expect(SignedChange.peek(Data(repeating: 0xFF, count: 40)) == nil)
    }

    @Test func malformedBytesAreRejectedWithAClearError() throws {
        let key = ReplicaKey()
        let good = SignedChange(scope: try .school("12AB"), seq: 1, timestamp: Timestamp(millis: 5, counter: 0), previous: [],
                                operations: [EntityOperations(entity: EntityID(high: 1, low: 1), type: "note", operations: [.assign("title", .text("x"))])],
                                key: key).serialized()
        var samples: [Data] = [Data(), Data([0xFF, 0xFF, 0xFF]), good.prefix(good.count / 2), Data(repeating: 0x0A, count: 64)]
        samples.append(Data(count: Limits.maximumChangeBytes + 1))
        // Invalid UTF-8 in the scope string of a header.
        var invalidUTF8 = good
        if let range = invalidUTF8.range(of: Data("school/12AB".utf8)) { invalidUTF8.replaceSubrange(range, with: Data([0x73, 0xC3, 0x28] + Array(repeating: 0x41, count: 8))) }
        samples.append(invalidUTF8)
        for sample in samples {
            #expect(throws: SyncError.self) { try SignedChange(serialized: sample) }
            do { _ = try SignedChange(serialized: sample) } catch {
                #expect(error.code == .malformedChange, "\(error)")
            }
        }
    }

    @Test func theReplicaIDIsBoundToTheKey() throws {
        let key = ReplicaKey()
        #expect(ReplicaKey.replicaID(forPublicKey: key.publicKey) == key.replicaID)
        #expect(ReplicaKey.replicaID(forPublicKey: ReplicaKey().publicKey) != key.replicaID)
    }
}
