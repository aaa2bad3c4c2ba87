import Foundation
public import KCModel
public import SyncCore
import SyncStore

/// What a new note holds.
public struct NoteDraft: Sendable {
    /// Who wrote it.
    public var author: String
    /// The kc role it belongs to.
    public var role: KCRole
    /// What kind of note it is.
    public var category: NoteCategory
    /// Who or what it is about. Never assumed: a note without a subject stays at school until
    /// its writer says what it is about.
    public var subject: SubjectLevel?
    /// A local reference to the subject (e.g. a group).
    public var subjectRef: String?
    /// The subject area (vakgebied).
    public var subjectArea: SubjectArea?
    /// The toetsmoment, e.g. `2025-2026 M`.
    public var period: Period?
    /// The meeting day (days since 1970).
    public var meetingDate: Int32?
    /// The title (for an agreement: what will be done).
    public var title: String
    /// The text.
    public var body: String = ""
    /// Labels.
    public var tags: [String] = []
    /// Who took part.
    public var participants: [String] = []
    /// Special-category data: never leaves the school.
    public var sensitive = false
    /// Keep until this day (bewaartermijn).
    public var retainUntil: Int32?

    /// A draft with the required fields.
    public init(author: String, role: KCRole, category: NoteCategory, title: String) {
        self.author = author
        self.role = role
        self.category = category
        self.title = title
    }
}

/// A change to a note: only the fields set are written. A new body is written as a text edit
/// (the changed middle only), so concurrent edits of other parts survive.
public struct NoteEdit: Sendable {
    /// The kc'er who makes the edit (kept at school with the edit's stamp, for the conflicts page).
    public var editor: String?
    /// New title, if it changes.
    public var title: String?
    /// New body, if it changes.
    public var body: String?
    /// New role, if it changes.
    public var role: KCRole?
    /// New category, if it changes.
    public var category: NoteCategory?
    /// New subject, if it changes.
    public var subject: SubjectLevel?
    /// New subject area, if it changes.
    public var subjectArea: SubjectArea?
    /// New period, if it changes.
    public var period: Period?
    /// New meeting day, if it changes.
    public var meetingDate: Int32?
    /// Tags to add.
    public var addTags: [String] = []
    /// Tags to remove.
    public var removeTags: [String] = []
    /// Mark as sensitive or not, if it changes.
    public var sensitive: Bool?

    /// An empty edit.
    public init() {}

    /// True when the edit changes nothing.
    public var isEmpty: Bool {
        title == nil && body == nil && role == nil && category == nil && subject == nil && subjectArea == nil
            && period == nil && meetingDate == nil && addTags.isEmpty && removeTags.isEmpty && sensitive == nil
    }
}

/// Which notes a list shows.
public struct NoteFilter: Sendable {
    /// Only this role.
    public var role: KCRole?
    /// Only this period (as written, e.g. `2025-2026 M`).
    public var period: String?
    /// Only this subject area.
    public var subjectArea: SubjectArea?
    /// Only notes with this tag.
    public var tag: String?
    /// Only school-only or only shared notes.
    public var visibility: Visibility?
    /// Only this category.
    public var category: NoteCategory?
    /// Only notes whose title, text or tags hold every word of this (the full-text index,
    /// best match first instead of newest first).
    public var text: String?
    /// Include deleted notes.
    public var includeDeleted = false

    /// Everything not deleted.
    public init() {}

    func matches(_ note: Note) -> Bool {
        if note.deleted && !includeDeleted { return false }
        if let role, note.role != role { return false }
        if let period, note.period != period { return false }
        if let subjectArea, note.subjectArea != subjectArea { return false }
        if let tag, !note.tags.contains(tag) { return false }
        if let visibility, note.visibility != visibility { return false }
        if let category, note.category != category { return false }
        return true
    }
}

extension KCReplica {
    public static let noteType = KCSchemas.note.name

