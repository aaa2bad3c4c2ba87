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
