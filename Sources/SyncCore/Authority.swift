/// Who stands behind a replica in a board's trust model: the board itself (its own key), or
/// one school of the board (a replica whose membership of that school is certified).
///
/// The store decides a change's authority from its verified author before it admits the
/// change: a school scope takes changes only from its own school's replicas, and a record in
/// a board scope may be changed only by the authority that created it.
public enum Authority: Hashable, Sendable, CustomStringConvertible {
    /// The board's own replica.
    case board
    /// A replica of the school with this BRIN (upper case).
    case school(String)

    /// The school's BRIN, or nil for the board.
    public var school: String? {
        if case .school(let brin) = self { brin } else { nil }
    }

    /// `board`, or the BRIN: how an owner is stored.
    public var storedName: String {
        switch self {
        case .board: "board"
        case .school(let brin): brin
        }
    }

    /// The authority stored as ``storedName``.
    public init(storedName: String) {
        self = storedName == "board" ? .board : .school(storedName)
    }

    public var description: String {
        switch self {
        case .board: "the board"
        case .school(let brin): "school \(brin)"
        }
    }
}
