public import Foundation
public import SyncCore
public import SyncProtocol
public import SyncStore

/// One side of an in-memory connection: a session state machine and the store it syncs,
/// with its directives carried out at once (the job the WebSocket shells do for real).
public final class SessionEndpoint {
    /// The state machine.
    public private(set) var session: SyncSession
    /// The replica.
    public let store: ReplicaStore
    /// (Server) What a peer may sync; nil denies it.
    let authorize: ((SyncSession.Peer) -> [Scope]?)?
    /// Frames waiting to be delivered to the other side.
    public private(set) var outbox: [Data] = []
    /// Set when the session closed; the inner value is the error, if it was not a normal close.
    public private(set) var closed: SessionError??
    /// True once the session reported that both sides are caught up.
    public private(set) var caughtUp = false
    /// The peer, once the handshake is done.
    public private(set) var established: SyncSession.Peer?
    /// Bytes sent.
    public private(set) var bytesSent = 0
    /// Frames sent.
    public private(set) var framesSent = 0
    /// The changes this side refused, one by one.
    public private(set) var refused: [ChangeRefusal] = []
    var now: () -> UInt64

    /// An endpoint for `store` playing `role`.
    public init(store: ReplicaStore, role: SyncSession.Role, school: String, board: String, now: @escaping () -> UInt64,
                authorize: ((SyncSession.Peer) -> [Scope]?)? = nil) throws {
        var rng = SystemRandomNumberGenerator()
        let nonce = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        session = SyncSession(role: role, key: store.key, school: school, board: board, nonce: nonce)
        self.store = store
        self.authorize = authorize
        self.now = now
    }

    /// Starts the session (a client says hello).
    public func start() { handle(session.start(now: now())) }

    /// Delivers one frame from the other side.
    public func deliver(_ frame: Data) { handle(session.onFrame(frame, now: now())) }

    /// Takes the frames waiting to be sent.
    public func takeOutbox() -> [Data] {
        defer { outbox.removeAll() }
        return outbox
    }

    /// Tells the session a local change committed in `scope`.
    public func localChange(_ scope: Scope) { handle(session.onLocalChange(scope)) }

    func handle(_ directives: [SyncSession.Directive]) {
        for directive in directives {
            switch directive {
            case .send(let bytes):
                outbox.append(bytes)
                bytesSent += bytes.count
                framesSent += 1
            case .authorize(let peer):
                if let scopes = authorize?(peer) { handle(session.onAuthorized(scopes)) } else { handle(session.onDenied("not registered")) }
            case .readMemberships:
                handle(session.onMemberships(((try? store.memberships()) ?? []).map { $0.serialized() }))
            case .storeMemberships(let statements):
                _ = try? store.storeMemberships(statements)
            case .readVectors(let scopes):
                var vectors: [Scope: VersionVector] = [:]
                for scope in scopes { vectors[scope] = (try? store.versionVector(scope)) ?? VersionVector() }
                handle(session.onVectors(vectors))
            case .readChanges(let scope, let missing, let limit):
                let changes = (try? store.changes(in: scope, missingFrom: missing, limit: limit)) ?? []
                handle(session.onChanges(scope, changes))
            case .apply(let scope, let batch, let changes):
                let result: Result<AppliedBatch, SyncError>
                do {
                    let applied = try store.receive(changes, in: scope)
                    refused += applied.refused
                    result = .success(AppliedBatch(vector: try store.versionVector(scope), refused: applied.refused))
                } catch {
                    result = .failure(error)
                }
                handle(session.onApplied(scope, batch: batch, result: result))
            case .refused, .peerHolds, .ownChainAhead, .compareOwnTip:
                break
            case .established(let peer, _):
                established = peer
            case .progress:
                break
            case .caughtUp:
                caughtUp = true
            case .close(let error):
                if closed == nil { closed = .some(error) }
            }
        }
    }

    func drop() {
        _ = session.onClose()
        if closed == nil { closed = .some(nil) }
        outbox.removeAll()
    }
}

/// An in-memory connection between a client and a server endpoint.
public enum SessionLink {
    /// What a run of the link ended with.
    public struct Outcome: Sendable {
        /// Frames delivered in both directions.
        public var frames: Int
        /// Round trips: how many times the direction of delivery turned.
        public var roundTrips: Int
        /// True when the link was cut by `cutAfter`.
        public var cut: Bool
    }

    /// Runs the session until both sides are quiet, a side closes, or `cutAfter` frames have
    /// been delivered (then the connection drops, as a network fault would).
    @discardableResult
    public static func run(_ client: SessionEndpoint, _ server: SessionEndpoint, cutAfter: Int? = nil) -> Outcome {
        client.start()
        var frames = 0
        var turns = 0
        var lastDirection: Bool?
        while !(client.outbox.isEmpty && server.outbox.isEmpty) {
            if let cutAfter, frames >= cutAfter {
                client.drop()
                server.drop()
                return Outcome(frames: frames, roundTrips: (turns + 1) / 2, cut: true)
            }
            let fromClient = !client.outbox.isEmpty
            if lastDirection != fromClient { turns += 1; lastDirection = fromClient }
            if fromClient {
                // Deliver everything queued in this direction: one flight.
                let flight = client.takeOutbox()
                for frame in flight where server.closed == nil { server.deliver(frame); frames += 1 }
            } else {
                let flight = server.takeOutbox()
                for frame in flight where client.closed == nil { client.deliver(frame); frames += 1 }
            }
        }
        return Outcome(frames: frames, roundTrips: (turns + 1) / 2, cut: false)
    }
}
