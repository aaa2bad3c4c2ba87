public import SyncCore
import Foundation
import GRDB
import Synchronization
public import SyncProtocol

/// Collects the ops of one local change inside its write transaction.
///
/// Every method reads the entity's current state first, so register writes name the heads they
/// overwrite (`pred`), set removes name the tags they saw, and text edits hang from the right
/// characters. Each op is applied to the working state at once: later ops in the same change
/// see earlier ones.
public struct ChangeBuilder: ~Copyable {
    /// The scope the change goes into.
    public let scope: Scope
    /// The change's clock reading; op ids derive from it.
    public let timestamp: Timestamp
    let replica: ReplicaID
    let scopeID: Int64
    let db: Database
    let schemas: [String: Materializer]
    var working: WorkingSet
    var groups: [EntityOperations] = []
    /// The entities made in this change (``newEntity(type:)``).
    var created: Set<EntityID> = []
    var generator = SystemRandomNumberGenerator()

    init(scope: Scope, scopeID: Int64, timestamp: Timestamp, replica: ReplicaID, db: Database, materializers: [String: Materializer]) {
        self.scope = scope
        self.scopeID = scopeID
        self.timestamp = timestamp
        self.replica = replica
        self.db = db
        self.schemas = materializers
        working = WorkingSet(materializers: materializers)
    }

    /// A new entity id (time-ordered), registered as new so nothing is looked up for it.
    public mutating func newEntity(type: String) -> EntityID {
        let id = EntityID(millis: timestamp.millis, using: &generator)
        created.insert(id)
        working.markNew(WorkingSet.Key(scope: scopeID, entity: id), type: type)
        return id
    }

    /// The entity's state as this change has left it so far; nil if it does not exist.
    public mutating func state(of entity: EntityID, type: String) throws(SyncError) -> EntityState? {
        let key = WorkingSet.Key(scope: scopeID, entity: entity)
        let state = try ReplicaStore.wrap("read an entity") { try working.state(key, type: type, db: db) }
        return state == EntityState() ? nil : state
    }

    /// Writes a register field. Writing the value it already shows (without a conflict) is a no-op.
    public mutating func assign(_ value: Value, to field: String, of entity: EntityID, type: String) throws(SyncError) {
        let register = try current(entity, type: type).registers[field]
        if let register, !register.isConflicted, register.winner?.value == value { return }
        try append(RecordOperation(field: field, kind: .assign(value, pred: register?.pred ?? [])), to: entity, type: type)
    }

    /// Adds an element to a set field.
    public mutating func add(_ element: Value, to field: String, of entity: EntityID, type: String) throws(SyncError) {
        if try current(entity, type: type).sets[field]?.contains(element) == true { return }
        try append(RecordOperation(field: field, kind: .add(element)), to: entity, type: type)
    }

    /// Adds `element` to a set field with a tag of this change even when the set holds it
    /// already: a set that records who wrote which change, since each tag carries the stamp of
    /// the change that added it.
    public mutating func addStamped(_ element: Value, to field: String, of entity: EntityID, type: String) throws(SyncError) {
        try append(RecordOperation(field: field, kind: .add(element)), to: entity, type: type)
    }

    /// Removes an element from a set field (the tags seen here; a concurrent add wins).
    public mutating func remove(_ element: Value, from field: String, of entity: EntityID, type: String) throws(SyncError) {
        let tags = try current(entity, type: type).sets[field]?.liveTags(of: element) ?? []
        guard !tags.isEmpty else { return }
        try append(RecordOperation(field: field, kind: .remove(element, observed: tags)), to: entity, type: type)
    }

    /// Makes a text field read `text`, as the smallest edit of the current text: concurrent
    /// edits elsewhere in the text survive the merge.
    public mutating func setText(_ text: String, field: String, of entity: EntityID, type: String) throws(SyncError) {
        let sequence = try current(entity, type: type).texts[field] ?? TextSequence()
        let (deletions, insertion) = sequence.edits(to: text)
        if !deletions.isEmpty {
            try append(RecordOperation(field: field, kind: .deleteText(deletions)), to: entity, type: type)
        }
        if let insertion {
            let updated = try current(entity, type: type).texts[field] ?? TextSequence()
            let op = updated.insertion(at: insertion.index, text: insertion.text)
            try append(RecordOperation(field: field, kind: .insertText(op)), to: entity, type: type)
        }
    }

    /// Inserts text at a visible position of a text field.
    public mutating func insertText(_ text: String, at index: Int, field: String, of entity: EntityID, type: String) throws(SyncError) {
        guard !text.isEmpty else { return }
        let sequence = try current(entity, type: type).texts[field] ?? TextSequence()
        guard index >= 0, index <= sequence.text.unicodeScalars.count else {
            throw SyncError(.invalidArgument, "text position \(index) is outside the text")
        }
        try append(RecordOperation(field: field, kind: .insertText(sequence.insertion(at: index, text: text))), to: entity, type: type)
    }

