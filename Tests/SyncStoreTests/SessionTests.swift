import Foundation
import SyncCore
import SyncProtocol
import SyncStore
import SyncTestKit
import Testing

/// The session state machine, driven over an in-memory link with real stores.
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

    @Test func peersSyncBothScopesAndReportCaughtUp() throws {
        let a = try replica([SessionTests.school, SessionTests.board]), b = try replica([SessionTests.school, SessionTests.board])
        for i in 0..<30 { try writeNote(a, title: "a\(i)", in: i % 3 == 0 ? SessionTests.board : SessionTests.school) }
        for i in 0..<5 { try writeNote(b, title: "b\(i)") }
        let (client, server) = try peerLink(a, b)
        SessionLink.run(client, server)
        #expect(client.closed == nil && server.closed == nil)
        #expect(client.caughtUp && server.caughtUp)
        #expect(try a.stateHash() == b.stateHash())
        #expect(try a.versionVector(SessionTests.school) == b.versionVector(SessionTests.school))
        #expect(client.established?.replica == b.replicaID)
        #expect(server.established?.replica == a.replicaID)
    }

    @Test func theBoardNeverReceivesASchoolScope() throws {
        let school = try replica([SessionTests.school, SessionTests.board]), board = try replica([SessionTests.board])
        try writeNote(school, title: "alleen op school")
        try writeNote(school, title: "gedeeld", in: SessionTests.board)
        let (client, server) = try boardLink(school, board)
        SessionLink.run(client, server)
        #expect(client.caughtUp)
        #expect(try board.scopes() == [SessionTests.board])
        #expect(try board.changeCount(SessionTests.board) == 1)
        #expect(try board.stateHash(of: [SessionTests.board]) == school.stateHash(of: [SessionTests.board]))
    }

    @Test func aSteadyStateSyncIsOneRoundTripAndItsBytesDoNotGrowWithHistory() throws {
        func agreedSync(history: Int) throws -> (bytes: Int, roundTrips: Int) {
            let a = try replica([SessionTests.school, SessionTests.board]), b = try replica([SessionTests.school, SessionTests.board])
            for i in 0..<history { try writeNote(a, title: "n\(i)") }
            try writeNote(b, title: "b")
            let (c1, s1) = try peerLink(a, b)
            SessionLink.run(c1, s1)
            #expect(try a.stateHash() == b.stateHash())
            let (c2, s2) = try peerLink(a, b)
            let outcome = SessionLink.run(c2, s2)
            #expect(c2.caughtUp && s2.caughtUp)
            // Handshake (Hello → Challenge, Authenticate → Welcome) plus the vector exchange.
            return (c2.bytesSent + s2.bytesSent, outcome.roundTrips)
        }
        let small = try agreedSync(history: 5)
        let large = try agreedSync(history: 300)
        // Only the varint width of the seq numbers may differ (a byte per vector entry).
        #expect(abs(small.bytes - large.bytes) <= 4, "\(small.bytes) vs \(large.bytes) bytes")
        #expect(large.bytes < 1_000)
        #expect(large.roundTrips == 3)          // 2 for the handshake, 1 for the vectors
    }

    @Test func localChangesArePushedLive() throws {
        let a = try replica([SessionTests.school, SessionTests.board]), b = try replica([SessionTests.school, SessionTests.board])
        let (client, server) = try peerLink(a, b)
        SessionLink.run(client, server)
        try writeNote(b, title: "live")
        server.localChange(SessionTests.school)
        SessionLink.run(client, server)
        #expect(try a.stateHash() == b.stateHash())
        #expect(try a.changeCount(SessionTests.school) == 1)
    }

    @Test func nothingAPeerSentIsSentBackToIt() throws {
        let a = try replica([SessionTests.school, SessionTests.board]), b = try replica([SessionTests.school, SessionTests.board])
        let (client, server) = try peerLink(a, b)
        SessionLink.run(client, server)
        try writeNote(a, title: "van a")
        client.localChange(SessionTests.school)
        SessionLink.run(client, server)
        #expect(try b.changeCount(SessionTests.school) == 1)
        // b's vector moved, so b's daemon tells every session, the one that brought it too.
        let (serverFrames, clientFrames) = (server.framesSent, client.framesSent)
        server.localChange(SessionTests.school)
        SessionLink.run(client, server)
        #expect(server.framesSent == serverFrames, "b sent a's own change back to a")
        #expect(client.framesSent == clientFrames)
        // What b writes itself still goes to a.
        try writeNote(b, title: "van b")
        server.localChange(SessionTests.school)
        SessionLink.run(client, server)
        #expect(try a.stateHash() == b.stateHash())
    }

    @Test func anUnregisteredKeyGetsNothing() throws {
        let school = try replica([SessionTests.school, SessionTests.board]), board = try replica([SessionTests.board])
        try writeNote(school, title: "x", in: SessionTests.board)
        let (client, server) = try boardLink(school, board, registered: false)
        SessionLink.run(client, server)
        #expect(client.closed??.code == .unauthorized)
        #expect(client.closed??.remote == true)
        #expect(try board.changeCount(SessionTests.board) == 0)
    }

    @Test func aClientRefusesTheWrongServer() throws {
        let school = try replica([SessionTests.school, SessionTests.board]), board = try replica([SessionTests.board])
        let (client, server) = try boardLink(school, board, serverAudience: "board/99999")
        SessionLink.run(client, server)
        #expect(client.closed??.code == .unauthorized)
        #expect(client.established == nil)
    }

    @Test func aCapturedHandshakeCannotBeReplayed() throws {
        let school = try replica([SessionTests.school, SessionTests.board]), board = try replica([SessionTests.board])
        let (client, server) = try boardLink(school, board)
        // Record what the client sends in a real session.
        client.start()
        let hello = client.takeOutbox()
        for frame in hello { server.deliver(frame) }
        for frame in server.takeOutbox() { client.deliver(frame) }
        let authenticate = client.takeOutbox()
        // A new session at the server (fresh nonce) gets the captured frames.
        let (_, fresh) = try boardLink(school, board)
        for frame in hello + authenticate { fresh.deliver(frame) }
        #expect(fresh.closed??.code == .unauthorized)
        #expect(fresh.established == nil)
    }

    @Test func garbledAndOversizedFramesCloseOnlyThatSession() throws {
        let school = try replica([SessionTests.school, SessionTests.board]), board = try replica([SessionTests.board])
        let (_, server) = try boardLink(school, board)
        server.deliver(Data([0xFF, 0x01, 0x02]))
        #expect(server.closed??.code == .malformedFrame)
        let (_, other) = try boardLink(school, board)
        other.deliver(Data(count: SessionLimits.standard.maximumFrameBytes + 1))
        #expect(other.closed??.code == .frameTooLarge)
        // The board still serves a well-behaved school.
        try writeNote(school, title: "ok", in: SessionTests.board)
        let (client, good) = try boardLink(school, board)
        SessionLink.run(client, good)
        #expect(try board.changeCount(SessionTests.board) == 1)
    }

    /// A change with a clock too far ahead is delayed, not fatal: the receiver refuses that
    /// change alone (as one that may pass later), stores the rest of the batch, keeps the
    /// session open, and takes it in once its own clock has caught up.
    @Test func aClockAheadDelaysOnlyThatChangeAndNeverStopsTheLink() throws {
        let school = try replica([SessionTests.school, SessionTests.board])
        let boardClock = ManualClock(millis: clock.now)
        try writeNote(school, title: "op tijd", in: SessionTests.board)
        clock.advance(by: 3_600_000)     // then the school's clock jumps an hour ahead of the board's
        try writeNote(school, title: "te ver vooruit", in: SessionTests.board)
        let slowBoard = try ReplicaStore.inMemory(schemas: SampleSchemas.all, wallClock: boardClock.closure)
        try slowBoard.addScope(SessionTests.board)
        let (client, server) = try boardLink(school, slowBoard)
        SessionLink.run(client, server)
        #expect(server.closed == nil && client.closed == nil, "the session stays open")
        #expect(try slowBoard.changeCount(SessionTests.board) == 1, "the change on time is stored")
        #expect(server.refused.map(\.code) == ["clockSkew"])
        #expect(server.refused.first?.transient == true)

        boardClock.advance(by: 3_600_000)
        let (again, later) = try boardLink(school, slowBoard)
        SessionLink.run(again, later)
        #expect(try slowBoard.changeCount(SessionTests.board) == 2)
        #expect(try slowBoard.versionVector(SessionTests.board) == school.versionVector(SessionTests.board))
    }
}
