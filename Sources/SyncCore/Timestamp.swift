/// A hybrid logical clock reading: 48 bits of milliseconds since 1970, 16 bits of counter.
///
/// Readings compare as plain integers. A replica never issues the same reading twice, so
/// (timestamp, replica) identifies a change.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The packed value: `millis << 16 | counter`.
    public let rawValue: UInt64

    /// Wraps a packed value.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Packs milliseconds (low 48 bits kept) and a counter.
    public init(millis: UInt64, counter: UInt16) {
        rawValue = (millis & 0xFFFF_FFFF_FFFF) << 16 | UInt64(counter)
    }

    /// The physical part, milliseconds since 1970.
    public var millis: UInt64 { rawValue >> 16 }
    /// The logical part.
    public var counter: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    /// The smallest reading.
    public static let zero = Timestamp(rawValue: 0)

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.rawValue < b.rawValue }

    public var description: String { "\(millis).\(counter)" }
}

/// A hybrid logical clock (Kulkarni et al., 2014) whose wall clock is injected.
///
/// `tick` gives a reading for a local change; `observe` folds in a remote reading so that
/// later local readings order after it. A remote reading more than ``maximumDrift``
/// milliseconds ahead of the local wall clock is refused, not adopted: one replica with a
/// broken clock must not drag every other replica's clock into the future.
public struct HybridLogicalClock: Sendable {
    /// The latest reading issued or observed.
    public private(set) var last: Timestamp
    /// How far ahead of our wall clock a remote reading may be, in milliseconds.
    public let maximumDrift: UInt64

    /// Starts a clock that has issued nothing newer than `last`.
    public init(last: Timestamp = .zero, maximumDrift: UInt64 = 5 * 60 * 1000) {
        self.last = last
        self.maximumDrift = maximumDrift
    }

    /// A new reading, later than every reading issued or observed so far.
    public mutating func tick(wallMillis: UInt64) -> Timestamp {
        let next: Timestamp
        if wallMillis > last.millis {
            next = Timestamp(millis: wallMillis, counter: 0)
        } else if last.counter < UInt16.max {
            next = Timestamp(rawValue: last.rawValue + 1)
        } else {
            // Counter exhausted: borrow the next millisecond (logical time runs ahead briefly).
            next = Timestamp(millis: last.millis + 1, counter: 0)
        }
        last = next
        return next
    }

    /// Checks a remote reading against the wall clock without adopting it.
    public func check(_ remote: Timestamp, wallMillis: UInt64) throws(SyncError) {
        if remote.millis > wallMillis &+ maximumDrift {
            throw SyncError(
                .clockSkew,
                "remote clock \(remote.millis) ms is \(remote.millis - wallMillis) ms ahead of ours; more than \(maximumDrift) ms is refused"
            )
        }
    }

    /// Folds a remote reading in, so that the next `tick` orders after it.
    public mutating func observe(_ remote: Timestamp, wallMillis: UInt64) throws(SyncError) {
        try check(remote, wallMillis: wallMillis)
        if remote > last { last = remote }
    }
}
