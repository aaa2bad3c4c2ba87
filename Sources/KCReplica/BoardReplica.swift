public import Foundation
import KCModel
import GRDB
import SyncProtocol
import Synchronization
public import SyncCore
public import SyncStore

/// The board's replica: the board scope of all its schools, and the register of the schools'
/// replica keys as membership statements the board signs (in the replica database), which
/// decides who may sync and who may write what.
public final class BoardReplica: Sendable {
    /// What `config.json` of a board data directory holds.
    public struct Configuration: Codable, Sendable, Equatable {
        /// The board number.
        public var board: String
        /// Always "board", so a school command pointed at a board directory can say so.
        public var role: String
    }

    /// The replica database (board scope only).
    public let store: ReplicaStore
    /// The board number.
    public let board: String
    /// `board/<number>`.
    public let scope: Scope
    /// The data directory.
    public let directory: URL
    /// Login codes are made and used one at a time (the codes file is read, then rewritten).
    let loginCodes = Mutex(())

    private init(store: ReplicaStore, board: String, directory: URL) throws(KCError) {
        self.store = store
        self.board = board
        self.directory = directory
        do { scope = try .board(board) } catch { throw KCError(.invalidInput, "'\(board)' is geen geldig bestuursnummer.") }
    }

    /// Creates the board replica in `directory`.
    public static func create(in directory: URL, board: String) throws(KCError) -> BoardReplica {
        guard Scope.isValidBoardNumber(board) else {
            throw KCError(.invalidInput, "'\(board)' is geen geldig bestuursnummer: verwacht 5 cijfers, bijvoorbeeld 41234.")
        }
        if FileManager.default.fileExists(atPath: KCReplica.databasePath(in: directory)) {
            throw KCError(.replicaExists, "In \(directory.path) staat al een replica. Kies een andere map met --data.")
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try DataDirectory.secure(directory)
            try DataDirectory.writePrivately(encoder.encode(Configuration(board: board, role: "board")), to: directory.appendingPathComponent("config.json"))
        } catch {
            throw KCError(.storage, "De map \(directory.path) kon niet worden aangemaakt: \(error.localizedDescription)")
        }
        let replica = try load(directory: directory, board: board)
        do { try replica.store.addScope(replica.scope) } catch { throw KCError.engine(error, doing: "de bestuursreplica aan te maken") }
        return replica
    }

    /// Opens the board replica in `directory`.
    public static func open(directory: URL) throws(KCError) -> BoardReplica {
        guard FileManager.default.fileExists(atPath: KCReplica.databasePath(in: directory)),
              let data = try? Data(contentsOf: directory.appendingPathComponent("config.json")),
              let configuration = try? JSONDecoder().decode(Configuration.self, from: data), configuration.role == "board" else {
            throw KCError(.noReplica, "Er is geen bestuursreplica in \(directory.path). Maak er een met: kcsync board init --board NUMMER")
        }
        return try load(directory: directory, board: configuration.board)
    }

    private static func load(directory: URL, board: String) throws(KCError) -> BoardReplica {
        do {
            let store = try ReplicaStore.open(path: KCReplica.databasePath(in: directory), schemas: KCSchemas.all,
                                              policy: KCReplica.admission, keyFile: KCReplica.keyPath(in: directory))
            try DataDirectory.secure(directory)
            try store.establishIdentity(board: board, school: "")
            // The merged view asks for one subject over a window of periods.
            try store.ensureIndex("trend_view", type: KCSchemas.trendAnalysis.name, columns: ["scope", "subjectArea", "period"])
            try store.ensureIndex("trend_periods", type: KCSchemas.trendAnalysis.name, columns: ["scope", "period"])
            // The merged view's series, kept ready per period and updated with every figure applied.
            try store.maintain(BoardTrendView.table)
            let replica = try BoardReplica(store: store, board: board, directory: directory)
            try replica.importRegistryFile()
            return replica
        } catch let error as KCError {
            throw error
        } catch let error as SyncError {
            throw KCError.engine(error, doing: "de bestuursreplica te openen")
        } catch {
            throw KCError(.storage, "De bestuursreplica kon niet worden geopend.")
        }
    }

