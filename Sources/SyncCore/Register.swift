/// A last-writer-wins register that remembers concurrent writes.
///
/// Each write names the heads it overwrote (`pred`). Writes nobody has overwritten are the
/// register's ``heads``; more than one head means concurrent writes (a conflict), and the
/// value shown is the head with the greatest ``OpID`` (clock, then replica). A later write
/// whose `pred` names all heads resolves the conflict. The state depends only on the set of
/// writes applied, never on their order.
public struct Register: Hashable, Sendable {
    /// A write nobody has overwritten yet.
    public struct Head: Hashable, Sendable {
        /// The value written.
        public var value: Value
        /// The write's op id.
        public var stamp: OpID

        /// Creates a head.
        public init(value: Value, stamp: OpID) {
            self.value = value
            self.stamp = stamp
        }
    }

    /// The current heads, sorted by stamp: the last one wins.
    public private(set) var heads: [Head]
    /// Stamps named as overwritten by some applied write.
    public private(set) var superseded: Set<OpID>

    /// An empty register, or one restored from stored state.
    public init(heads: [Head] = [], superseded: Set<OpID> = []) {
        self.heads = heads.sorted { $0.stamp < $1.stamp }
        self.superseded = superseded
    }

    /// The winning write, if any.
    public var winner: Head? { heads.last }

    /// True when concurrent writes are unresolved.
    public var isConflicted: Bool { heads.count > 1 }

    /// The stamps a new local write must name as `pred`.
    public var pred: [OpID] { heads.map(\.stamp) }

    /// Applies a write; returns false if it was already applied (or already overwritten).
    @discardableResult
    public mutating func apply(_ value: Value, stamp: OpID, pred: [OpID]) -> Bool {
        if heads.contains(where: { $0.stamp == stamp }) { return false }
        // A write overwritten before it arrived still overwrote its own preds.
        superseded.formUnion(pred)
        heads.removeAll { superseded.contains($0.stamp) }
        if superseded.contains(stamp) { return false }
        let at = heads.firstIndex { stamp < $0.stamp } ?? heads.endIndex
        heads.insert(Head(value: value, stamp: stamp), at: at)
        return true
    }

    /// The join of two register states.
    public func merged(with other: Register) -> Register {
        let superseded = self.superseded.union(other.superseded)
        var byStamp: [OpID: Head] = [:]
        for head in heads + other.heads where !superseded.contains(head.stamp) { byStamp[head.stamp] = head }
        return Register(heads: Array(byStamp.values), superseded: superseded)
    }
}
