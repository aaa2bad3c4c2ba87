import Foundation
import GRDB
import SyncCore
import SyncProtocol

/// Writes the readable columns of one record type from the CRDT state.
///
/// Columns: registers as their SQLite type (days as `yyyy-MM-dd`, ids as hex, dates as seconds
/// since 1970), sets as a JSON array of their elements in canonical order, texts as plain text.
struct Materializer: Sendable {
    let schema: RecordSchema
    let table: String
    let upsertSQL: String

    init(schema: RecordSchema) {
        self.schema = schema
        table = Materializer.tableName(schema.name)
        let names = schema.fields.map { $0.name.quotedDatabaseIdentifier }
        let columns = ["scope", "id", "deleted"] + names + ["crdt"]
        let updates = (["deleted"] + names + ["crdt"]).map { "\($0) = excluded.\($0)" }
        upsertSQL = """
            INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))
            ON CONFLICT (scope, id) DO UPDATE SET \(updates.joined(separator: ", "))
            """
    }

    static func tableName(_ type: String) -> String {
        "record_\(type)".quotedDatabaseIdentifier
    }

    /// The FTS5 index of a type's searchable fields (unquoted: GRDB quotes it).
    static func searchTableName(_ type: String) -> String {
        "search_\(type)"
    }

    static func columnType(_ kind: FieldSchema.Kind) -> String {
        switch kind {
        case .register(.integer), .register(.boolean): "INTEGER"
        case .register(.real), .register(.date): "REAL"
        default: "TEXT"
        }
    }

    /// The column value of a register value.
    static func databaseValue(_ value: Value?) -> DatabaseValue {
        guard let value else { return .null }
        switch value {
        case .null: return .null
        case .text(let t): return t.databaseValue
        case .integer(let i): return i.databaseValue
        case .real(let d): return d.databaseValue
        case .boolean(let b): return (b ? 1 : 0).databaseValue
        case .date(let d): return d.timeIntervalSince1970.databaseValue
        case .day(let d): return Value.dayString(d).databaseValue
        case .id(let id): return id.hex.databaseValue
        }
    }

    /// A JSON array of set elements.
    static func json(_ elements: [Value]) -> String {
        let items: [String] = elements.map { element in
            switch element {
            case .text(let t): jsonString(t)
            case .integer(let i): String(i)
            case .real(let d) where d.isFinite: String(d)
            case .boolean(let b): b ? "true" : "false"
            case .null: "null"
            default: jsonString(element.description)
            }
        }
        return "[" + items.joined(separator: ",") + "]"
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let s where s.value < 0x20: out += String(format: "\\u%04x", s.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Inserts or updates the entity's row.
    func upsert(_ db: Database, scope: Int64, id: Data, state: EntityState) throws {
        // Database values, not optional existentials: boxing each argument was a quarter of
        // the upsert (perf, W5).
        var arguments: [DatabaseValue] = [scope.databaseValue, id.databaseValue, (state.isDeleted ? 1 : 0).databaseValue]
        arguments.reserveCapacity(schema.fields.count + 4)
        for field in schema.fields {
            switch field.kind {
            case .register: arguments.append(Materializer.databaseValue(state.value(of: field.name)))
            case .set: arguments.append(Materializer.json(state.elements(of: field.name)).databaseValue)
            case .text: arguments.append(state.text(of: field.name).databaseValue)
            }
        }
        arguments.append(state.serialized().databaseValue)
        let statement = try db.cachedStatement(sql: upsertSQL)
        try statement.execute(arguments: StatementArguments(arguments))
    }

    /// The stored state of an entity, if there is a row.
    func load(_ db: Database, scope: Int64, id: Data) throws -> EntityState? {
        let statement = try db.cachedStatement(sql: "SELECT crdt FROM \(table) WHERE scope = ? AND id = ?")
        guard let bytes = try Data.fetchOne(statement, arguments: [scope, id]) else { return nil }
        return try EntityState(serialized: bytes)
    }

    /// Removes an entity's row (after an erasure).
    func remove(_ db: Database, scope: Int64, id: Data) throws {
        try db.execute(sql: "DELETE FROM \(table) WHERE scope = ? AND id = ?", arguments: [scope, id])
    }
}
