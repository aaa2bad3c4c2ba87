import BoardServer
import Foundation
import Hummingbird
import HummingbirdWSClient
import SwiftProtobuf
import KCModel
import KCReplica
import Logging
import NIOCore
import NIOSSL
import SchoolDaemon
import SyncCore
import SyncNet
import SyncProtocol
import SyncStore
import Synchronization
import Testing

/// QUALITY.md 4 and 5 against the real board server on loopback: bad frames, a replayed
/// handshake, an unregistered key, a school writing as another, a pupil note pushed into the
/// board scope. Each is refused, nothing of it is stored, and the server keeps serving.
@Suite(.serialized) struct BoardServerTests {
    final class Fixture: @unchecked Sendable {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-net-\(UUID().uuidString)")
        let board: BoardReplica
        let schoolA: KCReplica
        let schoolB: KCReplica
        var logger = Logger(label: "test")

        init() throws {
            board = try BoardReplica.create(in: root.appendingPathComponent("board"), board: "41234")
            schoolA = try KCReplica.create(in: root.appendingPathComponent("12AB"), school: "12AB", board: "41234")
            schoolB = try KCReplica.create(in: root.appendingPathComponent("34CD"), school: "34CD", board: "41234")
            try board.register(school: "12AB", key: schoolA.publicKeyHex)
            try board.register(school: "34CD", key: schoolB.publicKeyHex)
            logger.logLevel = .critical
        }

        deinit { try? FileManager.default.removeItem(at: root) }

        /// Runs `body` with the board server listening on a free loopback port.
        func withServer(tls: TLSConfiguration? = nil, guardian: ConnectionGuard? = nil, _ body: (String) async throws -> Void) async throws {
            let port = Mutex<Int?>(nil)
            let app = try buildBoardApplication(board: board, host: "127.0.0.1", port: 0, logger: logger, tls: tls, guardian: guardian,
                                                onServerRunning: { p in port.withLock { $0 = p } })
            let server = Task { try await app.runService() }
            defer { server.cancel() }
            for _ in 0..<100 where port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(20)) }
            let bound = try #require(port.withLock { $0 })
            try await body("\(tls == nil ? "ws" : "wss")://127.0.0.1:\(bound)")
        }

        /// Sends `frames` on a raw connection and collects what comes back until the server closes.
        func raw(_ url: String, _ frames: [Data], stopAfter: Int = .max) async throws -> [Data] {
            let received = Mutex<[Data]>([])
            var configuration = WebSocketClientConfiguration()
            configuration.maxFrameSize = SessionLimits.standard.maximumWireFrameBytes
            _ = try? await WebSocketClient.connect(url: url + "/sync", configuration: configuration, logger: logger) { inbound, outbound, _ in
                for frame in frames { try await outbound.writeBinaryMessage(ByteBuffer(bytes: frame)) }
                for try await message in inbound.messages(maxSize: 16 * 1024 * 1024) {
                    if case .binary(let buffer) = message { received.withLock { $0.append(Data(buffer.readableBytesView)) } }
                    if received.withLock({ $0.count }) >= stopAfter { break }
                }
            }
            return received.withLock { $0 }
        }

        func sync(_ replica: KCReplica, _ url: String) async -> String? {
            await LinkService.syncOnce(replica: replica, target: .board(url: url), notifier: ChangeNotifier(), logger: logger, status: nil,
                                       stopWhenCaughtUp: true).error
        }
    }

    /// The code of the error frame among `frames`, if any.
    static func errorCode(_ frames: [Data]) -> String? {
        for frame in frames {
            if let f = try? Kcsync_V1_Frame(serializedBytes: frame as Data), case .error(let e)? = f.kind { return "\(e.code)" }
        }
        return nil
    }

    @Test func garbledFramesAreRefusedAndTheServerKeepsServing() async throws {
        let f = try Fixture()
        try await f.withServer { url in
            let garbled = try await f.raw(url, [Data([0xFF, 0xFE, 0x00, 0x01])])
            #expect(BoardServerTests.errorCode(garbled) == "malformedFrame")
            let truncated = try await f.raw(url, [Data([0x0A, 0x40, 0x08])])
            #expect(BoardServerTests.errorCode(truncated) == "malformedFrame")
            let oversized = try await f.raw(url, [Data(count: SessionLimits.standard.maximumFrameBytes + 10)])
            #expect(BoardServerTests.errorCode(oversized) == "frameTooLarge")
            // A well-behaved school still syncs.
            var draft = NoteDraft(author: "a", role: .trendAnalyst, category: .trendAnalysis, title: "Gedeelde trend")
            draft.subject = .school
            draft.subjectArea = .arithmetic
            _ = try f.schoolA.shareNote(try f.schoolA.addNote(draft).id)
            let result = await f.sync(f.schoolA, url)
            #expect(result == nil)
            #expect(try f.board.store.changeCount(f.board.scope) == 1)
        }
    }

    @Test func anUnregisteredKeyGetsNothing() async throws {
        let f = try Fixture()
        let stranger = try KCReplica.create(in: f.root.appendingPathComponent("99ZZ"), school: "12AB", board: "41234")   // claims 12AB
        var draft = NoteDraft(author: "x", role: .trendAnalyst, category: .trendAnalysis, title: "Indringer")
        draft.subject = .school
        draft.subjectArea = .arithmetic
        _ = try stranger.shareNote(try stranger.addNote(draft).id)
        try await f.withServer { url in
            let outcome = await f.sync(stranger, url)
            #expect(outcome?.contains("unauthorized") == true, "\(String(describing: outcome))")
            let held = try f.board.store.changeCount(f.board.scope)
            #expect(held == 0)
        }
    }

    @Test func aCapturedHandshakeCannotBeReplayed() async throws {
        let f = try Fixture()
        try await f.withServer { url in
            // A real handshake by school A, recorded frame by frame.
            let key = f.schoolA.store.key
            var session = SyncSession(role: .client(scopes: [f.board.scope], audience: "board/41234", pinnedServerKey: nil),
                                      key: key, school: "12AB", board: "41234", nonce: SessionRunner.nonce())
            var hello = Data()
            for case .send(let bytes) in session.start(now: SessionRunner.now()) { hello = bytes }
            let challenge = try await f.raw(url, [hello], stopAfter: 1)
            let first = try #require(challenge.first)
            var authenticate = Data()
            for case .send(let bytes) in session.onFrame(first, now: SessionRunner.now()) { authenticate = bytes }
            // Replayed to a new session (fresh nonce): refused.
            let replay = try await f.raw(url, [hello, authenticate])
            #expect(BoardServerTests.errorCode(replay) == "unauthorized")
        }
    }
}
