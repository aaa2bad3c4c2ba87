import Foundation
public import KCModel
public import SyncCore
import SyncStore

extension KCReplica {
    static let trendType = KCSchemas.trendAnalysis.name

    /// Writes trend figures in one transaction: each in the school scope and, with `share`,
    /// as a copy in the board scope (aggregates may go to the board; DOMAIN.md). A figure for a
    /// school × subject × period × group × metric that exists already is updated, not doubled.
    /// Every draft is checked first; one bad draft writes nothing.
    @discardableResult
    public func addTrends(_ drafts: [TrendDraft], share: Bool = true) throws(KCError) -> [TrendFigure] {
        for draft in drafts {
            if let problem = draft.problem() { throw KCError(.invalidInput, "Trendcijfer geweigerd: \(problem). Er is niets opgeslagen.") }
            if draft.metric == .percent2F1S, draft.inspectionThreshold == nil, configuration.floor2F1S == nil {
                throw KCError(.invalidInput, "Voor % 2F/1S hangt de signaleringswaarde af van de schoolweging. Stel hem eenmalig in met 'kcsync config floor-2f1s PERCENTAGE' of geef --floor. Er is niets opgeslagen.")
            }
        }
        let existing = Dictionary(try trends(includeDeleted: false).map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let school = configuration.school
        let floor2F1S = configuration.floor2F1S
        let t = KCReplica.trendType
        func write(_ draft: TrendDraft, to id: EntityID, _ b: inout ChangeBuilder, fresh: Bool) throws(SyncError) {
            if fresh {
                try b.assign(.text(school), to: "school", of: id, type: t)
                try b.assign(.text(draft.subjectArea.rawValue), to: "subjectArea", of: id, type: t)
                try b.assign(.text(draft.period.description), to: "period", of: id, type: t)
                try b.assign(.text(draft.group), to: "group", of: id, type: t)
                try b.assign(.text(draft.metric.rawValue), to: "metric", of: id, type: t)
            }
            try b.assign(.real(draft.value), to: "value", of: id, type: t)
            try b.assign(.integer(Int64(draft.pupils)), to: "pupils", of: id, type: t)
            try b.assign(draft.ambition.map(Value.real) ?? .null, to: "ambition", of: id, type: t)
            let floor: Double? = switch draft.metric {
            case .percent1F: draft.inspectionThreshold ?? InspectionFloor.percent1F
            case .percent2F1S: draft.inspectionThreshold ?? floor2F1S
            default: nil
            }
            try b.assign(floor.map(Value.real) ?? .null, to: "inspectionThreshold", of: id, type: t)
            try b.assign(draft.nationalAverage.map(Value.real) ?? .null, to: "nationalAverage", of: id, type: t)
            try b.setText(draft.interpretation, field: "interpretation", of: id, type: t)
            try b.setText(draft.actions, field: "actions", of: id, type: t)
        }
        var written: [EntityID] = []
        try perform("de trendcijfers op te slaan") { () throws(SyncError) in
            try store.transaction { tx throws(SyncError) in
                var schoolIDs: [EntityID] = []
                try tx.change(in: schoolScope) { b throws(SyncError) in
                    for draft in drafts {
                        if let current = existing[draft.key] {
                            try write(draft, to: current.id, &b, fresh: false)
                            schoolIDs.append(current.id)
                        } else {
                            let id = b.newEntity(type: t)
                            try write(draft, to: id, &b, fresh: true)
                            try b.assign(.text(Visibility.school.rawValue), to: "visibility", of: id, type: t)
                            schoolIDs.append(id)
                        }
                    }
                }
                written = schoolIDs
                var newCopies: [(EntityID, EntityID)] = []
                try tx.change(in: boardScope) { b throws(SyncError) in
                    for (draft, id) in zip(drafts, schoolIDs) {
                        if let copy = existing[draft.key]?.boardCopy {
                            try write(draft, to: copy, &b, fresh: false)
                        } else if share {
                            let copy = b.newEntity(type: t)
                            try write(draft, to: copy, &b, fresh: true)
                            try b.assign(.text(Visibility.board.rawValue), to: "visibility", of: copy, type: t)
                            try b.assign(.id(id), to: "source", of: copy, type: t)
                            newCopies.append((id, copy))
                        }
                    }
                }
                try tx.change(in: schoolScope) { b throws(SyncError) in
                    for (id, copy) in newCopies {
                        try b.assign(.text(Visibility.board.rawValue), to: "visibility", of: id, type: t)
                        try b.assign(.id(copy), to: "boardCopy", of: id, type: t)
                    }
                }
            }
        }
        return try written.map { id throws(KCError) in try trend(id) }
    }

    /// Reads a CSV file of trend figures (see ``TrendCSV``) and writes them all in one
    /// transaction, or, if any row is wrong, none, with every bad line named.
    @discardableResult
    public func importTrends(csv text: String, share: Bool = true) throws(KCError) -> [TrendFigure] {
        switch TrendCSV.parse(text, school: configuration.school) {
        case .success(let drafts):
            return try addTrends(drafts, share: share)
        case .failure(let errors):
            let lines = errors.errors.map { "  \($0)" }.joined(separator: "\n")
            throw KCError(.invalidInput, "Het bestand is niet ingelezen; er is niets opgeslagen. Verbeter:\n\(lines)")
        }
    }

    /// One trend figure of this school.
    public func trend(_ id: EntityID) throws(KCError) -> TrendFigure {
        guard let state = try state(id, type: KCReplica.trendType, in: schoolScope), let figure = TrendFigure(id: id, state: state) else {
            throw KCError(.notFound, "Geen trendcijfer gevonden met id \(id.hex).")
        }
        return figure
    }

    /// This school's trend figures, by subject, group, metric and period.
    public func trends(includeDeleted: Bool = false) throws(KCError) -> [TrendFigure] {
        let ids = try perform("de trendcijfers te lezen") { () throws(SyncError) in try store.entityIDs(type: KCReplica.trendType, in: schoolScope) }
        var out: [TrendFigure] = []
        for id in ids {
            guard let state = try state(id, type: KCReplica.trendType, in: schoolScope), let figure = TrendFigure(id: id, state: state) else { continue }
            out.append(figure)
        }
        return out.sorted { ($0.series, $0.period) < ($1.series, $1.period) }
    }

    /// Sets (or clears) the school's 2F/1S floor.
    public func setFloor2F1S(_ value: Double?) throws(KCError) -> ReplicaConfiguration {
        if let value, !InspectionFloor.plausible2F1S.contains(value) {
            throw KCError(.invalidInput, "Een signaleringswaarde voor 2F/1S van \(value)% is niet aannemelijk; de inspectie hanteert waarden tussen \(Int(InspectionFloor.plausible2F1S.lowerBound)) en \(Int(InspectionFloor.plausible2F1S.upperBound))%.")
        }
        var configuration = configuration
        configuration.floor2F1S = value
        do { try configuration.save(to: directory) } catch { throw KCError(.storage, "config.json kon niet worden bijgewerkt.") }
        return configuration
    }
}
