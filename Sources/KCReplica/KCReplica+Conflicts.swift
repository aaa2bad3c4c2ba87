public import KCModel
public import SyncCore
import SyncStore

/// Open conflicts as a kc'er resolves them: a field two replicas wrote at the same time holds
/// both values until someone chooses; the choice is written over both, so every replica ends
/// with it.
public struct OpenConflict: Sendable {
    /// One of the values written at the same time.
    public struct Side: Sendable {
        public var value: Value
        /// The replica that wrote it (its id's last 8 hex digits).
        public var replica: String
        /// Whether that replica is this one.
        public var here: Bool
        /// The kc'er who wrote it, when the edit said (every edit on the pages and by the
        /// command does; older ones did not).
        public var author: String?
        /// When, by the writer's clock (seconds since 1970).
        public var at: UInt64
    }

    public var record: EntityID
    public var type: String
    public var title: String
    public var field: String
    /// The values, the one shown now (the last writer's) last.
    public var sides: [Side]
    /// Whether the pages can choose for this field (one an edit of the record writes).
    public var choosable: Bool
}

extension KCReplica {
    /// The fields of notes and afspraken at school with unresolved concurrent writes.
    public func openConflicts() throws(KCError) -> [OpenConflict] {
        var out: [OpenConflict] = []
        for type in [KCReplica.noteType, KCReplica.agreementType] {
            let ids = try perform("de conflicten te lezen") { () throws(SyncError) in try store.entityIDs(type: type, in: schoolScope) }
            for id in ids {
                guard let state = try state(id, type: type, in: schoolScope), !state.isDeleted else { continue }
                // Who wrote which change: the editors set's tags carry each edit's stamp.
                var editors: [Stamp: String] = [:]
                for (name, tags) in state.sets["editors"]?.tags ?? [:] {
                    for tag in tags { if let name = name.text { editors[Stamp(replica: tag.replica, timestamp: tag.timestamp)] = name } }
                }
                for field in state.conflictedFields where field != "editors" {
                    guard let register = state.registers[field] else { continue }
                    out.append(OpenConflict(
                        record: id, type: type, title: state.value(of: "title")?.text ?? "", field: field,
                        sides: register.heads.map {
                            OpenConflict.Side(value: $0.value, replica: String($0.stamp.replica.hex.suffix(8)), here: $0.stamp.replica == store.replicaID,
                                              author: editors[Stamp(replica: $0.stamp.replica, timestamp: $0.stamp.timestamp)],
                                              at: $0.stamp.timestamp.millis / 1000)
                        },
                        choosable: KCReplica.resolvable(type: type, field: field)))
                }
            }
        }
        return out
    }

    /// A change's identity as its ops' stamps carry it.
    private struct Stamp: Hashable { var replica: ReplicaID; var timestamp: Timestamp }

    /// The fields the pages resolve: those a note's edit or an afspraak's update writes, which
    /// carry the board copy and its privacy check along.
    static func resolvable(type: String, field: String) -> Bool {
        type == noteType ? ["title", "role", "category", "subject", "subjectArea", "period", "meetingDate", "sensitive"].contains(field)
            : ["status"].contains(field)
    }

    /// Resolves the conflict of `field` by writing `value`, one of the values written at the
    /// same time, over all of them (and into the board copy, when shared, under the same
    /// rules as an edit). A conflict that is gone already, or a value that was not one of its
    /// sides, is refused and nothing changes.
    public func resolveConflict(_ id: EntityID, type: String, field: String, choose value: Value, editor: String? = nil) throws(KCError) {
        guard let state = try state(id, type: type, in: schoolScope), let register = state.registers[field], register.isConflicted else {
            throw KCError(.refused, "Dit conflict is al opgelost (hier of op een andere replica); er is niets veranderd.")
        }
        guard register.heads.contains(where: { $0.value == value }) else {
            throw KCError(.invalidInput, "Die waarde hoort niet bij dit conflict; er is niets veranderd.")
        }
        guard KCReplica.resolvable(type: type, field: field) else {
            throw KCError(.refused, "Dit veld kan hier niet worden gekozen; er is niets veranderd.")
        }
        if type == KCReplica.agreementType {
            guard let status = value.text.flatMap(AgreementStatus.init(rawValue:)) else { throw KCError(.invalidInput, "Geen geldige status.") }
            _ = try updateAgreement(id, status: status, outcome: nil, editor: editor)
            return
        }
        var edit = NoteEdit()
        edit.editor = editor
        switch field {
        case "title": edit.title = value.text
        case "role": edit.role = value.text.flatMap(KCRole.init(rawValue:))
        case "category": edit.category = value.text.flatMap(NoteCategory.init(rawValue:))
        case "subject": edit.subject = value.text.flatMap(SubjectLevel.init(rawValue:))
        case "subjectArea": edit.subjectArea = value.text.flatMap(SubjectArea.init(rawValue:))
        case "period": edit.period = value.text.flatMap(Period.init)
        case "meetingDate": if case .day(let day) = value { edit.meetingDate = day }
        case "sensitive": if case .boolean(let flag) = value { edit.sensitive = flag }
        default: break
        }
        guard !edit.isEmpty else { throw KCError(.invalidInput, "Die waarde kan hier niet worden gekozen; er is niets veranderd.") }
        _ = try editNote(id, edit)
    }
}
