public import Foundation
import Logging
public import SyncCore
public import SyncNet
public import SyncProtocol
public import SyncStore
import SwiftProtobuf
import Synchronization

/// One side of an in-memory connection: a replica with what production gives a session (its
/// store, a change notifier, an authorization rule), run by the production ``SessionRunner``
/// over a ``MemoryTransport``. It records what the last session it ran did.
public final class SessionEndpoint: Sendable {
    /// The replica.
    public let store: ReplicaStore
    /// The notifier its sessions listen to, as a daemon's do: ``localChange(_:)`` rings it.
    public let notifier = ChangeNotifier()
    let role: SyncSession.Role
    let school: String
    let board: String
    let now: @Sendable () -> UInt64
    let authorize: (@Sendable (SyncSession.Peer) -> [Scope]?)?

    struct Record {
        var error: SessionError?
        var caughtUp = false
        var established: SyncSession.Peer?
        var refused: [ChangeRefusal] = []
        var sent: [Data] = []
        var ended = false
    }
    let record = Mutex(Record())

    /// An endpoint for `store` playing `role`; `authorize` (server) says what a peer may sync.
    public init(store: ReplicaStore, role: SyncSession.Role, school: String, board: String,
                now: @escaping @Sendable () -> UInt64,
                authorize: (@Sendable (SyncSession.Peer) -> [Scope]?)? = nil) throws {
        self.store = store
        self.role = role
        self.school = school
        self.board = board
        self.now = now
        self.authorize = authorize
    }

    /// The error the last session closed with (nil: none, or not closed).
    public var error: SessionError? { record.withLock { $0.error } }
    /// True once the last session reported that both sides are caught up.
    public var caughtUp: Bool { record.withLock { $0.caughtUp } }
    /// The peer of the last session, once its handshake was done.
    public var established: SyncSession.Peer? { record.withLock { $0.established } }
    /// The changes this side refused in the last session, one by one.
    public var refused: [ChangeRefusal] { record.withLock { $0.refused } }
    /// The frames this side sent in the last session, in order.
    public var sentFrames: [Data] { record.withLock { $0.sent } }
    /// Bytes this side sent in the last session.
    public var bytesSent: Int { sentFrames.reduce(0) { $0 + $1.count } }
    /// Frames this side sent in the last session.
    public var framesSent: Int { sentFrames.count }
    /// Changes this side sent in the last session (in `Changes` frames).
    public var changesSent: Int { sentFrames.reduce(0) { $0 + SessionLink.changeCount(in: $1) } }
    /// True once the last session's runner returned.
    public var ended: Bool { record.withLock { $0.ended } }

    /// Tells the running sessions a local change committed in `scope` (what a daemon does
    /// after the CLI wrote).
    public func localChange(_ scope: Scope) { notifier.notify(scope) }

    func sent(_ bytes: Data) { record.withLock { $0.sent.append(bytes) } }

    /// Runs one session over `transport` with the production runner; returns when it ends.
    func run(over transport: MemoryTransport, stopWhenCaughtUp: Bool) async {
        record.withLock { $0 = Record() }
        var logger = Logger(label: "kcsync.memory")
        logger.logLevel = .critical
        let authorize = self.authorize
        let runner = SessionRunner(store: store, notifier: notifier, logger: logger,
                                   authorize: { peer in authorize?(peer) }, now: now) { [self] event in
            switch event {
            case .established(let peer, _): self.record.withLock { $0.established = peer }
            case .caughtUp: self.record.withLock { $0.caughtUp = true }
            case .refusedHere(_, let refusals): self.record.withLock { $0.refused += refusals }
            default: break
            }
        }
        var rng = SystemRandomNumberGenerator()
        let nonce = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        // A handshake deadline far beyond any test: on a loaded 2-core machine the tests that
        // drive processes can hold both cooperative threads for a while.
        var limits = SessionLimits.standard
        limits.handshakeSeconds = 600
        let session = SyncSession(role: role, key: store.key, school: school, board: board, nonce: nonce, limits: limits)
        let error = await runner.run(session, over: transport, stopWhenCaughtUp: stopWhenCaughtUp)
        record.withLock {
            $0.error = error
            $0.ended = true
        }
    }
}

