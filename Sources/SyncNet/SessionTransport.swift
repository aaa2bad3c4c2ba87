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
    /// The next whole message, or nil once the connection has ended. Throws
    /// ``TransportError/messageTooLarge`` when the message is larger than `maxSize` bytes
    /// (which the session answers with `FRAME_TOO_LARGE`); any other error means the
    /// connection is gone (reset, or the reading task cancelled).
    mutating func next(maxSize: Int) async throws -> TransportMessage?
}

/// What a ``TransportReader`` throws about the peer, as opposed to a connection that went away.
public enum TransportError: Error, Sendable, Equatable {
    /// The peer sent a message over the size the reader allowed.
    case messageTooLarge
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
            let read: WebSocketMessage?
            do { read = try await messages.nextMessage(maxSize: maxSize) } catch {
                throw Reader.isTooLarge(error) ? TransportError.messageTooLarge : error
            }
            guard let message = read else { return nil }
            switch message {
            case .binary(let buffer): return .binary(Data(buffer.readableBytesView))
            case .text: return .text
            }
        }

        /// WSCore says a message was too large with an error of its own package
        /// (`close(.messageTooLarge)`); only its close code is public. Everything else it
        /// throws is the connection going away. (The limit tests over a real server fail if
        /// this stops recognising it.)
        static func isTooLarge(_ error: any Error) -> Bool {
            Mirror(reflecting: error).children.contains { ($0.value as? WebSocketErrorCode) == .messageTooLarge }
        }
    }

    public func makeReader() -> Reader { Reader(messages: inbound.makeAsyncIterator()) }


    public func send(_ bytes: Data) async throws { try await outbound.writeBinaryMessage(ByteBuffer(bytes: bytes)) }

    public func close() async { try? await outbound.close(.normalClosure, reason: nil) }
}
