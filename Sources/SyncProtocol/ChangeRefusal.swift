public import Foundation
public import SyncCore

/// One received change that a replica did not store, and why (sent back in the `Ack`).
///
/// A refusal stops only its own chain: the receiver stores the rest of the batch, so one bad
/// change never wedges a link. `transient` says whether it may pass later (a membership not
/// known yet, a clock ahead): the sender tries such a change again; the others it records and
/// does not send again until something changes.
public struct ChangeRefusal: Sendable, Hashable, CustomStringConvertible {
    /// The change's author.
    public var replica: ReplicaID
    /// Its seq.
    public var seq: UInt64
    /// The receiver's error code (a ``SyncError/Code`` name such as `notMember`).
    public var code: String
    /// Why, in English, for logs and status; at most 300 characters, no control characters.
    public var reason: String
    /// True when it may pass later.
    public var transient: Bool

    /// Creates a refusal; `reason` is cut to 300 characters without control characters.
    public init(replica: ReplicaID, seq: UInt64, code: String, reason: String, transient: Bool) {
        self.replica = replica
        self.seq = seq
        self.code = RemoteText.safe(code, limit: 40)
        self.reason = RemoteText.safe(reason, limit: 300)
        self.transient = transient
    }

    public var description: String { "\(replica.hex.prefix(8))/\(seq) \(code): \(reason)" }

    var proto: Kcsync_V1_Refusal {
        var p = Kcsync_V1_Refusal()
        p.replica = Data(replica.bytes)
        p.seq = seq
        p.code = code
        p.reason = reason
        p.transient = transient
        return p
    }

    init?(proto p: Kcsync_V1_Refusal) {
        guard let replica = ReplicaID(bytes: p.replica), p.seq >= 1, p.seq <= Limits.maximumSeq else { return nil }
        self.init(replica: replica, seq: p.seq, code: p.code, reason: p.reason, transient: p.transient)
    }
}

/// What a receiver reports after storing a batch: its vector now, and the changes it refused.
public struct AppliedBatch: Sendable, Equatable {
    /// The version vector of the scope after the commit.
    public var vector: VersionVector
    /// The changes not stored, each with why.
    public var refused: [ChangeRefusal]

    /// Creates a report.
    public init(vector: VersionVector, refused: [ChangeRefusal] = []) {
        self.vector = vector
        self.refused = refused
    }
}
