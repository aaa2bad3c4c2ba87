public import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import NIOCore
public import NIOSSL
public import Prometheus
public import KCReplica
public import Logging
import SyncCore
import SyncStore
public import SyncNet
import SyncProtocol

/// Builds the board server's application: the sync endpoint `/sync` (WebSocket), `/health`,
/// `/metrics` (Prometheus text, from `metrics`), and the merged view as pages (`/`, `/login`)
/// and JSON (`/api/v1/…`, docs/openapi.yaml) for board accounts only. With `tls` it serves `wss://` itself;
/// without, plain `ws://` for loopback or behind a reverse proxy that ends TLS. Tests build
/// the same application as `kcsync board serve` does.
///
/// The server admits only replica keys registered for a school of this board, grants them
/// the board scope only, and applies only what passes the chain, signature, clock, schema and
/// privacy checks. A change accepted from one school is pushed at once to every other school
/// connected (through the shared ``ChangeNotifier``).
public func buildBoardApplication(
    board: BoardReplica, host: String = "127.0.0.1", port: Int = 8450,
    notifier: ChangeNotifier = ChangeNotifier(), logger: Logger,
    metrics: PrometheusCollectorRegistry? = nil, tls: TLSConfiguration? = nil, guardian: ConnectionGuard? = nil,
    onServerRunning: @escaping @Sendable (_ port: Int?) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let web = BoardWeb(board: board, logger: logger, secureCookies: tls != nil)
    return try buildSyncApplication(host: host, port: port, serverName: "kcsync-board", logger: logger, metrics: metrics, tls: tls,
                                    guardian: guardian, metricsAllowed: { _, context in context.identity != nil }, onServerRunning: onServerRunning, routes: web.register(on:)) { inbound, outbound, logger in
        let session = SyncSession(role: .server(audience: board.scope.name), key: board.store.key, school: "", board: board.board,
                                  nonce: SessionRunner.nonce())
        let link = SessionPeerName()      // the school the session speaks for
        let runner = SessionRunner(store: board.store, notifier: notifier, logger: logger, authorize: { peer in
            // Admitted: a replica whose membership of one of this board's schools the stored
            // statements (or those it presented, checked against them) prove.
            guard peer.board == board.board, board.isMember(peer.replica) else { return nil }
            return [board.scope]
        }, admitted: { peer in board.isMember(peer.replica) }, onEvent: { event in
            switch event {
            case .established(let peer, _):
                link.set((try? board.store.trust())?.authority(of: peer.replica)?.school ?? peer.replica.hex)
            case .refusedHere(let scope, let refusals):
                try? board.store.recordRefusals(refusals, link: link.get() ?? "unknown", direction: "received", scope: scope)
            case .refusedByPeer(let scope, let refusals):
                try? board.store.recordRefusals(refusals, link: link.get() ?? "unknown", direction: "sent", scope: scope)
            case .peerHolds(let scope, let vector):
                if let school = link.get() { try? board.store.clearRefusals(link: school, direction: "sent", scope: scope, heldBy: vector) }
            case .received(let scope, _):
                if let school = link.get(), let held = try? board.store.versionVector(scope) {
                    try? board.store.clearRefusals(link: school, direction: "received", scope: scope, heldBy: held)
                }
            default:
                break
            }
        })
        _ = await runner.run(session, inbound: inbound, outbound: outbound)
    }
}
