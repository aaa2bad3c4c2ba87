public import SyncCore

/// Reads typed fields out of an entity's CRDT state.
struct FieldReader {
    let state: EntityState
    func text(_ field: String) -> String? { state.value(of: field)?.text }
    func day(_ field: String) -> Int32? { if case .day(let d)? = state.value(of: field) { return d }; return nil }
    func real(_ field: String) -> Double? { if case .real(let d)? = state.value(of: field) { return d }; return nil }
    func integer(_ field: String) -> Int64? { if case .integer(let i)? = state.value(of: field) { return i }; return nil }
    func bool(_ field: String) -> Bool { state.value(of: field) == .boolean(true) }
    func id(_ field: String) -> EntityID? { if case .id(let id)? = state.value(of: field) { return id }; return nil }
    func texts(_ field: String) -> [String] { state.elements(of: field).compactMap(\.text) }
    func ids(_ field: String) -> [EntityID] { state.elements(of: field).compactMap { if case .id(let id) = $0 { id } else { nil } } }
}

/// A note (notitie) as a kc'er reads it.
public struct Note: Sendable, Equatable {
    /// The record id.
    public var id: EntityID
    /// The school's BRIN.
    public var school: String
    /// Who wrote it.
    public var author: String
    /// The kc role it belongs to.
    public var role: KCRole?
    /// What kind of note it is.
    public var category: NoteCategory?
    /// Who or what it is about.
    public var subject: SubjectLevel?
    /// A local reference to the subject (e.g. a group).
    public var subjectRef: String?
    /// The subject area (vakgebied).
    public var subjectArea: SubjectArea?
    /// The toetsmoment, e.g. `2025-2026 M`.
    public var period: String?
    /// The meeting day (days since 1970).
    public var meetingDate: Int32?
    /// The title (for an agreement: what will be done).
    public var title: String
    /// The text.
    public var body: String
    /// Labels.
    public var tags: [String]
    /// Who took part.
    public var participants: [String]
    /// Agreements that came from it.
    public var linkedAgreements: [EntityID]
    /// Special-category data: never leaves the school.
    public var sensitive: Bool
    /// School only, or shared with the board.
    public var visibility: Visibility
    /// Keep until this day (bewaartermijn).
    public var retainUntil: Int32?
    /// The board-scope copy, while shared.
    public var boardCopy: EntityID?
    /// Marked deleted.
    public var deleted: Bool
    /// Fields with unresolved concurrent writes.
    public var conflictedFields: [String]

    /// Reads a note from its state.
    public init(id: EntityID, state: EntityState) {
        let r = FieldReader(state: state)
        self.id = id
        school = r.text("school") ?? ""
        author = r.text("author") ?? ""
        role = r.text("role").flatMap(KCRole.init(rawValue:))
        category = r.text("category").flatMap(NoteCategory.init(rawValue:))
        subject = r.text("subject").flatMap(SubjectLevel.init(rawValue:))
        subjectRef = r.text("subjectRef")
        subjectArea = r.text("subjectArea").flatMap(SubjectArea.init(rawValue:))
        period = r.text("period")
        meetingDate = r.day("meetingDate")
        title = r.text("title") ?? ""
        body = state.text(of: "body")
        tags = r.texts("tags")
        participants = r.texts("participants")
        linkedAgreements = r.ids("linkedAgreements")
        sensitive = r.bool("sensitive")
        visibility = r.text("visibility").flatMap(Visibility.init(rawValue:)) ?? .school
        retainUntil = r.day("retainUntil")
        boardCopy = r.id("boardCopy")
        deleted = state.isDeleted
        conflictedFields = state.conflictedFields
    }
}

/// An agreement (afspraak): wie doet wat en wanneer.
public struct Agreement: Sendable, Equatable {
    /// The record id.
    public var id: EntityID
    /// The school's BRIN.
    public var school: String
    /// The title (for an agreement: what will be done).
    public var title: String
    /// A longer description.
    public var description: String
    /// Who does it (wie).
    public var owner: String
    /// When it is due (wanneer), as a day number.
    public var dueDate: Int32?
    /// When it is evaluated, as a day number.
    public var evaluationDate: Int32?
    /// Open, lopend, afgerond or vervallen.
    public var status: AgreementStatus
    /// The outcome, once known.
    public var outcome: String?
    /// The note it came from.
    public var origin: EntityID?
    /// What kind of record `origin` is.
    public var originKind: String?
    /// Pupil, group, leerteam or school.
    public var level: SubjectLevel?
    /// Who took part.
    public var participants: [String]
    /// School only, or shared with the board.
    public var visibility: Visibility
    /// The board-scope copy, while shared.
    public var boardCopy: EntityID?
    /// Marked deleted.
    public var deleted: Bool
    /// Fields with unresolved concurrent writes.
    public var conflictedFields: [String]

    /// Reads an agreement from its state.
    public init(id: EntityID, state: EntityState) {
        let r = FieldReader(state: state)
        self.id = id
        school = r.text("school") ?? ""
        title = r.text("title") ?? ""
        description = state.text(of: "description")
        owner = r.text("owner") ?? ""
        dueDate = r.day("dueDate")
        evaluationDate = r.day("evaluationDate")
        status = r.text("status").flatMap(AgreementStatus.init(rawValue:)) ?? .open
        outcome = r.text("outcome")
        origin = r.id("origin")
        originKind = r.text("originKind")
        level = r.text("level").flatMap(SubjectLevel.init(rawValue:))
        participants = r.texts("participants")
        visibility = r.text("visibility").flatMap(Visibility.init(rawValue:)) ?? .school
        boardCopy = r.id("boardCopy")
        deleted = state.isDeleted
        conflictedFields = state.conflictedFields
    }

    /// Te laat: still active and past its due date on `today` (a day number).
    public func isOverdue(today: Int32) -> Bool {
        guard let dueDate else { return false }
        return status.isActive && dueDate < today
    }
}
