/// The signed part of a change: who wrote it, where it lives, where it sits in its chain, and
/// the hash of its payload.
///
/// The changes of one replica in one scope form a hash chain (as in Secure Scuttlebutt):
/// `previous` is the previous change's seal, the SHA-256 of its header's bytes followed by its
/// signature (format 2; format 1 named only the header's bytes). Because the seal covers the
/// signature too, one valid signature at the end of a run vouches for every header and every
/// signature before it. Because the header holds only the payload's hash, an erased payload
/// can be dropped while the chain still verifies.
public struct ChangeHeader: Hashable, Sendable {
    /// The format of this header: 2 (`previous` is the seal) or 1 (`previous` is the hash of
    /// the header alone, as written before 2026-12).
    public var format: UInt32
    /// The writing replica.
    public var replica: ReplicaID
    /// The scope the change belongs to.
    public var scope: Scope
    /// 1, 2, 3, … per replica and scope.
    public var seq: UInt64
    /// The replica's clock reading when it made the change.
    public var timestamp: Timestamp
    /// The previous change's seal (format 2) or header hash (format 1); empty when `seq == 1`.
    public var previous: [UInt8]
    /// SHA-256 over the SHA-256 of each payload group's bytes.
    public var payloadHash: [UInt8]
    /// The number of payload groups.
    public var groupCount: UInt32
    /// The replica's Ed25519 public key; carried only when `seq == 1`.
    public var authorKey: [UInt8]

    /// The header format this version writes.
    public static let currentFormat: UInt32 = 2
    /// The header formats this version reads.
    public static let readableFormats: ClosedRange<UInt32> = 1...2

    /// True when `previous` names the seal of the change before (format 2), false when it
    /// names that change's header hash (format 1).
    public var linksSeal: Bool { format >= 2 }

    /// Creates a header.
    public init(
        format: UInt32 = ChangeHeader.currentFormat, replica: ReplicaID, scope: Scope, seq: UInt64,
        timestamp: Timestamp, previous: [UInt8], payloadHash: [UInt8], groupCount: UInt32,
        authorKey: [UInt8] = []
    ) {
        self.format = format
        self.replica = replica
        self.scope = scope
        self.seq = seq
        self.timestamp = timestamp
        self.previous = previous
        self.payloadHash = payloadHash
        self.groupCount = groupCount
        self.authorKey = authorKey
    }

    /// The id of the op at `position` in payload group `group`.
    public func opID(group: Int, position: Int) -> OpID {
        OpID(timestamp: timestamp, replica: replica, index: ChangeHeader.opIndex(group: group, position: position))
    }

    /// An op's index within its change: `group << 16 | position`. It depends only on the op's
    /// own group, so it stays the same when other groups of the change are erased.
    public static func opIndex(group: Int, position: Int) -> UInt32 {
        UInt32(group) << 16 | UInt32(position)
    }
}
