public import Foundation
import HummingbirdWSClient
public import KCReplica
public import Logging
public import ServiceLifecycle
public import SyncCore
import SyncStore
public import SyncNet
import SyncProtocol
import Synchronization

/// What the daemon knows of its link with the board, written to `daemon-status.json` so that
/// `kcsync status` can show it.
public struct LinkStatus: Codable, Sendable, Equatable {
    /// `connecting`, `connected`, `waiting` (to reconnect) or `stopped`.
    public var state: String
    /// The board's address.
    public var url: String?
    /// When the last sync with the board caught up (ISO 8601).
    public var lastSync: String?
    /// The board's version vector of the board scope as last acknowledged (replica hex → seq).
    public var boardVector: [String: UInt64]
    /// The last error, if any.
    public var lastError: String?
}

/// Keeps a session with the board: connects, syncs the board scope, pushes local changes as
/// they commit, and reconnects with exponential backoff and jitter when the link drops.
public struct BoardLinkService: Service {
    let replica: KCReplica
    let url: String
    let notifier: ChangeNotifier
    let logger: Logger
    let status: StatusFile

    /// A link for `replica` to the board at `url`.
    public init(replica: KCReplica, url: String, notifier: ChangeNotifier, status: StatusFile, logger: Logger) {
        self.replica = replica
        self.url = url
        self.notifier = notifier
        self.status = status
        self.logger = logger
    }

    public func run() async throws {
        var delay = 0.5
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            status.update { $0.state = "connecting"; $0.url = url }
            let error = await BoardLinkService.syncOnce(replica: replica, url: url, notifier: notifier, logger: logger, status: status,
                                                        stopWhenCaughtUp: false)
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            status.update { $0.state = "waiting"; $0.lastError = error }
            let jitter = Double.random(in: 0.8...1.2)
            try? await gracefulShutdownSleep(seconds: delay * jitter)
            delay = min(30, delay * 2)
            if error == nil { delay = 0.5 }
        }
        status.update { $0.state = "stopped" }
    }

    private func gracefulShutdownSleep(seconds: Double) async throws {
        try await cancelWhenGracefulShutdown {
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        }
    }

    /// One session with the board. Returns an error text, or nil when it ended cleanly.
    public static func syncOnce(
        replica: KCReplica, url: String, notifier: ChangeNotifier, logger: Logger, status: StatusFile?,
        stopWhenCaughtUp: Bool, onEvent: @escaping @Sendable (SessionEvent) -> Void = { _ in }
    ) async -> String? {
        let scope = replica.boardScope
        let runner = SessionRunner(store: replica.store, notifier: notifier, logger: logger, onEvent: { event in
            switch event {
            case .established:
                // A one-shot sync records what it learned, not a link state a daemon owns.
                if !stopWhenCaughtUp { status?.update { $0.state = "connected"; $0.lastError = nil } }
            case .caughtUp:
                let vector = (try? replica.store.versionVector(scope)) ?? VersionVector()
                status?.update {
                    $0.lastSync = ISO8601DateFormatter().string(from: Date())
                    $0.boardVector = Dictionary(uniqueKeysWithValues: vector.entries.map { ($0.key.hex, $0.value) })
                }
            default: break
            }
            onEvent(event)
        })
        let outcome = Mutex<SessionError?>(nil)
        do {
            var configuration = WebSocketClientConfiguration()
            configuration.maxFrameSize = SessionLimits.standard.maximumFrameBytes + 1024
            try await WebSocketClient.connect(url: url.hasSuffix("/sync") ? url : url + "/sync", configuration: configuration,
                                              logger: logger) { inbound, outbound, _ in
                let session = SyncSession(role: .client(scopes: [scope], audience: scope.name, pinnedServerKey: nil),
                                          key: replica.store.key, school: replica.configuration.school,
                                          board: replica.configuration.board, nonce: SessionRunner.nonce())
                let error = await runner.run(session, inbound: inbound, outbound: outbound, stopWhenCaughtUp: stopWhenCaughtUp)
                outcome.withLock { $0 = error }
            }
        } catch {
            logger.info("board link failed", metadata: ["url": "\(url)", "error": "\(error)"])
            return "\(error)"
        }
        return outcome.withLock { $0 }.map { "\($0)" }
    }
}

/// Watches the replica's version vectors and tells the sessions when a local write (by this
/// daemon or by a `kcsync` command writing to the database directly) moved them.
public struct LocalChangeWatcher: Service {
    let replica: KCReplica
    let notifier: ChangeNotifier
    let interval: Duration

    /// A watcher that looks every `interval` (a local write is pushed within that time).
    public init(replica: KCReplica, notifier: ChangeNotifier, interval: Duration = .milliseconds(250)) {
        self.replica = replica
        self.notifier = notifier
        self.interval = interval
    }

    public func run() async throws {
        var last: [Scope: VersionVector] = [:]
        let scopes = [replica.schoolScope, replica.boardScope]
        for scope in scopes { last[scope] = try? replica.store.versionVector(scope) }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            for scope in scopes {
                guard let vector = try? replica.store.versionVector(scope) else { continue }
                if vector != last[scope] {
                    last[scope] = vector
                    notifier.notify(scope)
                }
            }
        }
    }
}

/// `daemon-status.json` in the data directory: the daemon's view of its board link.
public final class StatusFile: Sendable {
    let url: URL
    let state: Mutex<LinkStatus>

    /// The status file of `directory`.
    public init(directory: URL) {
        url = directory.appendingPathComponent("daemon-status.json")
        state = Mutex(StatusFile.read(directory: directory) ?? LinkStatus(state: "stopped", url: nil, lastSync: nil, boardVector: [:], lastError: nil))
    }

    /// Reads the status a daemon left in `directory`.
    public static func read(directory: URL) -> LinkStatus? {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("daemon-status.json")) else { return nil }
        return try? JSONDecoder().decode(LinkStatus.self, from: data)
    }

    /// Changes the status and writes it.
    public func update(_ change: (inout LinkStatus) -> Void) {
        let snapshot = state.withLock { status -> LinkStatus in
            change(&status)
            return status
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try? encoder.encode(snapshot).write(to: url, options: .atomic)
    }
}
