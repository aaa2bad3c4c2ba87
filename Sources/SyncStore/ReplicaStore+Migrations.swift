import Foundation
import GRDB
import SyncCore
import SyncProtocol

// The schema lives only here. Migrations are named and never edited: a change to the schema
// is a new migration. Record tables are made by one migration per record schema version,
// named `record-<type>-v<version>`.

extension ReplicaStore {
    static func migrator(schemas: [RecordSchema]) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()

        migrator.registerMigration("v1-engine") { db in
            // This replica: its key (the id derives from it) and nothing else.
            try db.execute(sql: """
                CREATE TABLE identity (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    replica BLOB NOT NULL CHECK (length(replica) = 16),
                    privateKey BLOB NOT NULL CHECK (length(privateKey) = 32)
                );
                -- The scopes this replica holds. Changes for any other scope are refused.
                CREATE TABLE scope (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE CHECK (name GLOB 'school/*' OR name GLOB 'board/*')
                );
                -- Every replica whose changes are held here, with its Ed25519 public key.
                CREATE TABLE replica (
                    id INTEGER PRIMARY KEY,
                    replica BLOB NOT NULL UNIQUE CHECK (length(replica) = 16),
                    publicKey BLOB NOT NULL CHECK (length(publicKey) = 32)
                );
                -- The change log: each change as the bytes that were signed and sent.
                CREATE TABLE change (
                    scope INTEGER NOT NULL REFERENCES scope(id),
                    replica INTEGER NOT NULL REFERENCES replica(id),
                    seq INTEGER NOT NULL CHECK (seq >= 1),
                    timestamp INTEGER NOT NULL,
                    bytes BLOB NOT NULL,
                    PRIMARY KEY (scope, replica, seq)
                );
                -- Per scope and replica: the version vector entry and the tip of the hash chain.
                CREATE TABLE head (
                    scope INTEGER NOT NULL REFERENCES scope(id),
                    replica INTEGER NOT NULL REFERENCES replica(id),
                    seq INTEGER NOT NULL CHECK (seq >= 1),
                    timestamp INTEGER NOT NULL,
                    hash BLOB NOT NULL CHECK (length(hash) = 32),
                    PRIMARY KEY (scope, replica)
                ) WITHOUT ROWID;
                -- The conflict journal: each losing write once.
                CREATE TABLE conflict (
                    id INTEGER PRIMARY KEY,
                    scope INTEGER NOT NULL REFERENCES scope(id),
                    entity BLOB NOT NULL CHECK (length(entity) = 16),
                    type TEXT NOT NULL,
                    field TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('concurrentWrite', 'editAfterDelete')),
                    loserStamp BLOB NOT NULL,
                    loserTimestamp INTEGER NOT NULL,
                    loserValue TEXT,
                    winnerStamp BLOB NOT NULL,
                    winnerTimestamp INTEGER NOT NULL,
                    winnerValue TEXT,
                    UNIQUE (scope, entity, field, loserStamp)
                );
                -- Erased (AVG) entities: only the id and the clock of the erasure stay.
                CREATE TABLE erased (
                    scope INTEGER NOT NULL REFERENCES scope(id),
                    entity BLOB NOT NULL CHECK (length(entity) = 16),
                    timestamp INTEGER NOT NULL,
                    PRIMARY KEY (scope, entity)
                ) WITHOUT ROWID;
                -- Entities of record types this replica has no schema for (a newer replica's).
                CREATE TABLE foreignEntity (
                    scope INTEGER NOT NULL REFERENCES scope(id),
                    id BLOB NOT NULL CHECK (length(id) = 16),
                    type TEXT NOT NULL,
                    deleted INTEGER NOT NULL,
                    crdt BLOB NOT NULL,
                    PRIMARY KEY (scope, id)
                );
                """)
        }