    /// The board's public key as 64 hex digits: what each school pins (`kcsync init
    /// --board-key`, `kcsync config board-key`) so that no other server can pass for the board.
    public var publicKeyHex: String { Hex.encode(store.key.publicKey) }

    /// School (BRIN) → the hex public keys of its members: those the board registered, and
    /// those a member admitted (a laptop).
    public func registry() -> [String: [String]] {
        guard let trust = try? store.trust(), let statements = try? store.memberships() else { return [:] }
        var keys: [ReplicaID: [UInt8]] = [:]
        for statement in statements { keys[statement.statement.memberReplica] = statement.statement.memberKey }
        var registry: [String: [String]] = [:]
        for (replica, school) in trust.members {
            if let key = keys[replica] { registry[school, default: []].append(Hex.encode(key)) }
        }
        return registry.mapValues { $0.sorted() }
    }

    /// Registers a replica key (64 hex digits, from `kcsync key`) for a school: the board signs
    /// a membership statement, which reaches every school with the next sync.
    public func register(school: String, key: String) throws(KCError) {
        guard Scope.isValidBRIN(school) else {
            throw KCError(.invalidInput, "'\(school)' is geen geldig BRIN-nummer: verwacht 2 cijfers en 2 letters, bijvoorbeeld 12AB.")
        }
        let key = key.lowercased()
        guard key.count == 64, let bytes = Hex.decode(key), bytes.count == 32 else {
            throw KCError(.invalidInput, "Een sleutel is 64 hexadecimale tekens; kopieer hem uit 'kcsync key' op de school.")
        }
        guard bytes != store.key.publicKey else { throw KCError(.invalidInput, "Dat is de sleutel van het bestuur zelf.") }
        if let current = (try? store.trust())?.members[ReplicaKey.replicaID(forPublicKey: bytes)], current != school.uppercased() {
            throw KCError(.refused, "Deze sleutel hoort al bij school \(current). Verwijder hem daar eerst (kcsync board remove-school \(current)).")
        }
        try KCError.performing("de sleutel te registreren") { () throws(SyncError) in
            try store.issueMembership(school: school.uppercased(), memberKey: bytes)
        }
    }

    /// Removes a school: the board revokes every key of its members (also the ones a member
    /// admitted), its open sessions close, and its replicas get nothing from now on.
    public func remove(school: String) throws(KCError) {
        let school = school.uppercased()
        guard let keys = registry()[school], !keys.isEmpty else {
            throw KCError(.notFound, "School \(school) staat niet in het register.")
        }
        try KCError.performing("de school te verwijderen") { () throws(SyncError) in
            for key in keys {
                try store.issueMembership(school: school, memberKey: Hex.decode(key) ?? [], revoked: true)
            }
        }
    }

    /// For each school, when the newest change the board holds from its replicas was made.
    public func latestChangeBySchool() -> [String: Date] {
        guard let trust = try? store.trust() else { return [:] }
        var latest: [String: Date] = [:]
        for (replica, school) in trust.members {
            guard let millis = try? store.read({ db in
                try Int64.fetchOne(db, sql: """
                    SELECT MAX(head.timestamp) FROM head JOIN replica ON replica.id = head.replica WHERE replica.replica = ?
                    """, arguments: [Data(replica.bytes)])
            }) ?? nil else { continue }
            let date = Date(timeIntervalSince1970: Double(Timestamp(rawValue: UInt64(bitPattern: millis)).millis) / 1000)
            latest[school] = max(latest[school] ?? date, date)
        }
        return latest
    }

    /// Revokes one replica's key (a lost laptop, a replaced desktop): the board signs a
    /// revocation, the replica's open sessions close, and what only it vouched for (a laptop it
    /// admitted) goes with it. Returns the school it belonged to.
    @discardableResult
    public func removeReplica(key: String) throws(KCError) -> String {
        guard let bytes = Hex.decode(key.lowercased()), bytes.count == 32 else {
            throw KCError(.invalidInput, "Een sleutel is 64 hexadecimale tekens, zoals 'kcsync board schools --json' ze toont.")
        }
        guard let school = (try? store.trust())?.members[ReplicaKey.replicaID(forPublicKey: bytes)] else {
            throw KCError(.notFound, "Deze sleutel hoort bij geen school van dit bestuur.")
        }
        try KCError.performing("de replica te verwijderen") { () throws(SyncError) in
            try store.issueMembership(school: school, memberKey: bytes, revoked: true)
        }
        return school
    }

