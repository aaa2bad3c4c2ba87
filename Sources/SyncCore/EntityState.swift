/// A conflict the CRDTs resolved on their own but a person should see: two concurrent writes
/// of one field, or an edit concurrent with a delete.
public struct ConflictEvent: Hashable, Sendable {
    /// The kinds of conflict.
    public enum Kind: String, Hashable, Sendable {
        /// Two writes of one register that did not see each other.
        case concurrentWrite
        /// An edit the deleter had not seen; the entity stays deleted.
        case editAfterDelete
    }

    /// What kind of conflict.
    public var kind: Kind
    /// The field; empty for the entity as a whole.
    public var field: String
    /// The op that lost.
    public var loser: OpID
    /// The value that lost, where there is one.
    public var loserValue: Value?
    /// The op that won (the register's winner, or the delete).
    public var winner: OpID
    /// The value that won, where there is one.
    public var winnerValue: Value?

    /// Creates an event.
    public init(kind: Kind, field: String, loser: OpID, loserValue: Value?, winner: OpID, winnerValue: Value?) {
        self.kind = kind
        self.field = field
        self.loser = loser
        self.loserValue = loserValue
        self.winner = winner
        self.winnerValue = winnerValue
    }
}

/// A removal marker on an entity.
public struct Deletion: Hashable, Comparable, Sendable {
    /// The delete op.
    public var stamp: OpID
    /// The newest op on the entity the deleter had applied; edits newer than this were concurrent.
    public var seen: OpID?

    /// Creates a marker.
    public init(stamp: OpID, seen: OpID?) {
        self.stamp = stamp
        self.seen = seen
    }

    public static func < (a: Deletion, b: Deletion) -> Bool { a.stamp < b.stamp }

    /// True when an edit with this stamp was not seen by the deleter.
    func isConcurrent(with edit: OpID) -> Bool {
        guard let seen else { return true }
        return seen < edit
    }
}

/// The CRDT state of one entity: one CRDT per field, removal markers, and the erased flag.
///
/// Applying ops is commutative, associative and idempotent (a join-semilattice), so replicas
/// that applied the same ops in any order hold equal states. Delete wins over concurrent
/// edits (they are reported as conflicts, and kept in the state so an undelete can restore
/// them); erase wins over everything and keeps nothing.
public struct EntityState: Hashable, Sendable {
    /// Scalar fields.
    public var registers: [String: Register] = [:]
    /// Set fields.
    public var sets: [String: ObservedRemoveSet] = [:]
    /// Text fields.
    public var texts: [String: TextSequence] = [:]
    /// Removal markers.
    public var deletions: Set<Deletion> = []
    /// True once erased: no content remains and no op applies any more.
    public var erased = false

    /// An empty state.
    public init() {}

    /// True when the entity shows as deleted.
    public var isDeleted: Bool { erased || !deletions.isEmpty }

    /// The newest op applied to the entity: what a delete names as `seen`.
    public var newestStamp: OpID? {
        var newest: OpID?
        func consider(_ s: OpID) { if newest.map({ $0 < s }) ?? true { newest = s } }
        for r in registers.values { for h in r.heads { consider(h.stamp) } }
        for s in sets.values { for t in s.tags.values { t.forEach(consider) } }
        for t in texts.values { t.runs.keys.forEach(consider) }
        deletions.forEach { consider($0.stamp) }
        return newest
    }

    /// Applies one op with id `stamp`. Returns the conflicts it revealed (possibly ones seen
    /// before: the journal keeps each once).
    @discardableResult
    public mutating func apply(_ op: RecordOperation, stamp: OpID) -> [ConflictEvent] {
        if erased { return [] }
        var events: [ConflictEvent] = []
        switch op.kind {
        case .assign(let value, let pred):
            var register = registers[op.field] ?? Register()
            register.apply(value, stamp: stamp, pred: pred)
            registers[op.field] = register
            if let winner = register.winner {
                for head in register.heads.dropLast() {
                    events.append(ConflictEvent(kind: .concurrentWrite, field: op.field, loser: head.stamp,
                                                loserValue: head.value, winner: winner.stamp, winnerValue: winner.value))
                }
            }
        case .add(let element):
            sets[op.field, default: ObservedRemoveSet()].add(element, tag: stamp)
        case .remove(let element, let observed):
            sets[op.field, default: ObservedRemoveSet()].remove(element, observed: observed)
        case .insertText(let insertion):
            texts[op.field, default: TextSequence()].insert(insertion, id: stamp)
        case .deleteText(let ranges):
            texts[op.field, default: TextSequence()].delete(ranges)
        case .delete(let seen):
            let deletion = Deletion(stamp: stamp, seen: seen)
            deletions.insert(deletion)
            for (field, register) in registers {
                for head in register.heads where deletion.isConcurrent(with: head.stamp) && head.stamp != stamp {
                    events.append(ConflictEvent(kind: .editAfterDelete, field: field, loser: head.stamp,
                                                loserValue: head.value, winner: stamp, winnerValue: nil))
                }
            }
            return events
        case .erase:
            self = EntityState()
            erased = true
            return []
        }
        if case .assign(let value, _) = op.kind {
            for deletion in deletions.sorted() where deletion.isConcurrent(with: stamp) {
                events.append(ConflictEvent(kind: .editAfterDelete, field: op.field, loser: stamp,
                                            loserValue: value, winner: deletion.stamp, winnerValue: nil))
            }
        }
        return events
    }

    /// The join of two states.
    public func merged(with other: EntityState) -> EntityState {
        if erased || other.erased {
            var out = EntityState()
            out.erased = true
            return out
        }
        var out = EntityState()
        out.registers = registers.merging(other.registers) { $0.merged(with: $1) }
        out.sets = sets.merging(other.sets) { $0.merged(with: $1) }
        out.texts = texts.merging(other.texts) { $0.merged(with: $1) }
        out.deletions = deletions.union(other.deletions)
        return out
    }

    /// The value a register field shows: its winner, or nil if never written.
    public func value(of field: String) -> Value? {
        registers[field]?.winner?.value
    }

    /// The present elements of a set field.
    public func elements(of field: String) -> [Value] {
        sets[field]?.elements ?? []
    }

    /// The visible text of a text field.
    public func text(of field: String) -> String {
        texts[field]?.text ?? ""
    }

    /// The fields with unresolved concurrent writes.
    public var conflictedFields: [String] {
        registers.filter { $0.value.isConflicted }.map(\.key).sorted()
    }
}