    /// Writes a new note in the school scope.
    public func addNote(_ draft: NoteDraft) throws(KCError) -> Note {
        let title = draft.title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty else { throw KCError(.invalidInput, "Een notitie heeft een titel nodig (--title).") }
        let school = configuration.school
        var created: EntityID?
        try perform("de notitie op te slaan") { () throws(SyncError) in
            try store.write(in: schoolScope) { b throws(SyncError) in
                let t = KCReplica.noteType
                let id = b.newEntity(type: t)
                try b.assign(.text(school), to: "school", of: id, type: t)
                try b.assign(.text(draft.author), to: "author", of: id, type: t)
                try b.assign(.text(draft.role.rawValue), to: "role", of: id, type: t)
                try b.assign(.text(draft.category.rawValue), to: "category", of: id, type: t)
                if let subject = draft.subject { try b.assign(.text(subject.rawValue), to: "subject", of: id, type: t) }
                if let ref = draft.subjectRef { try b.assign(.text(ref), to: "subjectRef", of: id, type: t) }
                if let area = draft.subjectArea { try b.assign(.text(area.rawValue), to: "subjectArea", of: id, type: t) }
                if let period = draft.period { try b.assign(.text(period.description), to: "period", of: id, type: t) }
                if let day = draft.meetingDate { try b.assign(.day(day), to: "meetingDate", of: id, type: t) }
                try b.assign(.text(title), to: "title", of: id, type: t)
                if !draft.body.isEmpty { try b.setText(draft.body, field: "body", of: id, type: t) }
                for tag in draft.tags { try b.add(.text(tag), to: "tags", of: id, type: t) }
                for person in draft.participants { try b.add(.text(person), to: "participants", of: id, type: t) }
                try b.assign(.boolean(draft.sensitive), to: "sensitive", of: id, type: t)
                try b.assign(.text(Visibility.school.rawValue), to: "visibility", of: id, type: t)
                if let day = draft.retainUntil { try b.assign(.day(day), to: "retainUntil", of: id, type: t) }
                created = id
            }
        }
        return try note(created!)
    }

    /// The note with this id (school scope).
    public func note(_ id: EntityID) throws(KCError) -> Note {
        guard let state = try state(id, type: KCReplica.noteType, in: schoolScope) else {
            throw KCError(.notFound, "Geen notitie gevonden met id \(id.hex).")
        }
        return Note(id: id, state: state)
    }

    /// The notes that match `filter`, newest first.
    public func notes(_ filter: NoteFilter = NoteFilter()) throws(KCError) -> [Note] {
        let text = filter.text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let ids = try perform("de notities te lezen") { () throws(SyncError) in
            text.isEmpty ? try store.entityIDs(type: KCReplica.noteType, in: schoolScope).reversed()
                : try store.search(text, type: KCReplica.noteType, in: schoolScope)
        }
        var out: [Note] = []
        for id in ids {
            guard let state = try state(id, type: KCReplica.noteType, in: schoolScope) else { continue }
            let note = Note(id: id, state: state)
            if filter.matches(note) { out.append(note) }
        }
        return out
    }

