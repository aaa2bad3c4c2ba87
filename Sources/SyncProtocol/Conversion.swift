public import SyncCore
public import Foundation
import SwiftProtobuf

// Conversions between the engine's value types and the generated messages. Decoding checks
// every field against the format (lengths, ranges) and throws `malformedChange`.

typealias ProtoValue = Kcsync_V1_Value
typealias ProtoOpID = Kcsync_V1_OpID

func malformed(_ message: String) -> SyncError { SyncError(.malformedChange, message) }

extension Value {
    var proto: ProtoValue {
        var v = ProtoValue()
        switch self {
        case .null: v.null = true
        case .text(let t): v.text = t
        case .integer(let i): v.integer = i
        case .real(let d): v.real = d.bitPattern
        case .boolean(let b): v.boolean = b
        case .date(let d): v.date = d.timeIntervalSinceReferenceDate.bitPattern
        case .day(let d): v.day = d
        case .id(let id): v.id = Data(id.bytes)
        }
        return v
    }

    init(proto v: ProtoValue) throws(SyncError) {
        switch v.kind {
        case .null?: self = .null
        case .text(let t)?: self = .text(t)
        case .integer(let i)?: self = .integer(i)
        case .real(let bits)?: self = .real(Double(bitPattern: bits))
        case .boolean(let b)?: self = .boolean(b)
        case .date(let bits)?: self = .date(Date(timeIntervalSinceReferenceDate: Double(bitPattern: bits)))
        case .day(let d)?: self = .day(d)
        case .id(let bytes)?:
            guard let id = EntityID(bytes: bytes) else { throw malformed("an id value must be 16 bytes, got \(bytes.count)") }
            self = .id(id)
        case nil: throw malformed("a value has no kind")
        }
    }
}

extension OpID {
    var proto: ProtoOpID {
        var p = ProtoOpID()
        p.timestamp = timestamp.rawValue
        p.replica = Data(replica.bytes)
        p.index = index
        return p
    }

    init(proto p: ProtoOpID) throws(SyncError) {
        guard let replica = ReplicaID(bytes: p.replica) else { throw malformed("an op id's replica must be 16 bytes") }
        self.init(timestamp: Timestamp(rawValue: p.timestamp), replica: replica, index: p.index)
    }
}

extension CharRef {
    var proto: Kcsync_V1_CharRef {
        var p = Kcsync_V1_CharRef()
        p.run = run.proto
        p.offset = offset
        return p
    }

    init(proto p: Kcsync_V1_CharRef) throws(SyncError) {
        guard p.hasRun else { throw malformed("a character reference names no run") }
        self.init(run: try OpID(proto: p.run), offset: p.offset)
    }
}

extension CharRange {
    var proto: Kcsync_V1_CharRange {
        var p = Kcsync_V1_CharRange()
        p.run = run.proto
        p.offset = offset
        p.length = length
        return p
    }

    init(proto p: Kcsync_V1_CharRange) throws(SyncError) {
        guard p.hasRun else { throw malformed("a character range names no run") }
        guard p.length > 0, p.offset.addingReportingOverflow(p.length).overflow == false else {
            throw malformed("a character range must be non-empty and within 32 bits")
        }
        self.init(run: try OpID(proto: p.run), offset: p.offset, length: p.length)
    }
}

func opIDs(_ list: [ProtoOpID]) throws(SyncError) -> [OpID] {
    guard list.count <= Limits.maximumReferences else {
        throw malformed("an op names \(list.count) ops; at most \(Limits.maximumReferences)")
    }
    var out: [OpID] = []
    out.reserveCapacity(list.count)
    for p in list { out.append(try OpID(proto: p)) }
    return out
}

