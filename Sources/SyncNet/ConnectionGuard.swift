public import HummingbirdCore
public import HummingbirdWebSocket
public import Hummingbird
public import Logging
public import NIOCore
import Synchronization

/// Limits before trust, for the board's port and a daemon's peer listener: at most so many
/// connections from one address, a deadline for the request head (a half-sent `GET /sync`
/// is closed, not kept), and an idle limit for connections that say nothing. The session's
/// own handshake deadline and small pre-authentication frame limit come after these.
public final class ConnectionGuard: Sendable {
    /// Connections one address may hold at once.
    public let maximumPerAddress: Int
    /// Seconds from accept until the request head has arrived whole.
    public let headSeconds: Int64
    /// Seconds a connection may be silent both ways (WebSockets ping every `pingSeconds`).
    public let idleSeconds: Int64
    /// Seconds between the server's WebSocket pings; a peer whose pong has not been read by
    /// the next one is disconnected.
    public let pingSeconds: Int64
    let logger: Logger
    private let open = Mutex<[String: Int]>([:])
    private let shedCount = Atomic<Int>(0)

    public init(maximumPerAddress: Int = 32, headSeconds: Int64 = 10, idleSeconds: Int64 = 90, pingSeconds: Int64 = 20, logger: Logger) {
        self.maximumPerAddress = maximumPerAddress
        self.headSeconds = headSeconds
        self.idleSeconds = idleSeconds
        self.pingSeconds = pingSeconds
        self.logger = logger
    }

    /// Connections closed by a limit so far.
    public var shed: Int { shedCount.load(ordering: .relaxed) }

    /// Connections open now from `address`.
    public func openConnections(from address: String) -> Int { open.withLock { $0[address] ?? 0 } }

    func admit(_ address: String) -> Bool {
        open.withLock { open in
            let count = open[address] ?? 0
            guard count < maximumPerAddress else { return false }
            open[address] = count + 1
            return true
        }
    }

    func release(_ address: String) {
        open.withLock { open in
            let count = (open[address] ?? 1) - 1
            open[address] = count > 0 ? count : nil
        }
    }

    func shed(_ reason: String, address: String, channel: any Channel) {
        shedCount.add(1, ordering: .relaxed)
        SessionMetrics.rejected(reason)
        // The address is the peer's, not text it sent: safe to log.
        logger.notice("connection shed", metadata: ["reason": "\(reason)", "address": "\(address)"])
        channel.close(promise: nil)
    }
}

/// The guard's handler: first in a connection's pipeline (after TLS, so it sees the request
/// bytes in the clear).
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let guardian: ConnectionGuard
    var address = "unknown"
    var admitted = false
    var headSeen = false
    var tail: [UInt8] = []
    var deadline: Scheduled<Void>?

    init(_ guardian: ConnectionGuard) {
        self.guardian = guardian
    }

    func handlerAdded(context: ChannelHandlerContext) {
        address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard guardian.admit(address) else {
            guardian.shed("too_many_connections_per_address", address: address, channel: context.channel)
            return
        }
        admitted = true
        let channel = context.channel
        let (guardian, address) = (guardian, address)
        channel.closeFuture.whenComplete { _ in guardian.release(address) }
        deadline = context.eventLoop.scheduleTask(in: .seconds(guardian.headSeconds)) { [weak self] in
            guard let self, !self.headSeen else { return }
            guardian.shed("request_head_timeout", address: address, channel: channel)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !headSeen {
            // The head ends at the first empty line.
            // (Only until the head is seen: the HTTP decoder bounds how much that can be.)
            let buffer = unwrapInboundIn(data)
            let bytes = tail + Array(buffer.readableBytesView)
            if bytes.count >= 4, (0...(bytes.count - 4)).contains(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10 }) {
                headSeen = true
                deadline?.cancel()
            } else {
                tail = Array(bytes.suffix(3))
            }
        }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .all {
            guardian.shed("idle", address: address, channel: context.channel)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// A server child channel with the guard in front of the base channel's handlers.
struct GuardedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let guardian: ConnectionGuard

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: .seconds(guardian.idleSeconds)))
            try channel.pipeline.syncOperations.addHandler(ConnectionGuardHandler(guardian))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Base.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension GuardedChannel: HTTPChannelHandler where Base: HTTPChannelHandler {
    var responder: HTTPChannelHandler.Responder { base.responder }
}

extension ServerChildChannel {
    func guarded(by guardian: ConnectionGuard) -> any ServerChildChannel {
        GuardedChannel(base: self, guardian: guardian)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with the WebSocket upgrade (`webSocketRouter`), with ``ConnectionGuard``'s
    /// limits in front of every connection.
    static func guardedWebSocket<Builder: HTTPResponderBuilder>(
        webSocketRouter: Builder, configuration: WebSocketServerConfiguration, guardian: ConnectionGuard
    ) -> HTTPServerBuilder where Builder.Responder.Context: WebSocketRequestContext {
        let webSocketResponder = webSocketRouter.buildResponder()
        return .init { responder in
            HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder,
                                         configuration: .init(http1: .init(), ws: configuration))
                .guarded(by: guardian)
        }
    }
}
