import Foundation
import HummingbirdWSClient
public import KCReplica
public import Logging
public import NIOSSL
public import ServiceLifecycle
import SyncCore
import SyncStore
public import SyncNet
import SyncProtocol
import Synchronization

/// The other end of a link this replica opens: the board server, or a peer of the same school.
public enum LinkTarget: Sendable, Equatable {
    /// The board server at this address; syncs the board scope.
    case board(url: String)
    /// A replica of the same school; syncs the school scope and the board scope, and accepts
    /// only the peer's registered key.
    case peer(PeerEntry)

    /// The address to connect to.
    public var url: String {
        switch self {
        case .board(let url): url
        case .peer(let peer): peer.url ?? ""
        }
    }

    /// How status and reports name it.
    public var name: String {
        switch self {
        case .board: "bestuur"
        case .peer(let peer): "peer \(peer.replica.prefix(8))"
        }
    }

    /// How the store's refusal records name the link: `board`, or the peer's key.
    public var linkID: String {
        switch self {
        case .board: "board"
        case .peer(let peer): peer.publicKey
        }
    }
}

/// What one sync on a link moved.
public struct LinkOutcome: Sendable {
    /// Which link.
    public var target: LinkTarget
    /// Changes received and stored.
    public var received: Int
    /// Changes sent.
    public var sent: Int
    /// Why it failed, or nil.
    public var error: String?
    /// Changes of ours (or relayed by us) that the other side refused, one by one.
    public var refused = 0
}

/// Opens sessions on one link: connects, syncs, pushes local changes as they commit, and
/// (as a service) reconnects with exponential backoff and jitter when the link drops.
public struct LinkService: Service {
    let replica: KCReplica
    let target: LinkTarget
    let notifier: ChangeNotifier
    let logger: Logger
    let status: StatusFile
    let stillWanted: @Sendable () -> Bool

    /// A link from `replica` to `target`. `stillWanted` is asked before each reconnect; the
    /// service ends when it says no (a peer was removed).
    public init(replica: KCReplica, target: LinkTarget, notifier: ChangeNotifier, status: StatusFile, logger: Logger,
                stillWanted: @escaping @Sendable () -> Bool = { true }) {
        self.replica = replica
        self.target = target
        self.notifier = notifier
        self.status = status
        self.logger = logger
        self.stillWanted = stillWanted
    }

    public func run() async throws {
        var delay = 0.5
        while !Task.isShuttingDownGracefully && !Task.isCancelled && stillWanted() {
            LinkService.record(status, target) { $0.state = "connecting"; $0.url = target.url }
            let outcome = await LinkService.syncOnce(replica: replica, target: target, notifier: notifier, logger: logger,
                                                     status: status, stopWhenCaughtUp: false)
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            LinkService.record(status, target) { $0.state = "waiting"; $0.lastError = outcome.error }
            let pause = Int(delay * Double.random(in: 0.8...1.2) * 1000)
            try? await cancelWhenGracefulShutdown {
                try await Task.sleep(for: .milliseconds(pause))
            }
            delay = outcome.error == nil ? 0.5 : min(30, delay * 2)
        }
        LinkService.record(status, target) { $0.state = "stopped" }
    }

    static func record(_ status: StatusFile?, _ target: LinkTarget, _ change: (inout LinkStatus) -> Void) {
        switch target {
        case .board: status?.update(change)
        case .peer(let peer): status?.updatePeer(peer.publicKey, change)
        }
    }

