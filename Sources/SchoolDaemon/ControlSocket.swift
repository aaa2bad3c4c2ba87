public import Foundation
public import Logging
import NIOCore
import NIOPosix
public import ServiceLifecycle

/// The daemon's local control socket, `control.sock` in the data directory (owner only: the
/// directory is 0700 and the socket 0600). A request is one line of JSON, `{"op": "…"}`; the
/// answer is one line of JSON. The `kcsync` command uses it when a daemon runs: to tell it a
/// write committed (`changed`), to read the live link status (`status`), and to sync now
/// (`sync`).
public struct ControlServer: Service {
    /// Answers a request: a JSON object (encoded), or nil for an unknown op.
    public typealias Handler = @Sendable (_ op: String) async -> Data?

    let path: String
    let logger: Logger
    let handler: Handler

    /// The socket path of a data directory.
    public static func path(in directory: URL) -> String { directory.appendingPathComponent("control.sock").path }

    /// A control server for the daemon of `directory`.
    public init(directory: URL, logger: Logger, handler: @escaping Handler) {
        path = ControlServer.path(in: directory)
        self.logger = logger
        self.handler = handler
    }

    public func run() async throws {
        let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { child in
                    child.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: child) }
                }
        } catch {
            // The CLI falls back to the status file and the watcher still picks writes up.
            logger.warning("the control socket could not be opened", metadata: ["path": "\(path)", "error": "\(error)"])
            try? await gracefulShutdown()
            return
        }
        chmod(path, 0o600)
        defer { unlink(path) }
        try? await cancelWhenGracefulShutdown {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await serve(connection) }
                    }
                }
            }
        }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var line = Data()
            for try await var buffer in inbound {
                line.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
                if line.contains(0x0a) || line.count > 4096 { break }
            }
            let op = (try? JSONSerialization.jsonObject(with: line) as? [String: Any])?["op"] as? String ?? ""
            var data = await handler(op) ?? Data("{\"error\":\"unknown op\"}".utf8)
            data.append(0x0a)
            try await outbound.write(ByteBuffer(bytes: data))
        }
    }
}

/// The `kcsync` command's side of the control socket.
public enum ControlClient {
    /// Sends `op` to the daemon of `directory` and returns its answer, or nil when no daemon
    /// answers there.
    public static func request(_ op: String, directory: URL) async -> [String: Any]? {
        let path = ControlServer.path(in: directory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(unixDomainSocketPath: path) { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                }
            let data = try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "{\"op\":\"\(op)\"}\n"))
                var data = Data()
                for try await var buffer in inbound {
                    data.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
                    if data.last == 0x0a { break }
                }
                return data
            }
            return try JSONSerialization.jsonObject(with: data) as? [String: Any]
        } catch {
            return nil
        }
    }
}
