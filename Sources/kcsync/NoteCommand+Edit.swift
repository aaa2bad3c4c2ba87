import ArgumentParser
import SyncCore
import SyncStore
import KCModel
import KCReplica

extension NoteCommand {
    /// `kcsync note edit ID …`.
    struct Edit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bewerk een notitie. De tekst wordt als bewerking opgeslagen, zodat gelijktijdige bewerkingen samengaan.")

        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The note's id (a unique prefix is enough).") var id: String
        @Option(help: "New title.") var title: String?
        @Option(help: "New text (the whole text as it should read).") var body: String?
        @Option(help: "Read the new text from a file.") var bodyFile: String?
        @Option(help: "New role.") var role: String?
        @Option(help: "New category.") var category: String?
        @Option(help: "New subject: pupil, group, leerteam, school.") var subject: String?
        @Option(help: "New subject area.") var subjectArea: String?
        @Option(help: "New period.") var period: String?
        @Option(help: "New meeting date, yyyy-mm-dd.") var meetingDate: String?
        @Option(help: "Add a tag (repeatable).") var addTag: [String] = []
        @Option(help: "Remove a tag (repeatable).") var removeTag: [String] = []
        @Flag(inversion: .prefixedNo, help: "Mark as sensitive, or not.") var sensitive: Bool?

        func run() throws {
            var edit = NoteEdit()
            edit.editor = defaultAuthor(nil)
            edit.title = title
            edit.body = try readBody(body, file: bodyFile)
            edit.role = try role.map(parseRole)
            edit.category = try category.map(parseCategory)
            edit.subject = try subject.map(parseSubject)
            edit.subjectArea = try subjectArea.map(parseSubjectArea)
            edit.period = try period.map(parsePeriod)
            edit.meetingDate = try meetingDate.map { try parseDay($0, option: "--meeting-date") }
            edit.addTags = addTag
            edit.removeTags = removeTag
            edit.sensitive = sensitive
            guard !edit.isEmpty else { throw ValidationError("Geef aan wat er verandert, bijvoorbeeld --title of --body.") }
            try reporting {
                let replica = try options.open()
                let note = try replica.editNote(try replica.resolve(id, type: "note", label: "notitie"), edit)
                if options.json { try printJSON(NoteView(note)) } else { print("Notitie bijgewerkt: \(note.id.hex)  \(note.title)") }
            }
        }
    }

    /// `kcsync note delete ID`.
    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Verwijder een notitie (voor wissen volgens de AVG: kcsync erase).")

        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The note's id.") var id: String

        func run() throws {
            try reporting {
                let replica = try options.open()
                let note = try replica.resolve(id, type: "note", label: "notitie")
                try replica.deleteNote(note)
                if options.json { try printJSON(NoteView(try replica.note(note))) } else { print("Notitie verwijderd: \(note.hex)") }
            }
        }
    }

    /// `kcsync note redact ID --remove PASSAGE --reason …`.
    struct Redact: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Haal een passage (een naam, een detail) uit een notitie én uit haar geschiedenis, op elke replica.",
            discussion: """
                Bewerken laat de oude tekst in de geschiedenis staan. Redigeren wist de notitie (ook een gedeelde kopie bij het \
                bestuur) en maakt haar opnieuw zonder de passage; de nieuwe notitie krijgt een nieuw id en verwijst naar de oude. \
                In het wislogboek komt te staan dat er geredigeerd is en waarom, nooit de passage zelf.
                """)

        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The note's id.") var id: String
        @Option(help: "The passage to take out (every occurrence).") var remove: String
        @Option(help: "The field: title, body or subjectRef.") var field = "body"
        @Option(help: "Why (kept in the erasure log, without the passage).") var reason: String

        func run() throws {
            try reporting {
                let replica = try options.open()
                let old = try replica.resolve(id, type: "note", label: "notitie")
                let note = try replica.redact(old, field: field, passage: remove, reason: reason)
                if options.json { try printJSON(NoteView(note)) } else {
                    print("Geredigeerd: de oude notitie \(old.hex) is overal gewist; de nieuwe is \(note.id.hex)\(note.boardCopy != nil ? " (weer gedeeld met het bestuur)" : "").")
                }
            }
        }
    }

    /// `kcsync note share ID`.
    struct Share: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deel een notitie met het bestuur. Notities over een leerling, gevoelige notities en gespreksverslagen blijven op school.")

        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The note's id.") var id: String

        func run() throws {
            try reporting {
                let replica = try options.open()
                let note = try replica.shareNote(try replica.resolve(id, type: "note", label: "notitie"))
                if options.json { try printJSON(NoteView(note)) } else { print("Notitie gedeeld met het bestuur: \(note.id.hex)  \(note.title)") }
            }
        }
    }

    /// `kcsync note unshare ID`.
    struct Unshare: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Trek een gedeelde notitie terug; ze blijft op school bestaan.")

        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The note's id.") var id: String

        func run() throws {
            try reporting {
                let replica = try options.open()
                let note = try replica.unshareNote(try replica.resolve(id, type: "note", label: "notitie"))
                if options.json { try printJSON(NoteView(note)) } else { print("Delen ongedaan gemaakt: \(note.id.hex)  \(note.title)") }
            }
        }
    }
}
