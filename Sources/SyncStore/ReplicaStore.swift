public import Foundation
public import GRDB
public import SyncCore
public import SyncProtocol
import Synchronization

/// One replica: a SQLite database holding a signed change log, the materialized records, the
/// version vectors, the conflict journal and the replica's key.
///
/// This is the one façade over the database (in the style of GRDB's `AppDatabase`): it runs
/// the named migrations when it opens, and every method keeps the invariants. Writing a local
/// change (``write(in:_:)``) and applying remote ones (``apply(_:)``) are each one
/// transaction: the change log, the version vector and the materialized rows move together
/// or not at all. Commits use `synchronous=FULL` in WAL mode, so a write that returned has
/// survived a crash.
public final class ReplicaStore: Sendable {
    /// This replica's id (derived from its key). It changes only when the replica finds its
    /// chain forked and moves to a new identity (``moveToNewIdentity(reason:)``).
    public var replicaID: ReplicaID { identity.withLock { $0.replicaID } }
    /// The replica's signing key: it signs this replica's changes and its session handshakes.
    /// It never leaves the replica.
    public var key: ReplicaKey { identity.withLock { $0 } }
    let identity: Mutex<ReplicaKey>
    let writer: any DatabaseWriter
    let materializers: [String: Materializer]
    let clock: Mutex<HybridLogicalClock>
    let wallClock: @Sendable () -> UInt64
    let policy: AdmissionPolicy
    /// Where the private key lives, when not in the database.
    let keyFile: String?
    /// The trust state as last read, with the `trust.version` it was read at.
    let trustCache = Mutex<(version: Int64, state: TrustState)?>(nil)
    /// Every stored membership statement in insertion order (row id, bytes), with the
    /// `trust.version` it was read at: a board with a thousand sessions reads it once per
    /// change of its trust state, not once per session.
    let membershipCache = Mutex<(version: Int64, log: [(id: Int64, bytes: Data)])?>(nil)
    /// The version vectors as last read (see ``VectorCache``).
    let vectorCache = VectorCache()
    /// The changes this process committed last, for the sessions that push them on (see ``ChangeTail``).
    let changeTail = ChangeTail()
    /// The refusals of each link as last read (see ``RefusalCache``).
    let refusalCache = RefusalCache()
    /// The row ids of the scopes, as read (a scope's row is never removed or renumbered).
    let scopeIDs = Mutex<[Scope: Int64]>([:])
    /// The tables derived from the records that this process keeps (``maintain(_:)``).
    let derived = DerivedTables()
    /// Received batches waiting for the writer, stored a group to a transaction.
    let intake = IntakeQueue()

    /// Decides whether a group of ops may enter a scope. The kc domain uses it for the AVG rules
    /// (nothing pupil-level or sensitive in a board scope); the engine calls it for local writes
    /// and for every remote change, before anything is stored.
    public struct AdmissionPolicy: Sendable {
        /// One group of ops the policy is asked about.
        public struct Request: Sendable {
            /// The scope the change is in.
            public var scope: Scope
            /// The ops on one entity.
            public var group: EntityOperations
            /// The entity's state after the ops.
            public var state: EntityState
            /// The change's author, verified by its signature.
            public var author: ReplicaID
            /// What stands behind the author (the board, or a school), from the membership
            /// statements; nil on an engine replica without a board.
            public var authority: Authority?
            /// True when this group creates the entity (its first ops seen here).
            public var creating: Bool
        }

        let check: @Sendable (Request) throws(SyncError) -> Void

        /// A policy from a check; `state` is the entity's state after the ops.
        public init(_ check: @escaping @Sendable (Scope, EntityOperations, EntityState) throws(SyncError) -> Void) {
            self.check = { request throws(SyncError) in try check(request.scope, request.group, request.state) }
        }

        /// A policy that sees the whole request: who wrote the change and for whom, and
        /// whether it creates the record.
        public init(request check: @escaping @Sendable (Request) throws(SyncError) -> Void) {
            self.check = check
        }

        /// Admits everything.
        public static let admitAll = AdmissionPolicy { _, _, _ throws(SyncError) in }
    }

    /// The wall clock in milliseconds since 1970.
    public static let systemClock: @Sendable () -> UInt64 = {
        UInt64(max(0, Date().timeIntervalSince1970 * 1000))
    }

