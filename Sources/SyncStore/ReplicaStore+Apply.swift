public import Foundation
public import SyncCore
import GRDB
import Synchronization
public import SyncProtocol

/// What one ``ReplicaStore/apply(_:)`` or ``ReplicaStore/receive(_:in:)`` did.
public struct ApplyResult: Sendable, Equatable {
    /// Changes stored and materialized.
    public var applied: Int
    /// Changes that were here already (ignored: applying is idempotent).
    public var duplicates: Int
    /// Payload groups dropped on arrival because their entity was erased here.
    public var erasedOnArrival: Int
    /// Entities erased by the changes applied.
    public var erasures: Int
    /// Changes not stored, each with why (only ``ReplicaStore/receive(_:in:)`` refuses one by one).
    public var refused: [ChangeRefusal]

    /// Creates a result.
    public init(applied: Int = 0, duplicates: Int = 0, erasedOnArrival: Int = 0, erasures: Int = 0, refused: [ChangeRefusal] = []) {
        self.applied = applied
        self.duplicates = duplicates
        self.erasedOnArrival = erasedOnArrival
        self.erasures = erasures
        self.refused = refused
    }
}

extension ReplicaStore {
    /// Applies changes from other replicas as one transaction, all or nothing: if any change
    /// is bad, nothing is applied and the error names the change. For tools and tests; a
    /// session uses ``receive(_:in:)``, which refuses bad changes one by one.
    @discardableResult
    public func apply(_ serialized: [Data]) throws(SyncError) -> ApplyResult {
        let items = ReplicaStore.decode(serialized)
        for case .refused(_, let error) in items { throw error }
        return try apply(items, batchScope: nil, strict: true)
    }

    /// Applies decoded changes, all or nothing (see ``apply(_:)``).
    public func apply(changes: [SignedChange]) throws(SyncError) -> ApplyResult {
        var items: [Item] = []
        for change in changes {
            try change.verifyPayload()
            items.append(ReplicaStore.item(change, bytes: change.serialized()))
        }
        return try apply(items, batchScope: nil, strict: true)
    }

    /// Takes in a batch received for `scope`, judging each change on its own: every change is
    /// checked in full (form, payload hash, authenticity, chain link, clock, scope,
    /// membership of its author, ownership of what it touches, record schema, the domain
    /// policy) and stored if it passes; one that fails is refused, with the later changes of
    /// its chain in this batch (they depend on it), and everything else is stored. Throws only
    /// when the database fails, and then nothing is stored.
    public func receive(_ serialized: [Data], in scope: Scope) throws(SyncError) -> ApplyResult {
        try apply(ReplicaStore.decode(serialized), batchScope: scope, strict: false)
    }

    enum Item: Sendable {
        /// A change whose form and payload hash passed, with its groups' ops decoded (nil for
        /// an erased group), or the error decoding them gave (judged in the transaction, so
        /// the change is refused there with the rest of its chain).
        case change(SignedChange, Data, Result<[EntityOperations?], SyncError>)
        case refused(ChangeRefusal, SyncError)
    }

    /// Decodes a batch and checks each change's form and payload hash, on every core, before
    /// the writer is taken: the write transaction only judges and stores.
    private static func decode(_ serialized: [Data]) -> [Item] {
        concurrentMap(serialized.count, perWorker: 32) { decodeOne(serialized[$0]) }
    }

