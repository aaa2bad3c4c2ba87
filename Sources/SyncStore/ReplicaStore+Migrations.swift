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

        for schema in schemas {
            migrator.registerMigration("record-\(schema.name)-v\(schema.version)") { db in
                try createOrExtendTable(for: schema, in: db)
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
}
