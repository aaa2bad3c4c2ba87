import BoardServer
import Foundation
import GRDB
import ServiceLifecycle
import Hummingbird
import HummingbirdWSClient
import KCModel
import KCReplica
import Logging
import NIOCore
import NIOWebSocket
import SchoolDaemon
import SwiftProtobuf
import SyncCore
import SyncNet
import SyncProtocol
import SyncStore
import SyncTestKit
import Synchronization
import Testing

/// QUALITY.md 5 and 7 against the real board server: a school with a registered key and a
/// hand-made client that crafts any frame and any signed change, and a fake board with another
/// key. Each attack is refused alone (in the `Ack`, with the session left open), the board's
/// state is unchanged, and the honest schools keep syncing.
@Suite(.serialized) struct HostileClientTests {
    typealias Fixture = BoardServerTests.Fixture

    /// A registered key speaking by hand: completes the handshake with the real session code,
    /// then sends `frames` as they are and collects what the server answers. It listens until
    /// every `Changes` frame it sent has its `Ack`, or an `Error` arrives, or `listen` has passed
    /// (generous, so a loaded machine only makes it slower; with no `Changes` to answer it waits
    /// `quiet` for an error that should not come).
    /// With `ownVector` false it sends no `Vector` of its own: the frames bring one.
    static func hostile(_ f: Fixture, _ url: String, key: ReplicaKey, school: String, memberships: [Data] = [],
                        audience: String? = "board/41234", scopes: [Scope]? = nil,
                        ownVector: Bool = true, frames: [Data], listen: Duration = .seconds(120),
                        quiet: Duration = .milliseconds(1500)) async -> [Data] {
        let owed = FrameForger.changesCount(in: frames)
        let replies = Mutex<[Data]>([])
        _ = try? await WebSocketClient.connect(url: url + "/sync", logger: f.logger) { inbound, outbound, _ in
            var session = SyncSession(role: .client(scopes: scopes ?? [f.board.scope], audience: audience, pinnedServerKey: nil),
                                      key: key, school: school, board: "41234", nonce: SessionRunner.nonce(), memberships: memberships)
            var pending = session.start(now: SessionRunner.now())
            var iterator = inbound.messages(maxSize: 1 << 24).makeAsyncIterator()
            var open = false
            while !open {
                var queue = pending[...]
                pending = []
                while let directive = queue.popFirst() {
                    switch directive {
                    case .send(let bytes): try await outbound.writeBinaryMessage(ByteBuffer(bytes: bytes))
                    case .readMemberships: queue += session.onMemberships([])
                    case .readVectors(let scopes):
                        // Pretend to hold nothing.
                        if ownVector { queue += session.onVectors(Dictionary(uniqueKeysWithValues: scopes.map { ($0, VersionVector()) })) }
                        open = true
                    case .close: return
                    default: break
                    }
                }
                if open { break }
                guard let message = try await iterator.next(), case .binary(let buffer) = message else { return }
                let bytes = Data(buffer.readableBytesView)
                replies.withLock { $0.append(bytes) }
                pending = session.onFrame(bytes, now: SessionRunner.now())
            }
            let handshake = replies.withLock { $0.count }
            for frame in frames { try await outbound.writeBinaryMessage(ByteBuffer(bytes: frame)) }
            // Listen until answered (or the deadline), then close: the answers end with the connection.
            let closer = Task {
                try? await Task.sleep(for: owed == 0 ? quiet : listen)
                try? await outbound.close(.normalClosure, reason: nil)
            }
            defer { closer.cancel() }
            while let message = try await iterator.next() {
                guard case .binary(let buffer) = message else { continue }
                let answered = replies.withLock { all -> Bool in
                    all.append(Data(buffer.readableBytesView))
                    let since = Array(all[handshake...])
                    return FrameForger.errorCode(in: since) != nil || (owed > 0 && FrameForger.ackCount(in: since) >= owed)
                }
                if answered { break }
            }
            try? await outbound.close(.normalClosure, reason: nil)
        }
        return replies.withLock { $0 }
    }