    /// True when `replica` is a member of a school of this board (and so may sync).
    public func isMember(_ replica: ReplicaID) -> Bool {
        (try? store.trust())?.authority(of: replica)?.school != nil
    }

    /// Moves a `schools.json` of an older kcsync into signed statements, then removes it.
    private func importRegistryFile() throws(KCError) {
        let url = directory.appendingPathComponent("schools.json")
        guard let data = try? Data(contentsOf: url) else { return }
        guard let old = try? JSONDecoder().decode([String: [String]].self, from: data) else {
            throw KCError(.storage, "schools.json in \(directory.path) is onleesbaar; herstel of verwijder het bestand.")
        }
        for (school, keys) in old {
            for key in keys { try register(school: school, key: key) }
        }
        try? FileManager.default.removeItem(at: url)
    }
}

extension KCReplica {
    /// This replica's public key as 64 hex digits: what the board registers.
    public var publicKeyHex: String {
        Hex.encode(store.key.publicKey)
    }

    /// Pins the board's key (64 hex digits, from `kcsync board key` on the board server): from
    /// now on this replica syncs only with a server that proves it holds that key.
    public func setBoardKey(_ hex: String) throws(KCError) {
        guard let bytes = Hex.decode(hex.lowercased()), bytes.count == 32 else {
            throw KCError(.invalidInput, "De sleutel van het bestuur is 64 hexadecimale tekens; kopieer hem uit 'kcsync board key' op de server.")
        }
        try perform("de sleutel van het bestuur vast te leggen") { () throws(SyncError) in try store.pinBoardKey(bytes, source: "given") }
    }

    /// The board's key as pinned here (hex), and how it became known: `given`, `firstContact`
    /// (learnt on the first sync: compare it with `kcsync board key` on the server) or `peer`.
    public var boardKey: (key: String, source: String)? {
        guard let trust = try? store.trust(), let key = trust.boardKey else { return nil }
        return (Hex.encode(key), trust.boardKeySource ?? "given")
    }

    /// Sets (or clears) the board server's address.
    public func setBoardURL(_ url: String?) throws(KCError) -> ReplicaConfiguration {
        if let url { try KCReplica.checkLinkURL(url, what: "Het adres van het bestuur") }
        var configuration = configuration
        configuration.boardURL = url
        do { try configuration.save(to: directory) } catch {
            throw KCError(.storage, "config.json kon niet worden bijgewerkt.")
        }
        return configuration
    }

    /// A `wss://` address must name its host: the certificate is checked against that name,
    /// and TLS cannot send an IP address as the server name.
    static func checkTLSHost(_ url: String) throws(KCError) {
        guard url.hasPrefix("wss://"), let host = URL(string: url)?.host else { return }
        let isIPv4 = host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." }
        if isIPv4 || host.contains(":") {
            throw KCError(.invalidInput, "Gebruik bij wss:// een hostnaam (zoals bestuur.example.nl of localhost), geen IP-adres: het certificaat wordt op die naam gecontroleerd.")
        }
    }

    /// Sets (or, with nil, clears) the CA file that `wss://` links trust. The file must hold
    /// at least one PEM certificate.
    public func setBoardCA(_ path: String?) throws(KCError) -> ReplicaConfiguration {
        var configuration = configuration
        if let path {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            guard let text = try? String(contentsOfFile: absolute, encoding: .utf8), text.contains("-----BEGIN CERTIFICATE-----") else {
                throw KCError(.invalidInput, "\(path) is geen leesbaar PEM-bestand met een certificaat.")
            }
            configuration.boardCA = absolute
        } else {
            configuration.boardCA = nil
        }
        do { try configuration.save(to: directory) } catch {
            throw KCError(.storage, "config.json kon niet worden bijgewerkt.")
        }
        return configuration
    }
}
