import Foundation
public import KCModel
import SyncCore
import SyncStore

extension BoardReplica {
    /// The board, as the controller, erases any record of its scope by id (a unique prefix or
    /// the short id): on this replica at once, and through the change this writes on every
    /// school that holds it. The erasure log line is written in the same transaction.
    public func erase(_ text: String, reason: String) throws(KCError) -> ErasureRecord {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.count <= 500 else {
            throw KCError(.invalidInput, "Geef een korte reden voor het wissen (--reason), bijvoorbeeld 'verzoek school' of 'bewaartermijn verlopen'.")
        }
        var found: [(EntityID, String)] = []
        for schema in KCSchemas.all {
            do {
                found.append((try KCReplica.resolve(text, type: schema.name, label: "record", in: scope, store: store), schema.name))
            } catch where error.code == .notFound {
                continue
            }
        }
        guard found.count == 1 else {
            throw found.isEmpty ? KCError(.notFound, "Geen record van het bestuur gevonden met id \(text).")
                : KCError(.ambiguous, "Het id \(text) past bij meer dan één record. Geef meer tekens.")
        }
        let (id, type) = found[0]
        let erasedAt = ISO8601DateFormatter().string(from: Date())
        do {
            try store.transaction { tx throws(SyncError) in
                try tx.change(in: scope) { b throws(SyncError) in try b.erase(id, type: type) }
                try tx.logErasure(id, type: type, in: scope, reason: reason, at: erasedAt)
            }
        } catch {
            throw KCError.engine(error, doing: "het record te wissen")
        }
        store.truncateLog()
        return ErasureRecord(id: id.hex, type: type, reason: reason, erasedAt: erasedAt)
    }

    /// The board's erasure log, oldest first.
    public func erasures() throws(KCError) -> [ErasureRecord] {
        do {
            return try store.erasureLog().map { ErasureRecord(id: $0.entity.hex, type: $0.type, reason: $0.reason, erasedAt: $0.erasedAt) }
        } catch {
            throw KCError.engine(error, doing: "het wislogboek te lezen")
        }
    }
}
