public import Foundation
public import Logging
public import SyncCore
public import SyncProtocol
public import SyncStore
import Metrics
import NIOCore
import NIOWebSocket
import Synchronization
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
    /// The peer stored a batch of ours except these changes.
    case refusedByPeer(Scope, [ChangeRefusal])
    /// This side stored a batch from the peer except these changes.
    case refusedHere(Scope, [ChangeRefusal])
    /// The peer acknowledged holding this vector of the scope.
    case peerHolds(Scope, VersionVector)
    /// This replica found its chain forked (restored from a copy) and moved to a new identity.
    case movedToNewIdentity(old: ReplicaID, new: ReplicaID)
}

/// Runs one ``SyncSession`` over a WebSocket connection against a replica: the "shell" that
/// carries out the state machine's directives (send, read, apply) and feeds it frames and
/// local-change notifications, one at a time.
public struct SessionRunner: Sendable {
    let store: ReplicaStore
    let notifier: ChangeNotifier
    let logger: Logger
    let authorize: @Sendable (SyncSession.Peer) -> [Scope]?
    let admitted: @Sendable (SyncSession.Peer) -> Bool
    let exclusions: @Sendable (Scope) -> VersionVector
    let onEvent: @Sendable (SessionEvent) -> Void
    /// How long a transient refusal waits before its changes are sent again.
    let retryDelay: Duration
    /// The wall clock in milliseconds since 1970 (injected, so simulations bring their own).
    let now: @Sendable () -> UInt64

    /// A runner for `store`. `authorize` decides what a peer may sync (server side); the
    /// membership statements the peer presented are stored first, so it can rely on
    /// ``ReplicaStore/trust()``. `admitted` is asked every few seconds while the session runs
    /// (server side): when it says no (the key was revoked), the session closes at once.
    /// `exclusions` names, per scope, the changes not to send this peer (refused before).
    /// `onEvent` hears what happens. `now` is the wall clock the session checks handshakes
    /// against.
    public init(store: ReplicaStore, notifier: ChangeNotifier, logger: Logger,
                authorize: @escaping @Sendable (SyncSession.Peer) -> [Scope]? = { _ in nil },
                admitted: @escaping @Sendable (SyncSession.Peer) -> Bool = { _ in true },
                exclusions: @escaping @Sendable (Scope) -> VersionVector = { _ in VersionVector() },
                retryDelay: Duration = .seconds(10),
                now: @escaping @Sendable () -> UInt64 = SessionRunner.now,
                onEvent: @escaping @Sendable (SessionEvent) -> Void = { _ in }) {
        self.store = store
        self.notifier = notifier
        self.logger = logger
        self.authorize = authorize
        self.admitted = admitted
        self.exclusions = exclusions
        self.retryDelay = retryDelay
        self.now = now
        self.onEvent = onEvent
    }

    enum Event: Sendable {
        case frame(Data)
        case text
        case oversized
        case local(Scope)
        case handshakeTimeout
        case revalidate
        case retry(Scope, ReplicaID, UInt64)
        case ended
    }

    /// Runs the session over a WebSocket until it closes or the connection ends. Returns the
    /// error that closed it, if any.
    public func run(_ initial: SyncSession, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
                    stopWhenCaughtUp: Bool = false) async -> SessionError? {
        await run(initial, over: WebSocketTransport(inbound: inbound, outbound: outbound), stopWhenCaughtUp: stopWhenCaughtUp)
    }

