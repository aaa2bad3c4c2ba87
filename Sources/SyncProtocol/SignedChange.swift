public import SyncCore
public import Foundation
import SwiftProtobuf

/// One change as it is stored and sent: the header bytes exactly as signed, the signature,
/// and the payload groups (each the encoded ops of one entity, or after an erasure only the
/// hash of what was there).
///
/// Decoding checks the form of everything (``init(serialized:)``); ``verifyPayload()`` and
/// ``verifySignature(publicKey:)`` check the content. A receiver links each change to its
/// predecessor by ``seal`` (header and signature), so it needs to verify only the newest
/// signature of a run: that one vouches for every header and signature before it.
public struct SignedChange: Sendable, Hashable {
    /// One payload group.
    public enum Group: Sendable, Hashable {
        /// The encoded ``EntityOperations``.
        case operations(Data)
        /// The SHA-256 of erased operations.
        case erased([UInt8])

        /// The SHA-256 this group contributes to the payload hash.
        public var hash: [UInt8] {
            switch self {
            case .operations(let bytes): Hashing.sha256(bytes)
            case .erased(let hash): hash
            }
        }
    }

    /// The header, decoded.
    public let header: ChangeHeader
    /// The header's bytes as signed.
    public let headerBytes: Data
    /// Ed25519 signature over ``headerBytes``.
    public let signature: Data
    /// The payload groups.
    public private(set) var groups: [Group]

    /// Decodes a change and checks its form (not yet its hashes or signature).
    public init(serialized bytes: Data) throws(SyncError) {
        guard bytes.count <= Limits.maximumChangeBytes else {
            throw malformed("a change of \(bytes.count) bytes exceeds the limit of \(Limits.maximumChangeBytes)")
        }
        let message: Kcsync_V1_SignedChange
        do { message = try Kcsync_V1_SignedChange(serializedBytes: bytes) } catch {
            throw SyncError(.malformedChange, "a change does not decode", underlying: error)
        }
        let header = try ChangeHeader(serialized: message.header)
        guard message.signature.count == 64 else { throw malformed("a signature must be 64 bytes") }
        guard message.groups.count == Int(header.groupCount) else {
            throw malformed("the header announces \(header.groupCount) groups, the change holds \(message.groups.count)")
        }
        var groups: [Group] = []
        groups.reserveCapacity(message.groups.count)
        for g in message.groups {
            switch g.content {
            case .ops(let ops)?: groups.append(.operations(ops))
            case .erased(let hash)?:
                guard hash.count == 32 else { throw malformed("an erased group keeps a 32-byte hash") }
                groups.append(.erased(Array(hash)))
            case nil: throw malformed("a payload group is empty")
            }
        }
        self.header = header
        self.headerBytes = message.header
        self.signature = message.signature
        self.groups = groups
    }

    /// Makes and signs a new change. `previous` is the ``seal`` of the replica's previous
    /// change in this scope (empty for the first change).
    /// Each group gets a fresh random salt unless `salts` gives one (golden vectors).
    public init(
        scope: Scope, seq: UInt64, timestamp: Timestamp, previous: [UInt8],
        operations: [EntityOperations], key: ReplicaKey, salts: ((Int) -> Data)? = nil
    ) {
        let groups = operations.enumerated().map { i, ops in
            Group.operations(ops.serialized(salt: salts?(i) ?? EntityOperations.randomSalt()))
        }
        self.init(scope: scope, seq: seq, timestamp: timestamp, previous: previous, groups: groups, key: key)
    }

    /// Makes and signs a change from already encoded groups (`format` other than the current
    /// one only to test that older chains still verify).
    public init(scope: Scope, seq: UInt64, timestamp: Timestamp, previous: [UInt8], groups: [Group], key: ReplicaKey,
                format: UInt32 = ChangeHeader.currentFormat) {
        let header = ChangeHeader(
            format: format, replica: key.replicaID, scope: scope, seq: seq, timestamp: timestamp, previous: previous,
            payloadHash: SignedChange.payloadHash(groups), groupCount: UInt32(groups.count),
            authorKey: seq == 1 ? key.publicKey : []
        )
        let bytes = header.serialized()
        self.header = header
        self.headerBytes = bytes
        self.signature = Data(key.sign(bytes))
        self.groups = groups
    }

