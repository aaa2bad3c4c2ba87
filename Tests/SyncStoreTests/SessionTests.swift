import Foundation
import GRDB
import SyncCore
import SyncProtocol
import SyncStore
import SyncTestKit
import Testing

/// The session state machine, run by the production `SessionRunner` over an in-memory
/// transport, with real stores.
@Suite struct SessionTests {
    let clock = ManualClock()

    func replica(_ scopes: [Scope]) throws -> ReplicaStore { try makeReplica(clock: clock, scopes: scopes) }

    /// A school replica connecting to its board (which grants the board scope only).
    func boardLink(_ school: ReplicaStore, _ board: ReplicaStore, registered: Bool = true,
                   audience: String = "board/41234", serverAudience: String = "board/41234") throws -> (SessionEndpoint, SessionEndpoint) {
        let client = try SessionEndpoint(store: school, role: .client(scopes: [SessionTests.school, SessionTests.board], audience: audience, pinnedServerKey: nil),
                                         school: "12AB", board: "41234", now: clock.closure)
        let server = try SessionEndpoint(store: board, role: .server(audience: serverAudience), school: "", board: "41234", now: clock.closure,
                                         authorize: { _ in registered ? [SessionTests.board] : nil })
        return (client, server)
    }

    /// Two replicas of one school: both scopes.
    func peerLink(_ a: ReplicaStore, _ b: ReplicaStore) throws -> (SessionEndpoint, SessionEndpoint) {
        let client = try SessionEndpoint(store: a, role: .client(scopes: [SessionTests.school, SessionTests.board], audience: nil, pinnedServerKey: nil),
                                         school: "12AB", board: "41234", now: clock.closure)
        let server = try SessionEndpoint(store: b, role: .server(audience: "replica/\(b.replicaID.hex)"), school: "12AB", board: "41234",
                                         now: clock.closure, authorize: { peer in peer.school == "12AB" ? [SessionTests.school, SessionTests.board] : nil })
        return (client, server)
    }

    static let school = try! Scope.school("12AB")
    static let board = try! Scope.board("41234")

    @Test func peersSyncBothScopesAndReportCaughtUp() async throws {
        let a = try replica([SessionTests.school, SessionTests.board]), b = try replica([SessionTests.school, SessionTests.board])
        for i in 0..<30 { try writeNote(a, title: "a\(i)", in: i % 3 == 0 ? SessionTests.board : SessionTests.school) }
        for i in 0..<5 { try writeNote(b, title: "b\(i)") }
        let (client, server) = try peerLink(a, b)
        let outcome = await SessionLink.run(client, server)
        #expect(client.error == nil && server.error == nil && !outcome.timedOut)
        #expect(client.caughtUp && server.caughtUp)
        #expect(try a.stateHash() == b.stateHash())
        #expect(try a.versionVector(SessionTests.school) == b.versionVector(SessionTests.school))
        #expect(client.established?.replica == b.replicaID)
        #expect(server.established?.replica == a.replicaID)
    }

    @Test func theBoardNeverReceivesASchoolScope() async throws {
        let school = try replica([SessionTests.school, SessionTests.board]), board = try replica([SessionTests.board])
        try writeNote(school, title: "alleen op school")
        try writeNote(school, title: "gedeeld", in: SessionTests.board)
        let (client, server) = try boardLink(school, board)
        await SessionLink.run(client, server)
        #expect(client.caughtUp)
        #expect(try board.scopes() == [SessionTests.board])
        #expect(try board.changeCount(SessionTests.board) == 1)
        #expect(try board.stateHash(of: [SessionTests.board]) == school.stateHash(of: [SessionTests.board]))
    }

    @Test func aSteadyStateSyncIsOneRoundTripAndItsBytesDoNotGrowWithHistory() async throws {
        func agreedSync(history: Int) async throws -> (bytes: Int, roundTrips: Int) {
            let a = try replica([SessionTests.school, SessionTests.board]), b = try replica([SessionTests.school, SessionTests.board])
            for i in 0..<history { try writeNote(a, title: "n\(i)") }
            try writeNote(b, title: "b")
            let (c1, s1) = try peerLink(a, b)
            await SessionLink.run(c1, s1)
            #expect(try a.stateHash() == b.stateHash())
            let (c2, s2) = try peerLink(a, b)
            let outcome = await SessionLink.run(c2, s2)
            #expect(c2.caughtUp && s2.caughtUp)
            // Handshake (Hello → Challenge, Authenticate → Welcome) plus the vector exchange.
            return (c2.bytesSent + s2.bytesSent, outcome.roundTrips)
        }
        let small = try await agreedSync(history: 5)
        let large = try await agreedSync(history: 300)
        // Only the varint width of the seq numbers may differ (a byte per vector entry).
        #expect(abs(small.bytes - large.bytes) <= 4, "\(small.bytes) vs \(large.bytes) bytes")
        #expect(large.bytes < 1_000)
        #expect(large.roundTrips == 3)          // 2 for the handshake, 1 for the vectors
    }

