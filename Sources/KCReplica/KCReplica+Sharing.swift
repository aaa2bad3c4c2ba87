import KCModel
public import SyncCore
import SyncStore

extension KCReplica {
    /// Publishes the current state of a school record into the board scope as a copy that
    /// points back at it (`source`), and marks the school record shared (`boardCopy`).
    func share(_ id: EntityID, type: String, label: String) throws(KCError) {
        guard let state = try state(id, type: type, in: schoolScope) else {
            throw KCError(.notFound, "Geen \(label) gevonden met id \(id.hex).")
        }
        guard !state.isDeleted else { throw KCError(.refused, "Deze \(label) is verwijderd en kan niet worden gedeeld.") }
        if case .id? = state.value(of: "boardCopy") {
            throw KCError(.refused, "Deze \(label) is al gedeeld met het bestuur.")
        }
        if let refusal = PrivacyPolicy.refusal(scope: boardScope, type: type, state: state) {
            throw KCError(.refused, "Delen geweigerd. \(refusal.message) Er is niets gedeeld.")
        }
        try checkNoPupilReferences(KCReplica.sharedTexts(of: state, type: type), what: "deze \(label)")
        let schema = KCSchemas.all.first { $0.name == type }!
        let source = id
        try perform("de \(label) te delen") { () throws(SyncError) in
            try store.transaction { tx throws(SyncError) in
                var copy: EntityID?
                try tx.change(in: boardScope) { b throws(SyncError) in
                    let c = b.newEntity(type: type)
                    // Only the fields a board copy may carry (KCSchemas.boardFields): never a
                    // note's subjectRef, participants, sensitive flag or retention.
                    let allowed = KCSchemas.boardFields[type] ?? []
                    for field in schema.fields where allowed.contains(field.name) && !["source", "visibility"].contains(field.name) {
                        switch field.kind {
                        case .register:
                            if let value = state.value(of: field.name) { try b.assign(value, to: field.name, of: c, type: type) }
                        case .set:
                            for element in state.elements(of: field.name) { try b.add(element, to: field.name, of: c, type: type) }
                        case .text:
                            let text = state.text(of: field.name)
                            if !text.isEmpty { try b.setText(text, field: field.name, of: c, type: type) }
                        }
                    }
                    try b.assign(.text(Visibility.board.rawValue), to: "visibility", of: c, type: type)
                    try b.assign(.id(source), to: "source", of: c, type: type)
                    copy = c
                }
                try tx.change(in: schoolScope) { b throws(SyncError) in
                    try b.assign(.text(Visibility.board.rawValue), to: "visibility", of: source, type: type)
                    try b.assign(.id(copy!), to: "boardCopy", of: source, type: type)
                }
            }
        }
    }

    /// Why the note (or afspraak) `id` may not go to the board, in Dutch, or nil when it may:
    /// the same checks ``shareNote(_:)`` makes, asked before, so a page can say why its share
    /// button is not there.
    public func shareRefusal(_ id: EntityID, type: String = KCReplica.noteType) throws(KCError) -> String? {
        guard let state = try state(id, type: type, in: schoolScope), !state.isDeleted else { return "Deze is verwijderd." }
        if let refusal = PrivacyPolicy.refusal(scope: boardScope, type: type, state: state) { return refusal.message }
        do {
            try checkNoPupilReferences(KCReplica.sharedTexts(of: state, type: type), what: type == KCReplica.noteType ? "deze notitie" : "deze afspraak")
        } catch {
            return error.message
        }
        return nil
    }

    /// Erases the board copy in the board scope and marks the school record unshared.
    func unshare(_ id: EntityID, type: String, label: String) throws(KCError) {
        guard let state = try state(id, type: type, in: schoolScope) else {
            throw KCError(.notFound, "Geen \(label) gevonden met id \(id.hex).")
        }
        guard case .id(let copy)? = state.value(of: "boardCopy") else {
            throw KCError(.refused, "Deze \(label) is niet gedeeld met het bestuur.")
        }
        try perform("het delen ongedaan te maken") { () throws(SyncError) in
            try store.transaction { tx throws(SyncError) in
                try tx.change(in: boardScope) { b throws(SyncError) in try b.erase(copy, type: type) }
                try tx.change(in: schoolScope) { b throws(SyncError) in
                    try b.assign(.text(Visibility.school.rawValue), to: "visibility", of: id, type: type)
                    try b.assign(.null, to: "boardCopy", of: id, type: type)
                }
            }
        }
        store.truncateLog()
    }

    /// The board copy of a shared record, if any.
    func boardCopy(of id: EntityID, type: String) throws(KCError) -> EntityID? {
        guard case .id(let copy)? = try state(id, type: type, in: schoolScope)?.value(of: "boardCopy") else { return nil }
        return copy
    }
}

extension KCReplica {
    /// The names and references this school's pupil-level records use: every note's
    /// `subjectRef`, and the participants of pupil-level notes, conversation reports and
    /// pupil-level agreements.
    func pupilReferences() throws(KCError) -> PupilReferences {
        var references = PupilReferences()
        let notes = try perform("de notities te lezen") { () throws(SyncError) in try store.entityIDs(type: KCReplica.noteType, in: schoolScope) }
        for id in notes {
            guard let state = try state(id, type: KCReplica.noteType, in: schoolScope), !state.erased else { continue }
            if let reference = state.value(of: "subjectRef")?.text { references.add(reference) }
            let pupilLevel = PrivacyPolicy.refusal(scope: boardScope, type: KCReplica.noteType, state: state).map {
                [.pupilLevel, .sensitive, .conversationReport].contains($0)
            } ?? false
            if pupilLevel || state.value(of: "subjectRef")?.text != nil {
                for participant in state.elements(of: "participants") { if let text = participant.text { references.add(text) } }
            }
        }
        let agreements = try perform("de afspraken te lezen") { () throws(SyncError) in
            try store.entityIDs(type: KCReplica.agreementType, in: schoolScope)
        }
        for id in agreements {
            guard let state = try state(id, type: KCReplica.agreementType, in: schoolScope), !state.erased,
                  state.value(of: "level")?.text == SubjectLevel.pupil.rawValue else { continue }
            for participant in state.elements(of: "participants") { if let text = participant.text { references.add(text) } }
        }
        return references
    }

    /// Refuses, before anything is written, text for the board that names what this school's
    /// pupil-level records name. `texts` are the texts that would leave the school.
    func checkNoPupilReferences(_ texts: [String], what: String) throws(KCError) {
        let references = try pupilReferences()
        for text in texts {
            if let found = references.find(in: text) {
                throw KCError(.refused, "Delen geweigerd: \(what) noemt '\(found)', een naam of verwijzing uit de leerlinggegevens van de school. Haal die eruit (bij een gedeelde notitie: kcsync note redact), dan kan het wel. Er is niets gedeeld of veranderd.")
            }
        }
    }

    /// The texts of a record that would go into its board copy.
    static func sharedTexts(of state: EntityState, type: String) -> [String] {
        let allowed = KCSchemas.boardFields[type] ?? []
        guard let schema = KCSchemas.all.first(where: { $0.name == type }) else { return [] }
        var out: [String] = []
        for field in schema.fields where allowed.contains(field.name) {
            switch field.kind {
            case .register(.text): if let text = state.value(of: field.name)?.text { out.append(text) }
            case .set(.text): out += state.elements(of: field.name).compactMap(\.text)
            case .text: out.append(state.text(of: field.name))
            default: break
            }
        }
        return out
    }
}
