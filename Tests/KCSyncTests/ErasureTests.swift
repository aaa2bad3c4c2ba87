import Foundation
import GRDB
import KCModel
import KCReplica
import SyncCore
import SyncProtocol
import SyncStore
import SyncTestKit
import Testing

/// Erasure is complete: a record erased at one replica leaves no byte of its content at any
/// replica, also when another replica shared it meanwhile and the changes meet in any order.
@Suite struct ErasureTests {
    final class School: @unchecked Sendable {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-erasure-\(UUID().uuidString)")
        let board: BoardReplica
        let desktop: KCReplica
        let laptop: KCReplica
        let other: KCReplica
        let boardScope = try! Scope.board("41234")
        let schoolScope = try! Scope.school("12AB")

        init() throws {
            board = try BoardReplica.create(in: root.appendingPathComponent("board"), board: "41234")
            let key = Hex.decode(board.publicKeyHex)
            desktop = try KCReplica.create(in: root.appendingPathComponent("desktop"), school: "12AB", board: "41234", boardKey: key)
            laptop = try KCReplica.create(in: root.appendingPathComponent("laptop"), school: "12AB", board: "41234", boardKey: key)
            other = try KCReplica.create(in: root.appendingPathComponent("34CD"), school: "34CD", board: "41234", boardKey: key)
            try board.register(school: "12AB", key: desktop.publicKeyHex)
            try board.register(school: "34CD", key: other.publicKeyHex)
            // The board's statements reach the schools (a session's Members frame does this).
            let statements = try board.store.memberships().map { $0.serialized() }
            for school in [desktop, laptop, other] { try school.store.storeMemberships(statements) }
            try desktop.addPeer(publicKey: laptop.publicKeyHex, url: nil)
        }

        deinit { try? FileManager.default.removeItem(at: root) }

        /// One sync between two replicas, both ways: statements first (as a session's Members
        /// frame), then each scope both hold. Nothing may be refused.
        func link(_ a: ReplicaStore, _ b: ReplicaStore, scopes: [Scope]) throws {
            for (from, to) in [(a, b), (b, a)] {
                try to.storeMemberships(try from.memberships().map { $0.serialized() })
                for scope in scopes {
                    let result = try to.receive(try from.changes(in: scope, missingFrom: try to.versionVector(scope)), in: scope)
                    #expect(result.refused.isEmpty, "\(result.refused)")
                }
            }
        }

        var links: [(String, () throws -> Void)] {
            [("laptop-board", { try self.link(self.laptop.store, self.board.store, scopes: [self.boardScope]) }),
             ("desktop-board", { try self.link(self.desktop.store, self.board.store, scopes: [self.boardScope]) }),
             ("laptop-desktop", { try self.link(self.laptop.store, self.desktop.store, scopes: [self.schoolScope, self.boardScope]) }),
             ("34CD-board", { try self.link(self.other.store, self.board.store, scopes: [self.boardScope]) })]
        }

