import Foundation
import GRDB
public import SyncCore
import SyncProtocol

extension ReplicaStore {
    /// A SHA-256 over the canonical state of every scope (or of the scopes in `only`): each entity's id, type and CRDT state
    /// (encoded canonically), and the erased ids. Replicas that applied the same changes have
    /// the same hash, whatever the order in which the changes arrived.
    public func stateHash(of only: [Scope]? = nil) throws(SyncError) -> String {
        let wanted = only.map { Set($0.map(\.name)) }
        return try read { db in
            var bytes = Data()
            func field(_ data: Data) {
                withUnsafeBytes(of: UInt32(data.count).bigEndian) { bytes.append(contentsOf: $0) }
                bytes.append(data)
            }
            let scopes = try Row.fetchAll(db, sql: "SELECT id, name FROM scope ORDER BY name")
            for scope in scopes where wanted?.contains(scope["name"] as String) ?? true {
                let scopeID: Int64 = scope["id"]
                field(Data("scope \(scope["name"] as String)".utf8))
                for type in materializers.keys.sorted() {
                    let table = materializers[type]!.table
                    let rows = try Row.fetchCursor(db, sql: "SELECT id, crdt FROM \(table) WHERE scope = ? ORDER BY id", arguments: [scopeID])
                    while let row = try rows.next() {
                        field(Data(type.utf8))
                        field(row["id"])
                        field(row["crdt"])
                    }
                }
                let foreign = try Row.fetchCursor(db, sql: "SELECT id, type, crdt FROM foreignEntity WHERE scope = ? ORDER BY id", arguments: [scopeID])
                while let row = try foreign.next() {
                    field(Data((row["type"] as String).utf8))
                    field(row["id"])
                    field(row["crdt"])
                }
                for id in try Data.fetchAll(db, sql: "SELECT entity FROM erased WHERE scope = ? ORDER BY entity", arguments: [scopeID]) {
                    field(Data("erased".utf8))
                    field(id)
                }
            }
            return Hashing.sha256(bytes).map { String(format: "%02x", $0) }.joined()
        }
    }

    /// Runs SQLite's `PRAGMA integrity_check`; "ok" when the file is sound.
    public func integrityCheck() throws(SyncError) -> String {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }

    /// The conflict journal, newest first.
    public func conflicts() throws(SyncError) -> [ConflictRecord] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT scope.name AS scopeName, conflict.* FROM conflict JOIN scope ON scope.id = conflict.scope
                ORDER BY max(loserTimestamp, winnerTimestamp) DESC, conflict.id DESC
                """).map { row in
                ConflictRecord(
                    scope: try Scope(parsing: row["scopeName"]), entity: EntityID(bytes: row["entity"] as Data)!,
                    type: row["type"], field: row["field"], kind: ConflictEvent.Kind(rawValue: row["kind"])!,
                    loserValue: row["loserValue"], winnerValue: row["winnerValue"],
                    loserTimestamp: Timestamp(rawValue: UInt64(bitPattern: row["loserTimestamp"])),
                    winnerTimestamp: Timestamp(rawValue: UInt64(bitPattern: row["winnerTimestamp"])))
            }
        }
    }
}

/// One entry of the conflict journal.
public struct ConflictRecord: Sendable, Hashable {
    /// The scope of the entity.
    public var scope: Scope
    /// The entity.
    public var entity: EntityID
    /// Its record type.
    public var type: String
    /// The field; empty for the entity as a whole.
    public var field: String
    /// Concurrent writes, or an edit concurrent with a delete.
    public var kind: ConflictEvent.Kind
    /// The value that lost, as text.
    public var loserValue: String?
    /// The value that won, as text (nil when a delete won).
    public var winnerValue: String?
    /// When the losing write was made.
    public var loserTimestamp: Timestamp
    /// When the winning write (or delete) was made.
    public var winnerTimestamp: Timestamp
}
