import Foundation
import KCModel
import KCReplica
import SyncCore
import SyncProtocol
import SyncStore
import SyncTestKit
import Testing

/// Who may write what, decided by every receiver in its store (DESIGN.md, "Trust"): the board,
/// a school and a relaying peer all refuse the same things, one change at a time, and store
/// the rest.
@Suite struct AuthorityTests {
    final class Board: @unchecked Sendable {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-authority-\(UUID().uuidString)")
        let board: BoardReplica
        let a: KCReplica
        let b: KCReplica

        init() throws {
            board = try BoardReplica.create(in: root.appendingPathComponent("board"), board: "41234")
            let key = Hex.decode(board.publicKeyHex)
            a = try KCReplica.create(in: root.appendingPathComponent("12AB"), school: "12AB", board: "41234", boardKey: key)
            b = try KCReplica.create(in: root.appendingPathComponent("34CD"), school: "34CD", board: "41234", boardKey: key)
            try board.register(school: "12AB", key: a.publicKeyHex)
            try board.register(school: "34CD", key: b.publicKeyHex)
            // The board's statements reach the schools (a session's Members frame does this).
            let statements = try board.store.memberships().map { $0.serialized() }
            for school in [a, b] { try school.store.storeMemberships(statements) }
        }

        deinit { try? FileManager.default.removeItem(at: root) }

        /// What `from` holds of the board scope that `to` lacks, received by `to` one by one.
        @discardableResult
        func deliver(from: ReplicaStore, to: ReplicaStore) throws -> ApplyResult {
            let scope = try Scope.board("41234")
            return try to.receive(try from.changes(in: scope, missingFrom: try to.versionVector(scope)), in: scope)
        }
    }

