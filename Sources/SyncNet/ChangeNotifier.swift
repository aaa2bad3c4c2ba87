public import SyncCore
import Synchronization

/// Tells every running session that new changes committed in a scope, so they push at once.
///
/// The board server notifies after it applied a school's batch (the other schools' sessions
/// push it on); a daemon notifies when its replica's vectors moved (a local write).
public final class ChangeNotifier: Sendable {
    private let subscribers = Mutex<[Int: @Sendable (Scope) -> Void]>([:])
    private let nextID = Atomic<Int>(0)

    /// A notifier with no subscribers.
    public init() {}

    /// Calls `handler` for every notification until the returned token is cancelled.
    public func subscribe(_ handler: @escaping @Sendable (Scope) -> Void) -> Int {
        let id = nextID.add(1, ordering: .relaxed).newValue
        subscribers.withLock { $0[id] = handler }
        return id
    }

    /// Stops notifications for a subscription.
    public func unsubscribe(_ id: Int) {
        _ = subscribers.withLock { $0.removeValue(forKey: id) }
    }

    /// New changes committed in `scope`; `except` is the subscription that made them (it need not push them back).
    public func notify(_ scope: Scope, except: Int? = nil) {
        let handlers = subscribers.withLock { $0.filter { $0.key != except }.map(\.value) }
        for handler in handlers { handler(scope) }
    }
}

/// What a session learnt about its peer in its handshake (the peer's key, or its school),
/// shared with the session's event handler for what it records afterwards.
public final class SessionPeerName: Sendable {
    private let value = Mutex<String?>(nil)

    /// Nothing known yet.
    public init() {}

    /// Records the name.
    public func set(_ name: String) { value.withLock { $0 = name } }

    /// The name, once known.
    public func get() -> String? { value.withLock { $0 } }
}