    /// The TLS settings for `wss://` links: the system's trust roots, or only the CA
    /// certificates in the PEM file `boardCA` names. The server's name is always verified.
    public static func tlsConfiguration(for replica: KCReplica) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let file = replica.configuration.boardCA {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(file))
        }
        return tls
    }

    /// One session on the link. With `stopWhenCaughtUp` it ends once both sides hold
    /// everything; otherwise it stays for live push until the connection ends.
    public static func syncOnce(
        replica: KCReplica, target: LinkTarget, notifier: ChangeNotifier, logger: Logger, status: StatusFile?,
        stopWhenCaughtUp: Bool, onEvent: @escaping @Sendable (SessionEvent) -> Void = { _ in }
    ) async -> LinkOutcome {
        let before = replica.store.replicaID
        let outcome = await session(replica: replica, target: target, notifier: notifier, logger: logger, status: status,
                                    stopWhenCaughtUp: stopWhenCaughtUp, onEvent: onEvent)
        guard replica.store.replicaID != before else { return outcome }
        // The replica found its chain forked and moved to a new identity: sync again as it.
        let again = await session(replica: replica, target: target, notifier: notifier, logger: logger, status: status,
                                  stopWhenCaughtUp: stopWhenCaughtUp, onEvent: onEvent)
        return LinkOutcome(target: target, received: outcome.received + again.received, sent: outcome.sent + again.sent, error: again.error,
                           refused: outcome.refused + again.refused)
    }

    static func session(
        replica: KCReplica, target: LinkTarget, notifier: ChangeNotifier, logger: Logger, status: StatusFile?,
        stopWhenCaughtUp: Bool, onEvent: @escaping @Sendable (SessionEvent) -> Void
    ) async -> LinkOutcome {
        if let problem = LinkService.addressProblem(target.url) {
            return LinkOutcome(target: target, received: 0, sent: 0, error: problem)
        }
        let counts = Mutex((received: 0, sent: 0, refused: 0))
        let store = replica.store
        let link = target.linkID
        let runner = SessionRunner(store: store, notifier: notifier, logger: logger, exclusions: { scope in
            (try? store.excludedChains(link: link, scope: scope)) ?? VersionVector()
        }, onEvent: { event in
            switch event {
            case .established(let peer, _):
                LinkService.learnBoardKey(replica: replica, target: target, server: peer, logger: logger)
                // A one-shot sync records what it learned, not a link state a daemon owns.
                if !stopWhenCaughtUp { record(status, target) { $0.state = "connected"; $0.lastError = nil } }
            case .refusedByPeer(let scope, let refusals):
                counts.withLock { $0.refused += refusals.count }
                do { try store.recordRefusals(refusals, link: link, direction: "sent", scope: scope) } catch {
                    logger.error("could not record refusals", metadata: ["error": "\(error)"])
                }
            case .refusedHere(let scope, let refusals):
                do { try store.recordRefusals(refusals, link: link, direction: "received", scope: scope) } catch {
                    logger.error("could not record refusals", metadata: ["error": "\(error)"])
                }
            case .peerHolds(let scope, let vector):
                try? store.clearRefusals(link: link, direction: "sent", scope: scope, heldBy: vector)
            case .received(let scope, let n):
                counts.withLock { $0.received += n }
                if let held = try? store.versionVector(scope) { try? store.clearRefusals(link: link, direction: "received", scope: scope, heldBy: held) }
            case .caughtUp:
                let vector = (try? replica.store.versionVector(replica.boardScope)) ?? VersionVector()
                record(status, target) {
                    $0.lastSync = ISO8601DateFormatter().string(from: Date())
                    $0.boardVector = Dictionary(uniqueKeysWithValues: vector.entries.map { ($0.key.hex, $0.value) })
                }
            case .sent(_, let n): counts.withLock { $0.sent += n }
            default: break
            }
            onEvent(event)
        })
        let role: SyncSession.Role
        switch target {
        case .board:
            // The board's key, once pinned, is the only one accepted: another server on the
            // board's address gets no session.
            role = .client(scopes: [replica.boardScope], audience: replica.boardScope.name,
                           pinnedServerKey: replica.boardKey.flatMap { Hex.decode($0.key) })
        case .peer(let peer):
            role = .client(scopes: [replica.schoolScope, replica.boardScope], audience: "replica/\(peer.replica)",
                           pinnedServerKey: peer.publicKeyBytes)
        }
        var url = target.url
        if !url.hasSuffix("/sync") { url += url.hasSuffix("/") ? "sync" : "/sync" }
        var configuration = WebSocketClientConfiguration()
        configuration.maxFrameSize = SessionLimits.standard.maximumWireFrameBytes
        let tls: TLSConfiguration
        switch target {
        case .board:
            do { tls = try tlsConfiguration(for: replica) } catch {
                return LinkOutcome(target: target, received: 0, sent: 0, error: "the CA file \(replica.configuration.boardCA ?? "") cannot be read: \(error)")
            }
        case .peer(let peer):
            // TLS 1.3 to a peer: its certificate must be for the key it was registered with.
            do { tls = try PeerTLS.client(key: replica.store.key, peerKey: peer.publicKeyBytes) } catch {
                return LinkOutcome(target: target, received: 0, sent: 0, error: "no TLS identity for the peer link: \(error)")
            }
            // The peer is known by its key, not by a name: the name sent in the handshake is
            // its replica id, also when the address is an IP address (which SNI cannot carry).
            configuration.sniHostname = "replica-\(peer.replica.prefix(16)).kcsync"
        }
        let closing = SessionOutcome()
        let (address, settings) = (url, configuration)
        let error = await connectWithDeadline(seconds: connectSeconds) { started in
            do {
                try await WebSocketClient.connect(url: address, configuration: settings, tlsConfiguration: tls,
                                                  logger: logger) { inbound, outbound, _ in
                    started()
                    let chain = ((try? replica.store.membershipChain(for: replica.store.replicaID)) ?? []).map { $0.serialized() }
                    let session = SyncSession(role: role, key: replica.store.key, school: replica.configuration.school,
                                              board: replica.configuration.board, nonce: SessionRunner.nonce(), memberships: chain)
                    let error = await runner.run(session, inbound: inbound, outbound: outbound, stopWhenCaughtUp: stopWhenCaughtUp)
                    closing.error.withLock { $0 = error }
                    closing.ended.withLock { $0 = true }
                }
            } catch {
                // Once the session has ended, what the connection's teardown throws does not
                // change what the session did.
                guard closing.ended.withLock({ $0 }) else { throw error }
                logger.debug("connection teardown", metadata: ["error": "\(error)"])
            }
            if let error = closing.error.withLock({ $0 }) { throw error }
        }
        if let error { logger.info("link ended", metadata: ["url": "\(target.url)", "error": "\(error)"]) }
        let (received, sent, refused) = counts.withLock { $0 }
        return LinkOutcome(target: target, received: received, sent: sent, error: error, refused: refused)
    }

    /// Why a link may not use `url` (cleartext to another machine), or nil. Checked again at
    /// every connect, for addresses set by an older kcsync.
    static func addressProblem(_ url: String) -> String? {
        guard url.hasPrefix("ws://") else { return nil }
        guard let host = URL(string: url)?.host, KCReplica.isLoopback(host) else {
            return "refused to connect to \(url): ws:// is unencrypted and allowed only to this machine; use wss://"
        }
        return nil
    }

    /// On the first contact with the board, pins the key it proved it holds; from a peer of
    /// this school (pinned by its key), learns the board's key from the root of the peer's
    /// membership chain. Either way only when no key is pinned yet; `kcsync status` shows the
    /// key and how it was learnt, so IT can compare it with `kcsync board key`.
    static func learnBoardKey(replica: KCReplica, target: LinkTarget, server: SyncSession.Peer, logger: Logger) {
        guard replica.boardKey == nil else { return }
        switch target {
        case .board:
            do {
                try replica.store.pinBoardKey(server.publicKey, source: "firstContact")
                logger.notice("pinned the board's key on first contact", metadata: ["key": "\(Hex.encode(server.publicKey))"])
            } catch {
                logger.error("could not pin the board's key", metadata: ["error": "\(error)"])
            }
        case .peer:
            let chain = server.memberships.compactMap { try? SignedMembership(serialized: $0) }
            guard let root = MembershipRoster.root(of: chain) else { return }
            try? replica.store.pinBoardKey(root, source: "peer")
        }
    }

    /// Seconds from starting to connect until the WebSocket is up (TCP, TLS and the upgrade).
    public static let connectSeconds = 20

    /// Runs `connect` until it ends, and gives up on it when it has not called `started`
    /// within `seconds`: the WebSocket client has no deadline of its own for the TLS handshake
    /// and the upgrade, and a server that never answers must not hang a sync. Returns the
    /// error text, or nil when it ended cleanly.
    static func connectWithDeadline(seconds: Int, _ connect: @escaping @Sendable (_ started: @escaping @Sendable () -> Void) async throws -> Void) async -> String? {
        let gate = Gate()
        let task = Task {
            do {
                try await connect { gate.start() }
                gate.finish(nil)
            } catch {
                gate.finish("\(error)")
            }
        }
        let watchdog = Task {
            try await Task.sleep(for: .seconds(seconds))
            if gate.finishIfNotStarted("no connection within \(seconds) seconds (TCP, TLS or the WebSocket upgrade did not complete)") {
                task.cancel()
            }
        }
        defer { watchdog.cancel() }
        return await withTaskCancellationHandler {
            await gate.wait()
        } onCancel: {
            task.cancel()
        }
    }
}

