/// The error every engine module throws: a stable ``Code`` to `catch` on, a message that says
/// what happened and what to do, and the lower layer's error it wraps, if any.
///
/// Messages are English: they go to logs. User-facing Dutch text is made from the code by the
/// layers above.
public struct SyncError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. Compare with `==` against the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Sendable {
            case malformedChange, badSignature, brokenChain, sequenceGap, forkedChain
            case unknownReplica, clockSkew, scopeNotAllowed, schemaViolation, invalidValue
            case notFound, storage, erased, invalidArgument
            case notMember, notOwner
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// Bytes that do not decode as a change, or a change whose fields are out of spec.
        public static let malformedChange = Code(.malformedChange)
        /// A signature that does not verify against the replica's key.
        public static let badSignature = Code(.badSignature)
        /// A change whose `previous` hash or payload hash does not match.
        public static let brokenChain = Code(.brokenChain)
        /// A change that skips sequence numbers: its predecessors have not arrived.
        public static let sequenceGap = Code(.sequenceGap)
        /// Two different changes with the same replica, scope and sequence number.
        public static let forkedChain = Code(.forkedChain)
        /// A change from a replica whose public key is not known here.
        public static let unknownReplica = Code(.unknownReplica)
        /// A remote clock too far ahead of the local wall clock.
        public static let clockSkew = Code(.clockSkew)
        /// A scope this replica does not hold, or a record that may not enter that scope.
        public static let scopeNotAllowed = Code(.scopeNotAllowed)
        /// An op that does not fit the record schema (wrong field kind or value type).
        public static let schemaViolation = Code(.schemaViolation)
        /// A value out of range or otherwise invalid.
        public static let invalidValue = Code(.invalidValue)
        /// The entity or record asked for does not exist.
        public static let notFound = Code(.notFound)
        /// The database failed; the underlying error says how.
        public static let storage = Code(.storage)
        /// The entity was erased (AVG) and can take no more edits.
        public static let erased = Code(.erased)
        /// An argument that the caller should have checked.
        public static let invalidArgument = Code(.invalidArgument)
        /// A change by a replica that is not (or not yet known to be) a member of a school of
        /// this board, or of the school whose scope it writes in.
        public static let notMember = Code(.notMember)
        /// A change to a record that another school (or the board) owns, or to a record's
        /// identity fields.
        public static let notOwner = Code(.notOwner)

        /// The code by its name (as a refusal carries it), or nil.
        public init?(name: String) {
            guard let kind = Kind(rawValue: name) else { return nil }
            self.kind = kind
        }

        /// True for a refusal that may pass later without anyone changing the change: a
        /// membership not known yet, a clock ahead, a predecessor still missing.
        public var isTransient: Bool {
            switch kind {
            case .notMember, .clockSkew, .unknownReplica, .sequenceGap: true
            default: false
            }
        }

        public var description: String { kind.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// What happened and, where it helps, what to do about it.
    public var message: String
    /// The lower layer's error this one wraps.
    public var underlying: (any Error)?

    /// Creates an error; `underlying` keeps the lower layer's error for logs.
    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        if let underlying { return "\(code): \(message) (\(underlying))" }
        return "\(code): \(message)"
    }
}