extension RecordOperation {
    var proto: Kcsync_V1_Op {
        var p = Kcsync_V1_Op()
        p.field = field
        switch kind {
        case .assign(let value, let pred):
            var a = Kcsync_V1_Assign()
            a.value = value.proto
            a.pred = pred.map(\.proto)
            p.assign = a
        case .add(let element):
            var a = Kcsync_V1_SetAdd()
            a.element = element.proto
            p.add = a
        case .remove(let element, let observed):
            var r = Kcsync_V1_SetRemove()
            r.element = element.proto
            r.observed = observed.map(\.proto)
            p.remove = r
        case .insertText(let insertion):
            var i = Kcsync_V1_TextInsert()
            if let parent = insertion.parent { i.parent = parent.proto }
            i.left = insertion.left
            i.text = insertion.text
            p.insertText = i
        case .deleteText(let ranges):
            var d = Kcsync_V1_TextDelete()
            d.ranges = ranges.map(\.proto)
            p.deleteText = d
        case .delete(let seen):
            var d = Kcsync_V1_Delete()
            if let seen { d.seen = seen.proto }
            p.delete = d
        case .erase:
            p.erase = Kcsync_V1_Erase()
        }
        return p
    }

    init(proto p: Kcsync_V1_Op) throws(SyncError) {
        guard p.field.utf8.count <= Limits.maximumFieldNameBytes else {
            throw malformed("a field name is longer than \(Limits.maximumFieldNameBytes) bytes")
        }
        let kind: Kind
        switch p.kind {
        case .assign(let a)?:
            guard a.hasValue else { throw malformed("an assign op carries no value") }
            kind = .assign(try Value(proto: a.value), pred: try opIDs(a.pred))
        case .add(let a)?:
            guard a.hasElement else { throw malformed("a set add carries no element") }
            kind = .add(try Value(proto: a.element))
        case .remove(let r)?:
            guard r.hasElement else { throw malformed("a set remove carries no element") }
            kind = .remove(try Value(proto: r.element), observed: try opIDs(r.observed))
        case .insertText(let i)?:
            guard !i.text.isEmpty else { throw malformed("a text insert carries no text") }
            kind = .insertText(TextInsertion(parent: i.hasParent ? try CharRef(proto: i.parent) : nil, left: i.left, text: i.text))
        case .deleteText(let d)?:
            guard d.ranges.count <= Limits.maximumReferences else { throw malformed("a text delete names too many ranges") }
            var ranges: [CharRange] = []
            for r in d.ranges { ranges.append(try CharRange(proto: r)) }
            kind = .deleteText(ranges)
        case .delete(let d)?:
            kind = .delete(seen: d.hasSeen ? try OpID(proto: d.seen) : nil)
        case .erase?:
            kind = .erase
        case nil:
            throw malformed("an op has no kind")
        }
        self.init(field: p.field, kind: kind)
    }
}

extension EntityOperations {
    var proto: Kcsync_V1_EntityOps {
        var p = Kcsync_V1_EntityOps()
        p.entity = Data(entity.bytes)
        p.type = type
        p.ops = operations.map(\.proto)
        return p
    }

    /// A fresh salt for a group: 16 random bytes.
    public static func randomSalt() -> Data {
        SaltPool.next()
    }

    init(proto p: Kcsync_V1_EntityOps) throws(SyncError) {
        guard let entity = EntityID(bytes: p.entity) else { throw malformed("an entity id must be 16 bytes") }
        guard !p.type.isEmpty, p.type.utf8.count <= Limits.maximumTypeNameBytes else {
            throw malformed("a record type name must be 1 to \(Limits.maximumTypeNameBytes) bytes")
        }
        guard p.salt.count <= Limits.maximumSaltBytes else { throw malformed("a group's salt is at most \(Limits.maximumSaltBytes) bytes") }
        guard !p.ops.isEmpty, p.ops.count <= Limits.maximumOperationsPerGroup else {
            throw malformed("an entity group holds 1 to \(Limits.maximumOperationsPerGroup) ops")
        }
        var ops: [RecordOperation] = []
        ops.reserveCapacity(p.ops.count)
        for op in p.ops { ops.append(try RecordOperation(proto: op)) }
        self.init(entity: entity, type: p.type, operations: ops)
    }

