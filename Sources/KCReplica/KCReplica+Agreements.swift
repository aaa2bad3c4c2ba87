import Foundation
public import KCModel
public import SyncCore
import SyncStore

/// What a new agreement holds: wie doet wat en wanneer.
public struct AgreementDraft: Sendable {
    /// The title (for an agreement: what will be done).
    public var title: String
    /// Who does it (wie).
    public var owner: String
    /// When it is due (wanneer), as a day number.
    public var dueDate: Int32
    /// When it is evaluated, as a day number.
    public var evaluationDate: Int32?
    /// A longer description.
    public var description: String = ""
    /// Pupil, group, leerteam or school.
    public var level: SubjectLevel = .school
    /// The note the agreement comes from.
    public var fromNote: EntityID?

    /// A draft with the required fields.
    public init(title: String, owner: String, dueDate: Int32) {
        self.title = title
        self.owner = owner
        self.dueDate = dueDate
    }
}

/// Which agreements a list shows.
public struct AgreementFilter: Sendable {
    /// Open, lopend, afgerond or vervallen.
    public var status: AgreementStatus?
    /// Only active agreements past their due date.
    public var overdueOnly = false
    /// Include deleted records.
    public var includeDeleted = false

    /// Everything not deleted.
    public init() {}
}

extension KCReplica {
    public static let agreementType = KCSchemas.agreement.name

    /// Writes a new agreement; with `fromNote`, it is linked both ways with that note.
    public func addAgreement(_ draft: AgreementDraft) throws(KCError) -> Agreement {
        let title = draft.title.trimmingCharacters(in: .whitespacesAndNewlines)
        let owner = draft.owner.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty else { throw KCError(.invalidInput, "Een afspraak heeft een omschrijving nodig: wat (--title).") }
        guard !owner.isEmpty else { throw KCError(.invalidInput, "Een afspraak heeft een eigenaar nodig: wie (--owner).") }
        if let evaluation = draft.evaluationDate, evaluation < draft.dueDate {
            throw KCError(.invalidInput, "De evaluatiedatum ligt voor de deadline; evalueer op of na \(Value.dayString(draft.dueDate)).")
        }
        if let note = draft.fromNote { _ = try self.note(note) }
        let school = configuration.school
        var created: EntityID?
        try perform("de afspraak op te slaan") { () throws(SyncError) in
            try store.write(in: schoolScope) { b throws(SyncError) in
                let t = KCReplica.agreementType
                let id = b.newEntity(type: t)
                try b.assign(.text(school), to: "school", of: id, type: t)
                try b.assign(.text(title), to: "title", of: id, type: t)
                if !draft.description.isEmpty { try b.setText(draft.description, field: "description", of: id, type: t) }
                try b.assign(.text(owner), to: "owner", of: id, type: t)
                try b.assign(.day(draft.dueDate), to: "dueDate", of: id, type: t)
                if let day = draft.evaluationDate { try b.assign(.day(day), to: "evaluationDate", of: id, type: t) }
                try b.assign(.text(AgreementStatus.open.rawValue), to: "status", of: id, type: t)
                try b.assign(.text(draft.level.rawValue), to: "level", of: id, type: t)
                try b.assign(.text(Visibility.school.rawValue), to: "visibility", of: id, type: t)
                if let note = draft.fromNote {
                    try b.assign(.id(note), to: "origin", of: id, type: t)
                    try b.assign(.text("note"), to: "originKind", of: id, type: t)
                    try b.add(.id(id), to: "linkedAgreements", of: note, type: KCReplica.noteType)
                }
                created = id
            }
        }
        return try agreement(created!)
    }

    /// The agreement with this id (school scope).
    public func agreement(_ id: EntityID) throws(KCError) -> Agreement {
        guard let state = try state(id, type: KCReplica.agreementType, in: schoolScope) else {
            throw KCError(.notFound, "Geen afspraak gevonden met id \(id.hex).")
        }
        return Agreement(id: id, state: state)
    }

    /// The agreements that match `filter`, by due date.
    public func agreements(_ filter: AgreementFilter = AgreementFilter()) throws(KCError) -> [Agreement] {
        let ids = try perform("de afspraken te lezen") { () throws(SyncError) in
            try store.entityIDs(type: KCReplica.agreementType, in: schoolScope)
        }
        let today = today()
        var out: [Agreement] = []
        for id in ids {
            guard let state = try state(id, type: KCReplica.agreementType, in: schoolScope) else { continue }
            let agreement = Agreement(id: id, state: state)
            if agreement.deleted && !filter.includeDeleted { continue }
            if let status = filter.status, agreement.status != status { continue }
            if filter.overdueOnly && !agreement.isOverdue(today: today) { continue }
            out.append(agreement)
        }
        return out.sorted { ($0.dueDate ?? .max, $0.id) < ($1.dueDate ?? .max, $1.id) }
    }

    /// Today's day number, as this replica sees it.
    public var todayDay: Int32 { today() }

    /// Sets status and outcome, in the board copy too when shared; `editor` is the kc'er who
    /// does it (kept at school, for the conflicts page).
    public func updateAgreement(_ id: EntityID, status: AgreementStatus?, outcome: String?, editor: String? = nil) throws(KCError) -> Agreement {
        let current = try agreement(id)
        guard !current.deleted else { throw KCError(.refused, "Deze afspraak is verwijderd.") }
        guard status != nil || outcome != nil else {
            throw KCError(.invalidInput, "Geef een nieuwe status (--status) of een uitkomst (--outcome).")
        }
        if current.boardCopy != nil, let outcome { try checkNoPupilReferences([outcome], what: "de uitkomst van deze gedeelde afspraak") }
        func write(_ target: EntityID, _ b: inout ChangeBuilder) throws(SyncError) {
            let t = KCReplica.agreementType
            if let status { try b.assign(.text(status.rawValue), to: "status", of: target, type: t) }
            if let outcome { try b.assign(.text(outcome), to: "outcome", of: target, type: t) }
        }
        try perform("de afspraak bij te werken") { () throws(SyncError) in
            try store.transaction { tx throws(SyncError) in
                try tx.change(in: schoolScope) { b throws(SyncError) in
                    try write(id, &b)
                    if let editor { try KCReplica.stampEditor(editor, of: id, type: KCReplica.agreementType, in: &b) }
                }
                if let copy = current.boardCopy {
                    try tx.change(in: boardScope) { b throws(SyncError) in try write(copy, &b) }
                }
            }
        }
        return try agreement(id)
    }

    /// Shares the agreement with the board (refused for pupil-level agreements).
    public func shareAgreement(_ id: EntityID) throws(KCError) -> Agreement {
        try share(id, type: KCReplica.agreementType, label: "afspraak")
        return try agreement(id)
    }

    /// Withdraws the agreement from the board.
    public func unshareAgreement(_ id: EntityID) throws(KCError) -> Agreement {
        try unshare(id, type: KCReplica.agreementType, label: "afspraak")
        return try agreement(id)
    }
}
