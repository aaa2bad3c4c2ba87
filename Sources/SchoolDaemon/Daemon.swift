import Foundation
import SchoolWeb
import Hummingbird
import HummingbirdWebSocket
import NIOCore
public import NIOSSL
public import Prometheus
public import KCReplica
public import Logging
public import ServiceLifecycle
import SyncCore
import Synchronization
import SyncProtocol
import SyncStore
public import SyncNet

/// The school daemon: the services `kcsync daemon` runs in one `ServiceGroup`.
public enum SchoolDaemon {
    /// Where peers may connect: `host:port`.
    public struct Listen: Sendable, Equatable {
        /// The address to bind.
        public var host: String
        /// The port to bind (0: any free port).
        public var port: Int
        /// Serve TLS 1.3 with the replica's key, clients authenticated by theirs (``PeerTLS``):
        /// always when the address is reachable from another machine; on loopback only when asked.
        public var tls = false

        /// Parses `HOST:PORT` (`0.0.0.0:8451`) or a bare port, which binds loopback only: a
        /// listener reachable from the school's network is a choice made by naming its address.
        public init?(_ text: String) {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count == 1, let port = Int(parts[0]), (0...65535).contains(port) {
                host = "127.0.0.1"
                self.port = port
            } else if parts.count >= 2, let port = Int(parts.last!), (0...65535).contains(port), !parts.dropLast().joined(separator: ":").isEmpty {
                host = parts.dropLast().joined(separator: ":")
                self.port = port
            } else {
                return nil
            }
            tls = !KCReplica.isLoopback(host)
        }
    }

    /// The services of a daemon for `replica`: the board link (when a board address is set),
    /// the links to peers with an address, the peer listener (with `listen`), the local change
    /// watcher and the control socket.
    public static func services(replica: KCReplica, listen: Listen?, web: Listen? = nil, webTLS: TLSConfiguration? = nil, logger: Logger, metrics: PrometheusCollectorRegistry? = nil,
                                onListening: @escaping @Sendable (Int?) async -> Void = { _ in },
                                onWeb: @escaping @Sendable (String) async -> Void = { _ in }) throws -> [any Service] {
        let notifier = ChangeNotifier()
        let status = StatusFile(directory: replica.directory)
        status.claim()
        var services: [any Service] = [StoreWatcher(store: replica.store, scopes: [replica.schoolScope, replica.boardScope], notifier: notifier)]
        if let url = replica.configuration.boardURL {
            services.append(LinkService(replica: replica, target: .board(url: url), notifier: notifier, status: status, logger: logger))
        }
        services.append(PeerLinksService(replica: replica, notifier: notifier, status: status, logger: logger))
        if let listen {
            services.append(try peerApplication(replica: replica, host: listen.host, port: listen.port, tls: listen.tls, notifier: notifier, status: status,
                                            logger: logger, metrics: metrics, onServerRunning: onListening))
        }
        if let web {
            let application = try SchoolWeb.application(replica: replica, notifier: notifier, links: { linkSummaries(replica: replica, status: status) },
                                                        logger: logger, host: web.host, port: web.port, tls: webTLS) { port in
                guard let port else { return }
                let url = "\(webTLS == nil ? "http" : "https")://\(web.host.contains(":") ? "[\(web.host)]" : web.host):\(port)"
                status.setWeb(url)
                await onWeb(url)
            }
            services.append(WebService(application: application, address: "\(web.host):\(web.port)", status: status, logger: logger))
        }
        // Bewaartermijnen: what is due is erased once a day (everywhere, through the erasures).
        services.append(PeriodicTask(name: "retention", every: .seconds(86_400), logger: logger) {
            let erased = try replica.applyRetention()
            if !erased.isEmpty { logger.notice("retention erased records past their term", metadata: ["count": "\(erased.count)"]) }
        })
        services.append(ControlServer(directory: replica.directory, logger: logger) { op in
            await control(op, replica: replica, notifier: notifier, status: status, logger: logger)
        })
        return services
    }

    static func control(_ op: String, replica: KCReplica, notifier: ChangeNotifier, status: StatusFile, logger: Logger) async -> Data? {
        switch op {
        case "changed":
            notifier.notify(replica.schoolScope)
            notifier.notify(replica.boardScope)
            return Data("{\"ok\":true}".utf8)
        case "status":
            return try? JSONEncoder().encode(status.snapshot)
        case "sync":
            let outcomes = await syncAll(replica: replica, notifier: notifier, status: nil, logger: logger)
            return try? JSONSerialization.data(withJSONObject: ["links": outcomes.map(describe)], options: [.sortedKeys, .withoutEscapingSlashes])
        default:
            return nil
        }
    }