    /// The author and seq of change bytes that may not decode as a whole, if the header does:
    /// so a refusal can name what it refused.
    public static func identity(of bytes: Data) -> (ReplicaID, UInt64)? {
        peek(bytes).map { ($0.replica, min(max($0.seq, 1), Limits.maximumSeq)) }
    }

    /// The change's bytes for storage and for the wire.
    public func serialized() -> Data {
        var m = Kcsync_V1_SignedChange()
        m.header = headerBytes
        m.signature = signature
        m.groups = groups.map { group in
            var g = Kcsync_V1_PayloadGroup()
            switch group {
            case .operations(let ops): g.ops = ops
            case .erased(let hash): g.erased = Data(hash)
            }
            return g
        }
        return try! m.serializedBytes()
    }

    /// The SHA-256 of the header bytes: what a format-1 successor names as `previous`, and how
    /// two replicas compare the tips of a chain.
    public var headerHash: [UInt8] { Hashing.sha256(headerBytes) }

    /// The SHA-256 of the header bytes followed by the signature: what the next change names
    /// as `previous` (format 2).
    public var seal: [UInt8] { SignedChange.seal(headerBytes: headerBytes, signature: signature) }

    /// The seal of a change given its header bytes and signature.
    public static func seal(headerBytes: Data, signature: Data) -> [UInt8] {
        var joined = Data(capacity: headerBytes.count + signature.count)
        joined.append(headerBytes)
        joined.append(signature)
        return Hashing.sha256(joined)
    }

    /// True when this change names `predecessor` as the change before it: by its seal
    /// (format 2) or by its header hash (format 1).
    public func follows(hash: [UInt8], seal: [UInt8]) -> Bool {
        header.previous == (header.linksSeal ? seal : hash)
    }

    /// The payload hash of a list of groups: SHA-256 over their concatenated SHA-256 hashes.
    public static func payloadHash(_ groups: [Group]) -> [UInt8] {
        var all: [UInt8] = []
        all.reserveCapacity(32 * groups.count)
        for group in groups { all.append(contentsOf: group.hash) }
        return Hashing.sha256(all)
    }

    /// Checks that the groups hash to the header's payload hash.
    public func verifyPayload() throws(SyncError) {
        guard SignedChange.payloadHash(groups) == header.payloadHash else {
            throw SyncError(.brokenChain, "change \(header.replica.hex.prefix(8))/\(header.seq) in \(header.scope): payload does not match its hash")
        }
    }

    /// Checks the signature against the replica's public key.
    public func verifySignature(publicKey: [UInt8]) throws(SyncError) {
        guard ReplicaKey.verify(signature: signature, of: headerBytes, publicKey: publicKey) else {
            throw SyncError(.badSignature, "change \(header.replica.hex.prefix(8))/\(header.seq) in \(header.scope): signature does not verify")
        }
    }

    /// The groups' operations, decoded; erased groups are skipped.
    public func entityOperations() throws(SyncError) -> [EntityOperations] {
        var out: [EntityOperations] = []
        out.reserveCapacity(groups.count)
        for group in groups {
            if case .operations(let bytes) = group { out.append(try EntityOperations(serialized: bytes)) }
        }
        return out
    }

    /// Replaces the operation groups at `positions` by their hashes. The header, signature and
    /// chain stay valid.
    public mutating func erase(groups positions: Set<Int>) {
        for i in positions where groups.indices.contains(i) {
            if case .operations = groups[i] { groups[i] = .erased(groups[i].hash) }
        }
    }

    /// Replaces the operation groups for which `shouldErase` is true by their hashes. The
    /// header, signature and chain stay valid. Returns the number of groups erased.
    @discardableResult
    public mutating func erase(where shouldErase: (EntityOperations) -> Bool) -> Int {
        var count = 0
        for (i, group) in groups.enumerated() {
            guard case .operations(let bytes) = group, let ops = try? EntityOperations(serialized: bytes), shouldErase(ops) else { continue }
            groups[i] = .erased(group.hash)
            count += 1
        }
        return count
    }
}
