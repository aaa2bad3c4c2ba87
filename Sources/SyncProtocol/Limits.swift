/// The limits the format enforces on every change, named so the spec and the errors can
/// quote them. A change over any limit is rejected as malformed before it touches state.
public enum Limits {
    /// The largest encoded change accepted (a note with a long body fits many times over).
    public static let maximumChangeBytes = 4 * 1024 * 1024
    /// The most entity groups in one change.
    public static let maximumGroups = 10_000
    /// The most ops in one payload group (an op's index keeps 16 bits for its position).
    public static let maximumOperationsPerGroup = 65_535
    /// The longest field name.
    public static let maximumFieldNameBytes = 64
    /// The longest record type name.
    public static let maximumTypeNameBytes = 64
    /// The most ops in one change, over all its groups.
    public static let maximumOperationsPerChange = 50_000
    /// The most text-delete ranges in one change, over all its ops.
    public static let maximumDeleteRangesPerChange = 10_000
    /// The most disjoint deleted ranges one text field of one entity may hold: past it a
    /// change that adds more is refused (a real text never comes near it).
    public static let maximumDeletedRangesPerText = 50_000
    /// The longest salt of a group.
    public static let maximumSaltBytes = 32
    /// The most preds/observed tags one op may name.
    public static let maximumReferences = 1_000
    /// The highest sequence number (seqs are stored as signed 64-bit integers).
    public static let maximumSeq: UInt64 = UInt64(Int64.max)
    /// The most entries one version vector may carry (replicas that ever wrote in a scope).
    public static let maximumVectorEntries = 10_000
    /// The most membership statements one frame may carry.
    public static let maximumMemberships = 10_000
}