    /// Runs the session over `transport` until it closes or the connection ends. Returns the
    /// error that closed it, if any (a storage failure closes it with `INTERNAL`).
    public func run(_ initial: SyncSession, over transport: some SessionTransport,
                    stopWhenCaughtUp: Bool = false) async -> SessionError? {
        var session = initial
        let (events, continuation) = AsyncStream<Event>.makeStream()
        // At most one notification per scope waits: a session that is behind (a board with
        // 200 schools writing) reads everything new once, in one batch, instead of once per
        // change that committed meanwhile.
        let waiting = Mutex<Set<Scope>>([])
        let subscription = notifier.subscribe { scope in
            if waiting.withLock({ $0.insert(scope).inserted }) { continuation.yield(.local(scope)) }
        }
        defer { notifier.unsubscribe(subscription) }
        let maximum = session.limits.maximumFrameBytes
        let preAuthMaximum = session.limits.maximumPreAuthFrameBytes
        // Frames are read one permit at a time: past the gate's budget a frame waits to be
        // handled before the next is read, so the inbound side keeps TCP back-pressure. Before
        // Welcome a message may be only a small one, and only two wait.
        let gate = FrameGate(frames: session.limits.maximumQueuedFramesBeforeWelcome)
        let reader = Task {
            var frames = transport.makeReader()
            do {
                while await gate.acquire() {
                    let limit = gate.authenticated ? maximum : preAuthMaximum
                    guard let message = try await frames.next(maxSize: limit) else { break }
                    switch message {
                    case .binary(let bytes):
                        SessionMetrics.bytesIn.increment(by: bytes.count)
                        gate.charge(bytes.count)
                        continuation.yield(.frame(bytes))
                    case .text: continuation.yield(.text)
                    }
                }
            } catch TransportError.messageTooLarge {
                continuation.yield(.oversized)
            } catch {
                // The connection went away (reset by the peer, or this reader cancelled when the
                // session ended): not the peer's fault, and no FRAME_TOO_LARGE in the logs.
            }
            continuation.yield(.ended)
        }
        defer { gate.close() }
        defer { reader.cancel() }
        let seconds = session.limits.handshakeSeconds
        let timer = Task {
            try? await Task.sleep(for: .seconds(seconds))
            continuation.yield(.handshakeTimeout)
        }
        defer { timer.cancel() }
        let revalidation = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(2))
                continuation.yield(.revalidate)
            }
        }
        defer { revalidation.cancel() }
        var retries: [Task<Void, Never>] = []
        defer { for retry in retries { retry.cancel() } }

        var closing: SessionError?
        var finished = false
        var established = false
        var caughtUp = false
        /// The last membership row sent to the peer, and the trust version it was read at.
        var membershipsThrough: Int64 = 0
        var membershipVersion: Int64?
        /// The statements this side learnt since it last sent the peer its own (none while the
        /// trust state is unchanged: one cheap query). A failed read ends the session with
        /// `INTERNAL`: the peer must not be told "nothing new" when this side does not know.
        func newMemberships() -> [SyncSession.Directive] {
            do {
                let version = try store.trustVersion()
                guard version != membershipVersion else { return [] }
                let fresh = try store.membershipLog(after: membershipsThrough)
                membershipVersion = fresh.version
                membershipsThrough = fresh.through
                return session.onNewMemberships(fresh.statements)
            } catch {
                return session.onStorageFailure("could not read the membership statements: \(error.message)")
            }
        }
        /// A forked chain: the replica moves to a new identity (once), keeping its data.
        func moveOn(from old: ReplicaID, _ reason: String) {
            guard store.replicaID == old else { return }
            do {
                let new = try store.moveToNewIdentity(reason: reason)
                logger.warning("this replica's chain forked; it moved to a new identity", metadata: [
                    "old": "\(old.hex)", "new": "\(new.replicaID.hex)", "reason": "\(reason)"])
                onEvent(.movedToNewIdentity(old: old, new: new.replicaID))
                // A new session presents the new identity and its membership; this one ends.
                finished = true
            } catch {
                logger.error("this replica's chain forked and it could not move to a new identity", metadata: ["error": "\(error.message)"])
            }
        }

        func execute(_ first: [SyncSession.Directive]) async {
            var queue = first[...]
            while let directive = queue.popFirst() {
                switch directive {
                case .send(let bytes):
                    SessionMetrics.bytesOut.increment(by: bytes.count)
                    do { try await transport.send(bytes) } catch {
                        logger.debug("send failed", metadata: ["error": "\(error)"])
                        if closing == nil { closing = SessionError(.connectionLost, "the connection ended while sending: \(error)") }
                        finished = true
                    }
                case .authorize(let peer):
                    // What the peer presented of its membership counts only as far as the
                    // statements themselves prove it; then its school is what they say.
                    if !peer.memberships.isEmpty {
                        do { try store.storeMemberships(peer.memberships) } catch {
                            queue += session.onStorageFailure("could not store the peer's membership statements: \(error.message)")
                            continue
                        }
                    }
                    if let scopes = authorize(peer) {
                        queue += session.onAuthorized(scopes)
                    } else {
                        logger.warning("refused a replica that is not admitted", metadata: ["replica": "\(peer.replica.hex)"])
                        SessionMetrics.rejected("unregistered")
                        queue += session.onDenied("replica \(peer.replica.hex) is not registered here as a member of a school of this board")
                    }
                case .readMemberships:
                    do {
                        let held = try store.membershipLog()
                        membershipsThrough = held.through
                        membershipVersion = held.version
                        queue += session.onMemberships(held.statements)
                    } catch {
                        queue += session.onStorageFailure("could not read the membership statements: \(error.message)")
                    }
                case .storeMemberships(let statements):
                    do { try store.storeMemberships(statements) } catch {
                        logger.error("could not store membership statements", metadata: ["error": "\(error.message)"])
                        queue += session.onStorageFailure("could not store membership statements: \(error.message)")
                    }
                case .readVectors(let scopes):
                    do {
                        var vectors: [Scope: VersionVector] = [:]
                        var excluded: [Scope: VersionVector] = [:]
                        var tips: [Scope: [UInt8]] = [:]
                        for scope in scopes {
                            vectors[scope] = try store.versionVector(scope)
                            excluded[scope] = exclusions(scope)
                            if let peer = session.peer?.replica { tips[scope] = try store.tip(of: peer, in: scope) }
                        }
                        queue += session.onVectors(vectors, excluding: excluded, peerTips: tips)
                    } catch {
                        queue += session.onStorageFailure("could not read the version vectors: \(error.message)")
                    }
                case .readChanges(let scope, let missing, let limit):
                    let outgoing: ReplicaStore.Outgoing
                    do { outgoing = try store.outgoing(in: scope, missingFrom: missing, limit: limit) } catch {
                        queue += session.onStorageFailure("could not read the changes to send: \(error.message)")
                        continue
                    }
                    // Statements learnt meanwhile travel before the changes they vouch for.
                    if membershipVersion != nil, outgoing.trustVersion != membershipVersion { queue = newMemberships()[...] + queue }
                    let changes = outgoing.changes
                    let next = session.onChanges(scope, changes, complete: outgoing.complete)
                    if next.contains(where: { if case .send = $0 { true } else { false } }) {
                        SessionMetrics.changesOut.increment(by: changes.count)
                        onEvent(.sent(scope, changes: changes.count))
                    }
                    queue += next
                case .apply(let scope, let batch, let changes):
                    let result: Result<AppliedBatch, SyncError>
                    do {
                        let applied = try await store.receive(batch: changes, in: scope)
                        result = .success(AppliedBatch(vector: try store.versionVector(scope), refused: applied.refused))
                        if !applied.refused.isEmpty {
                            for refusal in applied.refused {
                                SessionMetrics.rejected(refusal.code)
                                logger.warning("refused a change", metadata: ["scope": "\(scope)", "change": "\(refusal.replica.hex.prefix(8))/\(refusal.seq)",
                                                                              "reason": "\(refusal.code)", "detail": "\(refusal.reason)"])
                            }
                            onEvent(.refusedHere(scope, applied.refused))
                        }
                        if applied.applied > 0 {
                            SessionMetrics.changesIn.increment(by: applied.applied)
                            let arrived = now()
                            let lag = if case .server = session.role { SessionMetrics.lagServer } else { SessionMetrics.lagClient }
                            for bytes in changes {
                                guard let (_, _, timestamp) = SignedChange.peek(bytes) else { continue }
                                lag.recordMilliseconds(arrived > timestamp.millis ? arrived - timestamp.millis : 0)
                            }
                            onEvent(.received(scope, changes: applied.applied))
                            notifier.notify(scope, except: subscription)
                        }
                    } catch {
                        logger.error("could not store a batch", metadata: ["scope": "\(scope)", "reason": "\(error.code)", "detail": "\(error.message)"])
                        result = .failure(error)
                    }
                    queue += session.onApplied(scope, batch: batch, result: result)
                case .refused(let scope, let refusals):
                    logger.info("the peer refused changes", metadata: ["scope": "\(scope)", "count": "\(refusals.count)"])
                    if let fork = refusals.first(where: { $0.replica == session.replica && ["forkedChain", "brokenChain"].contains($0.code) }) {
                        moveOn(from: fork.replica, "the peer holds another change \(fork.seq) of this replica's chain in \(scope)")
                    }
                    onEvent(.refusedByPeer(scope, refusals))
                    // What may pass later is offered again after a while, once per chain.
                    var firsts: [ReplicaID: UInt64] = [:]
                    for refusal in refusals where refusal.transient { firsts[refusal.replica] = min(firsts[refusal.replica] ?? .max, refusal.seq) }
                    let delay = retryDelay
                    for (replica, seq) in firsts {
                        retries.append(Task {
                            try? await Task.sleep(for: delay)
                            if !Task.isCancelled { continuation.yield(.retry(scope, replica, seq)) }
                        })
                    }
                case .peerHolds(let scope, let vector):
                    onEvent(.peerHolds(scope, vector))
                case .compareOwnTip(let scope, let seq, let hash):
                    do {
                        if let mine = try store.headerHash(of: session.replica, seq: seq, in: scope), mine != hash {
                            moveOn(from: session.replica, "the peer holds another change \(seq) of this replica's chain in \(scope): restored from a copy")
                        }
                    } catch {
                        queue += session.onStorageFailure("could not read this replica's own chain: \(error.message)")
                    }
                case .ownChainAhead(let scope, let held, let local):
                    moveOn(from: session.replica, "the peer holds seq \(held) of this replica's chain in \(scope), this replica only \(local): restored from a copy")
                case .established(let peer, let scopes):
                    logger.info("session established", metadata: ["peer": "\(peer.replica.hex)", "scopes": "\(scopes.map(\.name))"])
                    SessionMetrics.opened.increment()
                    SessionMetrics.active.increment()
                    established = true
                    let granted = max(1, scopes.count)
                    gate.markAuthenticated(frames: session.limits.maximumQueuedFrames * granted,
                                           bytes: session.limits.maximumQueuedBytes * granted)
                    onEvent(.established(peer, scopes))
                    // (Client) The server's own chain, after the shell had the chance to pin
                    // the board's key from this first contact.
                    if case .client = session.role, !peer.memberships.isEmpty {
                        do { try store.storeMemberships(peer.memberships) } catch {
                            queue += session.onStorageFailure("could not store the server's membership statements: \(error.message)")
                        }
                    }
                case .progress(let scope, let received, let total):
                    onEvent(.progress(scope, received: received, total: total))
                case .caughtUp:
                    caughtUp = true
                    onEvent(.caughtUp)
                    if stopWhenCaughtUp { finished = true }
                case .close(let error):
                    if let error { SessionMetrics.rejected(error.code.rawValue) }
                    closing = error
                    finished = true
                }
            }
        }

        await execute(session.start(now: now()))
        if !finished {
            for await event in events {
                switch event {
                case .frame(let bytes):
                    await execute(session.onFrame(bytes, now: now()))
                    gate.release(bytes.count)
                case .text:
                    await execute(session.onTextFrame())
                    gate.release()
                case .oversized: await execute(session.onOversizedFrame())
                case .local(let scope):
                    // Taken off first: what commits while this one is handled notifies again.
                    _ = waiting.withLock { $0.remove(scope) }
                    await execute(session.onLocalChange(scope))
                case .handshakeTimeout: await execute(session.onHandshakeTimeout())
                case .revalidate:
                    if case .server = session.role, session.isOpen, let peer = session.peer, !admitted(peer) {
                        logger.warning("closing the session of a replica no longer admitted", metadata: ["replica": "\(peer.replica.hex)"])
                        await execute(session.onRevoked("replica \(peer.replica.hex) is no longer admitted (its key or school was removed)"))
                    } else if session.isOpen, membershipVersion != nil {
                        // Statements learnt meanwhile go on to the peer at once.
                        await execute(newMemberships())
                    }
                case .retry(let scope, let replica, let seq): await execute(session.onRetry(scope, replica: replica, from: seq))
                case .ended:
                    // A one-shot sync whose connection ends before it caught up has not
                    // synced, whatever it did so far: it says so, never "done". (A live
                    // session ends this way when either side goes; its link reconnects.)
                    if stopWhenCaughtUp, !caughtUp, !session.isClosed {
                        closing = SessionError(.connectionLost, "the connection ended before the session did")
                    }
                    finished = true
                }
                if finished || session.isClosed { break }
            }
        }
        continuation.finish()
        if established { SessionMetrics.active.decrement() }
        if let closing { logger.info("session closed", metadata: ["reason": "\(closing)"]) }
        await transport.close()
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


