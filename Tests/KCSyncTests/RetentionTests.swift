import Foundation
import KCModel
import KCReplica
import SyncCore
import SyncStore
import Testing

/// Bewaartermijnen: records past their term are erased, with a log line and no content left,
/// by command, by the daemon on its daily run, and by the board for its scope.
struct RetentionTests {
    static func day(_ text: String) -> Int32 { Value.day(parsing: text)! }

    @Test func recordsPastTheirTermAreErasedWithALogLine() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-retention-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let board = try BoardReplica.create(in: root.appendingPathComponent("board"), board: "41234")
        let school = try KCReplica.create(in: root.appendingPathComponent("12AB"), school: "12AB", board: "41234")
        try board.register(school: "12AB", key: school.publicKeyHex)
        let canary = "RETAINED-\(UUID().uuidString)"
        func note(_ category: NoteCategory, _ subject: SubjectLevel, on date: String, until: String? = nil) throws -> Note {
            var draft = NoteDraft(author: "kc'er", role: .careCoordinator, category: category, title: "\(category.rawValue) \(canary)")
            draft.subject = subject
            draft.meetingDate = RetentionTests.day(date)
            draft.retainUntil = until.map(RetentionTests.day)
            return try school.addNote(draft)
        }
        let old = try note(.pupilMeeting, .pupil, on: "2023-03-01")                       // 24 months: due 2025-03-01
        let kept = try note(.pupilMeeting, .pupil, on: "2023-03-01", until: "2027-08-01")  // still at school
        let team = try note(.learningTeamMeeting, .learningTeam, on: "2023-03-01")         // 60 months
        _ = try school.shareNote(team.id)
        let today = RetentionTests.day("2026-11-29")
        #expect(try school.retentionDue(asOf: today).map(\.id) == [old.id.hex])
        #expect(try school.retentionDue(asOf: RetentionTests.day("2025-02-28")).isEmpty, "due the day the term ends, not before")

        // A school that keeps leerteam notes 3 years sees that one due too.
        _ = try school.setRetention(NoteCategory.learningTeamMeeting.rawValue, months: 36)
        let school2 = try KCReplica.open(directory: root.appendingPathComponent("12AB"))
        #expect(Set(try school2.retentionDue(asOf: today).map(\.id)) == [old.id.hex, team.id.hex])
        #expect(throws: KCError.self) { _ = try school2.setRetention("leerlingdossier", months: 12) }
        #expect(throws: KCError.self) { _ = try school2.setRetention("afspraak", months: 2400) }

        _ = try board.store.apply(try school2.store.changes(in: school2.boardScope, missingFrom: VersionVector()))
        let erased = try school2.applyRetention(asOf: today)
        #expect(erased.count == 2 && erased.allSatisfy { $0.reason.hasPrefix("bewaartermijn verlopen") })
        #expect(try school2.erasures().count == 2)
        #expect(try school2.note(kept.id).title.contains(canary))
        _ = try board.store.apply(try school2.store.changes(in: school2.boardScope, missingFrom: board.store.versionVector(board.scope)))
        // No byte of the two is left at the school or at the board; the kept one is at school.
        var bytes = Data()
        for place in ["12AB", "board"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(place).path) {
                bytes += (try? Data(contentsOf: root.appendingPathComponent(place).appendingPathComponent(name))) ?? Data()
            }
        }
        for title in ["leerteamoverleg \(canary)"] { #expect(bytes.range(of: Data(title.utf8)) == nil) }
        #expect(bytes.range(of: Data(canary.utf8)) != nil, "the kept note is still there (the scan sees text)")
        #expect(try school2.retentionDue(asOf: today).isEmpty)
    }

    @Test func theBoardErasesCopiesPastTheirTerm() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-retention-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let board = try BoardReplica.create(in: root.appendingPathComponent("board"), board: "41234")
        let school = try KCReplica.create(in: root.appendingPathComponent("12AB"), school: "12AB", board: "41234",
                                          boardKey: Hex.decode(board.publicKeyHex))
        try board.register(school: "12AB", key: school.publicKeyHex)
        var draft = NoteDraft(author: "kc'er", role: .learningCoordinator, category: .groupMeeting, title: "Groep 5 in 2022")
        draft.subject = .group
        draft.meetingDate = RetentionTests.day("2022-01-10")
        let note = try school.addNote(draft)
        _ = try school.shareNote(note.id)
        _ = try board.store.apply(try school.store.changes(in: school.boardScope, missingFrom: VersionVector()))
        let today = RetentionTests.day("2026-11-29")
        let due = try board.retentionDue(asOf: today)
        #expect(due.count == 1 && due[0].term == "groepsbespreking")
        #expect(try board.applyRetention(asOf: today).count == 1)
        #expect(try board.store.entityIDs(type: KCSchemas.note.name, in: board.scope).isEmpty)
        #expect(try board.erasures().first?.reason == "bewaartermijn verlopen (groepsbespreking, 24 maanden)")
        // The school learns it through the board's erasure: the copy is gone there too.
        let result = try school.store.receive(try board.store.changes(in: board.scope, missingFrom: school.store.versionVector(school.boardScope)),
                                              in: school.boardScope)
        #expect(result.refused.isEmpty, "\(result.refused)")
        #expect(try school.store.entityIDs(type: KCSchemas.note.name, in: school.boardScope).isEmpty)
    }

    /// The daemon runs retention when it starts and then daily: a note years past its term is
    /// gone from a replica whose daemon was started, without any command.
    @Test func theDaemonErasesWhatIsDue() async throws {
        let cli = try CLI()
        try cli.run("init", "--school", "12AB", "--board", "41234")
        let added = try cli.run("note", "add", "--json", "--role", "zorgregisseur", "--category", "leerlingbespreking", "--subject", "pupil",
                                "--title", "Oude bespreking", "--meeting-date", "2019-05-01")
        let id = try #require(try added.object()["id"] as? String)
        let daemon = try EndToEndTests.Background(["daemon", "--listen", "127.0.0.1:0", "--data", cli.home.path], log: cli.home.appendingPathComponent("daemon.log"))
        defer { daemon.kill(SIGTERM) }
        let gone = try await EndToEndTests.eventually(20) { try cli.run("erase", "--list", "--json").out.contains(id) }
        #expect(gone, "the daemon did not erase the note past its term: \((try? String(contentsOf: cli.home.appendingPathComponent("daemon.log"), encoding: .utf8)) ?? "")")
        #expect(try cli.run("note", "show", String(id.suffix(8))).status == 1)
    }
}