    /// Applies `edit` to the note, and to its board copy when it is shared, in one transaction.
    /// An edit that would put pupil-level or sensitive content in the board scope is refused
    /// and changes nothing.
    public func editNote(_ id: EntityID, _ edit: NoteEdit) throws(KCError) -> Note {
        let current = try note(id)
        guard !current.deleted else { throw KCError(.refused, "Deze notitie is verwijderd en kan niet meer worden bewerkt.") }
        if let title = edit.title, title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw KCError(.invalidInput, "Een notitie heeft een titel nodig; een lege titel kan niet.")
        }
        if current.boardCopy != nil {
            var after = try state(id, type: KCReplica.noteType, in: schoolScope) ?? EntityState()
            simulate(edit, on: &after)
            if let refusal = PrivacyPolicy.refusal(scope: boardScope, type: KCReplica.noteType, state: after) {
                throw KCError(.refused, "\(refusal.message) Deze notitie is gedeeld met het bestuur; maak het delen eerst ongedaan (kcsync note unshare \(KCReplica.shortID(id))).")
            }
            try checkNoPupilReferences([edit.title, edit.body].compactMap { $0 } + edit.addTags, what: "deze gedeelde notitie")
        }
        try perform("de notitie te bewerken") { () throws(SyncError) in
            try store.transaction { tx throws(SyncError) in
                try tx.change(in: schoolScope) { b throws(SyncError) in
                    try KCReplica.write(edit, to: id, in: &b)
                    if let editor = edit.editor { try KCReplica.stampEditor(editor, of: id, type: KCReplica.noteType, in: &b) }
                }
                if let copy = current.boardCopy {
                    try tx.change(in: boardScope) { b throws(SyncError) in try KCReplica.write(edit, to: copy, in: &b) }
                }
            }
        }
        return try note(id)
    }

    /// Marks the note deleted (and its board copy, if shared).
    public func deleteNote(_ id: EntityID) throws(KCError) {
        let current = try note(id)
        guard !current.deleted else { throw KCError(.refused, "Deze notitie is al verwijderd.") }
        try perform("de notitie te verwijderen") { () throws(SyncError) in
            try store.transaction { tx throws(SyncError) in
                try tx.change(in: schoolScope) { b throws(SyncError) in try b.delete(id, type: KCReplica.noteType) }
                if let copy = current.boardCopy {
                    try tx.change(in: boardScope) { b throws(SyncError) in try b.delete(copy, type: KCReplica.noteType) }
                }
            }
        }
    }

    /// Shares the note with the board: its current state is published into the board scope as
    /// a copy, and later edits go there too. Pupil-level, sensitive and conversation notes are
    /// refused (AVG) and nothing changes.
    public func shareNote(_ id: EntityID) throws(KCError) -> Note {
        try share(id, type: KCReplica.noteType, label: "notitie")
        return try note(id)
    }

    /// Withdraws the note from the board: the board copy is erased in the board scope (every
    /// board replica drops it); the note lives on at school.
    public func unshareNote(_ id: EntityID) throws(KCError) -> Note {
        try unshare(id, type: KCReplica.noteType, label: "notitie")
        return try note(id)
    }

    /// The fields of a note an edit would leave, for the privacy check before writing.
    func simulate(_ edit: NoteEdit, on state: inout EntityState) {
        let probe = OpID(timestamp: Timestamp(rawValue: .max), replica: ReplicaID(high: .max, low: .max), index: 0)
        func set(_ field: String, _ value: Value) {
            state.apply(.assign(field, value, pred: state.registers[field]?.pred ?? []), stamp: probe)
        }
        if let subject = edit.subject { set("subject", .text(subject.rawValue)) }
        if let sensitive = edit.sensitive { set("sensitive", .boolean(sensitive)) }
        if let category = edit.category { set("category", .text(category.rawValue)) }
    }

    /// Records who wrote this change of a record at school.
    static func stampEditor(_ editor: String, of id: EntityID, type: String, in b: inout ChangeBuilder) throws(SyncError) {
        let name = editor.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { return }
        try b.addStamped(.text(String(name.prefix(80))), to: "editors", of: id, type: type)
    }

    static func write(_ edit: NoteEdit, to id: EntityID, in b: inout ChangeBuilder) throws(SyncError) {
        let t = noteType
        if let title = edit.title { try b.assign(.text(title.trimmingCharacters(in: .whitespacesAndNewlines)), to: "title", of: id, type: t) }
        if let body = edit.body { try b.setText(body, field: "body", of: id, type: t) }
        if let role = edit.role { try b.assign(.text(role.rawValue), to: "role", of: id, type: t) }
        if let category = edit.category { try b.assign(.text(category.rawValue), to: "category", of: id, type: t) }
        if let subject = edit.subject { try b.assign(.text(subject.rawValue), to: "subject", of: id, type: t) }
        if let area = edit.subjectArea { try b.assign(.text(area.rawValue), to: "subjectArea", of: id, type: t) }
        if let period = edit.period { try b.assign(.text(period.description), to: "period", of: id, type: t) }
        if let day = edit.meetingDate { try b.assign(.day(day), to: "meetingDate", of: id, type: t) }
        for tag in edit.addTags { try b.add(.text(tag), to: "tags", of: id, type: t) }
        for tag in edit.removeTags { try b.remove(.text(tag), from: "tags", of: id, type: t) }
        if let sensitive = edit.sensitive { try b.assign(.boolean(sensitive), to: "sensitive", of: id, type: t) }
    }
}
