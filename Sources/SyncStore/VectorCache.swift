import SyncCore
import Synchronization

/// The version vectors as last read, each with the log position it was read at. A board with
/// 200 sessions asks for its 200-row vector some thousands of times a second, before every
/// read of changes; most of those reads find the same vector.
///
/// The position is the newest rowid of `change`. Changes are never deleted and a head moves
/// only when a change is stored, so two committed states with the same newest rowid have the
/// same heads, whichever process or connection committed them. A read checks the position in
/// its own snapshot (one index seek) and uses the vector kept for it, or reads the heads and
/// keeps them. Only read transactions use the cache: they see committed states alone, so a
/// rowid that a rolled-back write used and a later write reuses never names two states.
final class VectorCache: Sendable {
    private struct Entry {
        var position: Int64
        var vector: VersionVector
    }

    private let held = Mutex<[Scope: Entry]>([:])

    /// The vector of `scope` read at `position`, if one was kept.
    func vector(_ scope: Scope, at position: Int64) -> VersionVector? {
        held.withLock { entries in entries[scope].flatMap { $0.position == position ? $0.vector : nil } }
    }

    /// Keeps `vector`, read at `position`, unless a later one is kept already (readers with
    /// older snapshots may finish after newer ones).
    func keep(_ vector: VersionVector, for scope: Scope, at position: Int64) {
        held.withLock { entries in
            if let kept = entries[scope], kept.position > position { return }
            entries[scope] = Entry(position: position, vector: vector)
        }
    }
}
