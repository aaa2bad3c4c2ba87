import ArgumentParser
import SyncCore
import SyncStore
import KCModel
import KCReplica

extension NoteCommand {
    /// `kcsync note add`.
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Voeg een notitie toe.")

        @OptionGroup var options: ReplicaOptions
        @Option(help: "leercoördinator, zorgregisseur or trendanalist.") var role: String
        @Option(help: "e.g. groepsbespreking, leerteamoverleg, trendanalyse, oudergesprek.") var category: String
        @Option(help: "The title.") var title: String
        @Option(help: "The text.") var body: String?
        @Option(help: "Read the text from a file.") var bodyFile: String?
        @Option(help: "rekenen, begrijpend lezen, technisch lezen, spelling, taalverzorging, sociaal-emotioneel.") var subjectArea: String?
        @Option(help: "Toetsmoment, e.g. \"2025-2026 M\".") var period: String?
        @Option(help: "pupil (leerling), group (groep), leerteam or school. Never assumed: a note without one is not shared.") var subject: String?
        @Option(help: "Who it is about, for the school's own use (a pupil's name or number); a note with one never leaves the school.") var subjectRef: String?
        @Option(help: "The meeting date, yyyy-mm-dd.") var meetingDate: String?
        @Option(help: "A tag (repeatable).") var tag: [String] = []
        @Option(help: "A participant (repeatable); a note with participants never leaves the school.") var participant: [String] = []
        @Flag(help: "Special-category data (health, diagnosis): never leaves the school.") var sensitive = false
        @Option(help: "The author (default: $KCSYNC_AUTHOR or the login name).") var author: String?

        func run() throws {
            var draft = NoteDraft(author: defaultAuthor(author), role: try parseRole(role),
                                  category: try parseCategory(category), title: title)
            draft.body = try readBody(body, file: bodyFile) ?? ""
            draft.subjectArea = try subjectArea.map(parseSubjectArea)
            draft.period = try period.map(parsePeriod)
            draft.subject = try subject.map(parseSubject)
            draft.subjectRef = subjectRef
            draft.meetingDate = try meetingDate.map { try parseDay($0, option: "--meeting-date") }
            draft.tags = tag
            draft.participants = participant
            draft.sensitive = sensitive
            try reporting {
                let note = try options.open().addNote(draft)
                if options.json { try printJSON(NoteView(note)) } else { print("Notitie opgeslagen: \(note.id.hex)  \(note.title)") }
            }
        }
    }
}
