import Foundation
import GRDB
import SyncCore
import SyncProtocol
#if canImport(Glibc)
import Glibc
#endif

extension ReplicaStore {
    /// The private key as the database keeps it when the key lives in a file: 32 zero bytes.
    static let keyInFile = Data(count: 32)

    /// Loads or makes this replica's key inside the opening transaction (see
    /// ``init(_:schemas:policy:wallClock:keyFile:)``).
    static func loadKey(_ db: Database, keyFile: String?, now: UInt64) throws -> ReplicaKey {
        let row = try Row.fetchOne(db, sql: "SELECT replica, privateKey FROM identity")
        guard let keyFile else {
            if let row { return try ReplicaKey(rawRepresentation: row["privateKey"] as Data) }
            let key = ReplicaKey()
            try db.execute(sql: "INSERT INTO identity (singleton, replica, privateKey) VALUES (1, ?, ?)",
                           arguments: [Data(key.replicaID.bytes), key.rawRepresentation])
            return key
        }
        if let stored = FileManager.default.contents(atPath: keyFile) {
            let key = try ReplicaKey(rawRepresentation: stored)
            if let row {
                guard (row["replica"] as Data) == Data(key.replicaID.bytes) else {
                    throw SyncError(.invalidArgument, "the key file \(keyFile) belongs to another replica than this database")
                }
                if (row["privateKey"] as Data) != keyInFile { try db.execute(sql: "UPDATE identity SET privateKey = ?", arguments: [keyInFile]) }
            } else {
                try db.execute(sql: "INSERT INTO identity (singleton, replica, privateKey) VALUES (1, ?, ?)",
                               arguments: [Data(key.replicaID.bytes), keyInFile])
            }
            return key
        }
        if let row, (row["privateKey"] as Data) != keyInFile {
            // A replica made before keys lived in files: the key moves out of the database.
            let key = try ReplicaKey(rawRepresentation: row["privateKey"] as Data)
            try writeKey(key, to: keyFile)
            try db.execute(sql: "UPDATE identity SET privateKey = ?", arguments: [keyInFile])
            return key
        }
        let key = ReplicaKey()
        try writeKey(key, to: keyFile)
        if let row {
            // The database without its key file (a copy of replica.db alone): it cannot write
            // as the replica it was a copy of, so it becomes a replica of its own.
            let old = row["replica"] as Data
            if let publicKey = try Data.fetchOne(db, sql: "SELECT publicKey FROM replica WHERE replica = ?", arguments: [old]) {
                try db.execute(sql: "INSERT OR REPLACE INTO formerIdentity (replica, publicKey, until, reason) VALUES (?, ?, ?, ?)",
                               arguments: [old, publicKey, Int64(clamping: now),
                                           "opened without its key file (a copy of the database alone): a new key, to be registered again"])
            }
            try db.execute(sql: "UPDATE identity SET replica = ?, privateKey = ?", arguments: [Data(key.replicaID.bytes), keyInFile])
            try db.execute(sql: "UPDATE trust SET version = version + 1")
        } else {
            try db.execute(sql: "INSERT INTO identity (singleton, replica, privateKey) VALUES (1, ?, ?)",
                           arguments: [Data(key.replicaID.bytes), keyInFile])
        }
        return key
    }

    /// Writes a private key to `path`, owner-only, atomically (a temporary file made 0600
    /// before the key is in it, synced, then renamed).
    static func writeKey(_ key: ReplicaKey, to path: String) throws {
        let temporary = path + ".new"
        unlink(temporary)
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw SyncError(.storage, "could not create the key file \(path) (errno \(errno))") }
        let raw = [UInt8](key.rawRepresentation)
        let written = raw.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == raw.count, synced == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw SyncError(.storage, "could not write the key file \(path)")
        }
    }
}
