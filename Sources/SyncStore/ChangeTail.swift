import Foundation
import GRDB
import SyncCore
import Synchronization

/// The changes this process committed last, held in memory in log order, so that the sessions
/// pushing them on read each one once from here instead of each from the database. A board with
/// 200 schools writing once a second had every one of 200 sessions read every new change with
/// its own queries, some 40,000 reads a second; now each read is one position check.
///
/// The tail holds exactly the committed rows of `change` with rowids in `(base, through]`:
/// rows are added in the writer's own `didCommit`, in commit order, and only a commit whose
/// first row follows `through` extends it. Anything else (another process committed between,
/// a transaction scrubbed stored changes for an erasure) drops what is held, and the tail
/// starts again with the next commit. A read uses it only for a snapshot whose newest rowid
/// lies in `(base, through]` and only when every change it misses is held: then the rows it
/// would read are the held ones. Everything else reads the database as before.
final class ChangeTail: Sendable {
    struct Entry: Sendable {
        var rowid: Int64
        var scope: Int64
        var replica: ReplicaID
        var replicaRow: Int64
        var seq: UInt64
        var timestamp: Int64
        var bytes: Data
    }

    private struct ChainKey: Hashable {
        var scope: Int64
        var replica: ReplicaID
    }

    /// The rowids of one chain's held changes, seq `first` on, without gaps.
    private struct Chain {
        var first: UInt64
        var rows: [Int64]
    }

    private struct Held {
        /// The rowid of `entries[0]`; entries before `start` were let go.
        var firstRow: Int64
        var entries: [Entry]
        var start = 0
        var bytes = 0
        var chains: [ChainKey: Chain] = [:]

        var base: Int64 { firstRow + Int64(start) - 1 }
        var through: Int64 { firstRow + Int64(entries.count) - 1 }

        func entry(_ rowid: Int64) -> Entry { entries[Int(rowid - firstRow)] }
    }

    /// What the open write transaction inserted, and whether it rewrote stored changes.
    private struct Pending {
        var entries: [Entry] = []
        var scrubbed = false
    }

    /// At most this many changes, and this many bytes of them, are held.
    let maximumEntries: Int
    let maximumBytes: Int
    private let held = Mutex<Held?>(nil)
    private let pending = Mutex(Pending())

    init(maximumEntries: Int = 20_000, maximumBytes: Int = 24 << 20) {
        self.maximumEntries = maximumEntries
        self.maximumBytes = maximumBytes
    }

    // MARK: - The writer's side

    /// A change inserted by the open write transaction (its row is `rowid`).
    func inserted(_ entry: Entry) {
        pending.withLock { $0.entries.append(entry) }
    }

    /// The open transaction rewrote stored changes (an erasure scrubbed them): what is held may
    /// be stale, and nothing of this transaction is taken on.
    func scrubbed() {
        pending.withLock { $0.scrubbed = true }
    }

    /// The open transaction committed (called on the writer, before the next transaction).
    func didCommit() {
        let done = pending.withLock { pending in
            defer { pending = Pending() }
            return pending
        }
        if done.scrubbed {
            held.withLock { $0 = nil }
            return
        }
        guard !done.entries.isEmpty else { return }
        held.withLock { held in
            for (index, entry) in done.entries.enumerated() where index > 0 && entry.rowid != done.entries[index - 1].rowid + 1 {
                // Not one run of rows: nothing can be claimed about them.
                held = nil
                return
            }
            if held == nil || done.entries[0].rowid != held!.through + 1 {
                held = Held(firstRow: done.entries[0].rowid, entries: [])
            }
            for entry in done.entries { ChangeTail.append(entry, to: &held!) }
            trim(&held!)
        }
    }

    /// The open transaction rolled back.
    func didRollback() {
        pending.withLock { $0 = Pending() }
    }

    private static func append(_ entry: Entry, to held: inout Held) {
        held.entries.append(entry)
        held.bytes += entry.bytes.count
        let key = ChainKey(scope: entry.scope, replica: entry.replica)
        if var chain = held.chains[key], chain.first + UInt64(chain.rows.count) == entry.seq {
            chain.rows.append(entry.rowid)
            held.chains[key] = chain
        } else {
            // A chain seen for the first time (or, which stored chains never do, not following on).
            held.chains[key] = Chain(first: entry.seq, rows: [entry.rowid])
        }
    }

    /// Lets the oldest changes go past the limits; once half the array is let go it is rebuilt.
    private func trim(_ held: inout Held) {
        while held.entries.count - held.start > maximumEntries || held.bytes > maximumBytes, held.start < held.entries.count {
            held.bytes -= held.entries[held.start].bytes.count
            held.entries[held.start].bytes = Data()
            held.start += 1
        }
        guard held.start > 0, held.start * 2 >= held.entries.count else { return }
        var fresh = Held(firstRow: held.base + 1, entries: [])
        for entry in held.entries[held.start...] { ChangeTail.append(entry, to: &fresh) }
        held = fresh
    }

    // MARK: - The readers' side

    /// The changes of scope `scope` missing from a peer (`missing`, per chain), as a read at
    /// log position `position` returns them: one chain in seq order, several in clock order,
    /// at most `limit`. Nil when the tail does not hold them all: the caller reads the database.
    func changes(scope: Int64, missing: [ReplicaID: ClosedRange<UInt64>], position: Int64, limit: Int) -> [Data]? {
        held.withLock { held -> [Data]? in
            guard let held, position > held.base, position <= held.through else { return nil }
            var found: [Entry] = []
            for (replica, range) in missing {
                guard let chain = held.chains[ChainKey(scope: scope, replica: replica)], range.lowerBound >= chain.first,
                      range.upperBound - chain.first < UInt64(chain.rows.count) else { return nil }
                let low = Int(range.lowerBound - chain.first)
                let high = Int(range.upperBound - chain.first)
                guard chain.rows[low] > held.base, chain.rows[high] <= position else { return nil }
                for index in low...high { found.append(held.entry(chain.rows[index])) }
            }
            if missing.count > 1 {
                found.sort { ($0.timestamp, $0.replicaRow) < ($1.timestamp, $1.replicaRow) }
            }
            return found.prefix(limit).map(\.bytes)
        }
    }
}

/// Tells the tail when the writer's transactions end. It observes no statement, so it costs
/// nothing while they run.
final class ChangeTailObserver: TransactionObserver {
    let tail: ChangeTail

    init(_ tail: ChangeTail) { self.tail = tail }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) { tail.didCommit() }
    func databaseDidRollback(_ db: Database) { tail.didRollback() }
}
