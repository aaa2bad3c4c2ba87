public import Foundation
import GRDB
public import SyncCore

/// Local state: values the shells around a replica keep for themselves (the web pages'
/// sessions), in the replica's database but outside every scope, so nothing syncs them.
extension ReplicaStore {
    /// The value stored under `key` and when it expires, unless it has expired by `now`.
    public func localValue(_ key: String, now: Date = Date()) throws(SyncError) -> (value: Data, expires: Date?)? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT value, expires FROM localState WHERE key = ?", arguments: [key]) else { return nil }
            let expires = (row["expires"] as Double?).map { Date(timeIntervalSince1970: $0) }
            if let expires, expires <= now { return nil }
            return (row["value"], expires)
        }
    }

    /// Stores `value` under `key` until `expires` (nil: no end). With `onlyIfAbsent`, a live
    /// value already there is kept and false returned. Expired values are swept on the way.
    @discardableResult
    public func setLocalValue(_ key: String, _ value: Data, expires: Date?, onlyIfAbsent: Bool = false, now: Date = Date()) throws(SyncError) -> Bool {
        try ReplicaStore.wrap("store local state") {
            try writer.write { db in
                try db.execute(sql: "DELETE FROM localState WHERE expires IS NOT NULL AND expires <= ?", arguments: [now.timeIntervalSince1970])
                if onlyIfAbsent, try Bool.fetchOne(db, sql: "SELECT 1 FROM localState WHERE key = ?", arguments: [key]) == true { return false }
                try db.execute(sql: "INSERT OR REPLACE INTO localState (key, value, expires) VALUES (?, ?, ?)",
                               arguments: [key, value, expires?.timeIntervalSince1970])
                return true
            }
        }
    }

    /// Removes the value under `key` and returns it, unless it has expired by `now`: at most
    /// one caller ever gets it (a one-time login code).
    public func takeLocalValue(_ key: String, now: Date = Date()) throws(SyncError) -> Data? {
        try ReplicaStore.wrap("take local state") {
            try writer.write { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT value, expires FROM localState WHERE key = ?", arguments: [key]) else { return nil }
                try db.execute(sql: "DELETE FROM localState WHERE key = ?", arguments: [key])
                if let expires = row["expires"] as Double?, expires <= now.timeIntervalSince1970 { return nil }
                return row["value"]
            }
        }
    }

    /// Removes the value under `key`, if any.
    public func removeLocalValue(_ key: String) throws(SyncError) {
        try ReplicaStore.wrap("remove local state") {
            try writer.write { db in try db.execute(sql: "DELETE FROM localState WHERE key = ?", arguments: [key]) }
        }
    }

    /// Removes every value whose key starts with `prefix` and whose value `matches`.
    public func removeLocalValues(prefix: String, where matches: (Data) -> Bool) throws(SyncError) {
        try ReplicaStore.wrap("remove local state") {
            try writer.write { db in
                let rows = try Row.fetchAll(db, sql: "SELECT key, value FROM localState WHERE instr(key, ?) = 1", arguments: [prefix])
                for row in rows where matches(row["value"]) {
                    try db.execute(sql: "DELETE FROM localState WHERE key = ?", arguments: [row["key"] as String])
                }
            }
        }
    }
}

extension ReplicaStore {
    /// Every live value whose key starts with `prefix`.
    public func localValues(prefix: String, now: Date = Date()) throws(SyncError) -> [Data] {
        try read { db in
            try Data.fetchAll(db, sql: "SELECT value FROM localState WHERE instr(key, ?) = 1 AND (expires IS NULL OR expires > ?)",
                              arguments: [prefix, now.timeIntervalSince1970])
        }
    }
}
