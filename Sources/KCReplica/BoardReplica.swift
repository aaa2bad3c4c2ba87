public import Foundation
import KCModel
import SyncProtocol
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
public import SyncCore
public import SyncStore

/// The board's replica: the board scope of all its schools, and the register of the schools'
/// replica keys (`schools.json`), which decides who may sync.
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
    /// The register as replica ids, shared with the admission policy.
    let replicas: RegistryCache
    /// Login codes are made and used one at a time (the codes file is read, then rewritten).
    let loginCodes = Mutex(())

    private init(store: ReplicaStore, board: String, directory: URL, replicas: RegistryCache) throws(KCError) {
        self.replicas = replicas
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
            try encoder.encode(Configuration(board: board, role: "board")).write(to: directory.appendingPathComponent("config.json"), options: .atomic)
            try encoder.encode([String: [String]]()).write(to: directory.appendingPathComponent("schools.json"), options: .atomic)
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
            let replicas = RegistryCache(url: directory.appendingPathComponent("schools.json"))
            let store = try ReplicaStore.open(path: KCReplica.databasePath(in: directory), schemas: KCSchemas.all,
                                              policy: admission(registry: replicas))
            // The merged view asks for one subject over a window of periods.
            try store.ensureIndex("trend_view", type: KCSchemas.trendAnalysis.name, columns: ["scope", "subjectArea", "period"])
            try store.ensureIndex("trend_periods", type: KCSchemas.trendAnalysis.name, columns: ["scope", "period"])
            return try BoardReplica(store: store, board: board, directory: directory, replicas: replicas)
        } catch let error as KCError {
            throw error
        } catch let error as SyncError {
            throw KCError.engine(error, doing: "de bestuursreplica te openen")
        } catch {
            throw KCError(.storage, "De bestuursreplica kon niet worden geopend.")
        }
    }

    private var registryURL: URL { directory.appendingPathComponent("schools.json") }

    /// The board's admission policy: the AVG rule of every kc replica, and a school's records
    /// only from that school's own replicas. A record naming a school (a shared note,
    /// agreement or figure, an advice written at a school, a reaction) is refused when the
    /// replica that wrote the change is not registered for that school, so no school writes
    /// in another's name, not even through a relay.
    static func admission(registry: RegistryCache) -> ReplicaStore.AdmissionPolicy {
        ReplicaStore.AdmissionPolicy(authored: { scope, group, state, author throws(SyncError) in
            try PrivacyPolicy.check(scope: scope, type: group.type, state: state)
            guard scope.kind == .board, let school = state.value(of: "school")?.text, !school.isEmpty else { return }
            guard registry.replicas(of: school).contains(author) else {
                throw SyncError(.scopeNotAllowed, "a \(group.type) of school \(school) written by replica \(author.hex.prefix(8)), which is not registered for that school")
            }
        })
    }

    /// School (BRIN) → the hex public keys registered for it.
    public func registry() -> [String: [String]] {
        guard let data = try? Data(contentsOf: registryURL),
              let registry = try? JSONDecoder().decode([String: [String]].self, from: data) else { return [:] }
        return registry
    }

    private func save(_ registry: [String: [String]]) throws(KCError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { try encoder.encode(registry).write(to: registryURL, options: .atomic) } catch {
            throw KCError(.storage, "Het register van scholen kon niet worden opgeslagen.")
        }
    }

    /// Registers a replica key (64 hex digits, from `kcsync key`) for a school.
    public func register(school: String, key: String) throws(KCError) {
        guard Scope.isValidBRIN(school) else {
            throw KCError(.invalidInput, "'\(school)' is geen geldig BRIN-nummer: verwacht 2 cijfers en 2 letters, bijvoorbeeld 12AB.")
        }
        let key = key.lowercased()
        guard key.count == 64, key.allSatisfy(\.isHexDigit) else {
            throw KCError(.invalidInput, "Een sleutel is 64 hexadecimale tekens; kopieer hem uit 'kcsync key' op de school.")
        }
        var registry = registry()
        var keys = registry[school.uppercased(), default: []]
        if !keys.contains(key) { keys.append(key) }
        registry[school.uppercased()] = keys
        try save(registry)
    }

    /// Removes a school and all its keys: its replicas get nothing from now on.
    public func remove(school: String) throws(KCError) {
        var registry = registry()
        guard registry.removeValue(forKey: school.uppercased()) != nil else {
            throw KCError(.notFound, "School \(school) staat niet in het register.")
        }
        try save(registry)
    }

    /// The replica ids of the keys registered for `school`: the only authors whose new
    /// changes a session of that school may bring.
    public func registeredReplicas(school: String) -> Set<ReplicaID> {
        replicas.replicas(of: school)
    }

    /// True when `publicKey` is registered for `school`.
    public func isRegistered(school: String, publicKey: [UInt8]) -> Bool {
        registry()[school.uppercased()]?.contains(Hex.encode(publicKey)) ?? false
    }
}

/// The register of school keys as replica ids, read again whenever `schools.json` changes
/// (the admission policy asks for every received change).
final class RegistryCache: Sendable {
    let url: URL
    private let cached = Mutex<(stamp: String, replicas: [String: Set<ReplicaID>])>(("never read", [:]))

    init(url: URL) { self.url = url }

    func replicas(of school: String) -> Set<ReplicaID> {
        // stat(2) directly: this runs for every change the board applies, and FileManager's
        // attributes call builds a dictionary each time.
        var info = stat()
        let stamp = stat(url.path, &info) == 0 ? "\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)|\(info.st_size)" : ""
        return cached.withLock { cache in
            if cache.stamp != stamp {
                var replicas: [String: Set<ReplicaID>] = [:]
                if let data = try? Data(contentsOf: url), let registry = try? JSONDecoder().decode([String: [String]].self, from: data) {
                    for (brin, keys) in registry {
                        replicas[brin.uppercased()] = Set(keys.compactMap { Hex.decode($0) }.filter { $0.count == 32 }.map(ReplicaKey.replicaID(forPublicKey:)))
                    }
                }
                cache = (stamp, replicas)
            }
            return cache.replicas[school.uppercased()] ?? []
        }
    }
}

extension KCReplica {
    /// This replica's public key as 64 hex digits: what the board registers.
    public var publicKeyHex: String {
        Hex.encode(store.key.publicKey)
    }

    /// Sets (or clears) the board server's address.
    public func setBoardURL(_ url: String?) throws(KCError) -> ReplicaConfiguration {
        if let url, !(url.hasPrefix("ws://") || url.hasPrefix("wss://")) {
            throw KCError(.invalidInput, "Het adres van het bestuur begint met ws:// of wss://, bijvoorbeeld ws://bestuur.example:8450.")
        }
        if let url { try KCReplica.checkTLSHost(url) }
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