    /// One sync with the board (if it has an address) and each peer with an address, one
    /// after the other, each until caught up.
    public static func syncAll(replica: KCReplica, notifier: ChangeNotifier, status: StatusFile?, logger: Logger,
                               onEvent: @escaping @Sendable (LinkTarget, SessionEvent) -> Void = { _, _ in }) async -> [LinkOutcome] {
        var targets: [LinkTarget] = []
        if let url = replica.configuration.boardURL { targets.append(.board(url: url)) }
        targets += replica.peers().filter { $0.url != nil }.map { .peer($0) }
        var outcomes: [LinkOutcome] = []
        for target in targets {
            outcomes.append(await LinkService.syncOnce(replica: replica, target: target, notifier: notifier, logger: logger, status: status,
                                                       stopWhenCaughtUp: true) { onEvent(target, $0) })
        }
        return outcomes
    }

    /// An outcome as JSON.
    public static func describe(_ outcome: LinkOutcome) -> [String: Any] {
        var object: [String: Any] = ["link": outcome.target.name, "url": outcome.target.url,
                                     "received": outcome.received, "sent": outcome.sent, "refused": outcome.refused]
        if let error = outcome.error { object["error"] = error }
        return object
    }

    /// The peer listener: `/sync` for replicas of this school whose key is in `peers.json`
    /// (school and board scope), and `/health`.
    public static func peerApplication(replica: KCReplica, host: String, port: Int, tls: Bool = false, notifier: ChangeNotifier,
                                       status: StatusFile, logger: Logger, metrics: PrometheusCollectorRegistry? = nil,
                                       onServerRunning: @escaping @Sendable (Int?) async -> Void = { _ in }) throws -> some Service {
        // With TLS, a client gets through the handshake only with the key of a peer this
        // replica registered, looked up at each handshake.
        let peerTLS = tls ? try PeerTLS.server(key: replica.store.key, registered: { Set(replica.peers().map(\.publicKeyBytes)) }) : nil
        return try buildSyncApplication(host: host, port: port, serverName: "kcsync-peer", logger: logger, metrics: metrics,
                                        tlsChannel: peerTLS, onServerRunning: onServerRunning) { inbound, outbound, logger in
            let chain = ((try? replica.store.membershipChain(for: replica.store.replicaID)) ?? []).map { $0.serialized() }
            let session = SyncSession(role: .server(audience: "replica/\(replica.store.replicaID.hex)"), key: replica.store.key,
                                      school: replica.configuration.school, board: replica.configuration.board, nonce: SessionRunner.nonce(),
                                      memberships: chain)
            let peerKey = SessionPeerName()
            let runner = SessionRunner(store: replica.store, notifier: notifier, logger: logger, authorize: { peer in
                peer.board == replica.configuration.board ? replica.peerScopes(replica: peer.replica) : nil
            }, admitted: { peer in
                replica.peerScopes(replica: peer.replica) != nil
            }, onEvent: { event in
                switch event {
                case .refusedHere(let scope, let refusals):
                    if let key = peerKey.get() { try? replica.store.recordRefusals(refusals, link: key, direction: "received", scope: scope) }
                case .refusedByPeer(let scope, let refusals):
                    if let key = peerKey.get() { try? replica.store.recordRefusals(refusals, link: key, direction: "sent", scope: scope) }
                case .established(let peer, _):
                    let key = Hex.encode(peer.publicKey)
                    peerKey.set(key)
                    status.updatePeer(key) { $0.state = "connected"; $0.lastError = nil }
                case .caughtUp:
                    if let key = peerKey.get() {
                        status.updatePeer(key) { $0.lastSync = ISO8601DateFormatter().string(from: Date()) }
                    }
                default: break
                }
            })
            _ = await runner.run(session, inbound: inbound, outbound: outbound)
            if let key = peerKey.get(), replica.peers().first(where: { $0.publicKey == key })?.url == nil {
                status.updatePeer(key) { $0.state = "disconnected" }
            }
        }
    }
}


extension SchoolDaemon {
    /// The links as the start page shows them: the board and each registered peer.
    static func linkSummaries(replica: KCReplica, status: StatusFile) -> [SchoolWeb.Link] {
        let saved = status.snapshot
        var links: [SchoolWeb.Link] = []
        if let url = replica.configuration.boardURL {
            links.append(SchoolWeb.Link(name: "bestuur (\(url))", state: saved.board.state, lastSync: saved.board.lastSync,
                                        problem: saved.board.lastError, pending: saved.board.pending(of: replica)))
        }
        for peer in replica.peers() {
            let link = saved.peers[peer.publicKey]
            links.append(SchoolWeb.Link(name: "peer \(peer.replica.prefix(8))", state: link?.state ?? "stopped", lastSync: link?.lastSync,
                                        problem: link?.lastError))
        }
        return links
    }
}

/// The kc'er's pages as a service of the daemon. A port that cannot be had (another daemon
/// on this machine has it) stops the pages only: the log says why, and syncing goes on.
struct WebService<App: ApplicationProtocol>: Service {
    let application: App
    let address: String
    let status: StatusFile
    let logger: Logger

    func run() async throws {
        do {
            try await application.run()
        } catch {
            logger.error("the pages are not served: the address cannot be used", metadata: ["address": "\(address)", "error": "\(error)"])
            status.setWeb(nil)
            try? await gracefulShutdown()
        }
        status.setWeb(nil)
    }
}
