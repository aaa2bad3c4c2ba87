import Foundation
import KCModel
import KCReplica
import SyncCore
import SyncStore
import Testing

/// Before text leaves the school, it is checked against the names and references the school's
/// own pupil-level records use.
struct PupilNameTests {
    @Test func referencesGiveNamesNotCommonWords() {
        let references = PupilReferences(references: ["Sam de Vries, groep 5", "moeder van Sam", "Juf Anna (groep 3)", "Noor El-Amrani"])
        #expect(references.find(in: "Met Sam besproken") == "sam")
        #expect(references.find(in: "de familie Vries") == "vries")
        #expect(references.find(in: "In het gesprek met sam de vries bleek") == "sam de vries")
        #expect(references.find(in: "Noor El-Amrani doet mee") == "noor el-amrani")
        #expect(references.find(in: "We werken samen in groep 5 met de moeder-en-kindgroep") == nil)
    }

    static func replica() throws -> (KCReplica, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-names-\(UUID().uuidString)")
        return (try KCReplica.create(in: directory, school: "12AB", board: "41234"), directory)
    }

    @Test func aNoteNamingAPupilIsNotShared() throws {
        let (school, directory) = try PupilNameTests.replica()
        defer { try? FileManager.default.removeItem(at: directory) }
        var pupil = NoteDraft(author: "kc'er", role: .careCoordinator, category: .pupilMeeting, title: "Leerlingbespreking")
        pupil.subject = .pupil
        pupil.subjectRef = "Sam de Vries, groep 5"
        pupil.participants = ["moeder van Sam"]
        _ = try school.addNote(pupil)

        var team = NoteDraft(author: "kc'er", role: .learningCoordinator, category: .learningTeamMeeting, title: "Leerteam 5")
        team.subject = .learningTeam
        team.body = "Werken samen aan begrijpend lezen. Sam heeft extra instructie nodig."
        let note = try school.addNote(team)
        let before = try school.store.changeCount(school.boardScope)
        do {
            _ = try school.shareNote(note.id)
            Issue.record("a note naming a pupil was shared")
        } catch {
            #expect(error.code == .refused && error.message.contains("'sam'"), "\(error.message)")
        }
        #expect(try school.store.changeCount(school.boardScope) == before)
        #expect(try school.note(note.id).boardCopy == nil)

        // Without the name it is shared; an edit that puts the name back is refused.
        var edit = NoteEdit()
        edit.body = "Werken samen aan begrijpend lezen."
        _ = try school.editNote(note.id, edit)
        #expect(try school.shareNote(note.id).boardCopy != nil)
        var back = NoteEdit()
        back.title = "Leerteam 5 (De Vries)"
        #expect(throws: KCError.self) { _ = try school.editNote(note.id, back) }
        #expect(try school.note(note.id).title == "Leerteam 5")

        // A trend figure's duiding goes to the board with it: checked too.
        var figure = TrendDraft(subjectArea: .readingComprehension, period: Period("2025-2026 E")!, group: "5", metric: .percentLevelIandII,
                                value: 40, pupils: 24)
        figure.interpretation = "Vooral Sam scoort laag."
        #expect(throws: KCError.self) { try school.addTrends([figure]) }
        #expect(try school.trends().isEmpty)
        // Kept at school, it may say what it likes.
        try school.addTrends([figure], share: false)
        #expect(try school.trends().count == 1)
    }
}
