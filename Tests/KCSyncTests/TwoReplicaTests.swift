import Foundation
import KCModel
import KCReplica
import SyncCore
import SyncStore
import SyncTestKit
import Testing

/// Two replicas of one school, given each other's changes in-process (the network comes with
/// the sync issue): they converge, the conflict journal shows concurrent title edits, both
/// body edits survive, and `kcsync conflicts` shows it.
@Suite struct TwoReplicaTests {
    @Test func concurrentEditsConvergeAndTheJournalShowsTheTitleConflict() throws {
        let a = try CLI(), b = try CLI()
        let replicaA = try KCReplica.create(in: a.home, school: "12AB", board: "41234")
        let replicaB = try KCReplica.create(in: b.home, school: "12AB", board: "41234")
        // Replicas of one school know each other by key (kcsync peer add on both).
        try replicaA.addPeer(publicKey: replicaB.publicKeyHex, url: nil)
        try replicaB.addPeer(publicKey: replicaA.publicKeyHex, url: nil)
        var draft = NoteDraft(author: "Anne", role: .trendAnalyst, category: .trendAnalysis, title: "Trendanalyse rekenen")
        draft.body = "Groep 6 daalt. De leerteams plannen actie."
        let note = try replicaA.addNote(draft)
        try Exchange.sync(replicaA.store, replicaB.store)

        var editA = NoteEdit()
        editA.title = "Trendanalyse rekenen M"
        editA.body = "Groep 6 daalt sterk. De leerteams plannen actie."
        var editB = NoteEdit()
        editB.title = "Trendanalyse rekenen 2025-2026"
        editB.body = "Groep 6 daalt. De leerteams plannen actie in maart."
        _ = try replicaA.editNote(note.id, editA)
        _ = try replicaB.editNote(note.id, editB)
        try Exchange.sync(replicaA.store, replicaB.store)

        let statusA = try replicaA.status(), statusB = try replicaB.status()
        #expect(statusA.stateHash == statusB.stateHash)
        #expect(statusA.scopes == statusB.scopes)
        #expect(statusA.openConflicts == 1)
        let merged = try replicaA.note(note.id)
        #expect(merged.body == "Groep 6 daalt sterk. De leerteams plannen actie in maart.")
        #expect(["Trendanalyse rekenen M", "Trendanalyse rekenen 2025-2026"].contains(merged.title))
        #expect(merged.conflictedFields == ["title"])

        for cli in [a, b] {
            let conflicts = try cli.run("conflicts", "--json").array()
            #expect(conflicts.count == 1)
            #expect(conflicts.first?["field"] as? String == "title")
            #expect(Set([conflicts.first?["winner"] as? String, conflicts.first?["loser"] as? String])
                    == ["Trendanalyse rekenen M", "Trendanalyse rekenen 2025-2026"])
            let text = try cli.run("conflicts")
            #expect(text.out.contains("gewonnen: \(merged.title)"))
            #expect(try cli.run("note", "list").out.contains("[conflict]"))
        }

        // A later edit that saw both resolves the conflict everywhere.
        var fix = NoteEdit()
        fix.title = "Trendanalyse rekenen 2025-2026 M"
        _ = try replicaB.editNote(note.id, fix)
        try Exchange.sync(replicaA.store, replicaB.store)
        #expect(try replicaA.status().openConflicts == 0)
        #expect(try replicaA.note(note.id).title == "Trendanalyse rekenen 2025-2026 M")
        #expect(try replicaA.status().stateHash == replicaB.status().stateHash)
    }
}
