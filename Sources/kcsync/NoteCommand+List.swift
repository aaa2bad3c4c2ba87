import ArgumentParser
import SyncCore
import SyncStore
import KCModel
import KCReplica

extension NoteCommand {
    /// `kcsync note list`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Toon notities, nieuwste eerst.")

        @OptionGroup var options: ReplicaOptions
        @Option(help: "Only this role.") var role: String?
        @Option(help: "Only this period.") var period: String?
        @Option(help: "Only this subject area.") var subjectArea: String?
        @Option(help: "Only notes with this tag.") var tag: String?
        @Option(help: "school or board.") var visibility: String?
        @Option(help: "Only this category.") var category: String?
        @Option(help: "Only notes whose title, text or tags hold every word (best match first).") var search: String?
        @Flag(help: "Include deleted notes.") var all = false

        func run() throws {
            var filter = NoteFilter()
            filter.role = try role.map(parseRole)
            filter.period = try period.map { try parsePeriod($0).description }
            filter.subjectArea = try subjectArea.map(parseSubjectArea)
            filter.tag = tag
            filter.visibility = try visibility.map(parseVisibility)
            filter.category = try category.map(parseCategory)
            filter.text = search
            filter.includeDeleted = all
            try reporting {
                let notes = try options.open().notes(filter)
                if options.json { try printJSON(notes.map(NoteView.init)); return }
                if notes.isEmpty { print("Geen notities gevonden."); return }
                for note in notes {
                    var line = "\(KCReplica.shortID(note.id))  \(note.period ?? "-")  \(note.role?.label ?? "-")  \(note.title)"
                    if note.boardCopy != nil { line += "  [gedeeld met bestuur]" }
                    if note.deleted { line += "  [verwijderd]" }
                    if !note.conflictedFields.isEmpty { line += "  [conflict]" }
                    print(line)
                }
            }
        }
    }
}
