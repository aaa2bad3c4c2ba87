public import Foundation
import KCModel
public import SyncCore
public import SyncStore

/// A kc'er's replica: the kc domain (KCModel) on one replica database (SyncStore).
///
/// Every operation that a kc'er performs is one method here, and one durable transaction
/// underneath. A record that is shared with the board is changed in the school scope and in
/// the board scope in the same transaction. The AVG policy is installed in the store, so it
/// holds for what this replica writes and for what it receives. The command line and, later,
/// the daemon's control socket both call these methods.
public final class KCReplica: Sendable {
    /// The replica database.
    public let store: ReplicaStore
    /// School and board.
    public let configuration: ReplicaConfiguration
    /// The data directory.
    public let directory: URL
    /// `school/<brin>`.
    public let schoolScope: Scope
    /// `board/<number>`.
    public let boardScope: Scope
    let today: @Sendable () -> Int32
    /// Today as days since 1970 (the replica's clock for due dates and bewaartermijnen).
    public var currentDay: Int32 { today() }

    /// The database file in a data directory.
    public static func databasePath(in directory: URL) -> String {
        directory.appendingPathComponent("replica.db").path
    }

    /// The private key's file in a data directory (owner-only; not in the database, so a copy
    /// or backup of the database cannot write as this replica).
    public static func keyPath(in directory: URL) -> String {
        directory.appendingPathComponent("replica.key").path
    }

    /// The admission policy every kc replica (and the board) installs, on top of the engine's
    /// scope binding and ownership: in a board scope only the kc record types and their known
    /// fields, the AVG rule (nothing pupil-level or sensitive), and a record's `school` is the
    /// school of the replica that writes it (empty only for the board's own records), so no
    /// school writes in another's name and no school writes as the board.
    public static let admission = ReplicaStore.AdmissionPolicy(request: { request throws(SyncError) in
        let scope = request.scope
        let group = request.group
        guard scope.kind == .board else { return }
        guard let schema = KCSchemas.all.first(where: { $0.name == group.type }), let allowed = KCSchemas.boardFields[group.type] else {
            throw SyncError(.scopeNotAllowed, "a record of unknown type '\(group.type.prefix(64))' may not enter \(scope)")
        }
        for op in group.operations where !op.field.isEmpty && !allowed.contains(op.field) {
            throw SyncError(schema.field(op.field) == nil ? .schemaViolation : .scopeNotAllowed,
                            "\(group.type).\(op.field.prefix(64)) may not enter \(scope): only the fields a board copy carries may")
        }
        try PrivacyPolicy.check(scope: scope, type: group.type, state: request.state)
        guard let authority = request.authority, schema.field("school") != nil else { return }
        let named = request.state.value(of: "school")?.text ?? ""
        let writer = authority.school ?? ""
        if KCSchemas.boardOnly.contains(group.type), authority.school != nil {
            throw SyncError(.notOwner, "a \(group.type) may come only from the board; \(authority) wrote it")
        }
        guard named == writer else {
            throw SyncError(.notOwner, named.isEmpty
                ? "a \(group.type) without a school may come only from the board; \(authority) wrote it"
                : "a \(group.type) of school \(named) written by \(authority); only that school's replicas may write it")
        }
    })

    private init(store: ReplicaStore, configuration: ReplicaConfiguration, directory: URL,
                 today: @escaping @Sendable () -> Int32) throws(KCError) {
        self.store = store
        self.configuration = configuration
        self.directory = directory
        self.today = today
        do {
            schoolScope = try .school(configuration.school)
            boardScope = try .board(configuration.board)
        } catch {
            throw KCError(.invalidInput, "De configuratie in \(directory.path) noemt een ongeldige school of bestuur.", underlying: error)
        }
    }

    /// Today as a day number, from the system clock.
    public static let systemToday: @Sendable () -> Int32 = {
        Int32((Date().timeIntervalSince1970 / 86_400).rounded(.down))
    }