    @Test func aReactionInAnotherSchoolsNameIsRefusedAtTheWriterAndAtEveryReceiver() throws {
        let f = try Board()
        let advice = try f.board.adviceBook.add(AdviceDraft(period: Period("2025-2026 E")!, subjectArea: .spelling,
                                                            signal: "dalende trend spelling", advice: "Oefen dagelijks.", author: "bestuur"))
        try f.deliver(from: f.board.store, to: f.a.store)
        try f.deliver(from: f.board.store, to: f.b.store)
        #expect(try f.a.adviceBook.advice(advice.id).signal == "dalende trend spelling", "the board's advice is accepted by the schools")

        // 34CD's own replica refuses to write it at all.
        let r = KCSchemas.adviceResponse.name
        var rng = SystemRandomNumberGenerator()
        let forged = ChainForger.assign(EntityID(millis: 1, using: &rng), type: r,
                                        ["advice": .id(advice.id), "school": .text("12AB"), "reaction": .text(AdviceReaction.notApplicable.rawValue)])
        #expect(throws: SyncError.self) {
            try f.b.store.write(in: f.b.boardScope) { builder throws(SyncError) in
                let id = builder.newEntity(type: r)
                try builder.assign(.id(advice.id), to: "advice", of: id, type: r)
                try builder.assign(.text("12AB"), to: "school", of: id, type: r)
                try builder.assign(.text(AdviceReaction.notApplicable.rawValue), to: "reaction", of: id, type: r)
            }
        }
        // Signed by hand with 34CD's key, it is refused by the board and by 12AB; nothing changes.
        var forger = ChainForger(key: f.b.store.key, scope: f.b.boardScope)
        let change = forger.next([forged])
        for receiver in [f.board.store, f.a.store] {
            let before = try receiver.stateHash()
            let result = try receiver.receive([change.serialized()], in: f.b.boardScope)
            #expect(result.refused.map(\.code) == ["notOwner"])
            #expect(try receiver.stateHash() == before)
        }
        // The real 12AB answers for itself: accepted.
        _ = try f.a.respond(to: advice.id, reaction: .seen, comment: "", owner: "kc'er", due: f.a.todayDay + 42)
        #expect(try f.deliver(from: f.a.store, to: f.board.store).refused.isEmpty)
        #expect(try f.board.adviceBook.responses()[advice.id]?.map(\.school) == ["12AB"])
    }

    /// A run of changes whose intermediate signatures were replaced (hash links intact): cut
    /// at every position, the receiver stores exactly the authentic part before the bad one
    /// and refuses the rest of the chain in that batch; the authentic run then completes it,
    /// and what it stored is always what the author signed.
    @Test func invalidIntermediateSignaturesAreRefusedAtEveryCut() throws {
        let f = try Board()
        var forger = ChainForger(key: f.a.store.key, scope: f.a.boardScope)
        var rng = SystemRandomNumberGenerator()
        var authentic: [SignedChange] = []
        for n in 0..<4 {
            let id = EntityID(millis: 1, using: &rng)
            authentic.append(forger.next([ChainForger.assign(id, type: "note", ["school": .text("12AB"), "title": .text("trend \(n)"),
                                                                                  "subject": .text("school")])]))
        }
        for bad in 0..<authentic.count {
            let board = try BoardReplica.create(in: f.root.appendingPathComponent("board-\(bad)"), board: "41234")
            try board.register(school: "12AB", key: f.a.publicKeyHex)
            var run = authentic.map { $0.serialized() }
            run[bad] = ChainForger.resigned(authentic[bad]).serialized()
            let result = try board.store.receive(run, in: f.a.boardScope)
            #expect(result.applied == bad)
            #expect(result.refused.map(\.seq) == Array(UInt64(bad + 1)...UInt64(authentic.count)))
            #expect(result.refused.first?.code == "badSignature")
            // What was stored is byte for byte what the author signed.
            let stored = try board.store.changes(in: board.scope, missingFrom: VersionVector())
            #expect(stored == authentic.prefix(bad).map { $0.serialized() })
            // The authentic run, from wherever, completes it.
            let rest = try board.store.receive(authentic.map { $0.serialized() }, in: f.a.boardScope)
            #expect(rest.refused.isEmpty && rest.applied == authentic.count - bad)
        }
    }

    /// Two replicas of one school may edit the same board copy; another school may not, and a
    /// record's identity fields do not change, not even by its own school.
    @Test func ownershipIsFixedAtCreation() throws {
        let f = try Board()
        var draft = NoteDraft(author: "a", role: .trendAnalyst, category: .trendAnalysis, title: "Trend 12AB")
        draft.subject = .school
        draft.subjectArea = .arithmetic
        let note = try f.a.shareNote(try f.a.addNote(draft).id)
        let copy = try #require(note.boardCopy)
        #expect(try f.deliver(from: f.a.store, to: f.board.store).refused.isEmpty)

        var own = ChainForger(key: f.a.store.key, scope: f.a.boardScope,
                              after: try SignedChange(serialized: try #require(f.a.store.changes(in: f.a.boardScope, missingFrom: VersionVector()).last)))
        let retitle = own.next([ChainForger.assign(copy, type: "note", ["title": .text("Trend 12AB, bijgewerkt")])])
        #expect(try f.board.store.receive([retitle.serialized()], in: f.a.boardScope).refused.isEmpty, "the owner edits")
        let move = own.next([ChainForger.assign(copy, type: "note", ["school": .text("34CD")])])
        #expect(try f.board.store.receive([move.serialized()], in: f.a.boardScope).refused.map(\.code) == ["notOwner"],
                "not even the owner changes an identity field")
        var retype = ChainForger(key: f.b.store.key, scope: f.b.boardScope)
        let asAgreement = retype.next([ChainForger.assign(copy, type: "agreement", ["title": .text("x")])])
        #expect(try f.board.store.receive([asAgreement.serialized()], in: f.b.boardScope).refused.map(\.code) == ["notOwner"])
    }

    /// The school scope takes changes only from that school's replicas: a change of 34CD's key
    /// in school/12AB, and one by a key nobody registered, are refused by 12AB.
    @Test func aSchoolScopeTakesChangesOnlyFromItsOwnReplicas() throws {
        let f = try Board()
        var rng = SystemRandomNumberGenerator()
        let note = ChainForger.assign(EntityID(millis: 1, using: &rng), type: "note", ["title": .text("ingebroken")])
        var other = ChainForger(key: f.b.store.key, scope: f.a.schoolScope)
        var stranger = ChainForger(key: ReplicaKey(), scope: f.a.schoolScope)
        let before = try f.a.store.stateHash()
        let result = try f.a.store.receive([other.next([note]).serialized(), stranger.next([note]).serialized()], in: f.a.schoolScope)
        #expect(result.refused.map(\.code) == ["scopeNotAllowed", "notMember"])
        #expect(result.refused.last?.transient == true, "an unknown key may become a member later")
        #expect(try f.a.store.stateHash() == before)
    }

    /// A replica whose membership arrives after its changes is refused as "not yet": once the
    /// statement is there, the same changes are accepted.
    @Test func aMembershipThatArrivesLaterLetsTheSameChangesIn() throws {
        let f = try Board()
        let laptop = try KCReplica.create(in: f.root.appendingPathComponent("laptop"), school: "12AB", board: "41234")
        var draft = NoteDraft(author: "l", role: .trendAnalyst, category: .trendAnalysis, title: "Van de laptop")
        draft.subject = .school
        draft.subjectArea = .arithmetic
        _ = try laptop.shareNote(try laptop.addNote(draft).id)
        let changes = try laptop.store.changes(in: laptop.boardScope, missingFrom: VersionVector())
        let first = try f.board.store.receive(changes, in: laptop.boardScope)
        #expect(first.refused.map(\.code) == ["notMember"] && first.refused.first?.transient == true)

        try f.a.addPeer(publicKey: laptop.publicKeyHex, url: nil)          // the desktop admits the laptop
        let chain = try f.a.store.membershipChain(for: laptop.store.replicaID).map { $0.serialized() }
        #expect(try f.board.store.storeMemberships(chain) == 1)            // the board already has the desktop's own
        #expect(try f.board.store.receive(changes, in: laptop.boardScope).applied == 1)

        // Statements that vouch for nothing are not stored: one signed by a stranger.
        let junk = SignedMembership(board: "41234", school: "12AB", memberKey: ReplicaKey().publicKey, issuer: ReplicaKey(), issued: 1)
        #expect(try f.board.store.storeMemberships([junk.serialized()]) == 0)
        // Nor may a school's member fill the board's tables: its admissions stop at the limit.
        let flood = (0..<200).map { n in
            SignedMembership(board: "41234", school: "12AB", memberKey: ReplicaKey().publicKey, issuer: f.a.store.key, issued: UInt64(n + 1)).serialized()
        }
        let before = try f.board.store.memberships().count
        try f.board.store.storeMemberships(flood)
        let members = try #require(try f.board.store.trust()).members.values.filter { $0 == "12AB" }.count
        #expect(members == ReplicaStore.maximumMembersAdmittedBySchool)
        #expect(try f.board.store.memberships().count - before == ReplicaStore.maximumMembersAdmittedBySchool - 2)
    }

    /// Revoking the desktop's key at the board takes the laptop it admitted with it; revoking
    /// the laptop alone leaves the desktop. Every receiver follows once the statement arrives.
    @Test func revokingAReplicaTakesWhatOnlyItVouchedFor() throws {
        let f = try Board()
        let laptop = ReplicaKey()
        try f.a.addPeer(publicKey: Hex.encode(laptop.publicKey), url: nil)
        try f.board.store.storeMemberships(try f.a.store.membershipChain(for: laptop.replicaID).map { $0.serialized() })
        #expect(f.board.isMember(laptop.replicaID) && f.board.isMember(f.a.store.replicaID))

        #expect(try f.board.removeReplica(key: Hex.encode(laptop.publicKey)) == "12AB")
        #expect(!f.board.isMember(laptop.replicaID) && f.board.isMember(f.a.store.replicaID))

        let other = ReplicaKey()
        try f.a.addPeer(publicKey: Hex.encode(other.publicKey), url: nil)
        try f.board.store.storeMemberships(try f.a.store.membershipChain(for: other.replicaID).map { $0.serialized() })
        #expect(f.board.isMember(other.replicaID))
        try f.board.removeReplica(key: f.a.publicKeyHex)
        #expect(!f.board.isMember(f.a.store.replicaID) && !f.board.isMember(other.replicaID), "the desktop's admissions go with it")
        // School 34CD learns it from the board's statements.
        try f.b.store.storeMemberships(try f.board.store.memberships().map { $0.serialized() })
        #expect(try f.b.store.trust()?.authority(of: f.a.store.replicaID) == nil)
        #expect(throws: KCError.self) { try f.board.removeReplica(key: Hex.encode(ReplicaKey().publicKey)) }
    }
}
