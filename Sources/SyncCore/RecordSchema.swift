/// The shape of one record type: its fields and the CRDT each field uses.
///
/// The engine is generic; the kc domain (KCModel) declares its records with these. The store
/// makes one materialized table per schema, named by ``name``, with one column per field.
public struct RecordSchema: Hashable, Sendable {
    /// The record type name as it appears in ops and as the table name, e.g. `note`.
    public var name: String
    /// Raise this when fields are added; the store migrates the table under a new name.
    public var version: Int
    /// The fields in column order.
    public var fields: [FieldSchema]
    /// The id register that names the record this one was made from, if any (a board copy's
    /// `source`). Erasure follows it: when the writer of a record erases the record it was
    /// made from, in the record's scope, the record is erased on every replica, whenever and
    /// in whatever order the two arrive (SPEC.md, "Erasure").
    public var provenance: String?
    /// The text fields (registers, texts, sets of text) a full-text index covers; the store
    /// keeps an FTS5 index of them beside the table (``ReplicaStore/search(_:type:in:limit:)``),
    /// which an erasure empties too.
    public var searchable: [String]

    /// Creates a schema; field names must be unique lower-camel identifiers.
    public init(name: String, version: Int = 1, fields: [FieldSchema], provenance: String? = nil, searchable: [String] = []) {
        self.name = name
        self.version = version
        self.fields = fields
        self.provenance = provenance
        self.searchable = searchable
    }

    /// The field named `name`, if the schema has it.
    public func field(_ name: String) -> FieldSchema? {
        fields.first { $0.name == name }
    }

    /// Checks that an op fits the field it names. Unknown fields pass (a newer replica may
    /// know fields this one does not); they are kept in the CRDT state, not materialized.
    public func validate(_ op: RecordOperation) throws(SyncError) {
        if op.field.isEmpty {
            switch op.kind {
            case .delete, .erase: return
            default: throw SyncError(.schemaViolation, "\(name): a field op names no field")
            }
        }
        guard let field = field(op.field) else { return }
        switch (field.kind, op.kind) {
        case (.register(let type), .assign(let value, _)):
            if value.kind != type && value.kind != .null {
                throw SyncError(.schemaViolation, "\(name).\(field.name) holds \(type.rawValue), not \(value.kind.rawValue)")
            }
        case (.set(let type), .add(let value)), (.set(let type), .remove(let value, _)):
            if value.kind != type {
                throw SyncError(.schemaViolation, "\(name).\(field.name) is a set of \(type.rawValue), not \(value.kind.rawValue)")
            }
        case (.text, .insertText), (.text, .deleteText):
            return
        default:
            throw SyncError(.schemaViolation, "\(name).\(field.name) is a \(field.kind) field; the op does not apply to it")
        }
    }
}

/// One field of a record schema.
public struct FieldSchema: Hashable, Sendable {
    /// The CRDT a field uses.
    public enum Kind: Hashable, Sendable, CustomStringConvertible {
        /// Last-writer-wins register holding values of one kind (or null).
        case register(Value.Kind)
        /// Add-wins observed-remove set of values of one kind.
        case set(Value.Kind)
        /// Collaborative text (Fugue).
        case text

        public var description: String {
            switch self {
            case .register(let k): "register(\(k.rawValue))"
            case .set(let k): "set(\(k.rawValue))"
            case .text: "text"
            }
        }
    }

    /// The field name (and column name).
    public var name: String
    /// Its CRDT.
    public var kind: Kind
    /// An identity field (a register): set when the record is created and never changed
    /// after, by anyone. Receivers refuse a change that assigns it a second time.
    public var immutable: Bool

    /// Creates a field; `immutable` makes it an identity field.
    public init(_ name: String, _ kind: Kind, immutable: Bool = false) {
        self.name = name
        self.kind = kind
        self.immutable = immutable
    }
}