        migrator.registerMigration("v2-trust") { db in
            try db.execute(sql: """
                -- Who this replica is in its board's trust model, and the board key it trusts.
                -- No row: an engine replica without a board (tests, tools); every check that
                -- needs membership is then skipped.
                CREATE TABLE trust (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    board TEXT NOT NULL,
                    school TEXT NOT NULL,               -- '' for the board's own replica
                    boardKey BLOB CHECK (boardKey IS NULL OR length(boardKey) = 32),
                    boardKeySource TEXT,                -- own, given, firstContact, peer
                    version INTEGER NOT NULL DEFAULT 0  -- bumped by every change to trust, membership or peer
                );
                -- Signed membership statements (SignedMembership), checked before they are stored.
                CREATE TABLE membership (
                    id INTEGER PRIMARY KEY,
                    bytes BLOB NOT NULL UNIQUE,
                    school TEXT NOT NULL,
                    memberKey BLOB NOT NULL CHECK (length(memberKey) = 32),
                    issuerKey BLOB NOT NULL CHECK (length(issuerKey) = 32),
                    issued INTEGER NOT NULL,
                    revoked INTEGER NOT NULL CHECK (revoked IN (0, 1))
                );
                -- Replicas of this school that this replica syncs with directly, by key.
                CREATE TABLE peer (
                    publicKey BLOB PRIMARY KEY CHECK (length(publicKey) = 32),
                    url TEXT,
                    added INTEGER NOT NULL
                );
                -- Who created each record of a board scope: only that authority may change it.
                CREATE TABLE owner (
                    scope INTEGER NOT NULL REFERENCES scope(id),
                    entity BLOB NOT NULL CHECK (length(entity) = 16),
                    type TEXT NOT NULL,
                    authority TEXT NOT NULL,            -- 'board' or a BRIN
                    PRIMARY KEY (scope, entity)
                ) WITHOUT ROWID;
                -- Changes refused on a link, the last refusal per chain: by the other side
                -- (direction 'sent': ours, or ones we relayed) or by this one ('received').
                CREATE TABLE refusal (
                    link TEXT NOT NULL,
                    direction TEXT NOT NULL CHECK (direction IN ('sent', 'received')),
                    scope TEXT NOT NULL,
                    replica BLOB NOT NULL CHECK (length(replica) = 16),
                    seq INTEGER NOT NULL,
                    code TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    transient INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    PRIMARY KEY (link, direction, scope, replica)
                ) WITHOUT ROWID;
                -- The identities this replica had before it found its chain forked (restored
                -- from a copy) and moved to a new one.
                CREATE TABLE formerIdentity (
                    replica BLOB PRIMARY KEY CHECK (length(replica) = 16),
                    publicKey BLOB NOT NULL CHECK (length(publicKey) = 32),
                    until INTEGER NOT NULL,
                    reason TEXT NOT NULL
                ) WITHOUT ROWID;
                -- Changes are sent in clock order (causal order), so a record's creation
                -- always travels before its edits.
                CREATE INDEX change_clock ON change (scope, timestamp, replica);
                """)
        }

        migrator.registerMigration("v3-erasure") { db in
            try db.execute(sql: """
                -- Who erased which id in a scope (an erase op, also of an id never seen here):
                -- a record made from that id by the same authority (its provenance) is erased
                -- with it, on arrival or at once. Kept per authority, so one school's erasure of
                -- an id it learnt from another's copy touches nothing of the other's.
                CREATE TABLE tombstone (
                    scope INTEGER NOT NULL REFERENCES scope(id),
                    entity BLOB NOT NULL CHECK (length(entity) = 16),
                    authority TEXT NOT NULL,
                    timestamp INTEGER NOT NULL,
                    PRIMARY KEY (scope, entity, authority)
                ) WITHOUT ROWID;
                -- The erasure log (AVG accountability): what was erased, when and why, never
                -- the content. Written in the erasure's own transaction.
                CREATE TABLE erasureLog (
                    id INTEGER PRIMARY KEY,
                    scope TEXT NOT NULL,
                    entity BLOB NOT NULL CHECK (length(entity) = 16),
                    type TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    erasedAt TEXT NOT NULL
                );
                """)
        }

