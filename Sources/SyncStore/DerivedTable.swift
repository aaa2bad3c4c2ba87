public import GRDB
public import SyncCore
import Synchronization

/// A table the layers above derive from the materialized records and keep up to date in the
/// very transaction that changes them (the board's merged trend view is one).
///
/// The store knows nothing of what it holds: `install` creates its tables and the SQL triggers
/// that note what changed (so a change made by any connection is noted, also one that does
/// not know the table), and `refresh` brings it up to date from those notes. The store runs
/// `refresh` at the end of every transaction that applies changes or writes a local one,
/// before the commit, so the table moves with the records or not at all; only while received
/// batches keep waiting for the writer is it run once for many of their transactions (at
/// least every ``IntakeQueue/upkeepInterval``). A reader that finds notes not yet worked off
/// (that, or a writer that does not maintain the table) must not trust it, and computes from
/// the records instead.
public struct DerivedTable: Sendable {
    /// A name for errors and logs.
    public let name: String
    let install: @Sendable (Database) throws -> Void
    let refresh: @Sendable (Database) throws -> Void

    public init(name: String, install: @escaping @Sendable (Database) throws -> Void, refresh: @escaping @Sendable (Database) throws -> Void) {
        self.name = name
        self.install = install
        self.refresh = refresh
    }
}

/// The derived tables this process keeps.
final class DerivedTables: Sendable {
    private let tables = Mutex<[DerivedTable]>([])

    var all: [DerivedTable] { tables.withLock { $0 } }

    func add(_ table: DerivedTable) {
        tables.withLock { list in
            if !list.contains(where: { $0.name == table.name }) { list.append(table) }
        }
    }
}

extension ReplicaStore {
    /// Keeps `table` from now on: installs it and brings it up to date in one transaction.
    public func maintain(_ table: DerivedTable) throws(SyncError) {
        try ReplicaStore.wrap("keep \(table.name)") {
            try writer.write { db in
                try table.install(db)
                try table.refresh(db)
            }
        }
        derived.add(table)
    }

    /// Brings every kept table up to date; run inside each transaction that changes records.
    func refreshDerived(_ db: Database) throws {
        for table in derived.all { try table.refresh(db) }
    }

    /// The quoted name of a record type's materialized table.
    public static func recordTable(_ type: String) -> String { Materializer.tableName(type) }
}