    /// Opens (or creates) the replica in `writer`, runs the migrations, and loads or makes the
    /// replica's key. With `keyFile` the private key lives in that file (owner-only), not in
    /// the database that gets copied and backed up: a key still in the database moves there;
    /// a database opened without its key file (a copy of the database alone) gets a new key
    /// and so a new identity, which the board or a member must admit again.
    public init(
        _ writer: any DatabaseWriter, schemas: [RecordSchema], policy: AdmissionPolicy = .admitAll,
        wallClock: @escaping @Sendable () -> UInt64 = ReplicaStore.systemClock, keyFile: String? = nil
    ) throws(SyncError) {
        self.writer = writer
        self.wallClock = wallClock
        self.policy = policy
        self.keyFile = keyFile
        materializers = Dictionary(schemas.map { ($0.name, Materializer(schema: $0)) }, uniquingKeysWith: { a, _ in a })
        let (key, last) = try ReplicaStore.wrap("open the replica database") {
            try ReplicaStore.migrator(schemas: schemas).migrate(writer)
            return try writer.write { db -> (ReplicaKey, UInt64) in
                let key = try ReplicaStore.loadKey(db, keyFile: keyFile, now: wallClock())
                let last = try UInt64.fetchOne(db, sql: "SELECT MAX(timestamp) FROM head") ?? 0
                return (key, last)
            }
        }
        identity = Mutex(key)
        clock = Mutex(HybridLogicalClock(last: Timestamp(rawValue: last)))
        writer.add(transactionObserver: ChangeTailObserver(changeTail), extent: .databaseLifetime)
    }

    /// Opens the replica stored in the file at `path`, in WAL mode with `synchronous=FULL`
    /// (with `keyFile`, its private key in that file; see ``init(_:schemas:policy:wallClock:keyFile:)``).
    public static func open(
        path: String, schemas: [RecordSchema], policy: AdmissionPolicy = .admitAll,
        wallClock: @escaping @Sendable () -> UInt64 = ReplicaStore.systemClock, keyFile: String? = nil
    ) throws(SyncError) -> ReplicaStore {
        let pool = try wrap("open \(path)") { try DatabasePool(path: path, configuration: configuration()) }
        return try ReplicaStore(pool, schemas: schemas, policy: policy, wallClock: wallClock, keyFile: keyFile)
    }

    /// A replica in memory, for tests.
    public static func inMemory(
        schemas: [RecordSchema], policy: AdmissionPolicy = .admitAll,
        wallClock: @escaping @Sendable () -> UInt64 = ReplicaStore.systemClock
    ) throws(SyncError) -> ReplicaStore {
        let queue = try wrap("open an in-memory database") { try DatabaseQueue(configuration: configuration()) }
        return try ReplicaStore(queue, schemas: schemas, policy: policy, wallClock: wallClock)
    }

