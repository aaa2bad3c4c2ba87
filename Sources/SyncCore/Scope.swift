/// Where a change lives, and so who may hold it.
///
/// `school/<brin>` is replicated only among the replicas of that school; `board/<number>`
/// among the board and all its schools. Scope names appear in every change header.
public struct Scope: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The two kinds of scope.
    public enum Kind: String, Sendable, Comparable {
        case school
        case board

        public static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
    }

    /// School or board.
    public let kind: Kind
    /// The BRIN of the school or the board number.
    public let identifier: String

    /// A school's scope; `brin` must be 2 digits and 2 letters, e.g. `12AB`.
    public static func school(_ brin: String) throws(SyncError) -> Scope {
        guard Scope.isValidBRIN(brin) else {
            throw SyncError(.invalidArgument, "'\(brin)' is not a BRIN: expected 2 digits and 2 letters, e.g. 12AB")
        }
        return Scope(kind: .school, identifier: brin.uppercased())
    }

    /// A board's scope; `number` must be 5 digits, e.g. `41234`.
    public static func board(_ number: String) throws(SyncError) -> Scope {
        guard Scope.isValidBoardNumber(number) else {
            throw SyncError(.invalidArgument, "'\(number)' is not a board number: expected 5 digits, e.g. 41234")
        }
        return Scope(kind: .board, identifier: number)
    }

    private init(kind: Kind, identifier: String) {
        self.kind = kind
        self.identifier = identifier
    }

    /// Parses `school/12AB` or `board/41234`.
    public init(parsing name: String) throws(SyncError) {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let kind = Kind(rawValue: String(parts[0])) else {
            throw SyncError(.invalidArgument, "'\(name)' is not a scope: expected school/<brin> or board/<number>")
        }
        switch kind {
        case .school: self = try .school(String(parts[1]))
        case .board: self = try .board(String(parts[1]))
        }
        if self.name != name {
            throw SyncError(.invalidArgument, "'\(name)' is not in canonical form; expected '\(self.name)'")
        }
    }

    /// The canonical name, e.g. `school/12AB`.
    public var name: String { "\(kind.rawValue)/\(identifier)" }

    public var description: String { name }

    public static func < (a: Scope, b: Scope) -> Bool { a.name < b.name }

    /// 2 digits then 2 letters (upper case accepted, as DUO writes them).
    public static func isValidBRIN(_ text: String) -> Bool {
        let u = Array(text.utf8)
        guard u.count == 4 else { return false }
        func digit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        func letter(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
        return digit(u[0]) && digit(u[1]) && letter(u[2]) && letter(u[3])
    }

    /// Exactly 5 digits.
    public static func isValidBoardNumber(_ text: String) -> Bool {
        let u = Array(text.utf8)
        return u.count == 5 && u.allSatisfy { $0 >= 48 && $0 <= 57 }
    }
}