/// In-memory sessions between two endpoints, each run by the production ``SessionRunner``.
public enum SessionLink {
    /// What a session ended with.
    public struct Outcome: Sendable {
        /// Frames that went through, both ways.
        public var frames: Int
        /// Round trips: half the longest causal chain of frames, rounded up.
        public var roundTrips: Int
        /// True when the wire was cut by `cutAfter`.
        public var cut: Bool
        /// True when the session did not end within the time allowed and was cut.
        public var timedOut: Bool
    }

    /// Runs a session until the client is caught up (it then closes, as `kcsync sync` does), a
    /// side closes, or `cutAfter` frames have gone through (then the connection drops, as a
    /// network fault would). A session that has not ended after `seconds` is dropped and
    /// reported as timed out.
    @discardableResult
    public static func run(_ client: SessionEndpoint, _ server: SessionEndpoint, cutAfter: Int? = nil,
                           seconds: Double = 600) async -> Outcome {
        // With stopWhenCaughtUp nothing in `live` throws.
        (try? await live(client, server, cutAfter: cutAfter, seconds: seconds, stopWhenCaughtUp: true) { _ in })
            ?? Outcome(frames: 0, roundTrips: 0, cut: false, timedOut: true)
    }

    /// Opens a live session, runs `body` while it is open (the session pushes what is written
    /// meanwhile, once told through ``SessionEndpoint/localChange(_:)``), then closes it and
    /// waits for both runners to end.
    @discardableResult
    public static func live(_ client: SessionEndpoint, _ server: SessionEndpoint, cutAfter: Int? = nil, seconds: Double = 600,
                            stopWhenCaughtUp: Bool = false,
                            _ body: @Sendable (MemoryWire) async throws -> Void) async throws -> Outcome {
        let wire = MemoryWire(cutAfter: cutAfter) { end, bytes in
            (end == .client ? client : server).sent(bytes)
        }
        let timedOut = Atomic<Bool>(false)
        let serving = Task { await server.run(over: wire.transport(.server), stopWhenCaughtUp: false) }
        let connecting = Task { await client.run(over: wire.transport(.client), stopWhenCaughtUp: stopWhenCaughtUp) }
        let watchdog = Task {
            try? await Task.sleep(for: .seconds(seconds))
            if !Task.isCancelled {
                timedOut.store(true, ordering: .relaxed)
                wire.drop()
            }
        }
        do {
            if !stopWhenCaughtUp {
                try await until(seconds: seconds) { client.caughtUp || client.ended }
                try await body(wire)
                wire.drop()
            }
        } catch {
            wire.drop()
            _ = await (serving.value, connecting.value)
            watchdog.cancel()
            throw error
        }
        await connecting.value
        // The client closed: the server's reader ends after what was sent.
        wire.drop()
        await serving.value
        watchdog.cancel()
        return Outcome(frames: wire.frames, roundTrips: wire.roundTrips, cut: wire.cut, timedOut: timedOut.load(ordering: .relaxed))
    }

    /// Sends `frames` to a session run by `server`, as a hand-made client would, and returns
    /// what the server answered, once it closed or `seconds` passed.
    public static func script(_ server: SessionEndpoint, frames: [Data], seconds: Double = 5) async -> [Data] {
        let wire = MemoryWire()
        let serving = Task { await server.run(over: wire.transport(.server), stopWhenCaughtUp: false) }
        let client = wire.transport(.client)
        for frame in frames { try? await client.send(frame) }
        try? await until(seconds: seconds) { server.ended }
        wire.drop()
        await serving.value
        return server.sentFrames
    }

