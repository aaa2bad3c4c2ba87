public import Foundation
import NIOCore
import NIOWebSocket
public import WSCore

/// One message as a session reads it off its connection.
public enum TransportMessage: Sendable, Equatable {
    /// A binary message: one protocol frame.
    case binary(Data)
    /// A text message (no part of the protocol).
    case text
}

/// The reading half of a connection. One task owns it and reads from it in turn.
public protocol TransportReader {
    /// The next whole message, or nil once the connection has ended. Throws when the message
    /// is larger than `maxSize` bytes (which the session answers with `FRAME_TOO_LARGE`).
    mutating func next(maxSize: Int) async throws -> TransportMessage?
}

/// A connection that ``SessionRunner`` runs a session over: a WebSocket in production
/// (``WebSocketTransport``), an in-memory pair in tests (SyncTestKit's `MemoryTransport`), so
/// that tests drive the very loop production runs.
public protocol SessionTransport: Sendable {
    /// The reader type.
    associatedtype Reader: TransportReader
    /// The reader of this connection. Called once, by the task that will read.
    func makeReader() -> Reader
    /// Sends one frame. Throws when the connection is gone.
    func send(_ bytes: Data) async throws
    /// Closes the connection (the peer's reader then ends).
    func close() async
}

/// A WebSocket connection (hummingbird-websocket, server or client side) as a session
/// transport: each protocol frame is one binary message.
public struct WebSocketTransport: SessionTransport {
    let inbound: WebSocketInboundStream
    let outbound: WebSocketOutboundWriter

    /// The transport over an open WebSocket.
    public init(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) {
        self.inbound = inbound
        self.outbound = outbound
    }

    /// Reads whole messages (fragments assembled by WSCore under `maxSize`).
    public struct Reader: TransportReader {
        var messages: WebSocketInboundStream.AsyncIterator

        public mutating func next(maxSize: Int) async throws -> TransportMessage? {
            guard let message = try await messages.nextMessage(maxSize: maxSize) else { return nil }
            switch message {
            case .binary(let buffer): return .binary(Data(buffer.readableBytesView))
            case .text: return .text
            }
        }
    }

    public func makeReader() -> Reader { Reader(messages: inbound.makeAsyncIterator()) }

    public func send(_ bytes: Data) async throws { try await outbound.writeBinaryMessage(ByteBuffer(bytes: bytes)) }

    public func close() async { try? await outbound.close(.normalClosure, reason: nil) }
}