    /// Marks the entity deleted.
    public mutating func delete(_ entity: EntityID, type: String) throws(SyncError) {
        let state = try current(entity, type: type)
        try append(RecordOperation(field: "", kind: .delete(seen: state.newestStamp)), to: entity, type: type)
    }

    /// Erases the entity (AVG): its content goes from every replica, the op log included.
    public mutating func erase(_ entity: EntityID, type: String) throws(SyncError) {
        try append(RecordOperation(field: "", kind: .erase), to: entity, type: type, ownGroup: true)
    }

    private mutating func current(_ entity: EntityID, type: String) throws(SyncError) -> EntityState {
        let key = WorkingSet.Key(scope: scopeID, entity: entity)
        if try ReplicaStore.wrap("check erasure", { try working.isErased(key, db: db) }) {
            throw SyncError(.erased, "entity \(entity.hex) was erased; it takes no more edits")
        }
        return try ReplicaStore.wrap("read an entity") { try working.state(key, type: type, db: db) }
    }

    private mutating func append(_ op: RecordOperation, to entity: EntityID, type: String, ownGroup: Bool = false) throws(SyncError) {
        if let schema = schemas[type]?.schema { try schema.validate(op) }
        // A new group whenever the entity changes; an erase stands alone in its group.
        let joinLast: Bool
        if !ownGroup, let last = groups.last, last.entity == entity, last.type == type,
           last.operations.count < Limits.maximumOperationsPerGroup,
           !last.operations.contains(where: { if case .erase = $0.kind { true } else { false } }) {
            joinLast = true
        } else {
            joinLast = false
        }
        let group = joinLast ? groups.count - 1 : groups.count
        let position = joinLast ? groups[group].operations.count : 0
        let key = WorkingSet.Key(scope: scopeID, entity: entity)
        let stamp = OpID(timestamp: timestamp, replica: replica, index: ChangeHeader.opIndex(group: group, position: position))
        try ReplicaStore.wrap("apply an op") { try working.apply(op, stamp: stamp, to: key, type: type, db: db) }
        if joinLast {
            groups[group].operations.append(op)
        } else {
            groups.append(EntityOperations(entity: entity, type: type, operations: [op]))
        }
    }
}

/// One write transaction that may make changes in several scopes: a record shared with the
/// board is edited in the school scope and in the board scope together, or not at all.
public struct WriteTransaction: ~Copyable {
    let store: ReplicaStore
    let db: Database
    /// The changes made so far, in order.
    public private(set) var changes: [SignedChange] = []

    init(store: ReplicaStore, db: Database) {
        self.store = store
        self.db = db
    }

    /// Makes one change in `scope`: runs `body` to collect ops, checks them against the
    /// admission policy, signs the change, appends it to the log, bumps the version vector and
    /// updates the materialized rows. Returns the change, or nil when `body` wrote nothing.
    @discardableResult
    public mutating func change(
        in scope: Scope, _ body: (inout ChangeBuilder) throws(SyncError) -> Void
    ) throws(SyncError) -> SignedChange? {
        let change = try ReplicaStore.wrap("write a change") { () throws -> SignedChange? in
            try store.makeChange(db, scope: scope, body)
        }
        if let change { changes.append(change) }
        return change
    }
}

extension ReplicaStore {
    /// Writes one local change in `scope` in its own durable transaction. Returns the change,
    /// or nil when `body` wrote nothing.
    @discardableResult
    public func write(
        in scope: Scope, _ body: (inout ChangeBuilder) throws(SyncError) -> Void
    ) throws(SyncError) -> SignedChange? {
        try transaction { tx throws(SyncError) in try tx.change(in: scope, body) }
    }

    /// Runs `body` in one durable write transaction; every change it makes commits together,
    /// and if it throws, none does.
    public func transaction<T>(_ body: (inout WriteTransaction) throws(SyncError) -> T) throws(SyncError) -> T {
        try ReplicaStore.wrap("write") {
            try writer.write { db -> T in
                var tx = WriteTransaction(store: self, db: db)
                let result = try body(&tx)
                try refreshDerived(db)
                return result
            }
        }
    }

