public import Foundation
public import Logging
public import SyncCore
public import SyncProtocol
public import SyncStore
import Metrics
import NIOCore
import NIOWebSocket
public import WSCore

/// The metrics every session reports through swift-metrics (the board exports them at
/// `/metrics`). Labels carry scope kinds and reasons, never record content.
enum SessionMetrics {
    static let active = Meter(label: "kcsync_sessions_active")
    static let opened = Counter(label: "kcsync_sessions_total")
    static let changesIn = Counter(label: "kcsync_changes_total", dimensions: [("direction", "in")])
    static let changesOut = Counter(label: "kcsync_changes_total", dimensions: [("direction", "out")])
    static let bytesIn = Counter(label: "kcsync_bytes_total", dimensions: [("direction", "in")])
    static let bytesOut = Counter(label: "kcsync_bytes_total", dimensions: [("direction", "out")])
    /// From a change's commit at its author to its durable apply here, by the side that
    /// applied it: `server` (the board, or a listening peer) or `client`.
    static let lagServer = Metrics.Timer(label: "kcsync_propagation_lag_seconds", dimensions: [("side", "server")], preferredDisplayUnit: .seconds)
    static let lagClient = Metrics.Timer(label: "kcsync_propagation_lag_seconds", dimensions: [("side", "client")], preferredDisplayUnit: .seconds)

    static func rejected(_ reason: String) {
        Counter(label: "kcsync_rejections_total", dimensions: [("reason", reason)]).increment()
    }
}

/// What happened in a session, for status and metrics.
public enum SessionEvent: Sendable {
    /// The handshake is done.
    case established(SyncSession.Peer, [Scope])
    /// A batch from the peer is stored.
    case received(Scope, changes: Int)
    /// A batch went to the peer.
    case sent(Scope, changes: Int)
    /// Progress of a long first sync.
    case progress(Scope, received: UInt64, total: UInt64)
    /// Both sides hold everything; nothing in flight.
    case caughtUp
}

/// Runs one ``SyncSession`` over a WebSocket connection against a replica: the "shell" that
/// carries out the state machine's directives (send, read, apply) and feeds it frames and
/// local-change notifications, one at a time.
public struct SessionRunner: Sendable {
    let store: ReplicaStore
    let notifier: ChangeNotifier
    let logger: Logger
    let authorize: @Sendable (SyncSession.Peer) -> [Scope]?
    let authors: @Sendable (SyncSession.Peer) -> Set<ReplicaID>?
    let onEvent: @Sendable (SessionEvent) -> Void

    /// A runner for `store`. `authorize` decides what a peer may sync (server side).
    /// `authors` names the replicas whose new changes the peer may bring (nil: any, as between
    /// peers, which relay each other's verified changes); the board passes the keys registered
    /// for the school that authenticated, so a school cannot write as another. `onEvent`
    /// hears what happens.
    public init(store: ReplicaStore, notifier: ChangeNotifier, logger: Logger,
                authorize: @escaping @Sendable (SyncSession.Peer) -> [Scope]? = { _ in nil },
                authors: @escaping @Sendable (SyncSession.Peer) -> Set<ReplicaID>? = { _ in nil },
                onEvent: @escaping @Sendable (SessionEvent) -> Void = { _ in }) {
        self.store = store
        self.notifier = notifier
        self.logger = logger
        self.authorize = authorize
        self.authors = authors
        self.onEvent = onEvent
    }

    /// Refuses a batch holding a new change by a replica the peer may not write for.
    func checkAuthors(_ changes: [Data], scope: Scope, peer: SyncSession.Peer?) throws(SyncError) {
        guard let peer, let allowed = authors(peer) else { return }
        let held = try store.versionVector(scope)
        for bytes in changes {
            let header = try SignedChange(serialized: bytes).header
            if allowed.contains(header.replica) || header.seq <= held[header.replica] { continue }
            throw SyncError(.scopeNotAllowed, "replica \(peer.replica.hex) of school '\(peer.school)' cannot write as replica \(header.replica.hex)")
        }
    }

    enum Event: Sendable {
        case frame(Data)
        case text
        case oversized
        case local(Scope)
        case handshakeTimeout
        case ended
    }