    @Test func localChangesArePushedLive() async throws {
        let a = try replica([SessionTests.school, SessionTests.board]), b = try replica([SessionTests.school, SessionTests.board])
        let (client, server) = try peerLink(a, b)
        try await SessionLink.live(client, server) { _ in
            try writeNote(b, title: "live")
            server.localChange(SessionTests.school)
            try await SessionLink.until { try a.changeCount(SessionTests.school) == 1 }
        }
        #expect(try a.stateHash() == b.stateHash())
        #expect(client.error == nil && server.error == nil)
    }

    @Test func nothingAPeerSentIsSentBackToIt() async throws {
        let a = try replica([SessionTests.school, SessionTests.board]), b = try replica([SessionTests.school, SessionTests.board])
        let (client, server) = try peerLink(a, b)
        try await SessionLink.live(client, server) { _ in
            try writeNote(a, title: "van a")
            client.localChange(SessionTests.school)
            try await SessionLink.until { try b.changeCount(SessionTests.school) == 1 }
            #expect(server.changesSent == 0)
            // b's vector moved, so b's daemon tells every session, the one that brought it too;
            // then b writes a change of its own. Notifications are handled in order, so once
            // b's own change is at a, the first one has been handled too.
            server.localChange(SessionTests.school)
            try writeNote(b, title: "van b")
            server.localChange(SessionTests.school)
            try await SessionLink.until { try a.changeCount(SessionTests.school) == 2 }
            #expect(server.changesSent == 1, "b sent a's own change back to a")
        }
        #expect(try a.stateHash() == b.stateHash())
    }

    @Test func anUnregisteredKeyGetsNothing() async throws {
        let school = try replica([SessionTests.school, SessionTests.board]), board = try replica([SessionTests.board])
        try writeNote(school, title: "x", in: SessionTests.board)
        let (client, server) = try boardLink(school, board, registered: false)
        await SessionLink.run(client, server)
        #expect(client.error?.code == .unauthorized)
        #expect(client.error?.remote == true)
        #expect(try board.changeCount(SessionTests.board) == 0)
    }

    @Test func aClientRefusesTheWrongServer() async throws {
        let school = try replica([SessionTests.school, SessionTests.board]), board = try replica([SessionTests.board])
        let (client, server) = try boardLink(school, board, serverAudience: "board/99999")
        await SessionLink.run(client, server)
        #expect(client.error?.code == .unauthorized)
        #expect(client.established == nil)
    }

    @Test func aCapturedHandshakeCannotBeReplayed() async throws {
        let school = try replica([SessionTests.school, SessionTests.board]), board = try replica([SessionTests.board])
        let (client, server) = try boardLink(school, board)
        // Record what the client sends in a real session.
        await SessionLink.run(client, server)
        #expect(client.established != nil)
        let captured = client.sentFrames.filter { ["hello", "authenticate"].contains(SessionLink.kind(of: $0)) }
        #expect(captured.count == 2)
        // A new session at the server (fresh nonce) gets the captured frames.
        let (_, fresh) = try boardLink(school, board)
        _ = await SessionLink.script(fresh, frames: captured)
        #expect(fresh.error?.code == .unauthorized)
        #expect(fresh.established == nil)
    }

    /// A connection reset under a live session (a school's laptop closed, a proxy restarted)
    /// is the connection going, not the peer's fault: neither side reports an error, and no
    /// `FRAME_TOO_LARGE` lands in the logs (every failed read was once taken for an oversized
    /// frame, so W5's 66 ordinary disconnects each logged one).
    @Test func aResetConnectionIsNotAnOversizedFrame() async throws {
        let school = try replica([SessionTests.school, SessionTests.board]), board = try replica([SessionTests.board])
        _ = try writeNote(school, title: "voor de reset", in: SessionTests.board)
        let (client, server) = try boardLink(school, board)
        try await SessionLink.live(client, server) { wire in wire.drop(reset: true) }
        #expect(client.established != nil)
        #expect(server.error == nil)
        #expect(client.error == nil)
        #expect(try board.changeCount(SessionTests.board) == 1)
    }

