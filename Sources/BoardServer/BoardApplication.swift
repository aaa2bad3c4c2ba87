public import Hummingbird
import HummingbirdCore
public import HummingbirdTLS
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
/// and `/metrics` (Prometheus text, from `metrics`). With `tls` it serves `wss://` itself;
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
    metrics: PrometheusCollectorRegistry? = nil, tls: TLSConfiguration? = nil,
    onServerRunning: @escaping @Sendable (_ port: Int?) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let router = Router(context: BasicWebSocketRequestContext.self)
    router.get("/health") { _, _ in "ok\n" }
    if let metrics {
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
        }
    }
    let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
    webSocketRouter.ws("/sync") { inbound, outbound, context in
        let session = SyncSession(role: .server(audience: board.scope.name), key: board.store.key, school: "", board: board.board,
                                  nonce: SessionRunner.nonce())
        let runner = SessionRunner(store: board.store, notifier: notifier, logger: context.logger, authorize: { peer in
            guard peer.board == board.board, board.isRegistered(school: peer.school, publicKey: peer.publicKey) else { return nil }
            return [board.scope]
        }, authors: { peer in board.registeredReplicas(school: peer.school) })
        _ = await runner.run(session, inbound: inbound, outbound: outbound)
    }
    let frames = SessionLimits.standard.maximumFrameBytes + 1024
    let http: HTTPServerBuilder = .http1WebSocketUpgrade(webSocketRouter: webSocketRouter,
                                                         configuration: .init(ws: .init(maxFrameSize: frames, autoPing: .enabled(timePeriod: .seconds(20)))))
    return Application(
        router: router,
        server: try tls.map { try .tls(http, tlsConfiguration: $0) } ?? http,
        configuration: .init(address: .hostname(host, port: port), serverName: "kcsync-board"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port) },
        logger: logger
    )
}
