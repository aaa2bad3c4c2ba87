public import Foundation
import KCModel
import SwiftProtobuf
import SyncCore
import SyncProtocol

/// The inputs libFuzzer drives (`Tools/fuzz.sh TARGET SECONDS`, one executable per target in
/// `Fuzz/`), as plain functions: the fuzzers call them with what they make up, and
/// `FuzzRegressionTests` calls them with every file of the seed corpora and every crash ever
/// found (`Fuzz/Regressions/TARGET/`), so a crash that was fixed stays fixed in `swift test`.
///
/// A target returns normally on any input; a crash, a trap or a broken property (checked
/// with `precondition`) is a finding.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The frame decoder: any bytes decode or are refused, and what decodes encodes back to
    /// bytes that decode to the same frame.
    case frame
    /// The change decoder and verifier: any bytes decode or are refused; a decoded change is
    /// checked (payload hash, signature, ops) and its ops applied to an entity state in two
    /// orders that must agree.
    case change
    /// The session state machine in both roles: a real handshake between two sessions, then
    /// the input's frames fed to one side as the peer's.
    case session
    /// The text CRDT's merge: the input's ops (inserts with any parent, deletes of any range)
    /// applied to two replicas in different orders must give the same text, and merging is
    /// commutative and idempotent.
    case text
    /// The trend CSV reader: any bytes are read (UTF-8, Windows-1252, a workbook refused) and
    /// parsed into figures or line-numbered problems.
    case csv

    /// Runs the target on `data`.
    public func run(_ data: Data) {
        switch self {
        case .frame: FuzzTarget.frame(data)
        case .change: FuzzTarget.change(data)
        case .session: FuzzTarget.session(data)
        case .text: FuzzTarget.text(data)
        case .csv: FuzzTarget.csv(data)
        }
    }

    // MARK: - frame

    static func frame(_ data: Data) {
        guard let frame = try? Kcsync_V1_Frame(serializedBytes: data) else { return }
        let again = try! frame.serializedBytes() as Data
        let decoded = try! Kcsync_V1_Frame(serializedBytes: again)
        precondition(decoded == frame, "a frame does not survive encode → decode")
    }

    // MARK: - change

    static func change(_ data: Data) {
        // The header peek reads any bytes without trapping, and on a change that decodes it
        // finds what the decoder finds.
        let peeked = SignedChange.peek(data)
        guard let change = try? SignedChange(serialized: data) else { return }
        _ = SignedChange.identity(of: data)
        let header = change.header
        if let peeked {
            precondition(peeked.replica == header.replica && peeked.seq == header.seq && peeked.timestamp == header.timestamp,
                         "the header peek disagrees with the decoder")
        }
        precondition((try? SignedChange(serialized: change.serialized())) != nil, "a decoded change does not encode to a change")
        _ = try? change.verifyPayload()
        _ = try? change.verifySignature(publicKey: Array(repeating: 7, count: 32))
        guard let groups = try? change.entityOperations(), groups.count <= 64 else { return }
        // The ops of each group, stamped as the store stamps them, applied forwards and
        // backwards: a state is a join, so the order must not matter for registers, sets and text.
        for (g, group) in groups.enumerated() where group.operations.count <= 256 {
            var forward = EntityState()
            var backward = EntityState()
            let stamped = group.operations.enumerated().map { i, op in
                (op, OpID(timestamp: header.timestamp, replica: header.replica, index: UInt32(truncatingIfNeeded: g << 16 | i)))
            }
            for (op, stamp) in stamped { _ = forward.apply(op, stamp: stamp) }
            for (op, stamp) in stamped.reversed() { _ = backward.apply(op, stamp: stamp) }
            _ = forward.texts.mapValues(\.text)
            _ = backward.texts.mapValues(\.text)
        }
    }

    // MARK: - session

    /// Fixed keys and nonces: the same input always takes the same path.
    static let serverKey = try! ReplicaKey(rawRepresentation: [UInt8](repeating: 1, count: 32))
    static let clientKey = try! ReplicaKey(rawRepresentation: [UInt8](repeating: 2, count: 32))
    static let now: UInt64 = 1_767_225_600_000

    /// The input: one byte of mode (bit 0: feed the client, else the server; bit 1: skip the
    /// handshake and feed a fresh session), then frames, each a 2-byte big-endian length and
    /// that many bytes.
    static func session(_ data: Data) {
        guard let mode = data.first else { return }
        let feedClient = mode & 1 == 1
        let handshake = mode & 2 == 0
        let board = try! Scope.board("41234"), school = try! Scope.school("12AB")
        var client = SyncSession(role: .client(scopes: [school, board], audience: nil, pinnedServerKey: nil),
                                 key: clientKey, school: "12AB", board: "41234", nonce: [UInt8](repeating: 3, count: 32))
        var server = SyncSession(role: .server(audience: "replica/\(serverKey.replicaID.hex)"),
                                 key: serverKey, school: "12AB", board: "41234", nonce: [UInt8](repeating: 4, count: 32))
        var toServer: [Data] = [], toClient: [Data] = []
        func carry(_ directives: [SyncSession.Directive], on session: inout SyncSession, into outbox: inout [Data]) {
            var queue = directives[...]
            var steps = 0
            while let directive = queue.popFirst() {
                steps += 1
                precondition(steps < 100_000, "a session's directives do not end")
                switch directive {
                case .send(let bytes): outbox.append(bytes)
                case .authorize: queue += session.onAuthorized([school, board])
                case .readMemberships: queue += session.onMemberships([])
                case .readVectors(let scopes):
                    queue += session.onVectors(Dictionary(uniqueKeysWithValues: scopes.map { ($0, VersionVector()) }))
                case .readChanges(let scope, _, _): queue += session.onChanges(scope, [])
                case .apply(let scope, let batch, let changes):
                    // What a store does first with received bytes: decode and check each.
                    var refused: [ChangeRefusal] = []
                    for bytes in changes {
                        if let change = try? SignedChange(serialized: bytes) {
                            if (try? change.verifyPayload()) == nil {
                                refused.append(ChangeRefusal(replica: change.header.replica, seq: change.header.seq, code: "badPayload", reason: "fuzz", transient: false))
                            }
                        }
                    }
                    queue += session.onApplied(scope, batch: batch, result: .success(AppliedBatch(vector: VersionVector(), refused: refused)))
                case .storeMemberships, .refused, .peerHolds, .ownChainAhead, .compareOwnTip, .established, .progress, .caughtUp, .close:
                    break
                }
            }
        }
        if handshake {
            carry(client.start(now: now), on: &client, into: &toServer)
            for _ in 0..<16 where !(toServer.isEmpty && toClient.isEmpty) {
                for frame in toServer { carry(server.onFrame(frame, now: now), on: &server, into: &toClient) }
                toServer = []
                for frame in toClient { carry(client.onFrame(frame, now: now), on: &client, into: &toServer) }
                toClient = []
            }
        } else if feedClient {
            carry(client.start(now: now), on: &client, into: &toServer)
        }
        // The input's frames, as the peer's.
        var rest = data.dropFirst()
        while rest.count >= 2 {
            let length = Int(rest[rest.startIndex]) << 8 | Int(rest[rest.startIndex + 1])
            rest = rest.dropFirst(2)
            let frame = Data(rest.prefix(length))
            rest = rest.dropFirst(length)
            var sink: [Data] = []
            if feedClient {
                carry(client.onFrame(frame, now: now), on: &client, into: &sink)
                if client.isClosed { break }
            } else {
                carry(server.onFrame(frame, now: now), on: &server, into: &sink)
                if server.isClosed { break }
            }
        }
        // Whatever came in, the other events of a session still work.
        var sink: [Data] = []
        if feedClient {
            carry(client.onLocalChange(board), on: &client, into: &sink)
            carry(client.onHandshakeTimeout(), on: &client, into: &sink)
            carry(client.onClose(), on: &client, into: &sink)
        } else {
            carry(server.onLocalChange(school), on: &server, into: &sink)
            carry(server.onRevoked("fuzz"), on: &server, into: &sink)
            carry(server.onClose(), on: &server, into: &sink)
        }
    }

    // MARK: - text

    /// The input as ops: each op's first byte chooses insert or delete and the rest of it
    /// the parent or range, from the runs made so far or out of thin air.
    static func text(_ data: Data) {
        var bytes = data[...]
        func next() -> UInt8? { bytes.popFirst() }
        let replicas = (1...3).map { ReplicaID(high: 0, low: UInt64($0)) }
        enum Op { case insert(TextInsertion, OpID), delete([CharRange]) }
        var ops: [Op] = []
        var made: [OpID] = []
        var clock: UInt64 = 1
        while ops.count < 64, let kind = next() {
            clock += UInt64(kind >> 4) + 1
            let replica = replicas[Int(kind) % 3]
            func ref() -> CharRef? {
                guard let pick = next(), let offset = next() else { return nil }
                if pick == 0 || made.isEmpty { return nil }
                let run = pick == 0xFF ? OpID(timestamp: Timestamp(rawValue: UInt64(offset) << 16), replica: replicas[0], index: 9)
                                       : made[Int(pick) % made.count]
                return CharRef(run: run, offset: UInt32(offset % 8))
            }
            if kind & 0x08 == 0 {
                let parent = ref()
                let count = Int(next() ?? 1) % 6 + 1
                let text = String(repeating: Character(UnicodeScalar(UInt8(97 + Int(kind) % 26))), count: count)
                let id = OpID(timestamp: Timestamp(rawValue: clock << 16), replica: replica, index: UInt32(ops.count))
                made.append(id)
                ops.append(.insert(TextInsertion(parent: parent, left: kind & 0x04 != 0, text: text), id))
            } else {
                var ranges: [CharRange] = []
                for _ in 0..<Int(kind & 0x03) + 1 {
                    guard let start = ref(), let length = next() else { break }
                    ranges.append(CharRange(run: start.run, offset: start.offset, length: UInt32(length % 9)))
                }
                ops.append(.delete(ranges))
            }
        }
        func applying(_ ops: some Sequence<Op>) -> TextSequence {
            var sequence = TextSequence()
            for op in ops {
                switch op {
                case .insert(let insertion, let id): sequence.insert(insertion, id: id)
                case .delete(let ranges): sequence.delete(ranges)
                }
            }
            return sequence
        }
        let forward = applying(ops)
        let backward = applying(ops.reversed())
        precondition(forward == backward, "the text depends on the order of its ops")
        precondition(forward.text == backward.text, "the visible text depends on the order of its ops")
        // Two replicas that each saw half, merged either way, and merged again with themselves.
        let half = ops.count / 2
        let a = applying(ops[..<half]), b = applying(ops[half...])
        let ab = a.merged(with: b), ba = b.merged(with: a)
        precondition(ab == ba && ab.text == ba.text, "merge is not commutative")
        precondition(ab.merged(with: ab) == ab, "merge is not idempotent")
        precondition(ab.text == forward.text, "merging halves differs from applying all")
        // Local edits on the merged text stay in range.
        let visible = ab.text.count
        _ = ab.insertion(at: visible, text: "z")
        if visible > 0 { _ = ab.deletion(of: 0..<visible) }
        _ = ab.edits(to: String(ab.text.reversed()))
    }

    // MARK: - csv

    static func csv(_ data: Data) {
        guard let text = try? TrendCSV.text(of: data) else { return }
        switch TrendCSV.parse(text, school: "12AB") {
        case .success(let drafts):
            for draft in drafts { _ = draft.problem() }
        case .failure(let problems):
            precondition(!problems.errors.isEmpty, "a refused file names no problem")
            for error in problems.errors { precondition(error.line >= 1, "a problem on line \(error.line)") }
        }
    }
}
