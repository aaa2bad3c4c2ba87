public import SyncCore

/// Record schemas for engine tests and benchmarks: shaped like the kc records, with every
/// field kind, but no domain rules (those live in KCModel).
public enum SampleSchemas {
    /// A note: scalars of each value kind, two sets, and a collaborative body.
    public static let note = RecordSchema(name: "note", fields: [
        FieldSchema("title", .register(.text)),
        FieldSchema("role", .register(.text)),
        FieldSchema("category", .register(.text)),
        FieldSchema("period", .register(.text)),
        FieldSchema("meetingDate", .register(.day)),
        FieldSchema("score", .register(.real)),
        FieldSchema("sensitive", .register(.boolean)),
        FieldSchema("tags", .set(.text)),
        FieldSchema("participants", .set(.text)),
        FieldSchema("body", .text),
    ])

    /// An agreement: who does what, when.
    public static let agreement = RecordSchema(name: "agreement", fields: [
        FieldSchema("title", .register(.text)),
        FieldSchema("owner", .register(.text)),
        FieldSchema("dueDate", .register(.day)),
        FieldSchema("status", .register(.text)),
        FieldSchema("origin", .register(.id)),
    ])

    /// Both.
    public static let all = [note, agreement]
}
