/// The signed part of a change: who wrote it, where it lives, where it sits in its chain, and
/// the hash of its payload.
///
/// The changes of one replica in one scope form a hash chain (as in Secure Scuttlebutt):
/// `previous` is the SHA-256 of the previous header's bytes. Because the header holds only the
/// payload's hash, an erased payload can be dropped while the chain still verifies.
public struct ChangeHeader: Hashable, Sendable {
    /// The format of this header; 1 for now.
    public var format: UInt32
    /// The writing replica.
    public var replica: ReplicaID
    /// The scope the change belongs to.
    public var scope: Scope
    /// 1, 2, 3, … per replica and scope.
    public var seq: UInt64
    /// The replica's clock reading when it made the change.
    public var timestamp: Timestamp
    /// SHA-256 of the previous header's bytes; empty when `seq == 1`.
    public var previous: [UInt8]
    /// SHA-256 over the SHA-256 of each payload group's bytes.
    public var payloadHash: [UInt8]
    /// The number of payload groups.
    public var groupCount: UInt32
    /// The replica's Ed25519 public key; carried only when `seq == 1`.
    public var authorKey: [UInt8]

    /// The current header format.
    public static let currentFormat: UInt32 = 1

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