    /// Runs the session until it closes or the connection ends. Returns the error that closed
    /// it, if any.
    public func run(_ initial: SyncSession, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
                    stopWhenCaughtUp: Bool = false) async -> SessionError? {
        var session = initial
        let (events, continuation) = AsyncStream<Event>.makeStream()
        let subscription = notifier.subscribe { scope in continuation.yield(.local(scope)) }
        defer { notifier.unsubscribe(subscription) }
        let maximum = session.limits.maximumFrameBytes
        let reader = Task {
            do {
                for try await message in inbound.messages(maxSize: maximum) {
                    switch message {
                    case .binary(let buffer):
                        SessionMetrics.bytesIn.increment(by: buffer.readableBytes)
                        continuation.yield(.frame(Data(buffer.readableBytesView)))
                    case .text: continuation.yield(.text)
                    }
                }
            } catch {
                continuation.yield(.oversized)
            }
            continuation.yield(.ended)
        }
        defer { reader.cancel() }
        let seconds = session.limits.handshakeSeconds
        let timer = Task {
            try? await Task.sleep(for: .seconds(seconds))
            continuation.yield(.handshakeTimeout)
        }
        defer { timer.cancel() }

        var closing: SessionError?
        var finished = false
        var established = false
        func execute(_ first: [SyncSession.Directive]) async {
            var queue = first[...]
            while let directive = queue.popFirst() {
                switch directive {
                case .send(let bytes):
                    SessionMetrics.bytesOut.increment(by: bytes.count)
                    do { try await outbound.write(.binary(ByteBuffer(bytes: bytes))) } catch {
                        logger.debug("send failed", metadata: ["error": "\(error)"])
                        finished = true
                    }
                case .authorize(let peer):
                    if let scopes = authorize(peer) {
                        queue += session.onAuthorized(scopes)
                    } else {
                        logger.warning("refused an unregistered replica", metadata: ["replica": "\(peer.replica.hex)", "school": "\(peer.school)"])
                        SessionMetrics.rejected("unregistered")
                        queue += session.onDenied("replica \(peer.replica.hex) of school '\(peer.school)' is not registered here")
                    }
                case .readVectors(let scopes):
                    var vectors: [Scope: VersionVector] = [:]
                    for scope in scopes { vectors[scope] = (try? store.versionVector(scope)) ?? VersionVector() }
                    queue += session.onVectors(vectors)
                case .readChanges(let scope, let missing, let limit):
                    let changes = (try? store.changes(in: scope, missingFrom: missing, limit: limit)) ?? []
                    let next = session.onChanges(scope, changes)
                    if next.contains(where: { if case .send = $0 { true } else { false } }) {
                        SessionMetrics.changesOut.increment(by: changes.count)
                        onEvent(.sent(scope, changes: changes.count))
                    }
                    queue += next
                case .apply(let scope, let batch, let changes):
                    let result: Result<VersionVector, SyncError>
                    do {
                        try checkAuthors(changes, scope: scope, peer: session.peer)
                        let applied = try store.apply(changes)
                        result = .success(try store.versionVector(scope))
                        if applied.applied > 0 {
                            SessionMetrics.changesIn.increment(by: applied.applied)
                            let now = SessionRunner.now()
                            let lag = if case .server = session.role { SessionMetrics.lagServer } else { SessionMetrics.lagClient }
                            for bytes in changes {
                                guard let header = try? SignedChange(serialized: bytes).header else { continue }
                                lag.recordMilliseconds(now > header.timestamp.millis ? now - header.timestamp.millis : 0)
                            }
                            onEvent(.received(scope, changes: applied.applied))
                            notifier.notify(scope, except: subscription)
                        }
                    } catch {
                        SessionMetrics.rejected("\(error.code)")
                        logger.warning("rejected a batch", metadata: ["scope": "\(scope)", "reason": "\(error.code)", "detail": "\(error.message)"])
                        result = .failure(error)
                    }
                    queue += session.onApplied(scope, batch: batch, result: result)
                case .established(let peer, let scopes):
                    logger.info("session established", metadata: ["peer": "\(peer.replica.hex)", "scopes": "\(scopes.map(\.name))"])
                    SessionMetrics.opened.increment()
                    SessionMetrics.active.increment()
                    established = true
                    onEvent(.established(peer, scopes))
                case .progress(let scope, let received, let total):
                    onEvent(.progress(scope, received: received, total: total))
                case .caughtUp:
                    onEvent(.caughtUp)
                    if stopWhenCaughtUp { finished = true }
                case .close(let error):
                    if let error { SessionMetrics.rejected(error.code.rawValue) }
                    closing = error
                    finished = true
                }
            }
        }

        await execute(session.start(now: SessionRunner.now()))
        if !finished {
            for await event in events {
                switch event {
                case .frame(let bytes): await execute(session.onFrame(bytes, now: SessionRunner.now()))
                case .text: await execute(session.onTextFrame())
                case .oversized: await execute(session.onOversizedFrame())
                case .local(let scope): await execute(session.onLocalChange(scope))
                case .handshakeTimeout: await execute(session.onHandshakeTimeout())
                case .ended: finished = true
                }
                if finished || session.isClosed { break }
            }
        }
        continuation.finish()
        if established { SessionMetrics.active.decrement() }
        if let closing { logger.info("session closed", metadata: ["reason": "\(closing)"]) }
        try? await outbound.close(.normalClosure, reason: nil)
        return closing
    }

    /// Milliseconds since 1970.
    public static func now() -> UInt64 { UInt64(max(0, Date().timeIntervalSince1970 * 1000)) }

    /// 32 random bytes for a session nonce.
    public static func nonce() -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }
}
