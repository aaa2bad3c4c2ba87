import Foundation
public import KCModel
public import SyncCore
public import SyncStore

/// A record whose retention term has passed (or passes on `due`).
public struct RetentionItem: Sendable, Codable, Equatable {
    public var id: String
    public var type: String
    /// The category (notes) or `afspraak`/`afspraak-leerling` (agreements).
    public var term: String
    public var months: Int
    /// The day the term counts from, and the day it ends (yyyy-MM-dd).
    public var since: String
    public var due: String
    /// True when it ends by `retainUntil`, set on the record.
    public var setOnRecord: Bool
}

extension KCReplica {
    /// The school's terms: the defaults with the school's own choices over them.
    public var retentionTerms: [String: Int] {
        Retention.defaults.merging(configuration.retention ?? [:]) { _, own in own }
    }

    /// Sets the school's term for a note category or `afspraak` / `afspraak-leerling`.
    public func setRetention(_ key: String, months: Int) throws(KCError) -> ReplicaConfiguration {
        guard Retention.defaults[key] != nil else {
            throw KCError(.invalidInput, "Onbekende soort '\(key)'. Kies uit: \(Retention.defaults.keys.sorted().joined(separator: ", ")).")
        }
        guard (1...Retention.maximumMonths).contains(months) else {
            throw KCError(.invalidInput, "Een bewaartermijn ligt tussen 1 en \(Retention.maximumMonths) maanden.")
        }
        var configuration = configuration
        configuration.retention = (configuration.retention ?? [:]).merging([key: months]) { $1 }
        do { try configuration.save(to: directory) } catch { throw KCError(.storage, "config.json kon niet worden bijgewerkt.") }
        return configuration
    }

    /// The school's records whose term has ended by `today`, oldest first.
    public func retentionDue(asOf today: Int32? = nil) throws(KCError) -> [RetentionItem] {
        try Retention.items(store: store, scope: schoolScope, terms: retentionTerms, asOf: today ?? self.today())
    }

    /// Erases every record whose term has ended (with its board copies, everywhere), each with
    /// a line in the erasure log. Returns what it erased.
    @discardableResult
    public func applyRetention(asOf today: Int32? = nil) throws(KCError) -> [ErasureRecord] {
        try retentionDue(asOf: today).map { item throws(KCError) in
            try erase(EntityID(hex: item.id)!, type: item.type, reason: "bewaartermijn verlopen (\(item.term), \(item.months) maanden)")
        }
    }
}

extension BoardReplica {
    /// The board scope's records (copies of what schools shared) whose term has ended.
    public func retentionDue(asOf today: Int32? = nil) throws(KCError) -> [RetentionItem] {
        try Retention.items(store: store, scope: scope, terms: Retention.defaults,
                            asOf: today ?? Int32((Date().timeIntervalSince1970 / 86_400).rounded(.down)))
    }

    /// Erases every record of the board scope whose term has ended, on every replica.
    @discardableResult
    public func applyRetention(asOf today: Int32? = nil) throws(KCError) -> [ErasureRecord] {
        try retentionDue(asOf: today).map { item throws(KCError) in
            try erase(item.id, reason: "bewaartermijn verlopen (\(item.term), \(item.months) maanden)")
        }
    }
}

extension Retention {
    /// The notes and agreements of `scope` whose term ends on or before `today`.
    static func items(store: ReplicaStore, scope: Scope, terms: [String: Int], asOf today: Int32) throws(KCError) -> [RetentionItem] {
        var out: [RetentionItem] = []
        do {
            for id in try store.entityIDs(type: KCSchemas.note.name, in: scope) {
                guard let state = try store.entityState(id, type: KCSchemas.note.name, in: scope), !state.erased else { continue }
                let note = Note(id: id, state: state)
                // An unknown category keeps the shortest term (fail closed).
                let key = note.category?.rawValue ?? NoteCategory.other.rawValue
                let months = terms[key] ?? Retention.noteMonths[.other]!
                if let item = item(id: id, type: KCSchemas.note.name, term: key, months: months, since: note.meetingDate,
                                   until: note.retainUntil, today: today) { out.append(item) }
            }
            for id in try store.entityIDs(type: KCSchemas.agreement.name, in: scope) {
                guard let state = try store.entityState(id, type: KCSchemas.agreement.name, in: scope), !state.erased else { continue }
                let agreement = Agreement(id: id, state: state)
                let key = agreement.level == .pupil ? pupilAgreementKey : agreementKey
                let months = terms[key] ?? (agreement.level == .pupil ? pupilAgreementMonths : agreementMonths)
                let since = [agreement.dueDate, agreement.evaluationDate].compactMap { $0 }.max()
                if let item = item(id: id, type: KCSchemas.agreement.name, term: key, months: months, since: since, until: nil,
                                   today: today) { out.append(item) }
            }
        } catch {
            throw KCError.engine(error, doing: "de bewaartermijnen te bekijken")
        }
        return out.sorted { ($0.due, $0.id) < ($1.due, $1.id) }
    }

    private static func item(id: EntityID, type: String, term: String, months: Int, since: Int32?, until: Int32?,
                             today: Int32) -> RetentionItem? {
        let made = Int32(id.millis / 86_400_000)
        let start = since ?? made
        let due = until ?? Retention.due(from: start, months: months)
        guard due <= today else { return nil }
        return RetentionItem(id: id.hex, type: type, term: term, months: months, since: Value.dayString(start),
                             due: Value.dayString(due), setOnRecord: until != nil)
    }
}
