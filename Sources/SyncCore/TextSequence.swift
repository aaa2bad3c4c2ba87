/// One character of a text field: the run that inserted it and its offset in that run.
public struct CharRef: Hashable, Comparable, Sendable {
    /// The op id of the insert that made the run.
    public var run: OpID
    /// The offset in the run, in Unicode scalars.
    public var offset: UInt32

    /// Creates a reference.
    public init(run: OpID, offset: UInt32) {
        self.run = run
        self.offset = offset
    }

    public static func < (a: CharRef, b: CharRef) -> Bool {
        a.run != b.run ? a.run < b.run : a.offset < b.offset
    }
}

/// A run of consecutive characters of one run, e.g. for a deletion.
public struct CharRange: Hashable, Comparable, Sendable {
    /// The run.
    public var run: OpID
    /// The first offset.
    public var offset: UInt32
    /// How many characters.
    public var length: UInt32

    /// Creates a range.
    public init(run: OpID, offset: UInt32, length: UInt32) {
        self.run = run
        self.offset = offset
        self.length = length
    }

    public static func < (a: CharRange, b: CharRange) -> Bool {
        (CharRef(run: a.run, offset: a.offset), a.length) < (CharRef(run: b.run, offset: b.offset), b.length)
    }
}

/// What a Fugue insert op carries: where the new run hangs in the tree, and its text.
public struct TextInsertion: Hashable, Sendable {
    /// The character the run hangs from; nil for the root.
    public var parent: CharRef?
    /// True for a left child, false for a right child (the usual case).
    public var left: Bool
    /// The characters.
    public var text: String

    /// Creates an insertion.
    public init(parent: CharRef?, left: Bool, text: String) {
        self.parent = parent
        self.left = left
        self.text = text
    }
}

/// Collaborative text: the Fugue sequence CRDT (Weidner, Gentle and Kleppmann, "The Art of the
/// Fugue: Minimizing Interleaving in Collaborative Text Editing", 2023), with runs.
///
/// Every character is a node of a tree; the text is an in-order walk (left children, the
/// character, right children; siblings ordered by id). A new character becomes the right child
/// of the character before it, or, when that one already has right children, the left child of
/// the next node in the walk. Runs typed concurrently at the same place therefore sit in
/// different subtrees and never interleave. A run of characters inserted by one op is stored
/// once: character `k + 1` of a run is implicitly the right child of character `k`.
///
/// The state is two growing sets (runs and deleted ranges), so applying ops in any order gives
/// the same text; a run whose parent has not arrived yet waits, invisible, until it does.
public struct TextSequence: Hashable, Sendable {
    /// One insert op's characters and where they hang.
    public struct Run: Hashable, Sendable {
        /// The insert op's id.
        public var id: OpID
        /// The parent character; nil for the root.
        public var parent: CharRef?
        /// Left or right child of the parent.
        public var left: Bool
        /// The characters, as text.
        public let text: String
        /// The number of characters (Unicode scalars): offsets run from 0 to `length - 1`.
        public let length: UInt32

        /// Creates a run.
        public init(id: OpID, parent: CharRef?, left: Bool, text: String) {
            self.id = id
            self.parent = parent
            self.left = left
            self.text = text
            length = UInt32(text.unicodeScalars.count)
        }

        public static func == (a: Run, b: Run) -> Bool {
            a.id == b.id && a.parent == b.parent && a.left == b.left && a.text.utf8.elementsEqual(b.text.utf8)
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(id)
        }
    }

    /// Every run, by id.
    public private(set) var runs: [OpID: Run]
    /// Deleted offsets per run, as sorted, disjoint, non-adjacent half-open ranges.
    public private(set) var deleted: [OpID: [Range<UInt32>]]

