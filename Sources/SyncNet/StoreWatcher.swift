public import ServiceLifecycle
public import SyncCore
public import SyncStore

/// Watches a store's version vectors and tells the sessions when they moved without a
/// session moving them: a `kcsync` command (another process) wrote to the database directly.
/// The school daemon and the board server both run one, so a note written at a school or an
/// advice written at the board goes out within `interval`.
public struct StoreWatcher: Service {
    let store: ReplicaStore
    let scopes: [Scope]
    let notifier: ChangeNotifier
    let interval: Duration

    /// A watcher of `scopes` that looks every `interval`.
    public init(store: ReplicaStore, scopes: [Scope], notifier: ChangeNotifier, interval: Duration = .milliseconds(250)) {
        self.store = store
        self.scopes = scopes
        self.notifier = notifier
        self.interval = interval
    }

    public func run() async throws {
        // Starts empty, so the first look notifies: a write that committed while the process
        // started, after a session had read its vectors, still goes out at once.
        var last: [Scope: VersionVector] = [:]
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            for scope in scopes {
                guard let vector = try? store.versionVector(scope) else { continue }
                if vector != last[scope] {
                    last[scope] = vector
                    notifier.notify(scope)
                }
            }
        }
    }
}