    func makeChange(_ db: Database, scope: Scope, _ body: (inout ChangeBuilder) throws(SyncError) -> Void) throws -> SignedChange? {
        guard let scopeID = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM scope WHERE name = ?"), arguments: [scope.name]) else {
            throw SyncError(.scopeNotAllowed, "this replica does not hold scope \(scope)")
        }
        let wall = wallClock()
        let timestamp = clock.withLock { $0.tick(wallMillis: wall) }
        var builder = ChangeBuilder(scope: scope, scopeID: scopeID, timestamp: timestamp, replica: replicaID,
                                    db: db, materializers: materializers)
        try body(&builder)
        guard !builder.groups.isEmpty else { return nil }
        // The same admission as for received changes, so a replica refuses at once what every
        // receiver would refuse.
        var admission = Admission(trust: try trustState(db))
        var tombstones: [Tombstone] = []
        let authority = try admission.authority(of: replicaID, in: scope, name: .local)
        for group in builder.groups {
            let key = WorkingSet.Key(scope: scopeID, entity: group.entity)
            let schema = materializers[group.type]?.schema
            // What the entity was before this change, where an identity field is assigned: the
            // database still holds it (the working set is written at the end).
            let assignsIdentity = schema.map { schema in
                group.operations.contains { op in
                    if case .assign = op.kind { schema.field(op.field)?.immutable == true } else { false }
                }
            } ?? false
            let before: EntityState
            if builder.created.contains(group.entity) || !assignsIdentity {
                before = EntityState()
            } else if let materializer = materializers[group.type] {
                before = try materializer.load(db, scope: scopeID, id: Data(group.entity.bytes)) ?? EntityState()
            } else {
                before = try Data.fetchOne(db, sql: "SELECT crdt FROM foreignEntity WHERE scope = ? AND id = ?",
                                           arguments: [scopeID, Data(group.entity.bytes)]).map { try EntityState(serialized: $0) } ?? EntityState()
            }
            let owned = try admission.check(group, key: key, scope: scope, authority: authority, before: before, schema: schema,
                                            db: db, name: .local)
            let creating = builder.created.contains(group.entity) || (authority != nil && scope.kind == .board && owned)
            let hasErase = group.operations.contains { if case .erase = $0.kind { true } else { false } }
            if hasErase {
                tombstones.append(Tombstone(scope: scopeID, entity: group.entity, authority: authority?.storedName ?? "", timestamp: timestamp))
            } else {
                let state = builder.working.entries[key]?.state ?? EntityState()
                if let field = schema?.provenance, case .id(let source)? = state.value(of: field),
                   try isTombstoned(db, scope: scopeID, source: source, writer: authority, pending: Set(tombstones)) {
                    throw SyncError(.erased, "the record \(source.hex) this \(group.type) is made from was erased; its copy may not be made")
                }
                try policy.check(AdmissionPolicy.Request(scope: scope, group: group, state: state,
                                                         author: replicaID, authority: authority, creating: creating))
            }
        }
        try admission.flush(db)
        let selfID = try replicaRowID(db, replica: replicaID, publicKey: key.publicKey)
        let head = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, seal FROM head WHERE scope = ? AND replica = ?"),
                                    arguments: [scopeID, selfID])
        let seq: UInt64 = (head?["seq"] ?? 0) + 1
        let previous: [UInt8] = head.map { Array($0["seal"] as Data) } ?? []
        let change = SignedChange(scope: scope, seq: seq, timestamp: timestamp, previous: previous,
                                  operations: builder.groups, key: key)
        try insert(db, change: change, bytes: change.serialized(), scopeID: scopeID, replicaRowID: selfID)
        try upsertHead(db, scopeID: scopeID, replicaRowID: selfID, seq: seq, timestamp: timestamp, hash: change.headerHash, seal: change.seal)
        try builder.working.flush(db, store: self)
        _ = try settle(db, tombstones: tombstones)
        return change
    }

    func replicaRowID(_ db: Database, replica: ReplicaID, publicKey: [UInt8]) throws -> Int64 {
        let lookup = try db.cachedStatement(sql: "SELECT id FROM replica WHERE replica = ?")
        if let id = try Int64.fetchOne(lookup, arguments: [Data(replica.bytes)]) { return id }
        try db.execute(sql: "INSERT INTO replica (replica, publicKey) VALUES (?, ?)", arguments: [Data(replica.bytes), Data(publicKey)])
        return db.lastInsertedRowID
    }

    func insert(_ db: Database, change: SignedChange, bytes: Data, scopeID: Int64, replicaRowID: Int64) throws {
        let statement = try db.cachedStatement(sql: "INSERT INTO change (scope, replica, seq, timestamp, bytes) VALUES (?, ?, ?, ?, ?)")
        try statement.execute(arguments: [scopeID, replicaRowID, Int64(change.header.seq),
                                          Int64(bitPattern: change.header.timestamp.rawValue), bytes])
        changeTail.inserted(ChangeTail.Entry(rowid: db.lastInsertedRowID, scope: scopeID, replica: change.header.replica,
                                             replicaRow: replicaRowID, seq: change.header.seq,
                                             timestamp: Int64(bitPattern: change.header.timestamp.rawValue), bytes: bytes))
    }

    func upsertHead(_ db: Database, scopeID: Int64, replicaRowID: Int64, seq: UInt64, timestamp: Timestamp, hash: [UInt8], seal: [UInt8]) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO head (scope, replica, seq, timestamp, hash, seal) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (scope, replica) DO UPDATE SET seq = excluded.seq, timestamp = excluded.timestamp, hash = excluded.hash,
                                                       seal = excluded.seal
            """)
        try statement.execute(arguments: [scopeID, replicaRowID, Int64(seq), Int64(bitPattern: timestamp.rawValue), Data(hash), Data(seal)])
    }
}
