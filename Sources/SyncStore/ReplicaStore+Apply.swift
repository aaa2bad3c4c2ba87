public import Foundation
public import SyncCore
import GRDB
import Synchronization
public import SyncProtocol

/// What one ``ReplicaStore/apply(_:)`` did.
public struct ApplyResult: Sendable, Equatable {
    /// Changes stored and materialized.
    public var applied: Int
    /// Changes that were here already (ignored: applying is idempotent).
    public var duplicates: Int
    /// Payload groups dropped on arrival because their entity was erased here.
    public var erasedOnArrival: Int
    /// Entities erased by the changes applied.
    public var erasures: Int

    /// Creates a result.
    public init(applied: Int = 0, duplicates: Int = 0, erasedOnArrival: Int = 0, erasures: Int = 0) {
        self.applied = applied
        self.duplicates = duplicates
        self.erasedOnArrival = erasedOnArrival
        self.erasures = erasures
    }
}

extension ReplicaStore {
    /// Applies changes from other replicas, as one transaction.
    ///
    /// Each change must continue its chain: seq one past what is held, `previous` equal to the
    /// hash of the held tip, a clock newer than the previous change's and not too far ahead of
    /// ours, a payload matching its hash, ops fitting the record schemas and admitted by the
    /// policy. Within each contiguous run of one replica only the newest signature is checked:
    /// the hash links vouch for the rest. Changes held already are skipped (a different change
    /// with a held seq is a fork, and refused). If any change is bad, nothing is applied and
    /// the error names the change.
    @discardableResult
    public func apply(_ serialized: [Data]) throws(SyncError) -> ApplyResult {
        var changes: [SignedChange] = []
        changes.reserveCapacity(serialized.count)
        for bytes in serialized {
            let change = try SignedChange(serialized: bytes)
            try change.verifyPayload()
            changes.append(change)
        }
        return try apply(changes: changes, original: serialized)
    }

    /// Applies decoded changes (see ``apply(_:)``).
    public func apply(changes: [SignedChange]) throws(SyncError) -> ApplyResult {
        for change in changes { try change.verifyPayload() }
        return try apply(changes: changes, original: nil)
    }

    private struct Chain {
        var scopeID: Int64
        var replicaRowID: Int64
        var seq: UInt64
        var timestamp: Timestamp
        var hash: [UInt8]
        var publicKey: [UInt8]
        var tail: SignedChange?
        var dirty = false
    }

    private struct ChainKey: Hashable {
        var scope: Scope
        var replica: ReplicaID
    }

