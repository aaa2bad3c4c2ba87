import Foundation
import GRDB
import SyncCore
import SyncProtocol

/// The engine's part of admission, shared by local writes and received changes: who may write
/// in a scope (scope binding), who owns a record of a board scope (fixed when it is created),
/// and which fields never change (identity fields). The domain's own rules (the AVG policy)
/// come after, through ``ReplicaStore/AdmissionPolicy``.
struct Admission {
    struct Owner: Equatable {
        var type: String
        var authority: Authority
    }

    /// Nil on an engine replica without a board: then only the domain policy applies.
    let trust: TrustState?
    private var owners: [WorkingSet.Key: Owner?] = [:]
    private var created: [WorkingSet.Key: Owner] = [:]

    init(trust: TrustState?) {
        self.trust = trust
    }

    /// What stands behind `author` for a change in `scope`; throws when the author may not
    /// write there. Nil when there is no trust model.
    func authority(of author: ReplicaID, in scope: Scope, name: ChangeName) throws(SyncError) -> Authority? {
        guard let trust else { return nil }
        guard let authority = trust.authority(of: author) else {
            throw SyncError(.notMember, "\(name): replica \(author.hex.prefix(8)) is not known here as a member of a school of board \(trust.board)")
        }
        switch scope.kind {
        case .school:
            guard authority == .school(scope.identifier) else {
                throw SyncError(.scopeNotAllowed, "\(name): \(authority) may not write in \(scope); only that school's own replicas may")
            }
        case .board:
            guard scope.identifier == trust.board else {
                throw SyncError(.scopeNotAllowed, "\(name): \(scope) is not the scope of board \(trust.board)")
            }
        }
        return authority
    }

    /// Checks one group against ownership and identity fields, before its ops are applied to
    /// `before` (the entity's state so far). Returns true when the group creates the entity.
    mutating func check(_ group: EntityOperations, key: WorkingSet.Key, scope: Scope, authority: Authority?,
                        before: EntityState, schema: RecordSchema?, db: Database, name: ChangeName) throws -> Bool {
        // Identity fields are set once, at creation, whoever writes.
        if let schema {
            for op in group.operations {
                guard case .assign(let value, _) = op.kind, schema.field(op.field)?.immutable == true,
                      let held = before.value(of: op.field), held != value else { continue }
                throw SyncError(.notOwner, "\(name): \(group.type).\(op.field) is an identity field; it was set when the record was made and cannot change")
            }
        }
        // Owners are kept for the board scopes of a replica with a board (the only place a
        // record can be another's); elsewhere a record is new when nothing of it is here.
        guard let authority, scope.kind == .board else { return before == EntityState() }
        let owner = try self.owner(key, db: db)
        if let owner, owner.type != group.type {
            throw SyncError(.notOwner, "\(name): entity \(group.entity.hex.prefix(8)) is a \(owner.type), not a \(group.type)")
        }
        let eraseOnly = group.operations.allSatisfy { if case .erase = $0.kind { true } else { false } }
        guard let owner else {
            // Erasing an id nobody made here is a tombstone (an erased school record whose copy
            // may be on its way): it makes nobody the owner of anything.
            if eraseOnly { return false }
            created[key] = Owner(type: group.type, authority: authority)
            owners[key] = Owner(type: group.type, authority: authority)
            return true
        }
        if owner.authority != authority {
            // The board, as the controller, may erase any record of its scope (AVG); nobody
            // else may touch what another made.
            guard authority == .board && eraseOnly else {
                throw SyncError(.notOwner, "\(name): the \(group.type) \(group.entity.hex.prefix(8)) belongs to \(owner.authority); \(authority) may not change, delete or erase it")
            }
        }
        return false
    }

    /// Forgets the owners a refused change would have set.
    mutating func discard(_ keys: some Sequence<WorkingSet.Key>) {
        for key in keys where created[key] != nil {
            created[key] = nil
            owners[key] = nil
        }
    }

    private mutating func owner(_ key: WorkingSet.Key, db: Database) throws -> Owner? {
        if let known = owners[key] { return known }
        let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT type, authority FROM owner WHERE scope = ? AND entity = ?"),
                                   arguments: [key.scope, Data(key.entity.bytes)])
        let owner = row.map { Owner(type: $0["type"], authority: Authority(storedName: $0["authority"])) }
        owners[key] = .some(owner)
        return owner
    }

    /// Writes the owners of the records created in this transaction.
    func flush(_ db: Database) throws {
        for (key, owner) in created {
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO owner (scope, entity, type, authority) VALUES (?, ?, ?, ?)")
                .execute(arguments: [key.scope, Data(key.entity.bytes), owner.type, owner.authority.storedName])
        }
    }
}
