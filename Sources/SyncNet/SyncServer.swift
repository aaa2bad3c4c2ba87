public import Hummingbird
import HummingbirdCore
public import HummingbirdTLS
public import HummingbirdWebSocket
public import Logging
import NIOCore
public import NIOSSL
public import Prometheus
import SyncProtocol
public import WSCore

/// The HTTP side that every kcsync listener shares, the board server and a daemon's peer
/// listener: `/health`, `/metrics` (Prometheus text, when given a registry) and `/sync`, a
/// WebSocket whose connections `session` serves; TLS when `tls` is given. `routes` adds the
/// caller's own middleware and routes first (the board's sessions, accounts, pages and API),
/// so `/metrics` is behind them: `metricsAllowed` decides from the request's context (by
/// default, only a client on this machine reads the metrics).
public func buildSyncApplication(
    host: String, port: Int, serverName: String, logger: Logger,
    metrics: PrometheusCollectorRegistry? = nil, tls: TLSConfiguration? = nil, tlsChannel: TLSChannelConfiguration? = nil,
    guardian: ConnectionGuard? = nil, maximumConnections: Int = 4_096,
    metricsAllowed: @escaping @Sendable (Request, KCWebContext) async -> Bool = { _, context in context.fromLoopback },
    onServerRunning: @escaping @Sendable (_ port: Int?) async -> Void = { _ in },
    routes: (Router<KCWebContext>) throws -> Void = { _ in },
    session: @escaping @Sendable (WebSocketInboundStream, WebSocketOutboundWriter, Logger) async -> Void
) throws -> some ApplicationProtocol {
    let router = Router(context: KCWebContext.self)
    router.add(middleware: SecurityHeaders(tls: tls != nil || tlsChannel != nil))
    try routes(router)
    router.get("/health") { _, _ in "ok\n" }
    if let metrics {
        router.get("/metrics") { request, context in
            guard await metricsAllowed(request, context) else {
                return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer realm=\"kcsync\", Basic realm=\"kcsync\""])
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
        }
    }
    let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
    webSocketRouter.ws("/sync") { inbound, outbound, context in
        await session(inbound, outbound, context.logger)
    }
    // One WebSocket frame is at most this; a larger message arrives in fragments, assembled
    // by the session under its own limit (small until Welcome).
    let frames = SessionLimits.standard.maximumWireFrameBytes
    // Limits before trust: per-address cap, request-head deadline, idle limit.
    let guardian = guardian ?? ConnectionGuard(logger: logger)
    let guarded = HTTPServerBuilder.guardedWebSocket(
        webSocketRouter: webSocketRouter,
        configuration: .init(maxFrameSize: frames, autoPing: .enabled(timePeriod: .seconds(guardian.pingSeconds))),
        guardian: guardian)
    return Application(
        responder: HeadAsGet(base: router.buildResponder()),
        server: try tlsChannel.map { try .tls(guarded, configuration: $0) } ?? tls.map { try .tls(guarded, tlsConfiguration: $0) } ?? guarded,
        configuration: .init(address: .hostname(host, port: port), serverName: serverName,
                             availableConnectionsDelegate: MaximumAvailableConnections(maximumConnections, logger: logger)),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port) },
        logger: logger
    )
}

/// HEAD is GET without the body (RFC 9110, 9.3.2): Hummingbird's router knows only the
/// methods its routes name, so every GET route answers HEAD through this, with the headers
/// (and the length) the GET would have.
public struct HeadAsGet<Base: HTTPResponder>: HTTPResponder {
    public typealias Context = Base.Context
    let base: Base

    public init(base: Base) {
        self.base = base
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        guard request.method == .head else { return try await base.respond(to: request, context: context) }
        var head = request.head
        head.method = .get
        let response = try await base.respond(to: Request(head: head, body: request.body), context: context)
        var headers = response.headers
        if let length = response.body.contentLength { headers[.contentLength] = "\(length)" }
        return Response(status: response.status, headers: headers, body: .init())
    }
}