    /// The fixture with both schools pinned to the board's key, and school A's shared note and
    /// figure at the board.
    static func fixtureWithSharedRecords() async throws -> (Fixture, note: EntityID) {
        let f = try Fixture()
        for school in [f.schoolA, f.schoolB] { try school.setBoardKey(f.board.publicKeyHex) }
        var draft = NoteDraft(author: "a", role: .trendAnalyst, category: .trendAnalysis, title: "Gedeeld door 12AB")
        draft.subject = .school
        draft.subjectArea = .arithmetic
        let note = try f.schoolA.shareNote(try f.schoolA.addNote(draft).id)
        return (f, try #require(note.boardCopy))
    }

    @Test func everyCraftedChangeIsRefusedAloneAndTheOthersKeepSyncing() async throws {
        let (f, copy) = try await HostileClientTests.fixtureWithSharedRecords()
        let board = f.board.scope
        let keyB = f.schoolB.store.key
        try await f.withServer { url in
            #expect(await f.sync(f.schoolA, url) == nil)
            #expect(try f.board.store.changeCount(board) == 1)
            let before = try f.board.store.stateHash()
            var rng = SystemRandomNumberGenerator()
            let advice = EntityID(millis: 1, using: &rng)
            let note = EntityID(millis: 1, using: &rng)
            let attacks: [(String, [EntityOperations], String)] = [
                ("erase another school's record", [ChainForger.erase(copy, type: "note")], "notOwner"),
                ("delete another school's record", [ChainForger.delete(copy, type: "note")], "notOwner"),
                ("edit another school's record", [ChainForger.assign(copy, type: "note", ["title": .text("overgenomen door 34CD")])], "notOwner"),
                ("take another school's record", [ChainForger.assign(copy, type: "note", ["school": .text("34CD")])], "notOwner"),
                ("advice as the board", [ChainForger.assign(advice, type: "trendAdvice", ["school": .text(""), "signal": .text("nep"), "period": .text("2025-2026 M")])], "notOwner"),
                ("a note in another school's name", [ChainForger.assign(note, type: "note", ["school": .text("12AB"), "subject": .text("school"), "title": .text("namens 12AB")])], "notOwner"),
                ("a note that does not say what it is about", [ChainForger.assign(note, type: "note", ["school": .text("34CD"), "title": .text("zonder onderwerp")])], "scopeNotAllowed"),
                ("a pupil note", [ChainForger.assign(note, type: "note", ["school": .text("34CD"), "subject": .text("pupil"), "title": .text("PUPIL-CANARY")])], "scopeNotAllowed"),
                ("an unknown record type", [ChainForger.assign(note, type: "pupilFile", ["school": .text("34CD")])], "scopeNotAllowed"),
                ("an unknown field", [ChainForger.assign(note, type: "note", ["school": .text("34CD"), "bsn": .text("123456782")])], "schemaViolation"),
                ("a field that stays at school", [ChainForger.assign(note, type: "note", ["school": .text("34CD"), "subjectRef": .text("Sam de Vries")])], "scopeNotAllowed"),
            ]
            for (what, groups, code) in attacks {
                var forger = ChainForger(key: keyB, scope: board)
                let frames = await HostileClientTests.hostile(f, url, key: keyB, school: "34CD",
                                                              frames: [FrameForger.changes(scope: board, batch: 1, [forger.next(groups)])])
                let refusals = FrameForger.refusals(in: frames)
                #expect(refusals?.map(\.2) == [code], "\(what): \(String(describing: refusals))")
                #expect(FrameForger.errorCode(in: frames) == nil, "\(what): the session stays open")
                #expect(try f.board.store.stateHash() == before, "\(what)")
                // The board's status names what it refused, from whom, and says in Dutch what it means.
                let report = f.board.store.refusalReports().first
                #expect(report?.code == code && report?.link == "34CD" && report?.direction == "received", "\(what)")
                if code == "notOwner" { #expect(report?.message.contains("bij een andere school") == true) }
            }
            // A change for another scope inside a board batch, and one badly signed.
            var school = ChainForger(key: keyB, scope: try .school("34CD"))
            var bad = ChainForger(key: keyB, scope: board)
            let frames = await HostileClientTests.hostile(f, url, key: keyB, school: "34CD", frames: [
                FrameForger.changes(scope: board, batch: 1, [school.next([ChainForger.assign(note, type: "note", ["school": .text("34CD")])])]),
                FrameForger.changes(scope: board, batch: 2, [bad.nextBadlySigned([ChainForger.assign(note, type: "note", ["school": .text("34CD")])])]),
            ])
            #expect(FrameForger.refusalsAll(in: frames).map(\.2) == ["scopeNotAllowed", "badSignature"])
            #expect(try f.board.store.stateHash() == before)
            let bytes = try Data(contentsOf: f.board.directory.appendingPathComponent("replica.db"))
            #expect(bytes.range(of: Data("PUPIL-CANARY".utf8)) == nil)

            // Everyone else keeps syncing: B shares its own note, and A receives it.
            var draft = NoteDraft(author: "b", role: .trendAnalyst, category: .trendAnalysis, title: "Van 34CD zelf")
            draft.subject = .school
            draft.subjectArea = .spelling
            _ = try f.schoolB.shareNote(try f.schoolB.addNote(draft).id)
            #expect(await f.sync(f.schoolB, url) == nil)
            #expect(await f.sync(f.schoolA, url) == nil)
            #expect(try f.schoolA.store.changeCount(f.schoolA.boardScope) == 2)
            #expect(try f.schoolA.store.stateHash(of: [board]) == f.board.store.stateHash(of: [board]))

        }
    }

    /// Remote numbers are checked before any arithmetic: a vector whose seqs add up past 2^64
    /// does not trap the board; a duplicate replica or a seq past 2^63 − 1 is refused.
    @Test func absurdVectorsNeitherTrapNorStopTheBoard() async throws {
        let (f, _) = try await HostileClientTests.fixtureWithSharedRecords()
        let keyB = f.schoolB.store.key
        let big = Limits.maximumSeq
        let replicas = (0..<3).map { _ in ReplicaKey().replicaID }
        try await f.withServer { url in
            let huge = await HostileClientTests.hostile(f, url, key: keyB, school: "34CD", ownVector: false, frames: [
                FrameForger.vector(scope: f.board.scope, entries: replicas.map { ($0, big) })])
            #expect(FrameForger.errorCode(in: huge) == nil)
            let duplicate = await HostileClientTests.hostile(f, url, key: keyB, school: "34CD", ownVector: false, frames: [
                FrameForger.vector(scope: f.board.scope, entries: [(replicas[0], 1), (replicas[0], 2)])])
            #expect(FrameForger.errorCode(in: duplicate) == "malformedFrame")
            let beyond = await HostileClientTests.hostile(f, url, key: keyB, school: "34CD", ownVector: false, frames: [
                FrameForger.vector(scope: f.board.scope, entries: [(replicas[0], UInt64.max)])])
            #expect(FrameForger.errorCode(in: beyond) == "malformedFrame")
            #expect(await f.sync(f.schoolA, url) == nil, "the board still serves")
            let held = try f.board.store.changeCount(f.board.scope)
            #expect(held == 1)
        }
    }

    /// A registered school that sends a deflated batch gets it judged as any batch; one that
    /// sends a small frame inflating past the frame limit (a bomb) has its session ended with
    /// `MALFORMED_FRAME`, and nothing of it is stored; the board still serves.
    @Test func aDeflatedBombEndsOnlyItsSessionAndAnHonestDeflatedBatchIsStored() async throws {
        let (f, _) = try await HostileClientTests.fixtureWithSharedRecords()
        let board = f.board.scope
        let keyB = f.schoolB.store.key
        try await f.withServer { url in
            #expect(await f.sync(f.schoolA, url) == nil)
            let before = try f.board.store.stateHash()
            let bomb = FrameForger.deflatedList([Data(count: 9 * 1024 * 1024)])
            let exploded = await HostileClientTests.hostile(f, url, key: keyB, school: "34CD",
                                                            frames: [FrameForger.deflatedChanges(scope: board, batch: 1, bomb)])
            #expect(bomb.count < 16 * 1024)
            #expect(FrameForger.errorCode(in: exploded) == "malformedFrame")
            #expect(FrameForger.ackCount(in: exploded) == 0)
            #expect(try f.board.store.stateHash() == before)
            // The same school, deflating honestly: three notes of its own arrive.
            var forger = ChainForger(key: keyB, scope: board)
            var rng = SystemRandomNumberGenerator()
            let notes = (0..<3).map { i in
                forger.next([ChainForger.assign(EntityID(millis: 1, using: &rng), type: "note", [
                    "school": .text("34CD"), "subject": .text("school"), "title": .text("Gedeeld door 34CD (\(i))")])]).serialized()
            }
            let honest = await HostileClientTests.hostile(f, url, key: keyB, school: "34CD",
                                                          frames: [FrameForger.deflatedChanges(scope: board, batch: 1, FrameForger.deflatedList(notes))])
            #expect(FrameForger.errorCode(in: honest) == nil)
            #expect(FrameForger.refusals(in: honest)?.isEmpty == true)
            #expect(try f.board.store.changeCount(board) == 4)
            #expect(await f.sync(f.schoolA, url) == nil, "the board still serves")
        }
    }

    /// A server with another key on the board's address gets nothing written into a school
    /// that pinned its board's key.
    @Test func aFakeBoardGetsNothingIntoASchool() async throws {
        let (f, _) = try await HostileClientTests.fixtureWithSharedRecords()
        let fake = try BoardReplica.create(in: f.root.appendingPathComponent("fake"), board: "41234")
        try fake.register(school: "12AB", key: f.schoolA.publicKeyHex)
        _ = try fake.adviceBook.add(AdviceDraft(period: Period("2025-2026 M")!, subjectArea: .arithmetic, signal: "nep", advice: "FAKE-CANARY", author: "nep"))
        let before = try f.schoolA.store.stateHash()
        let port = Mutex<Int?>(nil)
        let app = try buildBoardApplication(board: fake, host: "127.0.0.1", port: 0, logger: f.logger, onServerRunning: { p in port.withLock { $0 = p } })
        let server = Task { try await app.runService() }
        defer { server.cancel() }
        for _ in 0..<100 where port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(20)) }
        let url = "ws://127.0.0.1:\(try #require(port.withLock { $0 }))"
        let outcome = await f.sync(f.schoolA, url)
        #expect(outcome?.contains("pinned") == true, "\(String(describing: outcome))")
        #expect(try f.schoolA.store.stateHash() == before)
        let bytes = try Data(contentsOf: f.schoolA.directory.appendingPathComponent("replica.db"))
        #expect(bytes.range(of: Data("FAKE-CANARY".utf8)) == nil)
    }

