public import SyncCore

/// The record types of the kc domain, as record schemas for the engine. Field names are
/// English; stored enum values are the Dutch words of ../shared/DOMAIN.md. Identity fields
/// (`school`, `source`, a reaction's `advice`) are immutable: set at creation, never changed.
public enum KCSchemas {
    /// Notitie: a kc'er's note, in one of the three roles.
    public static let note = RecordSchema(name: "note", version: 3, fields: [
        FieldSchema("school", .register(.text), immutable: true),
        FieldSchema("author", .register(.text)),
        FieldSchema("role", .register(.text)),
        FieldSchema("category", .register(.text)),
        FieldSchema("subject", .register(.text)),
        FieldSchema("subjectRef", .register(.text)),
        FieldSchema("subjectArea", .register(.text)),
        FieldSchema("period", .register(.text)),
        FieldSchema("meetingDate", .register(.day)),
        FieldSchema("title", .register(.text)),
        FieldSchema("body", .text),
        FieldSchema("tags", .set(.text)),
        FieldSchema("participants", .set(.text)),
        FieldSchema("linkedAgreements", .set(.id)),
        FieldSchema("sensitive", .register(.boolean)),
        FieldSchema("visibility", .register(.text)),
        FieldSchema("retainUntil", .register(.day)),
        FieldSchema("boardCopy", .register(.id)),
        FieldSchema("source", .register(.id), immutable: true),
        // The note a redaction made this one from (`kcsync note redact`); the old one is erased.
        FieldSchema("replaces", .register(.id)),
        // Who wrote each edit: every edit adds its kc'er with the edit's own stamp, so a
        // conflict shows whose each value is. Stays at school.
        FieldSchema("editors", .set(.text)),
    ], provenance: "source", searchable: ["title", "body", "tags"])

    /// Afspraak: who does what, and when.
    public static let agreement = RecordSchema(name: "agreement", version: 2, fields: [
        FieldSchema("school", .register(.text), immutable: true),
        FieldSchema("title", .register(.text)),
        FieldSchema("description", .text),
        FieldSchema("owner", .register(.text)),
        FieldSchema("dueDate", .register(.day)),
        FieldSchema("evaluationDate", .register(.day)),
        FieldSchema("status", .register(.text)),
        FieldSchema("outcome", .register(.text)),
        FieldSchema("origin", .register(.id)),
        FieldSchema("originKind", .register(.text)),
        FieldSchema("level", .register(.text)),
        FieldSchema("participants", .set(.text)),
        FieldSchema("visibility", .register(.text)),
        FieldSchema("boardCopy", .register(.id)),
        FieldSchema("source", .register(.id), immutable: true),
        FieldSchema("editors", .set(.text)),
    ], provenance: "source")

    /// Trendanalyse: aggregated indicators of one school × subject × period × group, never pupil rows.
    public static let trendAnalysis = RecordSchema(name: "trendAnalysis", version: 2, fields: [
        FieldSchema("school", .register(.text), immutable: true),
        FieldSchema("subjectArea", .register(.text)),
        FieldSchema("period", .register(.text)),
        FieldSchema("group", .register(.text)),
        FieldSchema("metric", .register(.text)),
        FieldSchema("value", .register(.real)),
        FieldSchema("pupils", .register(.integer)),
        FieldSchema("pupilsBand", .register(.text)),
        FieldSchema("suppression", .register(.text)),
        FieldSchema("ambition", .register(.real)),
        FieldSchema("inspectionThreshold", .register(.real)),
        FieldSchema("nationalAverage", .register(.real)),
        FieldSchema("interpretation", .text),
        FieldSchema("actions", .text),
        FieldSchema("visibility", .register(.text)),
        FieldSchema("boardCopy", .register(.id)),
        FieldSchema("source", .register(.id), immutable: true),
    ], provenance: "source")

    /// Trendadvies: written for the whole board.
    public static let trendAdvice = RecordSchema(name: "trendAdvice", fields: [
        FieldSchema("author", .register(.text)),
        FieldSchema("school", .register(.text), immutable: true),
        FieldSchema("period", .register(.text)),
        FieldSchema("subjectArea", .register(.text)),
        FieldSchema("schools", .set(.text)),
        FieldSchema("signal", .register(.text)),
        FieldSchema("interpretation", .text),
        FieldSchema("advice", .text),
        FieldSchema("suggestedAgreements", .set(.text)),
    ])