/// Keeps a ``LinkService`` running for every peer in `peers.json` that has an address: looks
/// again every few seconds (or when told), starts links for new peers, and lets links of
/// removed peers end.
public struct PeerLinksService: Service {
    let replica: KCReplica
    let notifier: ChangeNotifier
    let status: StatusFile
    let logger: Logger
    let interval: Duration

    /// Peer links for `replica`, re-reading `peers.json` every `interval`.
    public init(replica: KCReplica, notifier: ChangeNotifier, status: StatusFile, logger: Logger, interval: Duration = .seconds(2)) {
        self.replica = replica
        self.notifier = notifier
        self.status = status
        self.logger = logger
        self.interval = interval
    }

    public func run() async throws {
        let running = RunningLinks()
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                for peer in replica.peers() where peer.url != nil {
                    guard running.keys.withLock({ $0.insert(peer.publicKey).inserted }) else { continue }
                    let replica = replica
                    let link = LinkService(replica: replica, target: .peer(peer), notifier: notifier, status: status, logger: logger,
                                           stillWanted: { replica.peers().contains(peer) })
                    group.addTask {
                        try? await link.run()
                        _ = running.keys.withLock { $0.remove(peer.publicKey) }
                    }
                }
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            }
        }
    }
}

/// The peers whose link runs.
final class RunningLinks: Sendable {
    let keys = Mutex(Set<String>())
}