        migrator.registerMigration("v4-local-state") { db in
            try db.execute(sql: """
                -- What the shells around a replica keep for themselves and never sync (web
                -- sessions of the board's and the school's pages), in the database that is
                -- backed up, so it survives a restart. `expires`: Unix seconds, or NULL.
                CREATE TABLE localState (
                    key TEXT PRIMARY KEY NOT NULL,
                    value BLOB NOT NULL,
                    expires REAL
                ) WITHOUT ROWID;
                """)
        }

        migrator.registerMigration("v5-sealed-chains") { db in
            // The tip's seal (SHA-256 of its header bytes and signature): what a change of
            // format 2 names as its predecessor. Filled from the tip changes already held.
            try db.execute(sql: "ALTER TABLE head ADD COLUMN seal BLOB CHECK (seal IS NULL OR length(seal) = 32)")
            let tips = try Row.fetchAll(db, sql: """
                SELECT head.scope, head.replica, change.bytes FROM head
                JOIN change ON change.scope = head.scope AND change.replica = head.replica AND change.seq = head.seq
                """)
            let update = try db.makeStatement(sql: "UPDATE head SET seal = ? WHERE scope = ? AND replica = ?")
            for tip in tips {
                let change = try SignedChange(serialized: tip["bytes"])
                try update.execute(arguments: [Data(change.seal), tip["scope"] as Int64, tip["replica"] as Int64])
            }
        }

        for schema in schemas {
            migrator.registerMigration("record-\(schema.name)-v\(schema.version)") { db in
                try createOrExtendTable(for: schema, in: db)
            }
        }
        for schema in schemas where !schema.searchable.isEmpty {
            migrator.registerMigration("search-\(schema.name)-\(schema.searchable.joined(separator: ","))") { db in
                try createSearchIndex(for: schema, in: db)
            }
        }
        return migrator
    }

    /// Creates the table of a record type, or adds the columns of fields a newer schema version
    /// brought, and then materializes those fields from the stored CRDT state.
    static func createOrExtendTable(for schema: RecordSchema, in db: Database) throws {
        let table = Materializer.tableName(schema.name)
        if try db.tableExists(table) {
            let existing = Set(try db.columns(in: table).map(\.name))
            for field in schema.fields where !existing.contains(field.name) {
                try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN \(field.name.quotedDatabaseIdentifier) \(Materializer.columnType(field.kind))")
            }
            let materializer = Materializer(schema: schema)
            let rows = try Row.fetchAll(db, sql: "SELECT scope, id, crdt FROM \(table)")
            for row in rows {
                let state = try EntityState(serialized: row["crdt"])
                try materializer.upsert(db, scope: row["scope"], id: row["id"], state: state)
            }
            return
        }
        var columns = [
            "rowid INTEGER PRIMARY KEY",
            "scope INTEGER NOT NULL REFERENCES scope(id)",
            "id BLOB NOT NULL CHECK (length(id) = 16)",
            "deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1))",
        ]
        for field in schema.fields {
            columns.append("\(field.name.quotedDatabaseIdentifier) \(Materializer.columnType(field.kind))")
        }
        columns.append("crdt BLOB NOT NULL")
        columns.append("UNIQUE (scope, id)")
        try db.execute(sql: "CREATE TABLE \(table) (\n  \(columns.joined(separator: ",\n  "))\n)")
    }

    /// The full-text index of a record type's searchable fields: FTS5 (GRDB), its content read
    /// from the record table and kept in step with it by triggers, so local writes, remote
    /// changes and erasures all update it. Letters match without their accents ("leesbegrip"
    /// finds "leesbegríp"). A new set of fields builds a new index from the rows.
    static func createSearchIndex(for schema: RecordSchema, in db: Database) throws {
        let index = Materializer.searchTableName(schema.name)
        if try db.tableExists(index) { try db.drop(table: index) }
        try db.create(virtualTable: index, using: FTS5()) { t in
            t.synchronize(withTable: "record_\(schema.name)")
            t.tokenizer = .unicode61(diacritics: .remove)
            for field in schema.searchable { t.column(field) }
        }
    }
}
