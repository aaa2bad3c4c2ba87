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
    public var id: EntityID
    public var school: String
    public var author: String
    public var role: KCRole?
    public var category: NoteCategory?
    public var subject: SubjectLevel?
    public var subjectRef: String?
    public var subjectArea: SubjectArea?
    public var period: String?
    public var meetingDate: Int32?
    public var title: String
    public var body: String
    public var tags: [String]
    public var participants: [String]
    public var linkedAgreements: [EntityID]
    public var sensitive: Bool
    public var visibility: Visibility
    public var retainUntil: Int32?
    public var boardCopy: EntityID?
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
    public var id: EntityID
    public var school: String
    public var title: String
    public var description: String
    public var owner: String
    public var dueDate: Int32?
    public var evaluationDate: Int32?
    public var status: AgreementStatus
    public var outcome: String?
    public var origin: EntityID?
    public var originKind: String?
    public var level: SubjectLevel?
    public var participants: [String]
    public var visibility: Visibility
    public var boardCopy: EntityID?
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
