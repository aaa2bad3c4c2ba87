/// For one scope: each replica's highest contiguous sequence number held here.
///
/// Because a replica's changes in a scope arrive in sequence order, the vector is the whole
/// sync state: comparing two vectors says exactly which changes each side lacks.
public struct VersionVector: Hashable, Sendable, CustomStringConvertible {
    /// replica → highest contiguous seq (absent means 0).
    public private(set) var entries: [ReplicaID: UInt64]

    /// An empty vector, or one from known entries (zeros are dropped).
    public init(_ entries: [ReplicaID: UInt64] = [:]) {
        // Copied only when there is a zero to drop: a board builds one from every peer's
        // 200-entry acknowledgement, and the filter hashed every entry again.
        self.entries = entries.values.contains(0) ? entries.filter { $0.value > 0 } : entries
    }

    /// The highest seq held for `replica`, 0 if none.
    public subscript(replica: ReplicaID) -> UInt64 {
        get { entries[replica] ?? 0 }
        set { entries[replica] = newValue == 0 ? nil : newValue }
    }

    /// The entrywise maximum: what a replica holds after taking in both.
    public func merged(with other: VersionVector) -> VersionVector {
        var out = self
        out.merge(other)
        return out
    }

    /// Takes in `other` (the entrywise maximum), in place: only the entries that grow are
    /// written.
    public mutating func merge(_ other: VersionVector) {
        for (replica, seq) in other.entries where entries[replica, default: 0] < seq {
            entries[replica] = seq
        }
    }

    /// True when this vector holds everything `other` holds.
    public func dominates(_ other: VersionVector) -> Bool {
        other.entries.allSatisfy { self[$0.key] >= $0.value }
    }

    /// For each replica where `other` is behind: the range of seqs `other` lacks.
    public func missing(from other: VersionVector) -> [ReplicaID: ClosedRange<UInt64>] {
        var out: [ReplicaID: ClosedRange<UInt64>] = [:]
        for (replica, seq) in entries where other[replica] < seq {
            out[replica] = (other[replica] + 1)...seq
        }
        return out
    }

    /// The total number of changes the vector covers.
    public var total: UInt64 { entries.values.reduce(0, +) }

    public var description: String {
        entries.sorted { $0.key < $1.key }.map { "\($0.key.hex.prefix(8)):\($0.value)" }.joined(separator: " ")
    }
}
