import GRDB
import SyncCore
import Synchronization

/// The version vectors as last read, for a board or daemon whose sessions each ask for them
/// before every read of changes: a board with 200 sessions read its 200-row vector some
/// thousands of times a second. A commit of this process that stores a change (seen on the
/// writer connection, so every write path counts) clears it; what another process commits,
/// the ``ReplicaStore/versionVector(_:fresh:)`` of the store watcher brings in.
///
/// A vector read is kept only when no commit cleared the cache while it was read (the
/// generation did not move), so a read that began before a commit never outlives it.
final class VectorCache: TransactionObserver, Sendable {
    private struct Held {
        var generation: UInt64 = 0
        var vectors: [Scope: VersionVector] = [:]
    }

    private let held = Mutex(Held())
    /// Off until a store watcher runs: only then does what other processes commit come in.
    let enabled = Atomic<Bool>(false)
    /// Only touched on the writer's queue, between a change and its commit or rollback.
    private let headChanged = Atomic<Bool>(false)

    /// The cached vector of `scope` and the generation to store a fresh one with.
    func lookup(_ scope: Scope) -> (VersionVector?, UInt64) {
        guard enabled.load(ordering: .relaxed) else { return (nil, 0) }
        return held.withLock { ($0.vectors[scope], $0.generation) }
    }

    /// Keeps `vector`, read after `lookup` returned `generation`, unless a commit came between.
    func store(_ vector: VersionVector, for scope: Scope, generation: UInt64) {
        guard enabled.load(ordering: .relaxed) else { return }
        held.withLock { if $0.generation == generation { $0.vectors[scope] = vector } }
    }

    /// Forgets every vector (something committed that they may not show).
    func clear() {
        held.withLock {
            $0.generation &+= 1
            $0.vectors.removeAll()
        }
    }

    /// A head moves only when a change is stored, and `head` itself (WITHOUT ROWID) fires no
    /// update hook: so commits that touched `change` count.
    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool {
        eventKind.tableName == "change"
    }

    func databaseDidChange(with event: DatabaseEvent) {
        headChanged.store(true, ordering: .relaxed)
    }

    func databaseDidCommit(_ db: Database) {
        if headChanged.exchange(false, ordering: .relaxed) { clear() }
    }

    func databaseDidRollback(_ db: Database) {
        headChanged.store(false, ordering: .relaxed)
    }
}