    /// Removing a school at the board revokes its keys, and its open session closes at once.
    @Test func aRemovedSchoolsOpenSessionIsClosed() async throws {
        let f = try Fixture()
        try await f.withServer { url in
            let ended = Mutex<LinkOutcome?>(nil)
            let link = Task {
                let outcome = await LinkService.syncOnce(replica: f.schoolB, target: .board(url: url), notifier: ChangeNotifier(),
                                                         logger: f.logger, status: nil, stopWhenCaughtUp: false)
                ended.withLock { $0 = outcome }
            }
            defer { link.cancel() }
            try await Task.sleep(for: .milliseconds(800))
            #expect(ended.withLock { $0 } == nil, "the live session is open")
            try f.board.remove(school: "34CD")
            for _ in 0..<50 where ended.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(100)) }
            let outcome = try #require(ended.withLock { $0 }, "the session closed within 5 s")
            #expect(outcome.error?.contains("unauthorized") == true, "\(String(describing: outcome.error))")
            #expect(await f.sync(f.schoolB, url)?.contains("unauthorized") == true, "and the school gets nothing more")
            #expect(await f.sync(f.schoolA, url) == nil, "the other school still syncs")
        }
    }

    /// A laptop admitted only with `peer add` at the desktop shares a note directly with the
    /// board and relayed through the desktop; it reaches the other school; an erasure written
    /// at the desktop afterwards reaches the board and the other school.
    @Test func aLaptopAdmittedWithPeerAddSyncsDirectlyAndRelayed() async throws {
        let f = try Fixture()
        let laptop = try KCReplica.create(in: f.root.appendingPathComponent("laptop"), school: "12AB", board: "41234")
        try await f.withServer { url in
            #expect(await f.sync(f.schoolA, url) == nil)      // the desktop learns the board's key and its own membership
            try f.schoolA.addPeer(publicKey: laptop.publicKeyHex, url: nil)
            // The desktop listens for its peers; the laptop knows the desktop's key and address.
            try await HostileClientTests.withPeerListener(f, f.schoolA) { peerURL in
                let desktop = try laptop.addPeer(publicKey: f.schoolA.publicKeyHex, url: peerURL)
                #expect(await LinkService.syncOnce(replica: laptop, target: .peer(desktop), notifier: ChangeNotifier(), logger: f.logger,
                                                   status: nil, stopWhenCaughtUp: true).error == nil)
                #expect(laptop.boardKey?.key == f.board.publicKeyHex, "the laptop learnt the board's key from its desktop")

                // Directly: the laptop shares a note and syncs with the board itself.
                var draft = NoteDraft(author: "l", role: .trendAnalyst, category: .trendAnalysis, title: "Van de laptop")
                draft.subject = .school
                draft.subjectArea = .arithmetic
                let direct = try laptop.shareNote(try laptop.addNote(draft).id)
                #expect(await f.sync(laptop, url) == nil)
                // Relayed: a second note goes laptop → desktop → board.
                draft.title = "Via de desktop"
                let relayed = try laptop.shareNote(try laptop.addNote(draft).id)
                #expect(await LinkService.syncOnce(replica: laptop, target: .peer(desktop), notifier: ChangeNotifier(), logger: f.logger,
                                                   status: nil, stopWhenCaughtUp: true).error == nil)
                #expect(await f.sync(f.schoolA, url) == nil)
                #expect(await f.sync(f.schoolB, url) == nil)
                let titles = try f.schoolB.store.read { db in try String.fetchAll(db, sql: "SELECT title FROM record_note") }
                #expect(Set(titles) == ["Van de laptop", "Via de desktop"], "\(titles)")
                #expect(f.board.store.refusalReports().isEmpty)

                // The desktop takes the laptop's note off the board (it holds the school record too).
                _ = try f.schoolA.unshareNote(direct.id)
                #expect(await f.sync(f.schoolA, url) == nil)
                #expect(await f.sync(f.schoolB, url) == nil)
                for store in [f.board.store, f.schoolB.store] {
                    let left = try store.read { db in try String.fetchAll(db, sql: "SELECT title FROM record_note") }
                    #expect(left == ["Via de desktop"])
                }
                _ = relayed
            }
        }
    }

    /// Runs `body` with `replica`'s peer listener on a free loopback port.
    static func withPeerListener(_ f: Fixture, _ replica: KCReplica, _ body: (String) async throws -> Void) async throws {
        let port = Mutex<Int?>(nil)
        let listener = try SchoolDaemon.peerApplication(replica: replica, host: "127.0.0.1", port: 0, notifier: ChangeNotifier(),
                                                        status: StatusFile(directory: replica.directory), logger: f.logger,
                                                        onServerRunning: { p in port.withLock { $0 = p } })
        let serving = Task { try await listener.run() }
        defer { serving.cancel() }
        for _ in 0..<100 where port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(20)) }
        try await body("ws://127.0.0.1:\(try #require(port.withLock { $0 }))")
    }

    /// A replica restored from a copy of its own directory (a backup, a VM snapshot) finds
    /// that the board holds more of its chain than it does, moves to a new identity on its own,
    /// takes back what it had written after the copy, and syncs on: its new notes reach the
    /// board and the other school. One that wrote before it synced (the same seq as the board
    /// holds, another change) notices from the board's tip hash, and syncs on all the same.
    @Test func aReplicaRestoredFromACopyRecoversAndSyncsOn() async throws {
        let f = try Fixture()
        try await f.withServer { url in
            #expect(await f.sync(f.schoolA, url) == nil)
            let old = f.schoolA.store.replicaID
            var draft = NoteDraft(author: "a", role: .trendAnalyst, category: .trendAnalysis, title: "Voor de kopie")
            draft.subject = .school
            draft.subjectArea = .arithmetic
            _ = try f.schoolA.shareNote(try f.schoolA.addNote(draft).id)
            #expect(await f.sync(f.schoolA, url) == nil)
            f.schoolA.store.truncateLog()
            let copies = [f.root.appendingPathComponent("restored"), f.root.appendingPathComponent("restored-and-written")]
            for copy in copies { try FileManager.default.copyItem(at: f.schoolA.directory, to: copy) }
            draft.title = "Na de kopie"
            _ = try f.schoolA.shareNote(try f.schoolA.addNote(draft).id)
            #expect(await f.sync(f.schoolA, url) == nil)      // the board holds the newer part of the chain

            // Restored, and started before writing anything: nothing is lost.
            let restored = try KCReplica.open(directory: copies[0])
            #expect(restored.store.replicaID == old)
            #expect(await f.sync(restored, url) == nil)
            #expect(restored.store.replicaID != old, "it moved to a new identity")
            #expect(try restored.store.formerIdentities().map(\.replica) == [old])
            let titles = try restored.store.read { db in try String.fetchAll(db, sql: "SELECT title FROM record_note WHERE scope = (SELECT id FROM scope WHERE name = 'board/41234') ORDER BY title") }
            #expect(titles == ["Na de kopie", "Voor de kopie"], "it took back what it wrote after the copy")
            draft.title = "Na het terugzetten"
            _ = try restored.shareNote(try restored.addNote(draft).id)
            #expect(await f.sync(restored, url) == nil)
            #expect(await f.sync(f.schoolB, url) == nil)
            let atB = try f.schoolB.store.read { db in try String.fetchAll(db, sql: "SELECT title FROM record_note ORDER BY title") }
            #expect(atB == ["Na de kopie", "Na het terugzetten", "Voor de kopie"])

            // Restored, and written before it synced: the link goes on all the same.
            let written = try KCReplica.open(directory: copies[1])
            draft.title = "Geschreven na het terugzetten"
            _ = try written.shareNote(try written.addNote(draft).id)
            #expect(await f.sync(written, url) == nil)
            #expect(written.store.replicaID != old)
            draft.title = "Daarna"
            _ = try written.shareNote(try written.addNote(draft).id)
            #expect(await f.sync(written, url) == nil)
            #expect(await f.sync(f.schoolB, url) == nil)
            let later = try f.schoolB.store.read { db in try String.fetchAll(db, sql: "SELECT title FROM record_note WHERE title = 'Daarna'") }
            #expect(later == ["Daarna"], "its new notes reach the other school")
        }
    }

    /// The same checks at a school daemon's peer listener: a registered peer (the laptop) may
    /// not relay what 12AB may not accept, a key the board certified for another school does
    /// not become 12AB's by saying so in `Hello`, and an unknown key gets nothing.
    @Test func aSchoolsPeerListenerRefusesWhatTheBoardWould() async throws {
        let (f, _) = try await HostileClientTests.fixtureWithSharedRecords()
        let laptop = ReplicaKey()
        let copy = Mutex<EntityID?>(nil)
        try await f.withServer { url in
            #expect(await f.sync(f.schoolA, url) == nil)
            var draft = NoteDraft(author: "b", role: .trendAnalyst, category: .trendAnalysis, title: "Van 34CD")
            draft.subject = .school
            draft.subjectArea = .spelling
            copy.withLock { $0 = try? f.schoolB.shareNote(try f.schoolB.addNote(draft).id).boardCopy }
            #expect(await f.sync(f.schoolB, url) == nil)
            #expect(await f.sync(f.schoolA, url) == nil)
            try f.schoolA.addPeer(publicKey: Hex.encode(laptop.publicKey), url: nil)
            try f.schoolA.addPeer(publicKey: f.schoolB.publicKeyHex, url: nil)      // IT's mistake: 34CD's key as a peer
        }
        try await HostileClientTests.withPeerListener(f, f.schoolA) { url in
            let theirs = try #require(copy.withLock { $0 })
            let audience = "replica/\(f.schoolA.store.replicaID.hex)"
            let scopes = [f.schoolA.schoolScope, f.schoolA.boardScope]
            let before = try f.schoolA.store.stateHash()
            var rng = SystemRandomNumberGenerator()
            var onBoard = ChainForger(key: laptop, scope: f.schoolA.boardScope)
            var stranger = ChainForger(key: ReplicaKey(), scope: f.schoolA.schoolScope)
            var elsewhere = ChainForger(key: laptop, scope: try .school("34CD"))
            let note = EntityID(millis: 1, using: &rng)
            let frames = await HostileClientTests.hostile(f, url, key: laptop, school: "12AB", audience: audience, scopes: scopes, frames: [
                FrameForger.changes(scope: f.schoolA.boardScope, batch: 1, [onBoard.next([ChainForger.assign(theirs, type: "note", ["title": .text("door de laptop")])])]),
                FrameForger.changes(scope: f.schoolA.schoolScope, batch: 1, [stranger.next([ChainForger.assign(note, type: "note", ["title": .text("vreemd")])])]),
                FrameForger.changes(scope: f.schoolA.schoolScope, batch: 2, [elsewhere.next([ChainForger.assign(note, type: "note", ["title": .text("elders")])])]),
            ])
            #expect(FrameForger.errorCode(in: frames) == nil)
            #expect(FrameForger.refusalsAll(in: frames).map(\.2) == ["notOwner", "notMember", "scopeNotAllowed"])
            #expect(try f.schoolA.store.stateHash() == before)

            // 34CD's key, registered here by mistake, says it is 12AB: its certificate says otherwise.
            let claim = await HostileClientTests.hostile(f, url, key: f.schoolB.store.key, school: "12AB", audience: audience, scopes: scopes, frames: [])
            #expect(FrameForger.errorCode(in: claim) == "unauthorized")
            let unknown = await HostileClientTests.hostile(f, url, key: ReplicaKey(), school: "12AB", audience: audience, scopes: scopes, frames: [])
            #expect(FrameForger.errorCode(in: unknown) == "unauthorized")
        }
    }
}
