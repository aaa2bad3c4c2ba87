import Foundation
import GRDB
public import SyncCore
import SyncProtocol

/// An erase op as this replica learnt it: who erased which id in which scope, and when. The id
/// need not be of a record held here: a school that erases a record writes, in its board's
/// scope, the erasure of the record's own id, so a copy made from it anywhere (by a laptop
/// that shared it while the desktop erased it) goes too, whichever arrives first.
struct Tombstone: Hashable {
    var scope: Int64
    var entity: EntityID
    /// The writer's authority (`Authority.storedName`); empty on a replica without a trust model.
    var authority: String
    var timestamp: Timestamp
}

extension ReplicaStore {
    /// The record types whose records name where they were made from.
    var provenanceTypes: [(type: String, field: String, table: String)] {
        materializers.values.compactMap { m in m.schema.provenance.map { (m.schema.name, $0, m.table) } }
            .sorted { $0.type < $1.type }
    }

    /// True when `source` in the scope was erased by `writer` (the authority that writes a
    /// record made from it), by the board, or (without a trust model) by anyone.
    func isTombstoned(_ db: Database, scope: Int64, source: EntityID, writer: Authority?, pending: Set<Tombstone>) throws -> Bool {
        let matches: (String) -> Bool = { stored in
            writer == nil || stored.isEmpty || stored == Authority.board.storedName || stored == writer!.storedName
        }
        if pending.contains(where: { $0.scope == scope && $0.entity == source && matches($0.authority) }) { return true }
        let rows = try String.fetchAll(db.cachedStatement(sql: "SELECT authority FROM tombstone WHERE scope = ? AND entity = ?"),
                                       arguments: [scope, Data(source.bytes)])
        return rows.contains(where: matches)
    }

    /// Stores `tombstones` and erases every record made from one of them by the same authority
    /// (or by anyone, when the board erased): its row, its state and its ops in every stored
    /// change. Returns how many records it erased.
    func settle(_ db: Database, tombstones: [Tombstone]) throws -> Int {
        var erased = 0
        for tombstone in tombstones {
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO tombstone (scope, entity, authority, timestamp) VALUES (?, ?, ?, ?)")
                .execute(arguments: [tombstone.scope, Data(tombstone.entity.bytes), tombstone.authority,
                                     Int64(bitPattern: tombstone.timestamp.rawValue)])
            for (type, field, table) in provenanceTypes {
                let dependents = try Data.fetchAll(db, sql: "SELECT id FROM \(table) WHERE scope = ? AND \(field.quotedDatabaseIdentifier) = ?",
                                                   arguments: [tombstone.scope, tombstone.entity.hex])
                for id in dependents {
                    guard let entity = EntityID(bytes: id) else { continue }
                    let owner = try String.fetchOne(db.cachedStatement(sql: "SELECT authority FROM owner WHERE scope = ? AND entity = ?"),
                                                    arguments: [tombstone.scope, id])
                    let authorized = tombstone.authority.isEmpty || tombstone.authority == Authority.board.storedName
                        || owner == tombstone.authority
                    guard authorized else { continue }
                    try scrub(db, scope: tombstone.scope, entity: entity, type: type, timestamp: tombstone.timestamp)
                    erased += 1
                }
            }
        }
        return erased
    }
}

/// One line of the erasure log: what was erased, where, when and why; never its content.
public struct ErasureLogEntry: Sendable, Equatable {
    public var scope: String
    public var entity: EntityID
    public var type: String
    public var reason: String
    /// ISO 8601, UTC.
    public var erasedAt: String
}

extension WriteTransaction {
    /// Writes a line of the erasure log in this transaction: if it cannot be written, the
    /// erasure does not happen either.
    public mutating func logErasure(_ entity: EntityID, type: String, in scope: Scope, reason: String, at time: String) throws(SyncError) {
        try ReplicaStore.wrap("log an erasure") {
            try db.execute(sql: "INSERT INTO erasureLog (scope, entity, type, reason, erasedAt) VALUES (?, ?, ?, ?, ?)",
                           arguments: [scope.name, Data(entity.bytes), type, reason, time])
        }
    }
}

extension ReplicaStore {
    /// The erasure log, oldest first.
    public func erasureLog() throws(SyncError) -> [ErasureLogEntry] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT scope, entity, type, reason, erasedAt FROM erasureLog ORDER BY id").compactMap { row in
                guard let entity = EntityID(bytes: row["entity"] as Data) else { return nil }
                return ErasureLogEntry(scope: row["scope"], entity: entity, type: row["type"], reason: row["reason"], erasedAt: row["erasedAt"])
            }
        }
    }
}
