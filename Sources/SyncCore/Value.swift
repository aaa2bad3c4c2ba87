public import struct Foundation.Date

/// One scalar value of a record field.
///
/// Equality is bit-exact for `real` and `date` (so `-0.0 != 0.0` and a NaN equals itself),
/// because replicas compare states byte for byte.
public enum Value: Sendable, CustomStringConvertible {
    /// The explicit empty value (a cleared field).
    case null
    /// Text, valid Unicode.
    case text(String)
    /// A 64-bit integer.
    case integer(Int64)
    /// A double, kept to the bit.
    case real(Double)
    /// True or false.
    case boolean(Bool)
    /// A moment, kept to the bit of Foundation's reference-date interval.
    case date(Date)
    /// A calendar day: days since 1970-01-01.
    case day(Int32)
    /// A link to another entity.
    case id(EntityID)

    /// The type of a value, as a field schema names it.
    public enum Kind: String, Sendable, CaseIterable {
        case null, text, integer, real, boolean, date, day, id
    }

    /// This value's type.
    public var kind: Kind {
        switch self {
        case .null: .null
        case .text: .text
        case .integer: .integer
        case .real: .real
        case .boolean: .boolean
        case .date: .date
        case .day: .day
        case .id: .id
        }
    }

    /// The text, if this is a text value.
    public var text: String? {
        if case .text(let t) = self { return t }
        return nil
    }

    public var description: String {
        switch self {
        case .null: "null"
        case .text(let t): t
        case .integer(let i): String(i)
        case .real(let d): String(d)
        case .boolean(let b): String(b)
        case .date(let d): String(d.timeIntervalSince1970)
        case .day(let d): Value.dayString(d)
        case .id(let id): id.hex
        }
    }

    /// A canonical byte form: a kind tag then the payload. Equal values have equal bytes,
    /// and sorting by these bytes gives every replica the same order.
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        func word(_ v: UInt64) { for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) } }
        switch self {
        case .null: out.append(0)
        case .text(let t): out.append(1); out.append(contentsOf: t.utf8)
        case .integer(let i): out.append(2); word(UInt64(bitPattern: i) ^ (1 << 63))
        case .real(let d): out.append(3); word(d.bitPattern)
        case .boolean(let b): out.append(4); out.append(b ? 1 : 0)
        case .date(let d): out.append(5); word(d.timeIntervalSinceReferenceDate.bitPattern)
        case .day(let d): out.append(6); word(UInt64(bitPattern: Int64(d)) ^ (1 << 63))
        case .id(let id): out.append(7); word(id.high); word(id.low)
        }
        return out
    }

    /// `yyyy-MM-dd` for a day number (proleptic Gregorian calendar).
    public static func dayString(_ day: Int32) -> String {
        // Civil-from-days, after Howard Hinnant's public-domain date algorithms.
        let z = Int64(day) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func pad(_ v: Int64, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    /// Parses `yyyy-MM-dd` into a day number; nil if it is not a real date.
    public static func day(parsing text: String) -> Int32? {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]),
              (1...12).contains(m), d >= 1
        else { return nil }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let lengths: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard d <= lengths[Int(m - 1)] else { return nil }
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let mp = m > 2 ? m - 3 : m + 9
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return Int32(era * 146_097 + doe - 719_468)
    }
}

extension Value: Hashable {
    public static func == (a: Value, b: Value) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.text(let x), .text(let y)): x.utf8.elementsEqual(y.utf8)
        case (.integer(let x), .integer(let y)): x == y
        case (.real(let x), .real(let y)): x.bitPattern == y.bitPattern
        case (.boolean(let x), .boolean(let y)): x == y
        case (.date(let x), .date(let y)):
            x.timeIntervalSinceReferenceDate.bitPattern == y.timeIntervalSinceReferenceDate.bitPattern
        case (.day(let x), .day(let y)): x == y
        case (.id(let x), .id(let y)): x == y
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(canonicalBytes)
    }
}

extension Value: Comparable {
    /// Orders by canonical bytes: arbitrary across kinds, but the same on every replica.
    public static func < (a: Value, b: Value) -> Bool {
        a.canonicalBytes.lexicographicallyPrecedes(b.canonicalBytes)
    }
}
