import ArgumentParser
import KCModel
import KCReplica
import SyncCore
import SyncStore

extension NoteCommand {
    /// `kcsync note show ID`.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Toon één notitie.")

        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The note's id (a unique prefix is enough).") var id: String

        func run() throws {
            try reporting {
                let replica = try options.open()
                let note = try replica.note(try replica.resolve(id, type: "note", label: "notitie"))
                if options.json { try printJSON(NoteView(note)); return }
                print("Notitie \(note.id.hex)")
                print("Titel:        \(note.title)")
                print("Rol:          \(note.role?.label ?? "-")")
                print("Categorie:    \(note.category?.label ?? "-")")
                print("Onderwerp:    \(note.subject?.label ?? "-")\(note.subjectRef.map { " (\($0))" } ?? "")")
                print("Vakgebied:    \(note.subjectArea?.label ?? "-")")
                print("Periode:      \(note.period ?? "-")")
                if let day = note.meetingDate { print("Datum:        \(Value.dayString(day))") }
                print("Auteur:       \(note.author)")
                if !note.tags.isEmpty { print("Labels:       \(note.tags.joined(separator: ", "))") }
                if !note.participants.isEmpty { print("Deelnemers:   \(note.participants.joined(separator: ", "))") }
                print("Gevoelig:     \(note.sensitive ? "ja" : "nee")")
                print("Zichtbaar:    \(note.boardCopy != nil ? "school en bestuur (gedeeld)" : "alleen school")")
                if !note.linkedAgreements.isEmpty {
                    print("Afspraken:    \(note.linkedAgreements.map { KCReplica.shortID($0) }.joined(separator: ", "))")
                }
                if note.deleted { print("Status:       verwijderd") }
                if !note.conflictedFields.isEmpty {
                    print("Conflict in:  \(note.conflictedFields.joined(separator: ", ")) (zie kcsync conflicts)")
                }
                if !note.body.isEmpty { print("\n\(note.body)") }
            }
        }
    }
}
