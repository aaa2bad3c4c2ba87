/// The 128-bit identity of one replica.
///
/// kcsync derives it from the replica's Ed25519 public key (the first 16 bytes of its SHA-256,
/// see `ReplicaKey` in SyncProtocol), so it is random and self-certifying: nobody can write as
/// a replica without its private key. It orders changes that carry the same clock value.
public struct ReplicaID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The first 8 bytes, big-endian.
    public let high: UInt64
    /// The last 8 bytes, big-endian.
    public let low: UInt64

    /// Creates an id from its two big-endian words.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Creates an id from exactly 16 bytes; nil for any other length.
    @inlinable
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard let (h, l) = Hex.words(bytes) else { return nil }
        self.init(high: h, low: l)
    }

    /// Parses 32 hex digits.
    public init?(hex: some StringProtocol) {
        guard let (h, l) = Hex.parse(hex) else { return nil }
        self.init(high: h, low: l)
    }

    /// The 16 bytes, big-endian.
    public var bytes: [UInt8] { Hex.bytes(high: high, low: low) }

    /// 32 lower-case hex digits.
    public var hex: String { Hex.string(high: high, low: low) }

    public var description: String { hex }

    public static func < (a: ReplicaID, b: ReplicaID) -> Bool {
        (a.high, a.low) < (b.high, b.low)
    }
}
