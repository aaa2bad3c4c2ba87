public import Foundation
public import SyncNet
import Synchronization

/// Both ends of an in-memory connection, for running the production ``SessionRunner`` without
/// sockets. Frames go through in order; the wire counts them, measures round trips, and can
/// drop the connection after a number of frames, as a network fault would.
public final class MemoryWire: Sendable {
    /// Which end of the wire.
    public enum End: Sendable { case client, server }

    struct State {
        var frames = 0
        var cut = false
        var closed = false
        var reset = false
        /// Per end: the deepest frame it has read (a frame's depth is one more than the
        /// deepest its sender had read when it sent it: the length of the causal chain).
        var readDepth: [End: Int] = [.client: 0, .server: 0]
        var deepest = 0
        /// Per end: the frames it has taken off the wire.
        var read: [End: Int] = [.client: 0, .server: 0]
    }

    let state = Mutex(State())
    let cutAfter: Int?
    let toClient: (stream: AsyncStream<(Data, Int)>, continuation: AsyncStream<(Data, Int)>.Continuation)
    let toServer: (stream: AsyncStream<(Data, Int)>, continuation: AsyncStream<(Data, Int)>.Continuation)
    let onSend: @Sendable (End, Data) -> Void

    /// A wire that drops the connection once `cutAfter` frames have gone through (nil: never).
    /// `onSend` hears every frame as it is sent.
    public init(cutAfter: Int? = nil, onSend: @escaping @Sendable (End, Data) -> Void = { _, _ in }) {
        self.cutAfter = cutAfter
        self.onSend = onSend
        toClient = AsyncStream.makeStream()
        toServer = AsyncStream.makeStream()
    }

    /// The transport of one end.
    public func transport(_ end: End) -> MemoryTransport { MemoryTransport(wire: self, end: end) }

    /// Frames that went through.
    public var frames: Int { state.withLock { $0.frames } }
    /// True when the wire dropped the connection after `cutAfter` frames.
    public var cut: Bool { state.withLock { $0.cut } }
    /// Round trips: half the longest causal chain of frames, rounded up.
    public var roundTrips: Int { state.withLock { ($0.deepest + 1) / 2 } }
    /// Frames `end` has read so far (what it holds in memory, as opposed to what waits on the wire).
    public func framesRead(by end: End) -> Int { state.withLock { $0.read[end]! } }

    func send(_ bytes: Data, from end: End) throws {
        let depth: Int? = state.withLock { state in
            guard !state.closed else { return nil }
            state.frames += 1
            let depth = state.readDepth[end]! + 1
            state.deepest = max(state.deepest, depth)
            return depth
        }
        // As over TCP, what is sent after the other side closed is lost without an error here;
        // the sender learns of the end when its reader does (after what was sent to it).
        guard let depth else { return }
        onSend(end, bytes)
        (end == .client ? toServer : toClient).continuation.yield((bytes, depth))
        if let cutAfter, frames >= cutAfter { drop(cut: true) }
    }

    func read(_ end: End, depth: Int) {
        state.withLock {
            $0.readDepth[end] = max($0.readDepth[end]!, depth)
            $0.read[end]! += 1
        }
    }

    /// What a reader throws once a connection was reset (a TCP RST, not a close).
    public struct ConnectionReset: Error {}

    /// Ends the connection: both readers see its end after what was already sent, or with
    /// `reset`, ``ConnectionReset`` there.
    public func drop(cut: Bool = false, reset: Bool = false) {
        let first = state.withLock { state -> Bool in
            defer { state.closed = true }
            if cut && !state.closed { state.cut = true }
            if reset && !state.closed { state.reset = true }
            return !state.closed
        }
        guard first else { return }
        toClient.continuation.finish()
        toServer.continuation.finish()
    }
}

/// One end of a ``MemoryWire``: a ``SessionTransport`` for the production runner.
public struct MemoryTransport: SessionTransport {
    let wire: MemoryWire
    let end: MemoryWire.End

    /// Reads what the other end sent, in order.
    public struct Reader: TransportReader {
        var frames: AsyncStream<(Data, Int)>.Iterator
        let wire: MemoryWire
        let end: MemoryWire.End

        public mutating func next(maxSize: Int) async throws -> TransportMessage? {
            guard let (bytes, depth) = await frames.next() else {
                if wire.state.withLock({ $0.reset }) { throw MemoryWire.ConnectionReset() }
                return nil
            }
            wire.read(end, depth: depth)
            guard bytes.count <= maxSize else { throw TransportError.messageTooLarge }
            return .binary(bytes)
        }
    }

    public func makeReader() -> Reader {
        Reader(frames: (end == .client ? wire.toClient : wire.toServer).stream.makeAsyncIterator(), wire: wire, end: end)
    }

    public func send(_ bytes: Data) async throws { try wire.send(bytes, from: end) }

    public func close() async { wire.drop() }
}
