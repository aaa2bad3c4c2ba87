import Foundation
public import KCModel
public import SyncCore
import SyncStore

extension KCReplica {
    /// The text fields a redaction may take a passage out of.
    public static let redactableFields = ["title", "body", "subjectRef"]

    /// Takes a passage (a name, a detail) out of a note and out of its history on every
    /// replica: an edit would leave it in the text's history, so the note is erased (with its
    /// board copy, wherever it is) and made again without the passage, linked to it by
    /// `replaces`. One transaction, with a line in the erasure log; if the note was shared, the
    /// new one is shared too when the rules allow. Returns the new note.
    public func redact(_ id: EntityID, field: String, passage: String, reason: String) throws(KCError) -> Note {
        guard KCReplica.redactableFields.contains(field) else {
            throw KCError(.invalidInput, "Alleen uit \(KCReplica.redactableFields.joined(separator: ", ")) kan een passage worden verwijderd.")
        }
        let passage = passage.trimmingCharacters(in: .whitespacesAndNewlines)
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !passage.isEmpty else { throw KCError(.invalidInput, "Geef de passage die eruit moet (--remove).") }
        guard !reason.isEmpty, reason.count <= 500 else { throw KCError(.invalidInput, "Geef een korte reden (--reason), bijvoorbeeld 'naam van een leerling'.") }
        let t = KCReplica.noteType
        guard let state = try state(id, type: t, in: schoolScope), !state.isDeleted else {
            throw KCError(.notFound, "Geen notitie gevonden met id \(id.hex).")
        }
        let current = field == "body" ? state.text(of: field) : state.value(of: field)?.text ?? ""
        guard current.contains(passage) else {
            throw KCError(.invalidInput, "De passage staat niet in \(field) van deze notitie; er is niets veranderd.")
        }
        let redacted = current.replacingOccurrences(of: passage, with: "[verwijderd]")
        let wasShared: Bool = if case .id? = state.value(of: "boardCopy") { true } else { false }
        let copy = try boardCopy(of: id, type: t)
        let erasedAt = ISO8601DateFormatter().string(from: Date())
        let schema = KCSchemas.note
        var made: EntityID?
        try perform("de passage te verwijderen") { () throws(SyncError) in
            try store.transaction { tx throws(SyncError) in
                try tx.change(in: schoolScope) { b throws(SyncError) in
                    let fresh = b.newEntity(type: t)
                    for spec in schema.fields where !["boardCopy", "visibility", "source", "replaces"].contains(spec.name) {
                        switch spec.kind {
                        case .register:
                            if spec.name == field {
                                try b.assign(.text(redacted), to: field, of: fresh, type: t)
                            } else if let value = state.value(of: spec.name) {
                                try b.assign(value, to: spec.name, of: fresh, type: t)
                            }
                        case .set:
                            for element in state.elements(of: spec.name) { try b.add(element, to: spec.name, of: fresh, type: t) }
                        case .text:
                            let text = spec.name == field ? redacted : state.text(of: spec.name)
                            if !text.isEmpty { try b.setText(text, field: spec.name, of: fresh, type: t) }
                        }
                    }
                    try b.assign(.text(Visibility.school.rawValue), to: "visibility", of: fresh, type: t)
                    try b.assign(.id(id), to: "replaces", of: fresh, type: t)
                    try b.erase(id, type: t)
                    made = fresh
                }
                try tx.change(in: boardScope) { b throws(SyncError) in
                    if let copy { try b.erase(copy, type: t) }
                    try b.erase(id, type: t)
                }
                try tx.logErasure(id, type: t, in: schoolScope, reason: "redactie (\(field)): \(reason)", at: erasedAt)
            }
        }
        store.truncateLog()
        guard let made else { throw KCError(.storage, "De notitie kon niet opnieuw worden gemaakt.") }
        if wasShared { _ = try? shareNote(made) }
        return try note(made)
    }
}
