public import Foundation
public import SyncCore
public import SyncProtocol
import SwiftProtobuf

/// For tests that play the attacker: a replica key that signs whatever it is told, with no
/// store and no policy in the way. It continues its own chain (or any chain whose tip it is
/// given), so its changes are well formed and correctly signed: only the receivers' own checks
/// stand between them and the receivers' state.
public struct ChainForger: Sendable {
    /// The key that signs.
    public let key: ReplicaKey
    /// The scope its changes name in their headers.
    public var scope: Scope
    /// The seq of the last change made (0: none yet).
    public private(set) var seq: UInt64
    /// The seal of the last change made: what the next one names as `previous`.
    public private(set) var previous: [UInt8]
    /// The clock of the last change made.
    public private(set) var last: Timestamp

    /// A forger for `key` in `scope`, starting a new chain, or continuing after `tip` (a change
    /// of the same key and scope, such as one the honest replica made with that key).
    public init(key: ReplicaKey, scope: Scope, after tip: SignedChange? = nil) {
        self.key = key
        self.scope = scope
        seq = tip?.header.seq ?? 0
        previous = tip?.seal ?? []
        last = tip?.header.timestamp ?? .zero
    }

    /// The next change of the chain: `groups` signed at `millis` (default: now).
    public mutating func next(_ groups: [EntityOperations], millis: UInt64? = nil) -> SignedChange {
        let wall = millis ?? UInt64(Date().timeIntervalSince1970 * 1000)
        let timestamp = max(Timestamp(rawValue: wall << 16), Timestamp(rawValue: last.rawValue + 1))
        let change = SignedChange(scope: scope, seq: seq + 1, timestamp: timestamp, previous: previous, operations: groups, key: key)
        seq += 1
        previous = change.seal
        last = timestamp
        return change
    }

    /// A change whose signature is made by another key: everything else valid.
    public mutating func nextBadlySigned(_ groups: [EntityOperations]) -> SignedChange {
        ChainForger.resigned(next(groups))
    }

    /// `change` with its signature replaced by one of another key; every byte of the header
    /// (and so the hash links of its run) stays.
    public static func resigned(_ change: SignedChange) -> SignedChange {
        var message = try! Kcsync_V1_SignedChange(serializedBytes: change.serialized())
        message.signature = Data(ReplicaKey().sign(change.headerBytes))
        return try! SignedChange(serialized: try! message.serializedBytes())
    }

    /// One group that assigns `fields` of `entity`.
    public static func assign(_ entity: EntityID, type: String, _ fields: [String: Value]) -> EntityOperations {
        EntityOperations(entity: entity, type: type, operations: fields.sorted { $0.key < $1.key }.map { .assign($0.key, $0.value) })
    }

    /// One group that erases `entity`.
    public static func erase(_ entity: EntityID, type: String) -> EntityOperations {
        EntityOperations(entity: entity, type: type, operations: [RecordOperation(field: "", kind: .erase)])
    }

    /// One group that deletes `entity`.
    public static func delete(_ entity: EntityID, type: String) -> EntityOperations {
        EntityOperations(entity: entity, type: type, operations: [RecordOperation(field: "", kind: .delete(seen: nil))])
    }
}

/// Hand-made session frames, for clients that say what no honest replica would.
public enum FrameForger {
    /// A `Vector` frame with exactly these entries (duplicates and any seq allowed).
    public static func vector(scope: Scope, entries: [(ReplicaID, UInt64)]) -> Data {
        var message = Kcsync_V1_Vector()
        message.scope = scope.name
        message.entries = entries.map { replica, seq in
            var entry = Kcsync_V1_VectorEntry()
            entry.replica = Data(replica.bytes)
            entry.seq = seq
            return entry
        }
        var frame = Kcsync_V1_Frame()
        frame.vector = message
        return try! frame.serializedBytes()
    }

    /// A `Changes` frame carrying these changes as batch `batch` of `scope`.
    public static func changes(scope: Scope, batch: UInt64, _ changes: [SignedChange]) -> Data {
        var message = Kcsync_V1_Changes()
        message.scope = scope.name
        message.batch = batch
        message.changes = changes.map { $0.serialized() }
        var frame = Kcsync_V1_Frame()
        frame.changes = message
        return try! frame.serializedBytes()
    }

    /// A `Changes` frame whose `deflated` field holds `deflated` as it is (any bytes).
    public static func deflatedChanges(scope: Scope, batch: UInt64, _ deflated: Data) -> Data {
        var message = Kcsync_V1_Changes()
        message.scope = scope.name
        message.batch = batch
        message.deflated = deflated
        var frame = Kcsync_V1_Frame()
        frame.changes = message
        return try! frame.serializedBytes()
    }

    /// A `ChangeList` holding these bytes as its changes, compressed (at the best level, as an
    /// attacker making a bomb would): a deflated batch.
    public static func deflatedList(_ changes: [Data]) -> Data {
        var list = Kcsync_V1_ChangeList()
        list.changes = changes
        return BatchCompression.deflate(bytes: try! list.serializedBytes(), level: 9)!
    }

    /// What a relay that knows the protocol reads in one frame: a deflated batch inflated (the
    /// `ChangeList`'s changes, concatenated), or nil for any other frame.
    public static func inflatedChanges(in frame: Data) -> Data? {
        guard let decoded = try? Kcsync_V1_Frame(serializedBytes: frame), case .changes(let message)? = decoded.kind,
              !message.deflated.isEmpty else { return nil }
        return BatchCompression.inflate(message.deflated, limit: 64 * 1024 * 1024).map { $0.reduce(Data(), +) }
    }

    /// The `Ack` in `frames`, if any: its refusals (replica, seq, code).
    public static func refusals(in frames: [Data]) -> [(ReplicaID, UInt64, String)]? {
        for bytes in frames {
            guard let frame = try? Kcsync_V1_Frame(serializedBytes: bytes), case .ack(let ack)? = frame.kind else { continue }
            return ack.refused.compactMap { entry in ReplicaID(bytes: entry.replica).map { ($0, entry.seq, entry.code) } }
        }
        return nil
    }

    /// The refusals of every `Ack` in `frames`, in order.
    public static func refusalsAll(in frames: [Data]) -> [(ReplicaID, UInt64, String)] {
        frames.flatMap { refusals(in: [$0]) ?? [] }
    }

    /// How many of `frames` are `Changes` frames (each owes one `Ack`).
    public static func changesCount(in frames: [Data]) -> Int {
        frames.count { bytes in
            guard let frame = try? Kcsync_V1_Frame(serializedBytes: bytes), case .changes? = frame.kind else { return false }
            return true
        }
    }

    /// How many of `frames` are `Ack` frames.
    public static func ackCount(in frames: [Data]) -> Int {
        frames.count { bytes in
            guard let frame = try? Kcsync_V1_Frame(serializedBytes: bytes), case .ack? = frame.kind else { return false }
            return true
        }
    }

    /// The code of the error frame in `frames`, if any.
    public static func errorCode(in frames: [Data]) -> String? {
        for bytes in frames {
            if let frame = try? Kcsync_V1_Frame(serializedBytes: bytes), case .error(let error)? = frame.kind { return "\(error.code)" }
        }
        return nil
    }
}
