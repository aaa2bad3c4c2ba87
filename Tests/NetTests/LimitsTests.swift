import BoardServer
import Foundation
import HummingbirdWSClient
import KCModel
import KCReplica
import Logging
import NIOCore
import SyncCore
import SyncNet
import SyncProtocol
import SyncStore
import SyncTestKit
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Limits before trust on the board's port, played by an outsider without any key: half-sent
/// requests and silent connections are closed, one address gets only so many connections, and
/// before `Welcome` a message may be only small. The server keeps serving a real school.
@Suite(.serialized) struct LimitsTests {
    /// A raw TCP connection to loopback `port`.
    static func connect(_ port: Int) -> Int32 { LoopbackSocket.connect(port) }

    static func send(_ fd: Int32, _ text: String) { LoopbackSocket.send(fd, text) }

    /// True when the server closed `fd` within `seconds` (a read returns 0 or fails).
    static func closed(_ fd: Int32, within seconds: Double) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            if poll(&poller, 1, 100) > 0 {
                let n = read(fd, &buffer, buffer.count)
                if n <= 0 { return true }
            }
        }
        return false
    }

    @Test func halfOpenSilentAndCrowdingConnectionsAreClosed() async throws {
        let f = try BoardServerTests.Fixture()
        var logger = Logger(label: "limits")
        logger.logLevel = .critical
        let guardian = ConnectionGuard(maximumPerAddress: 6, headSeconds: 1, idleSeconds: 3, logger: logger)
        try await f.withServer(guardian: guardian) { url in
            let port = Int(url.split(separator: ":").last!)!
            // Six half-sent requests: the seventh and eighth connection from this address are closed at once.
            var sockets: [Int32] = []
            for _ in 0..<6 {
                let fd = LimitsTests.connect(port)
                LimitsTests.send(fd, "GET /sync HTTP/1.1\r\nHost: board\r\nUpgrade: websocket\r\n")
                sockets.append(fd)
            }
            try await Task.sleep(for: .milliseconds(200))
            let crowd = [LimitsTests.connect(port), LimitsTests.connect(port)]
            for fd in crowd { #expect(LimitsTests.closed(fd, within: 5), "a connection over the per-address cap stayed open") }
            // The half-sent ones are closed once the head deadline passes.
            for fd in sockets { #expect(LimitsTests.closed(fd, within: 10), "a half-sent request stayed open") }
            for _ in 0..<50 where guardian.openConnections(from: "127.0.0.1") > 0 { try await Task.sleep(for: .milliseconds(20)) }
            #expect(guardian.openConnections(from: "127.0.0.1") == 0)
            // A connection that sent a whole request and then nothing is closed when idle.
            let quiet = LimitsTests.connect(port)
            LimitsTests.send(quiet, "GET /health HTTP/1.1\r\nHost: board\r\n\r\n")
            #expect(!LimitsTests.closed(quiet, within: 1.5), "closed before the idle limit")
            #expect(LimitsTests.closed(quiet, within: 15), "an idle connection stayed open")
            for fd in sockets + crowd + [quiet] { close(fd) }
            #expect(guardian.shed >= 9)
            // A school still syncs.
            var draft = NoteDraft(author: "a", role: .trendAnalyst, category: .trendAnalysis, title: "Na de aanval")
            draft.subject = .school
            _ = try f.schoolA.shareNote(try f.schoolA.addNote(draft).id)
            // (On a loaded machine a sync may meet this test's one-second head deadline: try again.)
            var outcome: String? = "not tried"
            for _ in 0..<5 where try f.board.store.changeCount(f.board.scope) == 0 { outcome = await f.sync(f.schoolA, url) }
            #expect(try f.board.store.changeCount(f.board.scope) == 1, "\(outcome ?? "")")
        }
    }

    /// Before Welcome a message of more than 64 KiB is refused (it once could be 8 MiB), and
    /// one of 8 MiB sent in fragments is refused as soon as it passes the small limit.
    @Test func beforeWelcomeOnlySmallFramesAreRead() async throws {
        let f = try BoardServerTests.Fixture()
        try await f.withServer { url in
            let justOver = try await f.raw(url, [Data(count: SessionLimits.standard.maximumPreAuthFrameBytes + 1)])
            #expect(BoardServerTests.errorCode(justOver) == "frameTooLarge")
            let large = try await f.raw(url, [Data(count: 8 * 1024 * 1024)])
            #expect(BoardServerTests.errorCode(large) == "frameTooLarge")
            let small = try await f.raw(url, [Data(count: 1024)])
            #expect(BoardServerTests.errorCode(small) == "malformedFrame", "a small frame is read (and found garbled)")
        }
    }

    /// A hand-made WebSocket client on a raw socket: the upgrade, then one binary message of
    /// `bytes` in fragments of 60,000 bytes, written until the server closes. It holds one
    /// fragment in memory, whatever the message's size.
    static func flood(_ port: Int, bytes: Int) -> Bool { floodOutcome(port, bytes: bytes) == "closed" }

    static func floodOutcome(_ port: Int, bytes: Int) -> String {
        let fd = connect(port)
        defer { close(fd) }
        send(fd, "GET /sync HTTP/1.1\r\nHost: board\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        var response = [UInt8](repeating: 0, count: 1024)
        let got = read(fd, &response, response.count)
        guard got > 0, String(decoding: response, as: UTF8.self).contains("101") else { return "no upgrade (\(got)): \(String(decoding: response.prefix(max(0, got)), as: UTF8.self))" }
        let fragment = 60_000
        var frame = [UInt8](repeating: 0, count: 8 + fragment)
        var sent = 0
        while sent < bytes {
            let last = sent + fragment >= bytes
            frame[0] = (sent == 0 ? 0x02 : 0x00) | (last ? 0x80 : 0)
            frame[1] = 0x80 | 126                      // masked, 16-bit length
            frame[2] = UInt8(fragment >> 8)
            frame[3] = UInt8(fragment & 0xFF)          // mask key 0: the payload as is
            let n = Glibc.send(fd, frame, frame.count, Int32(MSG_NOSIGNAL))
            if n <= 0 { return "closed" }              // the server closed the connection
            sent += fragment
        }
        // All of it went out: the server read on; only a small message may be read whole.
        return bytes <= SessionLimits.standard.maximumPreAuthFrameBytes * 2 && closed(fd, within: 2) ? "closed" : "read whole (\(sent) bytes)"
    }

    /// Sixteen outsiders each send an 8 MiB message before Welcome, at once, from a hand-made
    /// client: the server refuses each (the messages are never assembled past 64 KiB; the
    /// frame-size test above shows the refusal) and a school syncs right after.
    @Test func aPreAuthFloodLeavesTheServerServing() async throws {
        let f = try BoardServerTests.Fixture()
        try await f.withServer { url in
            let port = Int(url.split(separator: ":").last!)!
            // Blocking sockets on threads of their own: the server's sessions need the
            // concurrency pool's few threads meanwhile.
            let results = Mutex<[String]>([])
            for _ in 0..<16 {
                Thread.detachNewThread { let outcome = LimitsTests.floodOutcome(port, bytes: 8 * 1024 * 1024); results.withLock { $0.append(outcome) } }
            }
            for _ in 0..<300 where results.withLock({ $0.count }) < 16 { try await Task.sleep(for: .milliseconds(50)) }
            let outcomes = results.withLock { $0 }
            #expect(outcomes.count == 16 && !outcomes.contains { $0.hasPrefix("no upgrade") }, "\(outcomes)")
            var draft = NoteDraft(author: "a", role: .trendAnalyst, category: .trendAnalysis, title: "Na de vloed")
            draft.subject = .school
            _ = try f.schoolA.shareNote(try f.schoolA.addNote(draft).id)
            #expect(await f.sync(f.schoolA, url) == nil)
            #expect(try f.board.store.changeCount(f.board.scope) == 1)
        }
    }
}