    /// `body` of every index below `count`, spread over the cores when there are at least
    /// `perWorker` indices for each; the results in index order.
    private static func concurrentMap<T>(_ count: Int, perWorker: Int, _ body: @Sendable (Int) -> T) -> [T] {
        var out = [T?](repeating: nil, count: count)
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, count / perWorker))
        out.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let results = buffer
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var index = worker
                while index < count {
                    results[index] = body(index)
                    index += workers
                }
            }
        }
        return out.map { $0! }
    }

    /// A change whose form and payload hash passed, with its groups' ops decoded.
    private static func item(_ change: SignedChange, bytes: Data) -> Item {
        var groups: [EntityOperations?] = []
        groups.reserveCapacity(change.groups.count)
        do {
            for group in change.groups {
                if case .operations(let ops) = group { groups.append(try EntityOperations(serialized: ops)) } else { groups.append(nil) }
            }
            return .change(change, bytes, .success(groups))
        } catch {
            return .change(change, bytes, .failure(error))
        }
    }

    private static func decodeOne(_ bytes: Data) -> Item {
        do {
            let change = try SignedChange(serialized: bytes)
            try change.verifyPayload()
            return item(change, bytes: bytes)
        } catch {
            let (replica, seq) = SignedChange.identity(of: bytes) ?? (ReplicaID(high: 0, low: 0), 1)
            return .refused(ChangeRefusal(replica: replica, seq: seq, code: error.code.description, reason: error.message, transient: false), error)
        }
    }

    /// Checks the signatures of `items` before the write transaction, on every core: the
    /// writer then only looks the answers up. A change is authentic when its own signature
    /// verifies, or when the next change of its chain in this batch is authentic and names its
    /// seal (header and signature) as `previous`: so of a run of one replica only the newest
    /// signature is checked, and a run whose newest signature fails is checked change by
    /// change, keeping what its own or a later signature vouches for. Nil for a change whose
    /// author's key is not known yet (checked in the transaction, against the key its chain
    /// brings).
    private func verifySignatures(_ items: [Item]) throws(SyncError) -> [Bool?] {
        var keys: [ReplicaID: [UInt8]] = [:]
        var unknown: Set<ReplicaID> = []
        // Each chain's changes in batch order, as positions in `items`.
        var chains: [ChainKey: [Int]] = [:]
        for (position, item) in items.enumerated() {
            guard case .change(let change, _, _) = item else { continue }
            let header = change.header
            if header.seq == 1 { keys[header.replica] = header.authorKey } else { unknown.insert(header.replica) }
            chains[ChainKey(scope: header.scope, replica: header.replica), default: []].append(position)
        }
        unknown.subtract(keys.keys)
        if !unknown.isEmpty {
            try read { db in
                let statement = try db.cachedStatement(sql: "SELECT publicKey FROM replica WHERE replica = ?")
                for replica in unknown {
                    if let key = try Data.fetchOne(statement, arguments: [Data(replica.bytes)]) { keys[replica] = Array(key) }
                }
            }
        }
        // Segments: the longest stretches of a chain in which each change names the one before
        // it by its seal. `covered[p]`: the position whose authenticity vouches for p.
        var segments: [[Int]] = []
        for (key, positions) in chains where keys[key.replica] != nil {
            var segment: [Int] = []
            var previous: SignedChange?
            for position in positions {
                guard case .change(let change, _, _) = items[position] else { continue }
                if let previous, change.header.linksSeal, change.header.seq == previous.header.seq + 1,
                   change.header.previous == previous.seal {
                    segment.append(position)
                } else {
                    if !segment.isEmpty { segments.append(segment) }
                    segment = [position]
                }
                previous = change
            }
            if !segment.isEmpty { segments.append(segment) }
        }
        let heads = segments.map { $0.last! }
        let known = keys
        var results = [Bool?](repeating: nil, count: items.count)
        let verdicts = verify(heads, of: items, keys: known)
        // A failed head: each change of its segment on its own, and what a later authentic
        // change of the segment vouches for.
        var retry: [Int] = []
        for (s, segment) in segments.enumerated() {
            if verdicts[s] {
                for position in segment { results[position] = true }
            } else {
                retry += segment.dropLast()
                results[segment.last!] = false
            }
        }
        if !retry.isEmpty {
            let own = verify(retry, of: items, keys: known)
            var byPosition: [Int: Bool] = [:]
            for (i, position) in retry.enumerated() { byPosition[position] = own[i] }
            for (s, segment) in segments.enumerated() where !verdicts[s] {
                var vouched = false
                for position in segment.dropLast().reversed() {
                    vouched = vouched || byPosition[position] == true
                    results[position] = vouched
                }
            }
        }
        return results
    }

    /// The signature verdicts of the changes at `positions`, checked on every core.
    private func verify(_ positions: [Int], of items: [Item], keys: [ReplicaID: [UInt8]]) -> [Bool] {
        ReplicaStore.concurrentMap(positions.count, perWorker: 16) { index in
            guard case .change(let change, _, _) = items[positions[index]], let key = keys[change.header.replica] else { return false }
            return ReplicaKey.verify(signature: change.signature, of: change.headerBytes, publicKey: key)
        }
    }

    private struct Chain {
        var scopeID: Int64
        var replicaRowID: Int64
        var seq: UInt64
        var timestamp: Timestamp
        var hash: [UInt8]
        var seal: [UInt8]
        var publicKey: [UInt8]
        var dirty = false
    }

    private struct ChainKey: Hashable {
        var scope: Scope
        var replica: ReplicaID
    }

    /// What one checked change will do, computed before anything of it is written.
    private struct Plan {
        var states: [WorkingSet.Key: (type: String, state: EntityState, events: [ConflictEvent], erasure: Timestamp?)] = [:]
        var order: [WorkingSet.Key] = []
        var erasedGroups: [Int] = []
        var created: [WorkingSet.Key] = []
        var tombstones: [Tombstone] = []
    }

    /// ``receive(_:in:)`` for a caller on Swift's cooperative threads (a session): the batch
    /// is decoded and its signatures checked on the calling task, and the write waits for the
    /// writer without holding a thread. A blocking wait there, one per session, took both of
    /// this machine's cooperative threads while one batch was written, and starved every
    /// other session's frames and every WebSocket upgrade (W5's retried sessions).
    ///
    /// Batches that arrive while the writer is busy (72 schools at a board) wait in one queue
    /// and are stored a group to a transaction: each judged exactly as in a transaction of its
    /// own (in a savepoint, after the ones before it), the kept tables brought up to date and
    /// the transaction committed once for the group. A batch is answered only after the commit.
    public func receive(batch serialized: [Data], in scope: Scope) async throws(SyncError) -> ApplyResult {
        let items = ReplicaStore.decode(serialized)
        let signatures = try verifySignatures(items)
        let job = IntakeQueue.Job(items: items, signatures: signatures, scope: scope)
        let result: ApplyResult
        do {
            result = try await withCheckedThrowingContinuation { continuation in
                if intake.enqueue(job, continuation) {
                    // A batch taken in is stored whole even when its session ends meanwhile: the
                    // group is written by a task of its own (GRDB would interrupt the transaction
                    // of a cancelled task, and the session would log a storage failure for an
                    // ordinary disconnect).
                    Task.detached { await self.drainIntake() }
                }
            }
        } catch let error as SyncError {
            throw error
        } catch {
            throw ReplicaStore.storageError("apply changes", error)
        }
        if result.erasures > 0 { truncateLog() }
        return result
    }

    /// Stores the waiting batches, a group to a transaction, until none waits. The group is
    /// taken once the writer is this task's: what arrived while it waited goes with it.
    ///
    /// The batches of a group are stored one after the other in the one transaction, with no
    /// savepoint between them: a batch refuses its bad changes one by one without writing
    /// anything of them, so only a storage failure can fail a batch. When one does, the
    /// transaction is rolled back whole and each batch of the group is stored again in a
    /// transaction of its own, as it would have been without grouping: the failure is that
    /// batch's alone. A savepoint per batch kept that without the second pass, but made SQLite
    /// copy every page each statement touched into the savepoint's journal and walk that
    /// journal at each statement's end (13.5% of the writer's samples in W5, in one loop).
    private func drainIntake() async {
        let taken = Mutex<[IntakeQueue.Entry]>([])
        let lastUpkeep = Mutex(ContinuousClock.now)
        // Only this task takes from the queue: one found waiting is still there once the
        // writer is ours.
        while !intake.finishIfEmpty() {
            var results: [Result<ApplyResult, any Error>]
            do {
                results = try await writer.write { db in
                    guard let group = self.intake.next() else { return [] }
                    taken.withLock { $0 = group }
                    var results: [Result<ApplyResult, any Error>] = []
                    results.reserveCapacity(group.count)
                    for entry in group {
                        let job = entry.job
                        results.append(.success(try self.applyTransaction(db, job.items, signatures: job.signatures, batchScope: job.scope,
                                                                          strict: false, refresh: false)))
                    }
                    // The kept tables are brought up to date by the group that leaves nobody
                    // waiting, or once per upkeep interval under load: a refresh over many
                    // groups' notes reads each series once for all its new figures, where one
                    // per group read the same window again for every figure (a fifth of the
                    // writer's samples in W5). Readers meanwhile see notes not worked off and
                    // compute from the records.
                    if self.intake.waitingCount == 0 || ContinuousClock.now - lastUpkeep.withLock({ $0 }) >= IntakeQueue.upkeepInterval {
                        try self.refreshDerived(db)
                        lastUpkeep.withLock { $0 = ContinuousClock.now }
                    }
                    return results
                }
            } catch {
                // Nothing of the group was committed. When the writer failed before it was
                // taken, it is taken now: the queue must not spin on a broken store.
                let group = taken.withLock { taken in
                    if taken.isEmpty { taken = intake.next() ?? [] }
                    return taken
                }
                results = []
                for entry in group {
                    let job = entry.job
                    do {
                        results.append(.success(try await writer.write { db in
                            try self.applyTransaction(db, job.items, signatures: job.signatures, batchScope: job.scope, strict: false)
                        }))
                    } catch {
                        results.append(.failure(ReplicaStore.storageError("apply changes", error)))
                    }
                }
            }
            let group = taken.withLock { group in
                defer { group = [] }
                return group
            }
            for (entry, result) in zip(group, results) { entry.continuation.resume(with: result) }
        }
    }

    private func apply(_ items: [Item], batchScope: Scope?, strict: Bool) throws(SyncError) -> ApplyResult {
        let signatures = try verifySignatures(items)
        let result = try ReplicaStore.wrap("apply changes") {
            try writer.write { db in try applyTransaction(db, items, signatures: signatures, batchScope: batchScope, strict: strict) }
        }
        if result.erasures > 0 { truncateLog() }
        return result
    }

    /// Judges and stores `items` in the write transaction `db` (see ``receive(_:in:)``).
    private func applyTransaction(_ db: Database, _ items: [Item], signatures: [Bool?], batchScope: Scope?, strict: Bool,
                                  refresh: Bool = true) throws -> ApplyResult {
        let wall = wallClock()
        let skewCheck = clock.withLock { $0 }
        var result = ApplyResult()
        var scopeIDs: [Scope: Int64] = [:]
        var chains: [ChainKey: Chain] = [:]
        var blocked: [ChainKey: SyncError] = [:]
        var authorities: [ChainKey: Authority?] = [:]
        var working = WorkingSet(materializers: materializers)
        var admission = Admission(trust: try trustState(db))
        var newest = Timestamp.zero
        var tombstones: [Tombstone] = []
        var pending: Set<Tombstone> = []

        for (position, item) in items.enumerated() {
            let change: SignedChange
            let original: Data
            let operations: Result<[EntityOperations?], SyncError>
            switch item {
            case .refused(let refusal, _):
                result.refused.append(refusal)
                continue
            case .change(let decoded, let bytes, let ops):
                (change, original, operations) = (decoded, bytes, ops)
            }
            let header = change.header
            // Spelled out only when a message needs it.
            let name = ChangeName.remote(header.replica, header.seq, header.scope)
            let chainKey = ChainKey(scope: header.scope, replica: header.replica)
            do {
                if let blocker = blocked[chainKey] {
                    throw SyncError(blocker.code, "\(name): an earlier change of its chain in this batch was refused (\(blocker.code))")
                }
                if let batchScope, header.scope != batchScope {
                    throw SyncError(.scopeNotAllowed, "\(name): a batch for \(batchScope) may carry only changes of \(batchScope)")
                }
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
                var chain = try chains[chainKey] ?? loadChain(db, scopeID: scopeID, header: header, name: name)
                if header.seq <= chain.seq {
                    try checkDuplicate(db, change: change, chain: chain, name: name)
                    result.duplicates += 1
                    continue
                }
                // The same for every change of the chain in this transaction.
                let authority: Authority?
                if let known = authorities[chainKey] {
                    authority = known
                } else {
                    authority = try admission.authority(of: header.replica, in: header.scope, name: name)
                    authorities[chainKey] = .some(authority)
                }
                guard header.seq == chain.seq + 1 else {
                    throw SyncError(.sequenceGap, "\(name): expected seq \(chain.seq + 1) next; changes \(chain.seq + 1)...\(header.seq - 1) are missing")
                }
                guard change.follows(hash: chain.hash, seal: chain.seal) else {
                    throw SyncError(.brokenChain, "\(name): its previous hash does not match the change before it")
                }
                guard header.timestamp > chain.timestamp else {
                    throw SyncError(.malformedChange, "\(name): its clock does not advance past the previous change's")
                }
                try skewCheck.check(header.timestamp, wallMillis: wall)
                // Its own signature, or a later one of its run that seals it: what is
                // stored and forwarded is always what its author signed, signature
                // included, so no cut of a run can make it unacceptable. Checked before
                // the transaction against the key this chain was known by; a key first
                // seen in this batch is checked here.
                switch signatures[position] {
                case true?: break
                case false?: throw SyncError(.badSignature, "\(name): signature does not verify")
                case nil: try change.verifySignature(publicKey: chain.publicKey)
                }

                var plan = Plan()
                do {
                    try self.plan(&plan, change: change, operations: operations.get(), scopeID: scopeID, authority: authority, working: &working,
                                  admission: &admission, tombstones: pending, db: db, name: name)
                } catch {
                    admission.discard(plan.created)
                    throw error
                }

                // Checked: now write. Groups of erased entities are dropped before storing.
                var stored = change
                let bytes: Data
                if plan.erasedGroups.isEmpty {
                    bytes = original
                } else {
                    stored.erase(groups: Set(plan.erasedGroups))
                    bytes = stored.serialized()
                }
                for key in plan.order {
                    let next = plan.states[key]!
                    working.install(key, type: next.type, state: next.state, events: next.events, erasure: next.erasure)
                }
                if chain.replicaRowID == 0 {
                    chain.replicaRowID = try replicaRowID(db, replica: header.replica, publicKey: chain.publicKey)
                }
                result.erasedOnArrival += plan.erasedGroups.count
                tombstones += plan.tombstones
                pending.formUnion(plan.tombstones)
                try insert(db, change: stored, bytes: bytes, scopeID: scopeID, replicaRowID: chain.replicaRowID)
                chain.seq = header.seq
                chain.timestamp = header.timestamp
                chain.hash = change.headerHash
                chain.seal = change.seal
                chain.dirty = true
                chains[chainKey] = chain
                newest = max(newest, header.timestamp)
                result.applied += 1
            } catch let error as SyncError {
                if strict || error.code == .storage { throw error }
                blocked[chainKey] = error
                result.refused.append(ChangeRefusal(replica: header.replica, seq: header.seq, code: error.code.description,
                                                    reason: error.message, transient: error.code.isTransient))
            }
        }

        for chain in chains.values where chain.dirty {
            try upsertHead(db, scopeID: chain.scopeID, replicaRowID: chain.replicaRowID, seq: chain.seq,
                           timestamp: chain.timestamp, hash: chain.hash, seal: chain.seal)
        }
        try working.flush(db, store: self)
        try admission.flush(db)
        result.erasures = working.erasureCount + (try settle(db, tombstones: tombstones))
        if refresh { try refreshDerived(db) }
        if newest > .zero {
            clock.withLock { try? $0.observe(newest, wallMillis: wall) }
        }
        return result
    }

    /// Checks every group of `change` and computes the states it leads to, on copies: the
    /// working set is not touched until the whole change has passed.
    private func plan(_ plan: inout Plan, change: SignedChange, operations: [EntityOperations?], scopeID: Int64, authority: Authority?, working: inout WorkingSet,
                      admission: inout Admission, tombstones: Set<Tombstone>, db: Database, name: ChangeName) throws {
        let header = change.header
        var operationCount = 0
        var rangeCount = 0
        for (g, decoded) in operations.enumerated() {
            guard let ops = decoded else { continue }
            // Bounded work per change, checked before any op is applied.
            operationCount += ops.operations.count
            var deletes = false
            for op in ops.operations { if case .deleteText(let ranges) = op.kind { rangeCount += ranges.count; deletes = true } }
            guard operationCount <= Limits.maximumOperationsPerChange else {
                throw SyncError(.malformedChange, "\(name): more than \(Limits.maximumOperationsPerChange) ops in one change")
            }
            guard rangeCount <= Limits.maximumDeleteRangesPerChange else {
                throw SyncError(.malformedChange, "\(name): more than \(Limits.maximumDeleteRangesPerChange) text-delete ranges in one change")
            }
            let hasErase = ops.operations.contains { if case .erase = $0.kind { true } else { false } }
            if hasErase && ops.operations.count > 1 {
                throw SyncError(.malformedChange, "\(name): an erase must stand alone in its group")
            }
            let schema = materializers[ops.type]?.schema
            if let schema {
                for op in ops.operations { try schema.validate(op) }
            }
            let key = WorkingSet.Key(scope: scopeID, entity: ops.entity)
            let before = try plan.states[key]?.state ?? working.state(key, type: ops.type, db: db)
            let creating = try admission.check(ops, key: key, scope: header.scope, authority: authority, before: before,
                                               schema: schema, db: db, name: name)
            if creating { plan.created.append(key) }
            if !hasErase, try working.isErased(key, db: db) {
                plan.erasedGroups.append(g)
                continue
            }
            var state = before
            var events = plan.states[key]?.events ?? []
            for (offset, op) in ops.operations.enumerated() {
                events += state.apply(op, stamp: header.opID(group: g, position: offset))
            }
            if deletes, let crowded = state.texts.first(where: { $0.value.deletedRangeCount > Limits.maximumDeletedRangesPerText }) {
                throw SyncError(.malformedChange, "\(name): \(ops.type).\(crowded.key.prefix(64)) would hold more than \(Limits.maximumDeletedRangesPerText) deleted ranges")
            }
            if hasErase {
                plan.tombstones.append(Tombstone(scope: scopeID, entity: ops.entity, authority: authority?.storedName ?? "",
                                                 timestamp: header.timestamp))
            } else if let field = schema?.provenance, case .id(let source)? = state.value(of: field),
                      try isTombstoned(db, scope: scopeID, source: source, writer: authority,
                                       pending: tombstones.union(plan.tombstones)) {
                // Made from a record its writer erased: it arrives erased, and stays so.
                var gone = before
                _ = gone.apply(RecordOperation(field: "", kind: .erase), stamp: header.opID(group: g, position: 0))
                plan.erasedGroups.append(g)
                if plan.states[key] == nil { plan.order.append(key) }
                plan.states[key] = (ops.type, gone, [], header.timestamp)
                continue
            }
            if !hasErase {
                try policy.check(AdmissionPolicy.Request(scope: header.scope, group: ops, state: state, author: header.replica,
                                                         authority: authority, creating: creating))
            }
            if plan.states[key] == nil { plan.order.append(key) }
            plan.states[key] = (ops.type, state, events, hasErase ? header.timestamp : plan.states[key]?.erasure)
        }
    }

    private func loadChain(_ db: Database, scopeID: Int64, header: ChangeHeader, name: ChangeName) throws -> Chain {
        let row = try Row.fetchOne(db, sql: """
            SELECT replica.id AS replicaRowID, replica.publicKey, head.seq, head.timestamp, head.hash, head.seal
            FROM replica LEFT JOIN head ON head.replica = replica.id AND head.scope = ?
            WHERE replica.replica = ?
            """, arguments: [scopeID, Data(header.replica.bytes)])
        if let row {
            let seq: Int64? = row["seq"]
            let timestamp: Int64? = row["timestamp"]
            let hash: Data? = row["hash"]
            let seal: Data? = row["seal"]
            return Chain(scopeID: scopeID, replicaRowID: row["replicaRowID"], seq: UInt64(seq ?? 0),
                         timestamp: Timestamp(rawValue: UInt64(bitPattern: timestamp ?? 0)), hash: hash.map { Array($0) } ?? [],
                         seal: seal.map { Array($0) } ?? [], publicKey: Array(row["publicKey"] as Data))
        }
        guard header.seq == 1 else {
            throw SyncError(.unknownReplica, "\(name): replica \(header.replica.hex) is unknown here and this is not its first change; send its chain from seq 1")
        }
        return Chain(scopeID: scopeID, replicaRowID: 0, seq: 0, timestamp: .zero, hash: [], seal: [], publicKey: header.authorKey)
    }

    private func checkDuplicate(_ db: Database, change: SignedChange, chain: Chain, name: ChangeName) throws {
        let stored: Data? = try Data.fetchOne(db, sql: "SELECT bytes FROM change WHERE scope = ? AND replica = ? AND seq = ?",
                                              arguments: [chain.scopeID, chain.replicaRowID, Int64(change.header.seq)])
        guard let stored else { return }
        let held = try SignedChange(serialized: stored)
        if held.headerBytes != change.headerBytes {
            throw SyncError(.forkedChain, "\(name): a different change with this seq is held here; the replica forked its chain")
        }
    }
}

