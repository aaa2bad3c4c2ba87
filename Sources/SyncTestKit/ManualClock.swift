import Synchronization

/// A wall clock for tests: it reads what the test set, and moves only when told.
public final class ManualClock: Sendable {
    private let millis: Mutex<UInt64>

    /// Starts at `millis` since 1970 (default: 2026-01-01).
    public init(millis: UInt64 = 1_767_225_600_000) {
        self.millis = Mutex(millis)
    }

    /// The current reading.
    public var now: UInt64 { millis.withLock { $0 } }

    /// Moves the clock forward.
    public func advance(by delta: UInt64) {
        millis.withLock { $0 += delta }
    }

    /// The clock as the closure a store takes.
    public var closure: @Sendable () -> UInt64 { { [self] in now } }
}
