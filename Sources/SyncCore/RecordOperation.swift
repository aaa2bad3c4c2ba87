/// One change to one field of one entity (or to the entity itself).
///
/// Ops carry no id of their own: an op's ``OpID`` is its change's clock reading and replica
/// plus its position in the change.
public struct RecordOperation: Hashable, Sendable {
    /// The field the op changes; empty for entity-level ops (`delete`, `erase`).
    public var field: String
    /// What the op does.
    public var kind: Kind

    /// The op kinds, one per field CRDT plus the entity-level ones.
    public enum Kind: Hashable, Sendable {
        /// Last-writer-wins register write; `pred` are the heads the writer saw and overwrote.
        case assign(Value, pred: [OpID])
        /// Add-wins set: add an element (the op id is its tag).
        case add(Value)
        /// Add-wins set: remove an element's tags that the remover had seen.
        case remove(Value, observed: [OpID])
        /// Fugue text: insert a run of characters.
        case insertText(TextInsertion)
        /// Fugue text: mark characters deleted.
        case deleteText([CharRange])
        /// Entity removal marker; `seen` is the newest op on the entity the deleter had applied.
        case delete(seen: OpID?)
        /// AVG erasure: the entity's content goes from every replica, the op log included.
        case erase
    }

    /// Creates an op.
    public init(field: String, kind: Kind) {
        self.field = field
        self.kind = kind
    }

    /// A register write.
    public static func assign(_ field: String, _ value: Value, pred: [OpID] = []) -> RecordOperation {
        RecordOperation(field: field, kind: .assign(value, pred: pred))
    }
}

/// All ops of one change that touch one entity: the unit of materialization and of erasure.
public struct EntityOperations: Hashable, Sendable {
    /// The entity changed.
    public var entity: EntityID
    /// Its record type, e.g. `note`.
    public var type: String
    /// The ops, in order.
    public var operations: [RecordOperation]

    /// Creates a group.
    public init(entity: EntityID, type: String, operations: [RecordOperation]) {
        self.entity = entity
        self.type = type
        self.operations = operations
    }
}
