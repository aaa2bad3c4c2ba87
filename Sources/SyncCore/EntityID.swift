/// The 128-bit id of one record (entity), time-ordered like UUIDv7.
///
/// The first 48 bits are milliseconds since 1970, then the version nibble 7, then random bits,
/// so new ids sort after old ones and inserts land at the end of SQLite's b-trees.
public struct EntityID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The first 8 bytes, big-endian.
    public let high: UInt64
    /// The last 8 bytes, big-endian.
    public let low: UInt64

    /// Creates an id from its two big-endian words.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Makes a new id for the wall-clock time `millis`, with random bits from `generator`.
    public init(millis: UInt64, using generator: inout some RandomNumberGenerator) {
        let random = generator.next() as UInt64
        let random2 = generator.next() as UInt64
        // 48 bits of time, version 7, 12 random bits.
        high = (millis & 0xFFFF_FFFF_FFFF) << 16 | 0x7000 | (random & 0x0FFF)
        // variant 0b10, 62 random bits.
        low = 0x8000_0000_0000_0000 | (random2 & 0x3FFF_FFFF_FFFF_FFFF)
    }

    /// Creates an id from exactly 16 bytes; nil for any other length.
    @inlinable
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard let (h, l) = Hex.words(bytes) else { return nil }
        self.init(high: h, low: l)
    }

    /// Parses 32 hex digits (dashes allowed, as in UUID text).
    public init?(hex: some StringProtocol) {
        let plain = String(hex.filter { $0 != "-" })
        guard let (h, l) = Hex.parse(plain) else { return nil }
        self.init(high: h, low: l)
    }

    /// The 16 bytes, big-endian.
    public var bytes: [UInt8] { Hex.bytes(high: high, low: low) }

    /// 32 lower-case hex digits.
    public var hex: String { Hex.string(high: high, low: low) }

    /// The creation time in milliseconds since 1970.
    public var millis: UInt64 { high >> 16 }

    public var description: String { hex }

    public static func < (a: EntityID, b: EntityID) -> Bool {
        (a.high, a.low) < (b.high, b.low)
    }
}