/// One result, delivered once, to one waiter: for ``LinkService/connectWithDeadline(seconds:_:)``.
final class Gate: Sendable {
    private struct State {
        var started = false
        var result: String??
        var waiter: CheckedContinuation<String?, Never>?
    }
    private let state = Mutex(State())

    func start() { state.withLock { $0.started = true } }

    func finish(_ result: String?) { _ = deliver(result, onlyIfNotStarted: false) }

    /// Finishes with `result` unless the connection started or it finished already.
    func finishIfNotStarted(_ result: String) -> Bool { deliver(result, onlyIfNotStarted: true) }

    private func deliver(_ result: String?, onlyIfNotStarted: Bool) -> Bool {
        let waiter = state.withLock { state -> CheckedContinuation<String?, Never>?? in
            guard state.result == nil, !(onlyIfNotStarted && state.started) else { return nil }
            state.result = .some(result)
            defer { state.waiter = nil }
            return .some(state.waiter)
        }
        guard let waiter else { return false }
        waiter?.resume(returning: result)
        return true
    }

    func wait() async -> String? {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> String?? in
                if let result = state.result { return .some(result) }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// How a session closed, kept for after the connection ends.
final class SessionOutcome: Sendable {
    let error = Mutex<SessionError?>(nil)
    let ended = Mutex(false)
}