    /// An empty text, or one restored from stored state.
    public init(runs: [Run] = [], deleted: [CharRange] = []) {
        self.runs = Dictionary(runs.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.deleted = [:]
        for range in deleted { markDeleted(range) }
    }

    /// Applies an insert op; false if the run was there already.
    @discardableResult
    public mutating func insert(_ insertion: TextInsertion, id: OpID) -> Bool {
        guard runs[id] == nil else { return false }
        runs[id] = Run(id: id, parent: insertion.parent, left: insertion.left, text: insertion.text)
        return true
    }

    /// Applies a delete op.
    public mutating func delete(_ ranges: [CharRange]) {
        for range in ranges { markDeleted(range) }
    }

    private mutating func markDeleted(_ range: CharRange) {
        guard range.length > 0 else { return }
        let (end, overflow) = range.offset.addingReportingOverflow(range.length)
        var lower = range.offset
        var upper = overflow ? UInt32.max : end
        var list = deleted[range.run] ?? []
        // The first range that ends at or after the new one's start (the list is sorted and
        // its ranges disjoint): found by bisection, then merged with every range it touches,
        // so a delete costs a search and a local splice, never a sort of the run's list.
        var low = 0, high = list.count
        while low < high {
            let middle = (low + high) / 2
            if list[middle].upperBound < lower { low = middle + 1 } else { high = middle }
        }
        var next = low
        while next < list.count, list[next].lowerBound <= upper {
            lower = min(lower, list[next].lowerBound)
            upper = max(upper, list[next].upperBound)
            next += 1
        }
        list.replaceSubrange(low..<next, with: CollectionOfOne(lower..<upper))
        deleted[range.run] = list
    }

    /// How many disjoint deleted ranges the text holds (what a receiver bounds per entity).
    public var deletedRangeCount: Int { deleted.values.reduce(0) { $0 + $1.count } }

    /// The deleted ranges in canonical order.
    public var deletedRanges: [CharRange] {
        deleted.flatMap { run, ranges in
            ranges.map { CharRange(run: run, offset: $0.lowerBound, length: $0.upperBound - $0.lowerBound) }
        }.sorted()
    }

    /// True when the character is deleted.
    public func isDeleted(_ ref: CharRef) -> Bool {
        guard let ranges = deleted[ref.run] else { return false }
        return ranges.contains { $0.contains(ref.offset) }
    }

    /// The join of two text states.
    public func merged(with other: TextSequence) -> TextSequence {
        var out = self
        for (id, run) in other.runs where out.runs[id] == nil { out.runs[id] = run }
        for range in other.deletedRanges { out.markDeleted(range) }
        return out
    }

    // MARK: - The walk

    /// The tree's child lists, built once per walk.
    private struct Children {
        var rootChildren: [OpID] = []
        var left: [CharRef: [OpID]] = [:]
        var right: [CharRef: [OpID]] = [:]
        /// Offsets of each run that have explicit children (either side).
        var anchored: [OpID: Set<UInt32>] = [:]
    }

    private func children() -> Children {
        var c = Children()
        for run in runs.values.sorted(by: { $0.id < $1.id }) {
            guard let parent = run.parent else {
                c.rootChildren.append(run.id)
                continue
            }
            guard let owner = runs[parent.run], parent.offset < owner.length else { continue }
            if run.left { c.left[parent, default: []].append(run.id) } else { c.right[parent, default: []].append(run.id) }
            c.anchored[parent.run, default: []].insert(parent.offset)
        }
        return c
    }

    /// Every reachable character in document order, deleted ones included.
    public func walk() -> [CharRef] {
        var out: [CharRef] = []
        visit { ref, _ in out.append(ref) }
        return out
    }

    /// The visible text.
    public var text: String {
        // Fast path: a single run from the root, as every newly written text is.
        if runs.count == 1, let run = runs.first?.value, run.parent == nil, deleted[run.id] == nil {
            return run.text
        }
        var utf8: [UInt8] = []
        visit { ref, scalar in
            if !isDeleted(ref) { UTF8.encode(scalar) { utf8.append($0) } }
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// Text from Unicode scalars (appending to a scalar view one by one is slow).
    public static func string(_ scalars: some Sequence<Unicode.Scalar>) -> String {
        var utf8: [UInt8] = []
        for scalar in scalars { UTF8.encode(scalar) { utf8.append($0) } }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// Calls `body` for every reachable character in document order. Iterative: a long run is a
    /// long chain of right children, too deep for recursion.
    private func visit(_ body: (CharRef, Unicode.Scalar) -> Void) {
        let c = children()
        var scalarCache: [OpID: [Unicode.Scalar]] = [:]
        func scalars(_ run: Run) -> [Unicode.Scalar] {
            if let cached = scalarCache[run.id] { return cached }
            let array = Array(run.text.unicodeScalars)
            scalarCache[run.id] = array
            return array
        }
        enum Frame { case enter(CharRef), emit(CharRef) }
        var stack: [Frame] = c.rootChildren.reversed().map { .enter(CharRef(run: $0, offset: 0)) }
        while let frame = stack.popLast() {
            var ref: CharRef
            var emitNow: Bool
            switch frame {
            case .enter(let r): ref = r; emitNow = false
            case .emit(let r): ref = r; emitNow = true
            }
            guard let run = runs[ref.run] else { continue }
            let characters = scalars(run)
            let anchors = c.anchored[ref.run] ?? []
            while true {
                if !emitNow, let lefts = c.left[ref], !lefts.isEmpty {
                    stack.append(.emit(ref))
                    for id in lefts.reversed() { stack.append(.enter(CharRef(run: id, offset: 0))) }
                    break
                }
                body(ref, characters[Int(ref.offset)])
                let next = ref.offset + 1 < run.length ? CharRef(run: ref.run, offset: ref.offset + 1) : nil
                let explicit = anchors.contains(ref.offset) ? (c.right[ref] ?? []) : []
                if explicit.isEmpty {
                    guard let next else { break }
                    ref = next
                    emitNow = false
                    continue
                }
                var siblings = explicit.map { CharRef(run: $0, offset: 0) }
                if let next { siblings.append(next) }
                siblings.sort()
                for s in siblings.reversed() { stack.append(.enter(s)) }
                break
            }
        }
    }

    // MARK: - Local edits

    /// The insert op that puts `text` at visible position `index` (0 = the start).
    public func insertion(at index: Int, text: String) -> TextInsertion {
        let order = walk()
        let visible = order.filter { !isDeleted($0) }
        precondition(index >= 0 && index <= visible.count, "insertion index out of range")
        let c = children()
        if index == 0 {
            // The left origin is the root: hang from it if it has no children, else left of the first node.
            if let first = order.first { return TextInsertion(parent: first, left: true, text: text) }
            return TextInsertion(parent: nil, left: false, text: text)
        }
        let leftOrigin = visible[index - 1]
        let run = runs[leftOrigin.run]!
        let hasContinuation = leftOrigin.offset + 1 < run.length
        let hasExplicit = !(c.right[leftOrigin] ?? []).isEmpty
        if !hasContinuation && !hasExplicit {
            return TextInsertion(parent: leftOrigin, left: false, text: text)
        }
        // The next node in the walk, visible or not, has no left children: hang left of it.
        let position = order.firstIndex(of: leftOrigin)!
        return TextInsertion(parent: order[position + 1], left: true, text: text)
    }

    /// The delete op's ranges for the visible characters in `range`.
    public func deletion(of range: Range<Int>) -> [CharRange] {
        let visible = walk().filter { !isDeleted($0) }
        precondition(range.lowerBound >= 0 && range.upperBound <= visible.count, "deletion range out of bounds")
        var out: [CharRange] = []
        for ref in visible[range] {
            if let last = out.last, last.run == ref.run, last.offset + last.length == ref.offset {
                out[out.count - 1].length += 1
            } else {
                out.append(CharRange(run: ref.run, offset: ref.offset, length: 1))
            }
        }
        return out
    }

    /// The ops that turn the current text into `newText` as one edit: the changed middle is
    /// deleted and the new middle inserted, so concurrent edits elsewhere in the text survive.
    public func edits(to newText: String) -> (deletions: [CharRange], insertion: (index: Int, text: String)?) {
        let old = Array(text.unicodeScalars)
        let new = Array(newText.unicodeScalars)
        var prefix = 0
        while prefix < old.count, prefix < new.count, old[prefix] == new[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < old.count - prefix, suffix < new.count - prefix,
              old[old.count - 1 - suffix] == new[new.count - 1 - suffix] { suffix += 1 }
        let deletions = prefix < old.count - suffix ? deletion(of: prefix..<(old.count - suffix)) : []
        let middle = new[prefix..<(new.count - suffix)]
        let insertion = middle.isEmpty ? nil : (prefix, TextSequence.string(middle))
        return (deletions, insertion)
    }
}