    private func apply(changes: [SignedChange], original: [Data]?) throws(SyncError) -> ApplyResult {
        let wall = wallClock()
        let skewCheck = clock.withLock { $0 }
        let result = try ReplicaStore.wrap("apply changes") {
            try writer.write { db -> ApplyResult in
                var result = ApplyResult()
                var scopeIDs: [Scope: Int64] = [:]
                var chains: [ChainKey: Chain] = [:]
                var working = WorkingSet(materializers: materializers)
                var newest = Timestamp.zero

                for (position, var change) in changes.enumerated() {
                    let header = change.header
                    let name = "change \(header.replica.hex.prefix(8))/\(header.seq) in \(header.scope)"
                    let scopeID: Int64
                    if let known = scopeIDs[header.scope] {
                        scopeID = known
                    } else {
                        guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM scope WHERE name = ?", arguments: [header.scope.name]) else {
                            throw SyncError(.scopeNotAllowed, "\(name): this replica does not hold scope \(header.scope)")
                        }
                        scopeIDs[header.scope] = id
                        scopeID = id
                    }
                    let chainKey = ChainKey(scope: header.scope, replica: header.replica)
                    var chain: Chain
                    if let known = chains[chainKey] {
                        chain = known
                    } else {
                        chain = try loadChain(db, scopeID: scopeID, header: header, name: name)
                    }

                    if header.seq <= chain.seq {
                        try checkDuplicate(db, change: change, chain: chain, name: name)
                        result.duplicates += 1
                        continue
                    }
                    guard header.seq == chain.seq + 1 else {
                        throw SyncError(.sequenceGap, "\(name): expected seq \(chain.seq + 1) next; changes \(chain.seq + 1)...\(header.seq - 1) are missing")
                    }
                    guard header.previous == chain.hash else {
                        throw SyncError(.brokenChain, "\(name): its previous hash does not match the change before it")
                    }
                    guard header.timestamp > chain.timestamp else {
                        throw SyncError(.malformedChange, "\(name): its clock does not advance past the previous change's")
                    }
                    try skewCheck.check(header.timestamp, wallMillis: wall)
                    if chain.replicaRowID == 0 {
                        chain.replicaRowID = try replicaRowID(db, replica: header.replica, publicKey: chain.publicKey)
                    }

                    // Apply the ops; groups of erased entities are dropped before anything is stored.
                    var erasedHere = 0
                    var erasedGroups: [Int] = []
                    for (g, group) in change.groups.enumerated() {
                        guard case .operations(let bytes) = group else { continue }
                        let ops = try EntityOperations(serialized: bytes)
                        let hasErase = ops.operations.contains { if case .erase = $0.kind { true } else { false } }
                        if hasErase && ops.operations.count > 1 {
                            throw SyncError(.malformedChange, "\(name): an erase must stand alone in its group")
                        }
                        if let schema = materializers[ops.type]?.schema {
                            for op in ops.operations { try schema.validate(op) }
                        }
                        let key = WorkingSet.Key(scope: scopeID, entity: ops.entity)
                        if !hasErase, try working.isErased(key, db: db) {
                            erasedGroups.append(g)
                            erasedHere += 1
                            continue
                        }
                        for (offset, op) in ops.operations.enumerated() {
                            try working.apply(op, stamp: header.opID(group: g, position: offset), to: key, type: ops.type, db: db)
                        }
                        if !hasErase {
                            try policy.check(header.scope, ops, working.entries[key]?.state ?? EntityState(), header.replica)
                        }
                    }
                    // Store the bytes as received; only a change with dropped groups is re-encoded.
                    let bytes: Data
                    if erasedGroups.isEmpty {
                        bytes = original?[position] ?? change.serialized()
                    } else {
                        change.erase(groups: Set(erasedGroups))
                        bytes = change.serialized()
                    }
                    result.erasedOnArrival += erasedHere
                    try insert(db, change: change, bytes: bytes, scopeID: scopeID, replicaRowID: chain.replicaRowID)
                    chain.seq = header.seq
                    chain.timestamp = header.timestamp
                    chain.hash = change.headerHash
                    chain.tail = change
                    chain.dirty = true
                    chains[chainKey] = chain
                    newest = max(newest, header.timestamp)
                    result.applied += 1
                }

                // One signature per run: the newest change vouches for the links before it.
                for chain in chains.values where chain.dirty {
                    try chain.tail!.verifySignature(publicKey: chain.publicKey)
                    try upsertHead(db, scopeID: chain.scopeID, replicaRowID: chain.replicaRowID, seq: chain.seq,
                                   timestamp: chain.timestamp, hash: chain.hash)
                }
                try working.flush(db, store: self)
                result.erasures = working.erasureCount
                if newest > .zero {
                    clock.withLock { try? $0.observe(newest, wallMillis: wall) }
                }
                return result
            }
        }
        if result.erasures > 0 { truncateLog() }
        return result
    }

    private func loadChain(_ db: Database, scopeID: Int64, header: ChangeHeader, name: String) throws -> Chain {
        let row = try Row.fetchOne(db, sql: """
            SELECT replica.id AS replicaRowID, replica.publicKey, head.seq, head.timestamp, head.hash
            FROM replica LEFT JOIN head ON head.replica = replica.id AND head.scope = ?
            WHERE replica.replica = ?
            """, arguments: [scopeID, Data(header.replica.bytes)])
        if let row {
            let seq: Int64? = row["seq"]
            let timestamp: Int64? = row["timestamp"]
            let hash: Data? = row["hash"]
            return Chain(scopeID: scopeID, replicaRowID: row["replicaRowID"], seq: UInt64(seq ?? 0),
                         timestamp: Timestamp(rawValue: UInt64(bitPattern: timestamp ?? 0)), hash: hash.map { Array($0) } ?? [],
                         publicKey: Array(row["publicKey"] as Data))
        }
        guard header.seq == 1 else {
            throw SyncError(.unknownReplica, "\(name): replica \(header.replica.hex) is unknown here and this is not its first change; send its chain from seq 1")
        }
        return Chain(scopeID: scopeID, replicaRowID: 0, seq: 0, timestamp: .zero, hash: [], publicKey: header.authorKey)
    }

    private func checkDuplicate(_ db: Database, change: SignedChange, chain: Chain, name: String) throws {
        let stored: Data? = try Data.fetchOne(db, sql: "SELECT bytes FROM change WHERE scope = ? AND replica = ? AND seq = ?",
                                              arguments: [chain.scopeID, chain.replicaRowID, Int64(change.header.seq)])
        guard let stored else { return }
        let held = try SignedChange(serialized: stored)
        if held.headerBytes != change.headerBytes {
            throw SyncError(.forkedChain, "\(name): a different change with this seq is held here; the replica forked its chain")
        }
    }
}