    /// The configuration every replica database uses: foreign keys on, `synchronous=FULL`.
    public static func configuration() -> Configuration {
        var config = Configuration()
        config.foreignKeysEnabled = true
        // A replica is written by more than one process: the daemon applying what it receives,
        // and a `kcsync` command writing a note. A writer waits for the other's transaction
        // instead of failing at once with SQLITE_BUSY.
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Deleted content is overwritten with zeros, so an AVG erasure leaves no trace in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // Reads map the file instead of copying each page through a read() call: the
            // board's merged view reads rows spread over a large file on every request.
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
            // The writer only (readers read the file through the map):
            if !db.configuration.readonly {
                // up to 64 MiB of pages: with SQLite's default 2 MiB, a board's group commit of
                // thousands of changes read the pages it had just changed back through pread
                // (W5's intake: 284,694 preads in 20 s of it, 34,654 in 15 s with this).
                try db.execute(sql: "PRAGMA cache_size = -65536")
                // Statement journals (the copy of the pages a statement changes, so a statement
                // that fails halfway can be undone inside its transaction) and temporary tables
                // in memory: in a file in /var/tmp they were two thirds of the board's page
                // writes during an intake (then with a savepoint per batch, which made every
                // statement journal its pages), and left copies of stored content on disk
                // outside the replica.
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
            }
        }
        return config
    }

    /// Runs `body`, wrapping any database error in a ``SyncError`` with code `storage`.
    static func wrap<T>(_ what: String, _ body: () throws -> T) throws(SyncError) -> T {
        do {
            return try body()
        } catch {
            throw storageError(what, error)
        }
    }

    /// `error` as a ``SyncError``: itself when it is one, else a storage error saying `what`
    /// could not be done.
    static func storageError(_ what: String, _ error: any Error) -> SyncError {
        switch error {
        case let error as SyncError: error
        case let error as DatabaseError: SyncError(.storage, "could not \(what): \(error.message ?? "database error")", underlying: error)
        default: SyncError(.storage, "could not \(what)", underlying: error)
        }
    }

    // MARK: - Scopes

    /// Makes this replica hold `scope`: from now on it writes and accepts changes there.
    public func addScope(_ scope: Scope) throws(SyncError) {
        try ReplicaStore.wrap("add scope \(scope)") {
            try writer.write { db in
                try db.execute(sql: "INSERT OR IGNORE INTO scope (name) VALUES (?)", arguments: [scope.name])
            }
        }
    }

    /// The scopes this replica holds, sorted by name.
    public func scopes() throws(SyncError) -> [Scope] {
        try ReplicaStore.wrap("read scopes") {
            try writer.read { db in
                try String.fetchAll(db, sql: "SELECT name FROM scope ORDER BY name").map { try Scope(parsing: $0) }
            }
        }
    }

    // MARK: - Reading

    /// The version vector of `scope`.
    public func versionVector(_ scope: Scope) throws(SyncError) -> VersionVector {
        try ReplicaStore.wrap("read the version vector") {
            try writer.read { db in try self.versionVector(db, scope: scope) }
        }
    }

    /// The vector of `scope` in the read transaction `db`: the one kept for the log position
    /// of its snapshot (see ``VectorCache``), or read and kept. Never inside a write.
    func versionVector(_ db: Database, scope: Scope) throws -> VersionVector {
        try positionedVector(db, scope: scope).vector
    }

    /// The vector of `scope` in the read transaction `db` and the log position (newest rowid
    /// of `change`) of its snapshot.
    func positionedVector(_ db: Database, scope: Scope) throws -> (position: Int64, vector: VersionVector) {
        let position = try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(rowid) FROM change")) ?? 0
        if let kept = vectorCache.vector(scope, at: position) { return (position, kept) }
        let vector = try ReplicaStore.versionVector(db, scope: scope)
        vectorCache.keep(vector, for: scope, at: position)
        return (position, vector)
    }

    static func versionVector(_ db: Database, scope: Scope) throws -> VersionVector {
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT replica.replica, head.seq FROM head
            JOIN replica ON replica.id = head.replica JOIN scope ON scope.id = head.scope
            WHERE scope.name = ?
            """), arguments: [scope.name])
        var vector = VersionVector()
        for row in rows { vector[ReplicaID(bytes: row[0] as Data)!] = row[1] }
        return vector
    }

    /// The header hash of the newest change of `replica` held in `scope`, or nil.
    public func tip(of replica: ReplicaID, in scope: Scope) throws(SyncError) -> [UInt8]? {
        try read { db in
            try Data.fetchOne(db, sql: """
                SELECT head.hash FROM head JOIN replica ON replica.id = head.replica JOIN scope ON scope.id = head.scope
                WHERE scope.name = ? AND replica.replica = ?
                """, arguments: [scope.name, Data(replica.bytes)]).map(Array.init)
        }
    }

    /// The header hash of change `seq` of `replica` in `scope`, if held.
    public func headerHash(of replica: ReplicaID, seq: UInt64, in scope: Scope) throws(SyncError) -> [UInt8]? {
        let bytes = try read { db in
            try Data.fetchOne(db, sql: """
                SELECT change.bytes FROM change JOIN replica ON replica.id = change.replica JOIN scope ON scope.id = change.scope
                WHERE scope.name = ? AND replica.replica = ? AND change.seq = ?
                """, arguments: [scope.name, Data(replica.bytes), Int64(clamping: seq)])
        }
        guard let bytes else { return nil }
        return try SignedChange(serialized: bytes).headerHash
    }

    /// The number of changes held in `scope`.
    public func changeCount(_ scope: Scope) throws(SyncError) -> Int {
        try ReplicaStore.wrap("count changes") {
            try writer.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM change JOIN scope ON scope.id = change.scope WHERE scope.name = ?",
                                 arguments: [scope.name]) ?? 0
            }
        }
    }

    /// The changes of `scope` that a replica with vector `known` lacks, at most `limit` of
    /// them: the bytes to send. They come in clock order (each replica's in seq order), which
    /// is causal order: a record's creation is sent before any edit made after seeing it, so
    /// a receiver can judge who owns what it is asked to change.
    public func changes(in scope: Scope, missingFrom known: VersionVector, limit: Int = .max) throws(SyncError) -> [Data] {
        try outgoing(in: scope, missingFrom: known, limit: limit).changes
    }

    /// What a session sends its peer next in `scope`: the changes a replica with vector `known`
    /// lacks (at most `limit`, as ``changes(in:missingFrom:limit:)`` reads them), whether they are
    /// all it lacks, and the trust version (statements learnt meanwhile go first).
    public struct Outgoing: Sendable {
        /// The changes to send, in clock order.
        public var changes: [Data]
        /// They are everything the peer lacked when they were read.
        public var complete: Bool
        /// `trust.version` when they were read, or later.
        public var trustVersion: Int64
    }

    /// The next changes for a peer with vector `known` (see ``Outgoing``). A push of what this
    /// process committed last costs two indexed reads and no transaction: the log position and
    /// the trust version, then the vector kept for that position and the changes held in memory
    /// (``VectorCache``, ``ChangeTail``), which are exact for it. Anything else is read from the
    /// log in one transaction.
    public func outgoing(in scope: Scope, missingFrom known: VersionVector, limit: Int) throws(SyncError) -> Outgoing {
        guard limit > 0 else { return Outgoing(changes: [], complete: false, trustVersion: try trustVersion()) }
        func total(_ missing: [ReplicaID: ClosedRange<UInt64>]) -> UInt64 { missing.values.reduce(0) { $0 + UInt64($1.count) } }
        return try ReplicaStore.wrap("read changes") {
            if let scopeID = scopeIDs.withLock({ $0[scope] }),
               let fast = try writer.unsafeRead({ db -> Outgoing? in
                   // Each statement alone reads a committed state; the kept vector and the tail
                   // are exact for the position read, whatever committed since.
                   let position = try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(rowid) FROM change")) ?? 0
                   let version = try Int64.fetchOne(db.cachedStatement(sql: "SELECT version FROM trust")) ?? 0
                   guard let ours = vectorCache.vector(scope, at: position) else { return nil }
                   let missing = ours.missing(from: known)
                   if missing.isEmpty { return Outgoing(changes: [], complete: true, trustVersion: version) }
                   guard let held = changeTail.changes(scope: scopeID, missing: missing, position: position, limit: limit) else { return nil }
                   return Outgoing(changes: held, complete: total(missing) <= UInt64(limit), trustVersion: version)
               }) {
                return fast
            }
            return try writer.read { db in
                let version = try Int64.fetchOne(db.cachedStatement(sql: "SELECT version FROM trust")) ?? 0
                guard let scopeID = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM scope WHERE name = ?"), arguments: [scope.name]) else {
                    return Outgoing(changes: [], complete: true, trustVersion: version)
                }
                scopeIDs.withLock { $0[scope] = scopeID }
                let (position, ours) = try self.positionedVector(db, scope: scope)
                let missing = ours.missing(from: known)
                guard !missing.isEmpty else { return Outgoing(changes: [], complete: true, trustVersion: version) }
                let changes = try changeTail.changes(scope: scopeID, missing: missing, position: position, limit: limit)
                    ?? self.logChanges(db, scope: scopeID, missing: missing, limit: limit)
                return Outgoing(changes: changes, complete: total(missing) <= UInt64(limit), trustVersion: version)
            }
        }
    }

    /// The changes of `missing` (per chain) in scope row `scope`, read from the log: one chain in
    /// seq order, several in clock order from the oldest missing, at most `limit`.
    func logChanges(_ db: Database, scope scopeID: Int64, missing: [ReplicaID: ClosedRange<UInt64>], limit: Int) throws -> [Data] {
        if missing.count == 1, let (replica, range) = missing.first {
            return try Data.fetchAll(db.cachedStatement(sql: """
                SELECT change.bytes FROM change JOIN replica ON replica.id = change.replica
                WHERE change.scope = ? AND replica.replica = ? AND change.seq BETWEEN ? AND ?
                ORDER BY change.seq LIMIT ?
                """), arguments: [scopeID, Data(replica.bytes), range.lowerBound, range.upperBound, limit])
        }
        // Several chains: walk the log in clock order from the oldest change missing.
        var rowIDs: [Int64: ClosedRange<UInt64>] = [:]
        var start = Int64.max
        for (replica, range) in missing {
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT replica.id, change.timestamp FROM change JOIN replica ON replica.id = change.replica
                WHERE change.scope = ? AND replica.replica = ? AND change.seq = ?
                """), arguments: [scopeID, Data(replica.bytes), range.lowerBound]) else { continue }
            rowIDs[row[0] as Int64] = range
            start = min(start, row[1] as Int64)
        }
        var out: [Data] = []
        let rows = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT replica, seq, bytes FROM change WHERE scope = ? AND timestamp >= ? ORDER BY timestamp, replica
            """), arguments: [scopeID, start])
        while out.count < limit, let row = try rows.next() {
            guard let range = rowIDs[row[0] as Int64], range.contains(UInt64(row[1] as Int64)) else { continue }
            out.append(row[2])
        }
        return out
    }

    /// The state of one entity, if this replica holds it (nil if unknown or erased).
    public func entityState(_ entity: EntityID, type: String, in scope: Scope) throws(SyncError) -> EntityState? {
        try ReplicaStore.wrap("read an entity") {
            try writer.read { db in
                guard let scopeID = try Int64.fetchOne(db, sql: "SELECT id FROM scope WHERE name = ?", arguments: [scope.name]) else { return nil }
                if let materializer = materializers[type] {
                    return try materializer.load(db, scope: scopeID, id: Data(entity.bytes))
                }
                return try Data.fetchOne(db, sql: "SELECT crdt FROM foreignEntity WHERE scope = ? AND id = ?",
                                         arguments: [scopeID, Data(entity.bytes)]).map { try EntityState(serialized: $0) }
            }
        }
    }

    /// The ids of the entities of `type` in `scope`, deleted ones included, in id order.
    public func entityIDs(type: String, in scope: Scope) throws(SyncError) -> [EntityID] {
        guard let materializer = materializers[type] else { return [] }
        return try ReplicaStore.wrap("list entities") {
            try writer.read { db in
                try Data.fetchAll(db, sql: """
                    SELECT id FROM \(materializer.table) WHERE scope = (SELECT id FROM scope WHERE name = ?) ORDER BY id
                    """, arguments: [scope.name]).compactMap { EntityID(bytes: $0) }
            }
        }
    }

    /// Moves the write-ahead log into the database file and truncates it, so erased content
    /// does not linger in old page images of the log.
    public func truncateLog() {
        guard let pool = writer as? DatabasePool else { return }
        _ = try? pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }

    /// Makes sure an index on some columns of a record type's materialized table exists (for
    /// the layers above that query those columns, such as the board's merged view). Columns
    /// are field names; `scope` and `deleted` may be named too.
    public func ensureIndex(_ name: String, type: String, columns: [String]) throws(SyncError) {
        guard let materializer = materializers[type] else { throw SyncError(.schemaViolation, "no record type \(type)") }
        let known = Set(materializer.schema.fields.map(\.name) + ["scope", "deleted"])
        guard !columns.isEmpty, columns.allSatisfy(known.contains) else { throw SyncError(.schemaViolation, "unknown columns for an index on \(type)") }
        try ReplicaStore.wrap("create an index") {
            try writer.write { db in
                try db.execute(sql: "CREATE INDEX IF NOT EXISTS \(name.quotedDatabaseIdentifier) ON \(materializer.table) (\(columns.map(\.quotedDatabaseIdentifier).joined(separator: ", ")))")
            }
        }
    }

    /// Runs a read-only query on the database (for reports and the layers above).
    public func read<T>(_ body: (Database) throws -> T) throws(SyncError) -> T {
        try ReplicaStore.wrap("read") { try writer.read(body) }
    }
}


extension ReplicaStore {
    /// Writes a consistent copy of this replica's database to a new file at `path` (SQLite
    /// `VACUUM INTO`), for backups. The copy has this replica's identity until
    /// ``replaceIdentity(atPath:with:)`` gives it its own.
    public func vacuum(into path: String) throws(SyncError) {
        try ReplicaStore.wrap("copy the database to \(path)") {
            try writer.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
        }
    }

    /// Gives the replica database at `path`, which must not be open, a new key and so a new
    /// replica id: a copy made with ``vacuum(into:)`` becomes a replica of its own that holds
    /// the same log. Two replicas must never write with one key, or their chains fork.
    public static func replaceIdentity(atPath path: String, with key: ReplicaKey) throws(SyncError) {
        try wrap("give \(path) a new identity") {
            let queue = try DatabaseQueue(path: path, configuration: configuration())
            try queue.write { db in
                try db.execute(sql: "UPDATE identity SET replica = ?, privateKey = ?",
                               arguments: [Data(key.replicaID.bytes), key.rawRepresentation])
            }
            try queue.close()
        }
    }
}
