/// The identity of one op: the clock reading of its change, the writing replica, and the op's
/// place within the change (see ``ChangeHeader/opIndex(group:position:)``).
///
/// Op ids order last-writer-wins registers, tag set additions and name text runs. They compare
/// by timestamp, then replica, then index: a total order every replica agrees on.
public struct OpID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The hybrid logical clock reading of the change that holds the op.
    public let timestamp: Timestamp
    /// The replica that wrote the change.
    public let replica: ReplicaID
    /// The op's place in its change: payload group `<< 16 |` position in the group.
    public let index: UInt32

    /// Creates an op id.
    public init(timestamp: Timestamp, replica: ReplicaID, index: UInt32) {
        self.timestamp = timestamp
        self.replica = replica
        self.index = index
    }

    public static func < (a: OpID, b: OpID) -> Bool {
        if a.timestamp != b.timestamp { return a.timestamp < b.timestamp }
        if a.replica != b.replica { return a.replica < b.replica }
        return a.index < b.index
    }

    public var description: String { "\(timestamp)@\(replica.hex.prefix(8))#\(index)" }
}
