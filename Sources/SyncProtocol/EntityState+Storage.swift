public import SyncCore
public import Foundation
import SwiftProtobuf

// The at-rest form of an entity's CRDT state. Every list is written sorted, so replicas that
// hold equal states hold equal bytes, and the store can hash these bytes for its state hash.

extension EntityState {
    /// The canonical bytes of this state through SwiftProtobuf: the reference the hand-written
    /// ``serialized()`` is checked against.
    public func serializedThroughProtobuf() -> Data {
        var p = Kcsync_V1_EntityState()
        p.erased = erased
        p.registers = registers.sorted { $0.key < $1.key }.map { field, register in
            var r = Kcsync_V1_RegisterState()
            r.field = field
            r.heads = register.heads.map { head in
                var h = Kcsync_V1_RegisterHead()
                h.value = head.value.proto
                h.stamp = head.stamp.proto
                return h
            }
            r.superseded = register.superseded.sorted().map(\.proto)
            return r
        }
        p.sets = sets.sorted { $0.key < $1.key }.map { field, set in
            var s = Kcsync_V1_SetState()
            s.field = field
            s.elements = set.tags.sorted { $0.key < $1.key }.map { element, tags in
                var e = Kcsync_V1_SetElementState()
                e.element = element.proto
                e.tags = tags.sorted().map(\.proto)
                return e
            }
            s.removed = set.removed.sorted().map(\.proto)
            return s
        }
        p.texts = texts.sorted { $0.key < $1.key }.map { field, text in
            var t = Kcsync_V1_TextState()
            t.field = field
            t.runs = text.runs.values.sorted { $0.id < $1.id }.map { run in
                var r = Kcsync_V1_TextRun()
                r.id = run.id.proto
                if let parent = run.parent { r.parent = parent.proto }
                r.left = run.left
                r.text = run.text
                return r
            }
            t.deleted = text.deletedRanges.map(\.proto)
            return t
        }
        p.deletions = deletions.sorted().map { d in
            var m = Kcsync_V1_Deletion()
            m.stamp = d.stamp.proto
            if let seen = d.seen { m.seen = seen.proto }
            return m
        }
        return try! p.serializedBytes()
    }

    /// Restores a state from its stored bytes.
    public init(serialized bytes: Data) throws(SyncError) {
        let p: Kcsync_V1_EntityState
        do { p = try Kcsync_V1_EntityState(serializedBytes: bytes) } catch {
            throw SyncError(.storage, "stored entity state does not decode", underlying: error)
        }
        self.init()
        erased = p.erased
        for r in p.registers {
            var heads: [Register.Head] = []
            for h in r.heads { heads.append(Register.Head(value: try Value(proto: h.value), stamp: try OpID(proto: h.stamp))) }
            var superseded = Set<OpID>()
            for s in r.superseded { superseded.insert(try OpID(proto: s)) }
            registers[r.field] = Register(heads: heads, superseded: superseded)
        }
        for s in p.sets {
            var tags: [Value: Set<OpID>] = [:]
            for e in s.elements {
                var set = Set<OpID>()
                for t in e.tags { set.insert(try OpID(proto: t)) }
                tags[try Value(proto: e.element)] = set
            }
            var removed = Set<OpID>()
            for t in s.removed { removed.insert(try OpID(proto: t)) }
            sets[s.field] = ObservedRemoveSet(tags: tags, removed: removed)
        }
        for t in p.texts {
            var runs: [TextSequence.Run] = []
            for r in t.runs {
                runs.append(TextSequence.Run(
                    id: try OpID(proto: r.id), parent: r.hasParent ? try CharRef(proto: r.parent) : nil,
                    left: r.left, text: r.text))
            }
            var deleted: [CharRange] = []
            for d in t.deleted { deleted.append(try CharRange(proto: d)) }
            texts[t.field] = TextSequence(runs: runs, deleted: deleted)
        }
        for d in p.deletions {
            deletions.insert(Deletion(stamp: try OpID(proto: d.stamp), seen: d.hasSeen ? try OpID(proto: d.seen) : nil))
        }
    }
}