/// How messages name a change: built into a string only when a refusal is written.
enum ChangeName: CustomStringConvertible {
    case local
    case remote(ReplicaID, UInt64, Scope)

    var description: String {
        switch self {
        case .local: "this replica's change"
        case .remote(let replica, let seq, let scope): "change \(replica.hex.prefix(8))/\(seq) in \(scope)"
        }
    }
}

/// Received batches waiting for the writer (see ``ReplicaStore/receive(batch:in:)``).
final class IntakeQueue: Sendable {
    struct Job: Sendable {
        let items: [ReplicaStore.Item]
        let signatures: [Bool?]
        let scope: Scope
        var changes: Int { items.count }
    }
    struct Entry: Sendable {
        let job: Job
        let continuation: CheckedContinuation<ApplyResult, any Error>
    }
    /// The most changes one group stores (at least one batch): what a batch waits for at most.
    static let groupChanges = 8_000
    /// The longest the kept tables wait for their upkeep while batches keep arriving.
    static let upkeepInterval: Duration = .seconds(10)

    private let state = Mutex<(waiting: [Entry], draining: Bool)>(([], false))

    /// Queues `job`; true when no task stores the queue and the caller must start one.
    func enqueue(_ job: Job, _ continuation: CheckedContinuation<ApplyResult, any Error>) -> Bool {
        state.withLock { state in
            state.waiting.append(Entry(job: job, continuation: continuation))
            defer { state.draining = true }
            return !state.draining
        }
    }

    /// Batches waiting.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// True when nothing waits: the draining task then ends, and the next batch starts one.
    func finishIfEmpty() -> Bool {
        state.withLock { state in
            if state.waiting.isEmpty { state.draining = false }
            return !state.draining
        }
    }

    /// The next group in arrival order (nil when none waits).
    func next() -> [Entry]? {
        state.withLock { state in
            guard !state.waiting.isEmpty else { return nil }
            var count = 0, total = 0
            for entry in state.waiting {
                if count > 0 && total + entry.job.changes > IntakeQueue.groupChanges { break }
                count += 1
                total += entry.job.changes
            }
            let group = Array(state.waiting.prefix(count))
            state.waiting.removeFirst(count)
            return group
        }
    }
}
