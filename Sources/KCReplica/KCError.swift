public import SyncCore

/// The error a kc'er sees: a stable ``Code`` and a Dutch message that says what happened and
/// what to do. The engine's error it wraps (English) goes to logs.
public struct KCError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public struct Code: Hashable, Sendable {
        private enum Kind: Sendable { case noReplica, replicaExists, notFound, ambiguous, refused, invalidInput, storage }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// There is no replica in the data directory.
        public static let noReplica = Code(.noReplica)
        /// `init` found a replica already there.
        public static let replicaExists = Code(.replicaExists)
        /// No record has the given id.
        public static let notFound = Code(.notFound)
        /// An id prefix matches more than one record.
        public static let ambiguous = Code(.ambiguous)
        /// The action is not allowed (AVG, or the record's state).
        public static let refused = Code(.refused)
        /// A value given is not valid.
        public static let invalidInput = Code(.invalidInput)
        /// The replica could not be read or written.
        public static let storage = Code(.storage)
    }

    /// The kind of failure.
    public var code: Code
    /// Dutch, for the kc'er.
    public var message: String
    /// The engine error behind it, if any.
    public var underlying: SyncError?

    /// Creates an error.
    public init(_ code: Code, _ message: String, underlying: SyncError? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// Wraps an engine error with a Dutch message.
    static func engine(_ error: SyncError, doing what: String) -> KCError {
        if error.code == .erased {
            return KCError(.refused, "Dit record is gewist (AVG) en kan niet meer worden gewijzigd.", underlying: error)
        }
        if error.code == .notOwner {
            return KCError(.refused, "Dit record hoort bij een andere school of bij het bestuur; alleen de eigenaar mag het wijzigen. Er is niets veranderd.", underlying: error)
        }
        if error.code == .notMember {
            return KCError(.refused, "Deze replica is (nog) niet bekend als replica van een school van dit bestuur. Er is niets veranderd.", underlying: error)
        }
        if error.code == .scopeNotAllowed {
            return KCError(.refused, "Dit mag niet naar het bestuur: \(error.message).", underlying: error)
        }
        return KCError(.storage, "Het lukte niet om \(what). Controleer de datamap en probeer het opnieuw.", underlying: error)
    }

    /// Runs a store call, turning its errors into Dutch (`what` says what was being done).
    static func performing<T>(_ what: String, _ body: () throws(SyncError) -> T) throws(KCError) -> T {
        do { return try body() } catch { throw KCError.engine(error, doing: what) }
    }

    public var description: String {
        if let underlying { return "\(message) [\(underlying)]" }
        return message
    }
}
