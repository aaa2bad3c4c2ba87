import Foundation
import GRDB
import SyncCore
import SyncProtocol

/// The entities one transaction touches: loaded once, changed in memory, written once at the
/// end. Local writes and remote applies share it, so both materialize, journal conflicts and
/// erase in exactly the same way.
struct WorkingSet {
    struct Key: Hashable {
        var scope: Int64
        var entity: EntityID
    }

    struct Entry {
        var type: String
        var state: EntityState
    }

    private(set) var entries: [Key: Entry] = [:]
    /// The entities an op touched, in first-touch order: only these are written back. An
    /// entity that was only looked at (or made with `newEntity` and left empty) is not.
    private var order: [Key] = []
    private var touched: Set<Key> = []
    private var conflicts: [(Key, String, ConflictEvent)] = []
    private var erasures: [Key: Timestamp] = [:]
    private var erasedCache: [Key: Bool] = [:]
    private var scopeHasErasures: [Int64: Bool] = [:]
    let materializers: [String: Materializer]

    /// The number of entities erased in this transaction.
    var erasureCount: Int { erasures.count }

    init(materializers: [String: Materializer]) {
        self.materializers = materializers
    }

    /// True when the entity was erased before this transaction or in it.
    mutating func isErased(_ key: Key, db: Database) throws -> Bool {
        if erasures[key] != nil { return true }
        if let cached = erasedCache[key] { return cached }
        // Most scopes have no erasures at all: ask once per scope, not once per entity.
        if let any = scopeHasErasures[key.scope] {
            if !any { return false }
        } else {
            let any = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM erased WHERE scope = ?)", arguments: [key.scope]) ?? false
            scopeHasErasures[key.scope] = any
            if !any { return false }
        }
        let statement = try db.cachedStatement(sql: "SELECT 1 FROM erased WHERE scope = ? AND entity = ?")
        let erased = try Bool.fetchOne(statement, arguments: [key.scope, Data(key.entity.bytes)]) ?? false
        erasedCache[key] = erased
        return erased
    }

    /// Marks an entity as created in this transaction: no need to look for it on disk.
    mutating func markNew(_ key: Key, type: String) {
        erasedCache[key] = false
        if entries[key] == nil {
            entries[key] = Entry(type: type, state: EntityState())
        }
    }

    /// The entity's current state (empty if it does not exist yet).
    mutating func state(_ key: Key, type: String, db: Database) throws -> EntityState {
        if let entry = entries[key] { return entry.state }
        let loaded: EntityState?
        if let materializer = materializers[type] {
            loaded = try materializer.load(db, scope: key.scope, id: Data(key.entity.bytes))
        } else {
            loaded = try Data.fetchOne(db, sql: "SELECT crdt FROM foreignEntity WHERE scope = ? AND id = ?",
                                       arguments: [key.scope, Data(key.entity.bytes)]).map { try EntityState(serialized: $0) }
        }
        let state = loaded ?? EntityState()
        entries[key] = Entry(type: type, state: state)
        return state
    }

    /// Applies one op (whose id is `stamp`) to the entity and keeps the conflicts it reveals.
    mutating func apply(_ op: RecordOperation, stamp: OpID, to key: Key, type: String, db: Database) throws {
        _ = try state(key, type: type, db: db)
        if touched.insert(key).inserted { order.append(key) }
        // Mutate in place: a copy would make every op copy the entity's dictionaries.
        let events = entries[key]!.state.apply(op, stamp: stamp)
        for event in events { conflicts.append((key, type, event)) }
        if case .erase = op.kind { erasures[key] = stamp.timestamp }
    }

    /// Puts the state an entity reached after a change's ops (computed on a copy and checked
    /// before), with the conflicts those ops revealed and, for an erase, its clock.
    mutating func install(_ key: Key, type: String, state: EntityState, events: [ConflictEvent], erasure: Timestamp?) {
        entries[key] = Entry(type: type, state: state)
        if touched.insert(key).inserted { order.append(key) }
        for event in events { conflicts.append((key, type, event)) }
        if let erasure { erasures[key] = erasure }
    }

    /// Writes every touched entity, the conflict journal and the erasures.
    func flush(_ db: Database, store: ReplicaStore) throws {
        for key in order {
            guard let entry = entries[key] else { continue }
            let id = Data(key.entity.bytes)
            if entry.state.erased { continue }
            if let materializer = materializers[entry.type] {
                try materializer.upsert(db, scope: key.scope, id: id, state: entry.state)
            } else {
                try db.execute(sql: """
                    INSERT INTO foreignEntity (scope, id, type, deleted, crdt) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (scope, id) DO UPDATE SET deleted = excluded.deleted, crdt = excluded.crdt
                    """, arguments: [key.scope, id, entry.type, entry.state.isDeleted, entry.state.serialized()])
            }
        }
        for (key, type, event) in conflicts where erasures[key] == nil {
            let statement = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO conflict (scope, entity, type, field, kind, loserStamp, loserTimestamp, loserValue,
                                                winnerStamp, winnerTimestamp, winnerValue)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            try statement.execute(arguments: [
                key.scope, Data(key.entity.bytes), type, event.field, event.kind.rawValue,
                WorkingSet.stampBytes(event.loser), Int64(bitPattern: event.loser.timestamp.rawValue), event.loserValue?.description,
                WorkingSet.stampBytes(event.winner), Int64(bitPattern: event.winner.timestamp.rawValue), event.winnerValue?.description,
            ])
        }
        for (key, timestamp) in erasures {
            try store.scrub(db, scope: key.scope, entity: key.entity, type: entries[key]?.type ?? "", timestamp: timestamp)
        }
    }

    /// 28 bytes that identify an op: timestamp, replica, index.
    static func stampBytes(_ stamp: OpID) -> Data {
        var data = Data(capacity: 28)
        withUnsafeBytes(of: stamp.timestamp.rawValue.bigEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: stamp.replica.bytes)
        withUnsafeBytes(of: stamp.index.bigEndian) { data.append(contentsOf: $0) }
        return data
    }
}
