public import SyncCore
public import Foundation

/// Reads just enough of protobuf's wire format to find a few fields without decoding a whole
/// message. Every read is bounds-checked; malformed input gives nil.
struct WireReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    mutating func varint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count, shift < 64 {
            let byte = bytes[offset]
            offset += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        return nil
    }

    /// The next field: its number, wire type, and for a length-delimited field its bytes'
    /// range; nil at the end or on malformed input.
    mutating func field() -> (number: UInt64, wire: UInt64, range: Range<Int>)? {
        guard offset < bytes.count, let key = varint() else { return nil }
        let wire = key & 7
        let start = offset
        switch wire {
        case 0: guard varint() != nil else { return nil }
        case 1: guard bytes.count - offset >= 8 else { return nil }; offset += 8
        case 2:
            guard let length = varint(), length <= UInt64(bytes.count - offset) else { return nil }
            offset += Int(length)
            return (key >> 3, wire, offset - Int(length)..<offset)
        case 5: guard bytes.count - offset >= 4 else { return nil }; offset += 4
        default: return nil
        }
        return (key >> 3, wire, start..<offset)
    }
}

extension SignedChange {
    /// The author, seq and clock of change bytes, read from the header without decoding the
    /// change (a sender that only needs to note what it sends). Nil if they are not there.
    public static func peek(_ bytes: Data) -> (replica: ReplicaID, seq: UInt64, timestamp: Timestamp)? {
        bytes.withUnsafeBytes { raw -> (ReplicaID, UInt64, Timestamp)? in
            var outer = WireReader(bytes: raw)
            // As protobuf decodes it: of a field given twice, the last one counts.
            var headerRange: Range<Int>?
            while let field = outer.field() {
                if field.number == 1, field.wire == 2 { headerRange = field.range }
            }
            if let headerRange {
                var header = WireReader(bytes: UnsafeRawBufferPointer(rebasing: raw[headerRange]))
                var replica: ReplicaID?
                var seq: UInt64?
                var timestamp: UInt64 = 0
                while let inner = header.field() {
                    switch (inner.number, inner.wire) {
                    case (2, 2): replica = ReplicaID(bytes: UnsafeRawBufferPointer(rebasing: header.bytes[inner.range]))
                    case (4, 0):
                        var value = WireReader(bytes: UnsafeRawBufferPointer(rebasing: header.bytes[inner.range]))
                        seq = value.varint()
                    case (5, 1):
                        timestamp = UInt64(littleEndian: header.bytes.loadUnaligned(fromByteOffset: inner.range.lowerBound, as: UInt64.self))
                    default: break
                    }
                }
                guard let replica, let seq else { return nil }
                return (replica, seq, Timestamp(rawValue: timestamp))
            }
            return nil
        }
    }
}