    /// A hand-made client over an in-memory wire to a session run by `server`: it completes
    /// the handshake with the real session code (`session`, holding nothing and asking for no
    /// memberships), then hands `body` the wire to send any frame on, while it keeps reading
    /// and keeping what the server answers. When `body` returns the connection drops and this
    /// returns once the server's runner has ended.
    public static func handmade(_ server: SessionEndpoint, as session: SyncSession,
                                _ body: @Sendable (HandmadeClient) async throws -> Void) async throws {
        let wire = MemoryWire()
        let client = HandmadeClient(wire: wire)
        let serving = Task { await server.run(over: wire.transport(.server), stopWhenCaughtUp: false) }
        let transport = wire.transport(.client)
        let reading = Task {
            var session = session
            var reader = transport.makeReader()
            var pending = session.start(now: SessionRunner.now())
            var open = false
            while true {
                var queue = pending[...]
                pending = []
                while let directive = queue.popFirst() {
                    switch directive {
                    case .send(let bytes): try? await transport.send(bytes)
                    case .readMemberships: queue += session.onMemberships([])
                    case .readVectors(let scopes):
                        queue += session.onVectors(Dictionary(uniqueKeysWithValues: scopes.map { ($0, VersionVector()) }))
                        open = true
                    default: break
                    }
                }
                if open { client.state.withLock { $0.open = true } }
                guard case .binary(let bytes)? = try? await reader.next(maxSize: .max) else { break }
                client.state.withLock { $0.received.append(bytes) }
                if !open { pending = session.onFrame(bytes, now: SessionRunner.now()) }
            }
            client.state.withLock { $0.ended = true }
        }
        do {
            try await until(seconds: 60) { client.isOpen || client.hasEnded }
            try await body(client)
        } catch {
            wire.drop()
            _ = await (serving.value, reading.value)
            throw error
        }
        wire.drop()
        _ = await (serving.value, reading.value)
    }

    /// Waits (polling every few milliseconds) until `condition` holds; throws after `seconds`.
    public static func until(seconds: Double = 300, _ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while try !condition() {
            guard ContinuousClock.now < deadline else { throw TimedOut(seconds: seconds) }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// A condition that did not come true in time.
    public struct TimedOut: Error, CustomStringConvertible {
        /// How long it waited.
        public var seconds: Double
        public var description: String { "the condition did not hold within \(seconds) s" }
    }

    /// The number of changes in `frame` if it is a `Changes` frame, else 0.
    public static func changeCount(in frame: Data) -> Int {
        guard let decoded = try? Kcsync_V1_Frame(serializedBytes: frame), case .changes(let changes)? = decoded.kind else { return 0 }
        return changes.changes.count
    }

    /// The name of the frame's kind (`hello`, `authenticate`, `changes`, …), for picking frames
    /// out of a recorded session.
    public static func kind(of frame: Data) -> String? {
        guard let decoded = try? Kcsync_V1_Frame(serializedBytes: frame), let kind = decoded.kind else { return nil }
        return String(describing: kind).split(separator: "(").first.map(String.init)
    }
}

/// The client end of ``SessionLink/handmade(_:as:_:)``: sends what a test crafts and keeps
/// what the server answers.
public final class HandmadeClient: Sendable {
    struct State {
        var open = false
        var ended = false
        var received: [Data] = []
    }
    let state = Mutex(State())
    /// The wire (it counts what each end has read).
    public let wire: MemoryWire

    init(wire: MemoryWire) { self.wire = wire }

    /// True once the handshake is done and the client's vector sent.
    public var isOpen: Bool { state.withLock { $0.open } }
    /// True once the server's side of the connection ended.
    public var hasEnded: Bool { state.withLock { $0.ended } }
    /// Every frame the server sent, the handshake's included, in order.
    public var received: [Data] { state.withLock { $0.received } }

    /// Sends one frame as it is.
    public func send(_ frame: Data) throws { try wire.send(frame, from: .client) }
}
