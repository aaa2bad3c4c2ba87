public import SyncCore
public import Foundation

// The at-rest bytes of an entity's state, written by hand in protobuf's wire format, byte for
// byte what SwiftProtobuf writes for `Kcsync_V1_EntityState` (EncodingTests checks this on
// many states). SwiftProtobuf builds a message tree first and sizes every nested message once
// per level above it; this was a fifth of every local write.

/// Appends protobuf wire format to a byte array.
struct WireWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: UInt64, _ wire: UInt64) { varint(field << 3 | wire) }

    /// A uint32 or uint64 field, omitted when 0 (proto3).
    mutating func unsigned(_ field: UInt64, _ value: UInt64, always: Bool = false) {
        guard value != 0 || always else { return }
        tag(field, 0)
        varint(value)
    }

    mutating func bool(_ field: UInt64, _ value: Bool, always: Bool = false) {
        guard value || always else { return }
        tag(field, 0)
        bytes.append(value ? 1 : 0)
    }

    mutating func fixed64(_ field: UInt64, _ value: UInt64, always: Bool = false) {
        guard value != 0 || always else { return }
        tag(field, 1)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func bytes(_ field: UInt64, _ value: some Collection<UInt8>, always: Bool = false) {
        guard !value.isEmpty || always else { return }
        tag(field, 2)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ field: UInt64, _ value: String, always: Bool = false) {
        var text = value
        text.withUTF8 { utf8 in bytes(field, utf8, always: always) }
    }

    /// A nested message: its length is known only once it is written, so one byte is kept
    /// for it and widened when the message turns out longer than 127 bytes.
    mutating func message(_ field: UInt64, _ body: (inout WireWriter) -> Void) {
        tag(field, 2)
        let mark = bytes.count
        bytes.append(0)
        body(&self)
        let length = bytes.count - mark - 1
        if length < 0x80 {
            bytes[mark] = UInt8(length)
        } else {
            var prefix = WireWriter()
            prefix.varint(UInt64(length))
            bytes.replaceSubrange(mark..<mark + 1, with: prefix.bytes)
        }
    }

    mutating func opID(_ field: UInt64, _ id: OpID) {
        message(field) { w in
            w.fixed64(1, id.timestamp.rawValue)
            w.bytes(2, id.replica.bytes)
            w.unsigned(3, UInt64(id.index))
        }
    }

    mutating func value(_ field: UInt64, _ value: Value) {
        message(field) { w in
            // A oneof member is written even when it holds its type's default.
            switch value {
            case .null: w.bool(1, true, always: true)
            case .text(let t): w.string(2, t, always: true)
            case .integer(let i): w.unsigned(3, UInt64(bitPattern: (i << 1) ^ (i >> 63)), always: true)
            case .real(let d): w.fixed64(4, d.bitPattern, always: true)
            case .date(let d): w.fixed64(5, d.timeIntervalSinceReferenceDate.bitPattern, always: true)
            case .day(let d): w.unsigned(6, UInt64(UInt32(bitPattern: (d << 1) ^ (d >> 31))), always: true)
            case .id(let id): w.bytes(7, id.bytes, always: true)
            case .boolean(let b): w.bool(8, b, always: true)
            }
        }
    }

    mutating func charRange(_ field: UInt64, _ range: CharRange) {
        message(field) { w in
            w.opID(1, range.run)
            w.unsigned(2, UInt64(range.offset))
            w.unsigned(3, UInt64(range.length))
        }
    }
}

extension EntityState {
    /// The canonical bytes of this state: every list sorted, so replicas that hold equal
    /// states hold equal bytes (the store hashes them for its state hash).
    public func serialized() -> Data {
        var w = WireWriter()
        w.bytes.reserveCapacity(256)
        for field in registers.keys.sorted() {
            let register = registers[field]!
            w.message(1) { w in
                w.string(1, field)
                for head in register.heads {
                    w.message(2) { w in
                        w.value(1, head.value)
                        w.opID(2, head.stamp)
                    }
                }
                for stamp in register.superseded.sorted() { w.opID(3, stamp) }
            }
        }
        for field in sets.keys.sorted() {
            let set = sets[field]!
            w.message(2) { w in
                w.string(1, field)
                for element in set.tags.keys.sorted() {
                    w.message(2) { w in
                        w.value(1, element)
                        for tag in set.tags[element]!.sorted() { w.opID(2, tag) }
                    }
                }
                for stamp in set.removed.sorted() { w.opID(3, stamp) }
            }
        }
        for field in texts.keys.sorted() {
            let text = texts[field]!
            w.message(3) { w in
                w.string(1, field)
                for run in text.runs.values.sorted(by: { $0.id < $1.id }) {
                    w.message(2) { w in
                        w.opID(1, run.id)
                        if let parent = run.parent {
                            w.message(2) { w in
                                w.opID(1, parent.run)
                                w.unsigned(2, UInt64(parent.offset))
                            }
                        }
                        w.bool(3, run.left)
                        w.string(4, run.text)
                    }
                }
                for range in text.deletedRanges { w.charRange(3, range) }
            }
        }
        for deletion in deletions.sorted() {
            w.message(4) { w in
                w.opID(1, deletion.stamp)
                if let seen = deletion.seen { w.opID(2, seen) }
            }
        }
        w.bool(5, erased)
        return Data(w.bytes)
    }
}

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