    @Test func garbledAndOversizedFramesCloseOnlyThatSession() async throws {
        let school = try replica([SessionTests.school, SessionTests.board]), board = try replica([SessionTests.board])
        let (_, server) = try boardLink(school, board)
        _ = await SessionLink.script(server, frames: [Data([0xFF, 0x01, 0x02])])
        #expect(server.error?.code == .malformedFrame)
        let (_, other) = try boardLink(school, board)
        _ = await SessionLink.script(other, frames: [Data(count: SessionLimits.standard.maximumFrameBytes + 1)])
        #expect(other.error?.code == .frameTooLarge)
        // Before Welcome, even a frame within the big limit is too large.
        let (_, early) = try boardLink(school, board)
        _ = await SessionLink.script(early, frames: [Data(count: SessionLimits.standard.maximumPreAuthFrameBytes + 1)])
        #expect(early.error?.code == .frameTooLarge)
        // The board still serves a well-behaved school.
        try writeNote(school, title: "ok", in: SessionTests.board)
        let (client, good) = try boardLink(school, board)
        await SessionLink.run(client, good)
        #expect(try board.changeCount(SessionTests.board) == 1)
    }

    /// A change with a clock too far ahead is delayed, not fatal: the receiver refuses that
    /// change alone (as one that may pass later), stores the rest of the batch, keeps the
    /// session open, and takes it in once its own clock has caught up.
    @Test func aClockAheadDelaysOnlyThatChangeAndNeverStopsTheLink() async throws {
        let school = try replica([SessionTests.school, SessionTests.board])
        let boardClock = ManualClock(millis: clock.now)
        try writeNote(school, title: "op tijd", in: SessionTests.board)
        clock.advance(by: 3_600_000)     // then the school's clock jumps an hour ahead of the board's
        try writeNote(school, title: "te ver vooruit", in: SessionTests.board)
        let slowBoard = try ReplicaStore.inMemory(schemas: SampleSchemas.all, wallClock: boardClock.closure)
        try slowBoard.addScope(SessionTests.board)
        let (client, server) = try boardLink(school, slowBoard)
        let outcome = await SessionLink.run(client, server)
        #expect(server.error == nil && client.error == nil && !outcome.timedOut, "the session stays open")
        #expect(client.caughtUp, "the refused change counts as answered")
        #expect(try slowBoard.changeCount(SessionTests.board) == 1, "the change on time is stored")
        #expect(server.refused.map(\.code) == ["clockSkew"])
        #expect(server.refused.first?.transient == true)

        boardClock.advance(by: 3_600_000)
        let (again, later) = try boardLink(school, slowBoard)
        await SessionLink.run(again, later)
        #expect(try slowBoard.changeCount(SessionTests.board) == 2)
        #expect(try slowBoard.versionVector(SessionTests.board) == school.versionVector(SessionTests.board))
    }

    /// A storage failure is never a silent empty answer: the session ends with `INTERNAL` and
    /// the peer hears why.
    @Test func aStorageFailureEndsTheSessionWithInternal() async throws {
        let dir = try TemporaryDirectory()
        let school = try replica([SessionTests.school, SessionTests.board])
        try writeNote(school, title: "gedeeld", in: SessionTests.board)
        let board = try ReplicaStore.open(path: dir.path("board.db"), schemas: SampleSchemas.all, wallClock: clock.closure)
        try board.addScope(SessionTests.board)
        // Another process breaks the board's database under it.
        let vandal = try DatabaseQueue(path: dir.path("board.db"))
        try await vandal.write { db in try db.execute(sql: "DROP TABLE head") }
        let (client, server) = try boardLink(school, board)
        await SessionLink.run(client, server)
        #expect(server.error?.code == .internalError, "\(String(describing: server.error))")
        #expect(client.error?.code == .internalError && client.error?.remote == true, "\(String(describing: client.error)) \(server.sentFrames.map { SessionLink.kind(of: $0) }) \(client.sentFrames.map { SessionLink.kind(of: $0) })")
        #expect(!client.caughtUp)
    }
}