    /// Reactie: a school's answer to a trend advice.
    public static let adviceResponse = RecordSchema(name: "adviceResponse", fields: [
        FieldSchema("advice", .register(.id), immutable: true),
        FieldSchema("school", .register(.text), immutable: true),
        FieldSchema("reaction", .register(.text)),
        FieldSchema("comment", .register(.text)),
        FieldSchema("agreement", .register(.id)),
    ])

    /// Every kc record type.
    /// Inspectieprofiel: what the Inspectie's open-data file says of one school (schoolweging,
    /// category, 1S/2F signaleringswaarde, its own three-year figures, and the averages of
    /// schools in the same category). Written by the board only (`school` is empty), read by
    /// every school of the board.
    public static let inspectionProfile = RecordSchema(name: "inspectionProfile", fields: [
        FieldSchema("school", .register(.text), immutable: true),
        FieldSchema("about", .register(.text), immutable: true),
        FieldSchema("vestiging", .register(.text)),
        FieldSchema("name", .register(.text)),
        FieldSchema("schoolYear", .register(.text)),
        FieldSchema("schoolWeight", .register(.real)),
        FieldSchema("weightCategory", .register(.text)),
        FieldSchema("threshold1S2F", .register(.real)),
        FieldSchema("published1F", .register(.real)),
        FieldSchema("published1S2F", .register(.real)),
        FieldSchema("outcome1F", .register(.text)),
        FieldSchema("outcome1S2F", .register(.text)),
        FieldSchema("similar1F", .register(.real)),
        FieldSchema("similar1S2F", .register(.real)),
        FieldSchema("similarSchools", .register(.integer)),
    ])

    /// Inspectie-indicator: a school's own three-year indicator as kcsync computed it from its
    /// groep 8 figures, shared with the board: a value and a band of pupils, never n, and no
    /// value at all when a year behind it had fewer than 10 pupils.
    public static let inspectionIndicator = RecordSchema(name: "inspectionIndicator", fields: [
        FieldSchema("school", .register(.text), immutable: true),
        FieldSchema("indicator", .register(.text), immutable: true),
        FieldSchema("throughYear", .register(.integer)),
        FieldSchema("value", .register(.real)),
        FieldSchema("pupilsBand", .register(.text)),
        FieldSchema("years", .register(.integer)),
        FieldSchema("complete", .register(.boolean)),
        FieldSchema("suppression", .register(.text)),
    ])

    public static let all = [note, agreement, trendAnalysis, trendAdvice, adviceResponse, inspectionProfile, inspectionIndicator]

    /// Types only the board may write in its scope, whoever relays them.
    public static let boardOnly: Set<String> = [inspectionProfile.name]

    /// The fields a record of each type may carry in a board scope: an allow-list, so a field
    /// that is not named never leaves the school (a note's `subjectRef` and `participants`,
    /// its `sensitive` flag, retention and local links; an agreement's participants). A
    /// board copy is made of these fields only, and every receiver refuses any other field in
    /// a board scope. A type not named here never enters a board scope.
    public static let boardFields: [String: Set<String>] = [
        note.name: ["school", "author", "role", "category", "subject", "subjectArea", "period", "meetingDate", "title", "body",
                    "tags", "visibility", "source"],
        agreement.name: ["school", "title", "description", "owner", "dueDate", "evaluationDate", "status", "outcome", "origin",
                         "originKind", "level", "visibility", "source"],
        trendAnalysis.name: ["school", "subjectArea", "period", "group", "metric", "value", "pupilsBand", "suppression", "ambition", "inspectionThreshold",
                             "nationalAverage", "interpretation", "actions", "visibility", "source"],
        trendAdvice.name: Set(trendAdvice.fields.map(\.name)),
        adviceResponse.name: Set(adviceResponse.fields.map(\.name)),
        inspectionProfile.name: Set(inspectionProfile.fields.map(\.name)),
        inspectionIndicator.name: Set(inspectionIndicator.fields.map(\.name)),
    ]
}