/// Permits for reading frames: the reader takes one before each frame and charges the
/// frame's bytes once it is read; the session gives both back when the frame is handled. While
/// the frames or the bytes that wait are at their budget, no more is read (TCP back-pressure).
/// Before `Welcome` the budget is small; once established it holds what an honest peer may
/// send before it hears back. Closing lets a waiting reader go (and read no more).
final class FrameGate: Sendable {
    private struct State {
        var frames = 0
        var bytes = 0
        var frameBudget: Int
        var byteBudget: Int
        var waiting: [CheckedContinuation<Bool, Never>] = []
        var closed = false
        var authenticated = false

        var fits: Bool { frames < frameBudget && bytes < byteBudget }

        /// The waiting reader, if it may read now (its permit taken).
        mutating func wake() -> CheckedContinuation<Bool, Never>? {
            guard !closed, !waiting.isEmpty, fits else { return nil }
            frames += 1
            return waiting.removeFirst()
        }
    }
    private let state: Mutex<State>

    /// True once the session is established: from then on frames may be large.
    var authenticated: Bool { state.withLock { $0.authenticated } }

    init(frames: Int, bytes: Int = .max) {
        state = Mutex(State(frameBudget: max(1, frames), byteBudget: max(1, bytes)))
    }

    /// The session is established: frames may be large, and the budgets are the given ones.
    func markAuthenticated(frames: Int, bytes: Int) {
        let ready = state.withLock { state in
            state.authenticated = true
            state.frameBudget = max(1, frames)
            state.byteBudget = max(1, bytes)
            return state.wake()
        }
        ready?.resume(returning: true)
    }

    /// Waits for a permit; false once the gate is closed.
    func acquire() async -> Bool {
        await withCheckedContinuation { continuation in
            let ready: Bool? = state.withLock { state in
                if state.closed { return false }
                if state.waiting.isEmpty, state.fits {
                    state.frames += 1
                    return true
                }
                state.waiting.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// The frame read with the last permit holds `bytes`.
    func charge(_ bytes: Int) {
        state.withLock { $0.bytes += bytes }
    }

    /// A frame of `bytes` is handled: its permit and its bytes go back (to a waiting reader, if
    /// it now fits).
    func release(_ bytes: Int = 0) {
        let ready = state.withLock { state in
            state.frames = max(0, state.frames - 1)
            state.bytes = max(0, state.bytes - bytes)
            return state.wake()
        }
        ready?.resume(returning: true)
    }

    /// Ends reading: a waiting reader is let go with false.
    func close() {
        let waiting = state.withLock { state in
            state.closed = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume(returning: false) }
    }
}
