/// An add-wins observed-remove set.
///
/// Every add is tagged with its op id; a remove names the tags its writer had seen. An element
/// is present while it has a tag that no remove named, so an add concurrent with a remove
/// wins. Removes that arrive before their adds still count: the state is a pair of growing
/// sets, and order of arrival does not matter.
public struct ObservedRemoveSet: Hashable, Sendable {
    /// element → every add tag seen.
    public private(set) var tags: [Value: Set<OpID>]
    /// Tags named by removes.
    public private(set) var removed: Set<OpID>

    /// An empty set, or one restored from stored state.
    public init(tags: [Value: Set<OpID>] = [:], removed: Set<OpID> = []) {
        self.tags = tags
        self.removed = removed
    }

    /// The live tags of `element`: what a local remove must name.
    public func liveTags(of element: Value) -> [OpID] {
        (tags[element] ?? []).subtracting(removed).sorted()
    }

    /// True when `element` is present.
    public func contains(_ element: Value) -> Bool {
        !(tags[element] ?? []).isSubset(of: removed)
    }

    /// The present elements, in canonical order.
    public var elements: [Value] {
        tags.compactMap { element, t in t.isSubset(of: removed) ? nil : element }.sorted()
    }

    /// Adds `element` with the tag `stamp`; false if that tag was seen before.
    @discardableResult
    public mutating func add(_ element: Value, tag stamp: OpID) -> Bool {
        tags[element, default: []].insert(stamp).inserted
    }

    /// Removes the observed tags of `element`.
    public mutating func remove(_ element: Value, observed: [OpID]) {
        removed.formUnion(observed)
    }

    /// The join of two set states.
    public func merged(with other: ObservedRemoveSet) -> ObservedRemoveSet {
        ObservedRemoveSet(
            tags: tags.merging(other.tags) { $0.union($1) },
            removed: removed.union(other.removed)
        )
    }
}