    /// Creates a new replica for `school` of `board` in `directory` (created with owner-only
    /// permissions). Refuses if a replica is there already.
    public static func create(
        in directory: URL, school: String, board: String, boardURL: String? = nil, boardKey: [UInt8]? = nil,
        today: @escaping @Sendable () -> Int32 = KCReplica.systemToday
    ) throws(KCError) -> KCReplica {
        if let boardURL { try checkLinkURL(boardURL, what: "Het adres van het bestuur") }
        if let boardKey, boardKey.count != 32 {
            throw KCError(.invalidInput, "De sleutel van het bestuur is 64 hexadecimale tekens; kopieer hem uit 'kcsync board key' op de server.")
        }
        guard Scope.isValidBRIN(school) else {
            throw KCError(.invalidInput, "'\(school)' is geen geldig BRIN-nummer: verwacht 2 cijfers en 2 letters, bijvoorbeeld 12AB.")
        }
        guard Scope.isValidBoardNumber(board) else {
            throw KCError(.invalidInput, "'\(board)' is geen geldig bestuursnummer: verwacht 5 cijfers, bijvoorbeeld 41234.")
        }
        let path = databasePath(in: directory)
        if FileManager.default.fileExists(atPath: path) {
            throw KCError(.replicaExists, "In \(directory.path) staat al een replica. Kies een andere map met --data.")
        }
        let configuration = ReplicaConfiguration(school: school.uppercased(), board: board, boardURL: boardURL)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            try DataDirectory.secure(directory)
            try configuration.save(to: directory)
        } catch {
            throw KCError(.storage, "De map \(directory.path) kon niet worden aangemaakt: \(error.localizedDescription)")
        }
        let replica = try open(directory: directory, configuration: configuration, today: today)
        do {
            try replica.store.addScope(replica.schoolScope)
            try replica.store.addScope(replica.boardScope)
            if let boardKey { try replica.store.pinBoardKey(boardKey, source: "given") }
        } catch {
            throw KCError.engine(error, doing: "de replica aan te maken")
        }
        return replica
    }

    /// Opens the replica in `directory`.
    public static func open(directory: URL, today: @escaping @Sendable () -> Int32 = KCReplica.systemToday) throws(KCError) -> KCReplica {
        guard FileManager.default.fileExists(atPath: databasePath(in: directory)) else {
            throw KCError(.noReplica, "Er is geen replica in \(directory.path). Maak er een met: kcsync init --school BRIN --board NUMMER")
        }
        let configuration: ReplicaConfiguration
        do { configuration = try ReplicaConfiguration.load(from: directory) } catch {
            throw KCError(.storage, "config.json in \(directory.path) ontbreekt of is onleesbaar.")
        }
        return try open(directory: directory, configuration: configuration, today: today)
    }

    private static func open(directory: URL, configuration: ReplicaConfiguration,
                             today: @escaping @Sendable () -> Int32) throws(KCError) -> KCReplica {
        do {
            let store = try ReplicaStore.open(path: databasePath(in: directory), schemas: KCSchemas.all, policy: admission,
                                              keyFile: keyPath(in: directory))
            try DataDirectory.secure(directory)
            // Who this replica is, in the database (replicas made before the trust model learn it here).
            try store.establishIdentity(board: configuration.board, school: configuration.school)
            let replica = try KCReplica(store: store, configuration: configuration, directory: directory, today: today)
            try replica.importPeersFile()
            return replica
        } catch let error as KCError {
            throw error
        } catch let error as SyncError {
            throw KCError.engine(error, doing: "de replica te openen")
        } catch {
            throw KCError(.storage, "De replica kon niet worden geopend.")
        }
    }

    /// Runs a store call, turning its errors into Dutch.
    @discardableResult
    func perform<T>(_ what: String, _ body: () throws(SyncError) -> T) throws(KCError) -> T {
        try KCError.performing(what, body)
    }

    // MARK: - Ids

    /// The short form of an id that lists show: its last 8 hex digits. Ids are time-ordered,
    /// so records made in the same moment share their first digits; the last ones are random.
    public static func shortID(_ id: EntityID) -> String { String(id.hex.suffix(8)) }

    /// The record of `type` in the school scope whose id starts with `text` (a unique prefix)
    /// or, failing that, ends with it (the short id lists show). Hex, dashes and case ignored.
    /// Unknown or ambiguous ids are refused with the candidates named.
    public func resolve(_ text: String, type: String, label: String) throws(KCError) -> EntityID {
        try KCReplica.resolve(text, type: type, label: label, in: schoolScope, store: store)
    }

    /// ``resolve(_:type:label:)`` in any scope of any store (the board's too).
    static func resolve(_ text: String, type: String, label: String, in scope: Scope, store: ReplicaStore) throws(KCError) -> EntityID {
        let wanted = text.lowercased().filter { $0 != "-" }
        guard !wanted.isEmpty, wanted.count <= 32, wanted.allSatisfy(\.isHexDigit) else {
            throw KCError(.invalidInput, "'\(text)' is geen geldig id: gebruik het korte id uit de lijst of het begin van het volledige id.")
        }
        let ids: [EntityID]
        do { ids = try store.entityIDs(type: type, in: scope) } catch { throw KCError.engine(error, doing: "de \(label)en te lezen") }
        var matches = ids.filter { $0.hex.hasPrefix(wanted) }
        if matches.isEmpty { matches = ids.filter { $0.hex.hasSuffix(wanted) } }
        switch matches.count {
        case 1: return matches[0]
        case 0: throw KCError(.notFound, "Geen \(label) gevonden met id \(text).")
        default:
            throw KCError(.ambiguous, "Het id \(text) past bij \(matches.count) records (\(matches.prefix(3).map(KCReplica.shortID).joined(separator: ", "))\(matches.count > 3 ? ", …" : "")). Geef het korte id uit de lijst of meer tekens.")
        }
    }

    func state(_ id: EntityID, type: String, in scope: Scope) throws(KCError) -> EntityState? {
        try perform("het record te lezen") { () throws(SyncError) in try store.entityState(id, type: type, in: scope) }
    }
}
