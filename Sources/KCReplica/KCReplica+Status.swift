import Foundation
import GRDB
import KCModel
public import SyncCore
public import SyncStore

/// What `kcsync status` reports.
public struct ReplicaStatus: Sendable, Codable, Equatable {
    /// Per scope: how many changes, and the version vector (replica id → highest seq).
    public struct ScopeStatus: Sendable, Codable, Equatable {
        /// How many changes the scope holds.
        public var changes: Int
        /// Replica id → highest contiguous seq.
        public var versionVector: [String: UInt64]
    }

    /// This replica's id.
    public var replica: String
    /// The school's BRIN.
    public var school: String
    /// The board number.
    public var board: String
    /// The data directory.
    public var dataPath: String
    /// The size of the database and its WAL.
    public var sizeBytes: Int
    /// The canonical state hash.
    public var stateHash: String
    /// Notes at school, not deleted.
    public var notes: Int
    /// Agreements at school, not deleted.
    public var agreements: Int
    /// Trend figures at school, not deleted.
    public var trendFigures: Int
    /// Trend advice in the board scope.
    public var advice: Int
    /// Trend advice this school has not answered yet.
    public var adviceUnanswered: Int
    /// Fields with unresolved concurrent writes.
    public var openConflicts: Int
    /// Per scope name: changes and version vector.
    public var scopes: [String: ScopeStatus]
}

/// One line of the replica's erasure log (in its database, never replicated): which record
/// was erased, when and why. It holds no content.
public struct ErasureRecord: Sendable, Codable, Equatable {
    /// The record id.
    public var id: String
    /// The record type.
    public var type: String
    /// Why it was erased.
    public var reason: String
    /// When (ISO 8601).
    public var erasedAt: String
}

extension KCReplica {
    /// The replica's id, scopes, vectors, counts and state hash.
    public func status() throws(KCError) -> ReplicaStatus {
        var status = try perform("de status te lezen") { () throws(SyncError) in
            var scopes: [String: ReplicaStatus.ScopeStatus] = [:]
            for scope in [schoolScope, boardScope] {
                let vector = try store.versionVector(scope)
                scopes[scope.name] = ReplicaStatus.ScopeStatus(
                    changes: try store.changeCount(scope),
                    versionVector: Dictionary(uniqueKeysWithValues: vector.entries.map { ($0.key.hex, $0.value) }))
            }
            var notes = 0, agreements = 0, conflicts = 0
            for scope in [schoolScope, boardScope] {
                for type in [KCReplica.noteType, KCReplica.agreementType] {
                    for id in try store.entityIDs(type: type, in: scope) {
                        guard let state = try store.entityState(id, type: type, in: scope) else { continue }
                        conflicts += state.conflictedFields.count
                        guard scope == schoolScope, !state.isDeleted else { continue }
                        if type == KCReplica.noteType { notes += 1 } else { agreements += 1 }
                    }
                }
            }
            let figures = try store.read { db in
                try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM "record_trendAnalysis" WHERE scope = (SELECT id FROM scope WHERE name = ?) AND deleted = 0
                    """, arguments: [schoolScope.name]) ?? 0
            }
            let path = KCReplica.databasePath(in: directory)
            let size = [path, path + "-wal"].compactMap {
                (try? FileManager.default.attributesOfItem(atPath: $0)[.size]) as? Int
            }.reduce(0, +)
            return ReplicaStatus(
                replica: store.replicaID.hex, school: configuration.school, board: configuration.board,
                dataPath: directory.path, sizeBytes: size, stateHash: try store.stateHash(),
                notes: notes, agreements: agreements, trendFigures: figures, advice: 0, adviceUnanswered: 0,
                openConflicts: conflicts, scopes: scopes)
        }
        let book = adviceBook
        let advice = try book.all()
        let answered = try book.responses().filter { $0.value.contains { $0.school == configuration.school } }
        status.advice = advice.count
        status.adviceUnanswered = advice.filter { answered[$0.id] == nil && ($0.schools.isEmpty || $0.schools.contains(configuration.school)) }.count
        return status
    }

    /// The conflict journal, newest first.
    public func conflicts() throws(KCError) -> [ConflictRecord] {
        try perform("de conflicten te lezen") { () throws(SyncError) in try store.conflicts() }
    }

    /// The title of a record, for lists (empty if it has none or is gone).
    public func title(of id: EntityID, type: String, in scope: Scope) -> String {
        ((try? store.entityState(id, type: type, in: scope)) ?? nil)?.value(of: "title")?.text ?? ""
    }

    /// Finds a record of any kc type by id prefix.
    public func resolveAny(_ prefix: String) throws(KCError) -> (EntityID, String) {
        var found: [(EntityID, String)] = []
        for (type, label) in [(KCReplica.noteType, "notitie"), (KCReplica.agreementType, "afspraak"),
                              (KCSchemas.trendAnalysis.name, "trendanalyse")] {
            do {
                found.append((try resolve(prefix, type: type, label: label), type))
            } catch where error.code == .notFound {
                continue
            }
        }
        switch found.count {
        case 1: return found[0]
        case 0: throw KCError(.notFound, "Geen record gevonden met id \(prefix).")
        default: throw KCError(.ambiguous, "Het id \(prefix) past bij meer dan één record. Geef meer tekens.")
        }
    }

    /// Erases a record (AVG) on this replica, and through the changes this writes on every
    /// replica that holds it: the school record and every board copy made from it, also one
    /// another replica of this school made meanwhile (the board scope gets the erasure of the
    /// record's own id, and every receiver erases each copy made from it, whenever the copy
    /// arrives). Afterwards no table and no stored change here holds its content. The erasure
    /// log line (without content) is written in the same transaction: no log, no erasure.
    public func erase(_ id: EntityID, type: String, reason: String) throws(KCError) -> ErasureRecord {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else {
            throw KCError(.invalidInput, "Geef een reden voor het wissen (--reason), bijvoorbeeld 'verzoek ouders' of 'bewaartermijn verlopen'.")
        }
        guard reason.count <= 500 else { throw KCError(.invalidInput, "De reden is te lang (meer dan 500 tekens); geef een korte reden.") }
        let copy = try boardCopy(of: id, type: type)
        let erasedAt = ISO8601DateFormatter().string(from: Date())
        let followsCopies = KCSchemas.boardFields[type] != nil && KCSchemas.all.first { $0.name == type }?.provenance != nil
        try perform("het record te wissen") { () throws(SyncError) in
            try store.transaction { tx throws(SyncError) in
                try tx.change(in: schoolScope) { b throws(SyncError) in try b.erase(id, type: type) }
                try tx.change(in: boardScope) { b throws(SyncError) in
                    if let copy { try b.erase(copy, type: type) }
                    if followsCopies { try b.erase(id, type: type) }
                }
                try tx.logErasure(id, type: type, in: schoolScope, reason: reason, at: erasedAt)
            }
        }
        store.truncateLog()
        return ErasureRecord(id: id.hex, type: type, reason: reason, erasedAt: erasedAt)
    }

    /// The erasure log of this replica, oldest first.
    public func erasures() throws(KCError) -> [ErasureRecord] {
        try perform("het wislogboek te lezen") { () throws(SyncError) in
            try store.erasureLog().map { ErasureRecord(id: $0.entity.hex, type: $0.type, reason: $0.reason, erasedAt: $0.erasedAt) }
        }
    }
}
