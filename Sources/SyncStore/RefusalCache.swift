import Foundation
import Synchronization

/// The refusals of each link, direction and scope as last read, for at most ``maximumAge``.
/// A board's every session asks on every acknowledgement whether it passed a refusal (it got
/// the refused chain another way, or took it on a later try): 40,000 times a second in W6a,
/// where a statement each was 8% of the board's CPU, and almost every answer is "there is
/// none". Refusals this process records or clears drop what is kept for their link at once;
/// one another process records is seen within ``maximumAge``.
final class RefusalCache: Sendable {
    struct Key: Hashable {
        var link: String
        var direction: String
        var scope: String
    }

    typealias Rows = [(replica: Data, seq: Int64)]

    static let maximumAge: Duration = .seconds(2)
    /// Past this many links the cache starts again (a link is an authenticated peer).
    static let maximumKeys = 10_000

    private struct State {
        var rows: [Key: (rows: Rows, at: ContinuousClock.Instant)] = [:]
        /// Counts what was dropped, so a read that began before a drop is not kept after it.
        var generation = 0
    }

    private let state = Mutex(State())

    /// The rows of `key` if read less than ``maximumAge`` ago; otherwise the generation to hand
    /// back to ``keep(_:for:readAt:)`` with what is read now.
    func rows(_ key: Key) -> Lookup {
        state.withLock { state in
            if let kept = state.rows[key], ContinuousClock.now - kept.at < RefusalCache.maximumAge { return .kept(kept.rows) }
            return .read(Generation(value: state.generation))
        }
    }

    enum Lookup {
        case kept(Rows)
        /// Not kept: read them, and keep them with this generation.
        case read(Generation)
    }

    struct Generation {
        var value: Int
    }

    /// Keeps `rows`, read for `key` after ``rows(_:)`` answered `generation`, unless something
    /// was dropped since.
    func keep(_ rows: Rows, for key: Key, readAt generation: Generation) {
        state.withLock { state in
            guard state.generation == generation.value else { return }
            if state.rows.count >= RefusalCache.maximumKeys { state.rows = [:] }
            state.rows[key] = (rows, ContinuousClock.now)
        }
    }

    /// Forgets what is kept for `key` (its refusals were just written).
    func drop(_ key: Key) {
        state.withLock { state in
            state.rows[key] = nil
            state.generation += 1
        }
    }
}
