public import SyncCore
import Foundation
import GRDB
public import SyncProtocol

extension ReplicaStore {
    /// Erases an entity's content from this replica (AVG): its row, its conflict entries, and its
    /// ops in every stored change of the scope, which keep only their hashes, so the hash chains
    /// and signatures still verify. The id and the erasure's clock stay in `erased`, so content
    /// arriving later for this entity is dropped on arrival.
    func scrub(_ db: Database, scope: Int64, entity: EntityID, type: String, timestamp: Timestamp) throws {
        let id = Data(entity.bytes)
        try db.execute(sql: "INSERT OR IGNORE INTO erased (scope, entity, timestamp) VALUES (?, ?, ?)",
                       arguments: [scope, id, Int64(bitPattern: timestamp.rawValue)])
        if let materializer = materializers[type] {
            try materializer.remove(db, scope: scope, id: id)
            // The row's trigger marked its terms deleted in the full-text index; merging the
            // index's segments drops them, and secure_delete overwrites the pages they were on.
            if !materializer.schema.searchable.isEmpty {
                let index = Materializer.searchTableName(type).quotedDatabaseIdentifier
                try db.execute(sql: "INSERT INTO \(index)(\(index)) VALUES ('optimize')")
            }
        }
        try db.execute(sql: "DELETE FROM foreignEntity WHERE scope = ? AND id = ?", arguments: [scope, id])
        try db.execute(sql: "DELETE FROM conflict WHERE scope = ? AND entity = ?", arguments: [scope, id])
        // Only changes whose bytes contain the id can hold its ops: a cheap filter before decoding.
        let rows = try Row.fetchAll(db, sql: "SELECT rowid, bytes FROM change WHERE scope = ? AND instr(bytes, ?) > 0",
                                    arguments: [scope, id])
        for row in rows {
            var change = try SignedChange(serialized: row["bytes"])
            let erased = change.erase { $0.entity == entity && !$0.operations.contains { if case .erase = $0.kind { true } else { false } } }
            if erased > 0 {
                try db.execute(sql: "UPDATE change SET bytes = ? WHERE rowid = ?", arguments: [change.serialized(), row["rowid"] as Int64])
                changeTail.scrubbed()
            }
        }
    }

    /// Erases an entity in `scope` on this replica and, through the change this writes, on every
    /// replica that holds the scope.
    @discardableResult
    public func erase(_ entity: EntityID, type: String, in scope: Scope) throws(SyncError) -> SignedChange? {
        let change = try write(in: scope) { builder throws(SyncError) in
            try builder.erase(entity, type: type)
        }
        truncateLog()
        return change
    }

    /// The entities erased in `scope`.
    public func erasedEntities(in scope: Scope) throws(SyncError) -> [EntityID] {
        try read { db in
            try Data.fetchAll(db, sql: "SELECT entity FROM erased WHERE scope = (SELECT id FROM scope WHERE name = ?) ORDER BY entity",
                              arguments: [scope.name]).compactMap { EntityID(bytes: $0) }
        }
    }
}

extension ReplicaStore {
    /// The records of `type` in `scope` whose searchable fields hold every word of `query`
    /// (each as a prefix: "reken" finds "rekenen"), best match first, deleted ones left out.
    /// Whatever the query holds, it is only words to find: FTS5 syntax in it means nothing.
    public func search(_ query: String, type: String, in scope: Scope, limit: Int = 200) throws(SyncError) -> [EntityID] {
        guard let schema = materializers[type]?.schema, !schema.searchable.isEmpty else {
            throw SyncError(.invalidArgument, "\(type) has no full-text index")
        }
        guard let pattern = FTS5Pattern(matchingAllPrefixesIn: query) else { return [] }
        let index = Materializer.searchTableName(type).quotedDatabaseIdentifier
        return try read { db in
            guard let scopeID = try Int64.fetchOne(db, sql: "SELECT id FROM scope WHERE name = ?", arguments: [scope.name]) else { return [] }
            return try Data.fetchAll(db, sql: """
                SELECT r.id FROM \(index) s JOIN \(Materializer.tableName(type)) r ON r.rowid = s.rowid
                WHERE \(index) MATCH ? AND r.scope = ? AND r.deleted = 0 ORDER BY s.rank LIMIT ?
                """, arguments: [pattern, scopeID, limit]).compactMap { EntityID(bytes: $0) }
        }
    }
}