        /// Every byte of every file of every replica.
        func files(_ places: [String]) -> Data {
            var bytes = Data()
            for place in places {
                let directory = root.appendingPathComponent(place)
                for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] {
                    bytes += (try? Data(contentsOf: directory.appendingPathComponent(name))) ?? Data()
                }
            }
            return bytes
        }
    }

    static func permutations<T>(_ items: [T]) -> [[T]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { i in
            var rest = items
            let first = rest.remove(at: i)
            return permutations(rest).map { [first] + $0 }
        }
    }

    /// The laptop shares a note while the desktop erases it, both offline; then the four links
    /// sync in every order (24), and twice more all round. No byte of the note is left at the
    /// board, at either replica of the school or at the other school; a note shared at the same
    /// time, which nobody erased, is everywhere (the scan sees text).
    @Test(.serialized, arguments: ErasureTests.permutations([0, 1, 2, 3]))
    func shareHereEraseThereLeavesNothingAnywhere(order: [Int]) throws {
        let f = try School()
        let canary = "ERASED-\(UUID().uuidString)"
        let kept = "KEPT-\(UUID().uuidString)"
        var draft = NoteDraft(author: "kc'er", role: .learningCoordinator, category: .learningTeamMeeting, title: "Leerteam \(canary)")
        draft.subject = .learningTeam
        draft.body = "Afspraken \(canary)"
        let note = try f.desktop.addNote(draft)
        draft.title = "Leerteam \(kept)"
        draft.body = "Afspraken \(kept)"
        let other = try f.desktop.addNote(draft)
        try f.links[2].1()                                   // the laptop has both notes
        _ = try f.laptop.shareNote(note.id)                  // offline, the laptop shares one
        _ = try f.laptop.shareNote(other.id)
        _ = try f.desktop.erase(note.id, type: KCSchemas.note.name, reason: "verzoek ouders")   // and the desktop erases it
        for index in order { try f.links[index].1() }
        for _ in 0..<2 { for link in f.links { try link.1() } }

        let everywhere = f.files(["board", "desktop", "laptop", "34CD"])
        #expect(everywhere.range(of: Data(canary.utf8)) == nil, "order \(order.map { f.links[$0].0 }): erased text is left")
        for place in ["board", "34CD"] {
            #expect(f.files([place]).range(of: Data(kept.utf8)) != nil, "the shared note is not at \(place)")
        }
        // The board's view holds the kept copy only.
        let titles = try f.board.store.entityIDs(type: KCSchemas.note.name, in: f.boardScope).compactMap {
            try f.board.store.entityState($0, type: KCSchemas.note.name, in: f.boardScope)?.value(of: "title")?.text
        }
        #expect(titles == ["Leerteam \(kept)"])
        // All four hold the same records in the board scope. (Which erased ids each knows may
        // differ: a replica that got a change already scrubbed never learnt the copy's id.)
        for store in [f.desktop.store, f.laptop.store, f.other.store] {
            #expect(try store.entityIDs(type: KCSchemas.note.name, in: f.boardScope)
                    == f.board.store.entityIDs(type: KCSchemas.note.name, in: f.boardScope))
        }
    }

    /// Another school knows a record's id from the copy's `source`; erasing that id in the board
    /// scope in its own name touches nothing of the owner's.
    @Test func aTombstoneInAnotherSchoolsNameErasesNothing() throws {
        let f = try School()
        var draft = NoteDraft(author: "kc'er", role: .trendAnalyst, category: .trendAnalysis, title: "Analyse rekenen")
        draft.subject = .school
        let note = try f.desktop.addNote(draft)
        _ = try f.desktop.shareNote(note.id)
        try f.links[1].1()
        try f.links[3].1()
        let copy = try #require(try f.desktop.note(note.id).boardCopy)
        // 34CD writes the erasure of the school note's id (learnt from the copy's source).
        try f.other.store.write(in: f.boardScope) { b throws(SyncError) in try b.erase(note.id, type: KCSchemas.note.name) }
        try f.links[3].1()
        try f.links[1].1()
        for store in [f.board.store, f.desktop.store, f.other.store] {
            #expect(try store.entityState(copy, type: KCSchemas.note.name, in: f.boardScope)?.value(of: "title")?.text == "Analyse rekenen")
        }
    }

    /// The board erases any record of its scope by id; every school follows; the log has a line.
    @Test func theBoardErasesARecordOfItsScopeEverywhere() throws {
        let f = try School()
        let canary = "BOARD-ERASED-\(UUID().uuidString)"
        var draft = NoteDraft(author: "kc'er", role: .trendAnalyst, category: .trendAnalysis, title: "Analyse \(canary)")
        draft.subject = .school
        let note = try f.desktop.addNote(draft)
        _ = try f.desktop.shareNote(note.id)
        try f.links[1].1()
        try f.links[3].1()
        let copy = try #require(try f.desktop.note(note.id).boardCopy)
        #expect(f.files(["34CD"]).range(of: Data(canary.utf8)) != nil)
        let record = try f.board.erase(String(copy.hex.suffix(8)), reason: "verzoek school")
        #expect(record.id == copy.hex && record.type == KCSchemas.note.name)
        try f.links[3].1()
        try f.links[1].1()
        #expect(f.files(["board", "34CD"]).range(of: Data(canary.utf8)) == nil)
        #expect(try f.board.erasures().map(\.reason) == ["verzoek school"])
        #expect(throws: KCError.self) { try f.board.erase(String(copy.hex.suffix(8)), reason: " ") }
    }

    /// A name edited out of a note stays in the text's history; a redaction takes it out of
    /// every replica's history and makes the note again, linked, and shared again.
    @Test func aRedactionLeavesTheNameInNoHistory() throws {
        let f = try School()
        let name = "Saskia-\(UUID().uuidString.prefix(8))"
        var draft = NoteDraft(author: "kc'er", role: .learningCoordinator, category: .learningTeamMeeting, title: "Leerteam 6-7")
        draft.subject = .learningTeam
        draft.body = "Afgesproken: meer instructie in groep 7. \(name) neemt het voortouw."
        let note = try f.desktop.addNote(draft)
        _ = try f.desktop.shareNote(note.id)
        for link in f.links { try link.1() }
        #expect(f.files(["board", "34CD", "laptop"]).range(of: Data(name.utf8)) != nil)
        let redacted = try f.desktop.redact(note.id, field: "body", passage: name, reason: "naam van een leerling")
        #expect(redacted.body == "Afgesproken: meer instructie in groep 7. [verwijderd] neemt het voortouw.")
        #expect(redacted.boardCopy != nil, "shared again")
        #expect(try f.desktop.store.entityState(redacted.id, type: KCSchemas.note.name, in: f.schoolScope)?.value(of: "replaces") == .id(note.id))
        for _ in 0..<2 { for link in f.links { try link.1() } }
        #expect(f.files(["board", "34CD", "laptop", "desktop"]).range(of: Data(name.utf8)) == nil)
        #expect(f.files(["34CD"]).range(of: Data("[verwijderd] neemt het voortouw".utf8)) != nil)
        #expect(try f.desktop.erasures().map(\.reason) == ["redactie (body): naam van een leerling"])
        #expect(throws: KCError.self) { _ = try f.desktop.redact(redacted.id, field: "body", passage: "niet aanwezig", reason: "x") }
    }

    /// The erasure log is written in the erasure's transaction: when it cannot be written,
    /// nothing is erased.
    @Test func noLogLineNoErasure() throws {
        let f = try School()
        var draft = NoteDraft(author: "kc'er", role: .careCoordinator, category: .pupilMeeting, title: "Sam, groep 5")
        draft.subject = .pupil
        let note = try f.desktop.addNote(draft)
        let path = f.root.appendingPathComponent("desktop").appendingPathComponent("replica.db").path
        let saboteur = try DatabaseQueue(path: path)
        try saboteur.write { try $0.execute(sql: "CREATE TRIGGER nolog BEFORE INSERT ON erasureLog BEGIN SELECT RAISE(ABORT, 'disk says no'); END") }
        #expect(throws: KCError.self) { _ = try f.desktop.erase(note.id, type: KCSchemas.note.name, reason: "verzoek ouders") }
        #expect(try f.desktop.note(note.id).title == "Sam, groep 5")
        try saboteur.write { try $0.execute(sql: "DROP TRIGGER nolog") }
        _ = try f.desktop.erase(note.id, type: KCSchemas.note.name, reason: "verzoek ouders")
        #expect(try f.desktop.erasures().count == 1)
    }

    /// An erased group keeps its hash, and the hash covers a random salt that went with the
    /// ops: hashing a guess of the content does not confirm it.
    @Test func anErasedGroupsHashConfirmsNoGuess() throws {
        let key = ReplicaKey()
        let entity = EntityID(high: 1, low: 2)
        let ops = EntityOperations(entity: entity, type: "note", operations: [.assign("title", .text("Sam"))])
        var change = SignedChange(scope: try Scope.school("12AB"), seq: 1, timestamp: Timestamp(millis: 1, counter: 0), previous: [],
                                  operations: [ops], key: key)
        let kept = change.groups[0].hash
        change.erase(where: { _ in true })
        #expect(change.groups[0].hash == kept)
        #expect(Hashing.sha256(ops.serialized()) != kept, "the unsalted guess matches")
        let again = SignedChange(scope: try Scope.school("12AB"), seq: 1, timestamp: Timestamp(millis: 1, counter: 0), previous: [],
                                 operations: [ops], key: key)
        #expect(again.groups[0].hash != kept, "two writes of the same ops share a hash")
        try change.verifyPayload()
    }
}