    /// Decodes one payload group's bytes.
    public init(serialized bytes: Data) throws(SyncError) {
        let message: Kcsync_V1_EntityOps
        do { message = try Kcsync_V1_EntityOps(serializedBytes: bytes) } catch {
            throw SyncError(.malformedChange, "an entity group does not decode", underlying: error)
        }
        try self.init(proto: message)
    }

    /// The group's bytes as they go into a change, with `salt` (see ``randomSalt()``: what
    /// makes the hash an erased group keeps useless for confirming a guess of its content).
    public func serialized(salt: Data = Data()) -> Data {
        var message = proto
        message.salt = salt
        // Serializing a message built from valid Swift values cannot fail.
        return try! message.serializedBytes()
    }
}

extension ChangeHeader {
    var proto: Kcsync_V1_ChangeHeader {
        var p = Kcsync_V1_ChangeHeader()
        p.format = format
        p.replica = Data(replica.bytes)
        p.scope = scope.name
        p.seq = seq
        p.timestamp = timestamp.rawValue
        p.previous = Data(previous)
        p.payloadHash = Data(payloadHash)
        p.groupCount = groupCount
        p.authorKey = Data(authorKey)
        return p
    }

    /// Decodes and checks a header: format, lengths, and the seq-1 rules.
    public init(serialized bytes: Data) throws(SyncError) {
        let p: Kcsync_V1_ChangeHeader
        do { p = try Kcsync_V1_ChangeHeader(serializedBytes: bytes) } catch {
            throw SyncError(.malformedChange, "a change header does not decode", underlying: error)
        }
        guard ChangeHeader.readableFormats.contains(p.format) else {
            throw malformed("change format \(p.format) is not supported here (this replica reads formats \(ChangeHeader.readableFormats.lowerBound) to \(ChangeHeader.readableFormats.upperBound)); upgrade kcsync")
        }
        guard let replica = ReplicaID(bytes: p.replica) else { throw malformed("a header's replica must be 16 bytes") }
        let scope: Scope
        do { scope = try Scope(parsing: p.scope) } catch { throw malformed("a header names an invalid scope '\(p.scope)'") }
        // Stored as SQLite integers (signed 64-bit): a seq past 2^63 - 1 is refused, not wrapped.
        guard p.seq >= 1, p.seq <= Limits.maximumSeq else { throw malformed("seq \(p.seq) is outside 1...\(Limits.maximumSeq)") }
        if p.seq == 1 {
            guard p.previous.isEmpty else { throw malformed("the first change of a chain has no previous hash") }
            guard p.authorKey.count == 32 else { throw malformed("the first change of a chain carries the 32-byte author key") }
            guard ReplicaKey.replicaID(forPublicKey: p.authorKey) == replica else {
                throw SyncError(.badSignature, "the author key does not belong to replica \(replica.hex)")
            }
        } else {
            guard p.previous.count == 32 else { throw malformed("previous must be a 32-byte hash") }
            guard p.authorKey.isEmpty else { throw malformed("only the first change of a chain carries the author key") }
        }
        guard p.payloadHash.count == 32 else { throw malformed("payload hash must be 32 bytes") }
        guard p.groupCount >= 1, p.groupCount <= Limits.maximumGroups else {
            throw malformed("a change holds 1 to \(Limits.maximumGroups) groups")
        }
        self.init(format: p.format, replica: replica, scope: scope, seq: p.seq, timestamp: Timestamp(rawValue: p.timestamp),
                  previous: Array(p.previous), payloadHash: Array(p.payloadHash), groupCount: p.groupCount,
                  authorKey: Array(p.authorKey))
    }

    /// The header's bytes, the ones that are signed.
    public func serialized() -> Data {
        try! proto.serializedBytes()
    }
}
