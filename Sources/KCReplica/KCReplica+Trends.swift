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
        }
        let floor2F1S = threshold1S2F?.value
        if floor2F1S == nil, drafts.contains(where: { $0.metric == .percent2F1S && $0.inspectionThreshold == nil }) {
            throw KCError(.invalidInput, "Voor % 2F/1S hangt de signaleringswaarde af van de schoolweging. Die komt met het bestand van de inspectie van het bestuur (kcsync board import-inspectie); zolang dat er niet is, stel hem in met 'kcsync config floor-2f1s PERCENTAGE' of geef --floor. Er is niets opgeslagen.")
        }
        let current = try trends(includeDeleted: false)
        let existing = Dictionary(current.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        // The duiding and actions of a figure go to the board with it.
        let goingOut = drafts.filter { share || existing[$0.key]?.boardCopy != nil }
        try checkNoPupilReferences(goingOut.flatMap { [$0.interpretation, $0.actions] }, what: "de duiding of de acties bij een trendcijfer")
        // Whether each board copy carries its value now: one that does and must not any more is
        // erased (from every replica's history) and made again without it.
        var copyShowsValue: [EntityID: Bool] = [:]
        for case let copy? in current.map(\.boardCopy) {
            if case .real? = try state(copy, type: KCReplica.trendType, in: boardScope)?.value(of: "value") {
                copyShowsValue[copy] = true
            }
        }
        let school = configuration.school
        let t = KCReplica.trendType
        func floor(_ draft: TrendDraft) -> Double? {
            switch draft.metric {
            case .percent1F: draft.inspectionThreshold ?? InspectionFloor.percent1F
            case .percent2F1S: draft.inspectionThreshold ?? floor2F1S
            default: nil
            }
        }
        /// A figure's identity: what it is a figure of, set once when it is made.
        func identify(_ id: EntityID, _ area: SubjectArea, _ period: Period, _ group: String, _ metric: TrendMetric,
                      _ b: inout ChangeBuilder) throws(SyncError) {
            try b.assign(.text(school), to: "school", of: id, type: t)
            try b.assign(.text(area.rawValue), to: "subjectArea", of: id, type: t)
            try b.assign(.text(period.description), to: "period", of: id, type: t)
            try b.assign(.text(group), to: "group", of: id, type: t)
            try b.assign(.text(metric.rawValue), to: "metric", of: id, type: t)
        }
        func write(_ draft: TrendDraft, to id: EntityID, _ b: inout ChangeBuilder, fresh: Bool) throws(SyncError) {
            if fresh { try identify(id, draft.subjectArea, draft.period, draft.group, draft.metric, &b) }
            try b.assign(.real(draft.value), to: "value", of: id, type: t)
            try b.assign(.integer(Int64(draft.pupils)), to: "pupils", of: id, type: t)
            try b.assign(draft.ambition.map(Value.real) ?? .null, to: "ambition", of: id, type: t)
            try b.assign(floor(draft).map(Value.real) ?? .null, to: "inspectionThreshold", of: id, type: t)
            try b.assign(draft.nationalAverage.map(Value.real) ?? .null, to: "nationalAverage", of: id, type: t)
            try b.setText(draft.interpretation, field: "interpretation", of: id, type: t)
            try b.setText(draft.actions, field: "actions", of: id, type: t)
        }
        /// A board copy: the figure with a band for n, and without its value (and, for a small
        /// cell, without the leerteam's text) when it is withheld.
        func writeCopy(_ figure: TrendFigure, withheld: Suppression?, to id: EntityID, _ b: inout ChangeBuilder, fresh: Bool) throws(SyncError) {
            if fresh {
                try identify(id, figure.subjectArea, figure.period, figure.group, figure.metric, &b)
                try b.assign(.text(Visibility.board.rawValue), to: "visibility", of: id, type: t)
                try b.assign(.id(figure.id), to: "source", of: id, type: t)
            }
            try b.assign(withheld == nil ? figure.value.map(Value.real) ?? .null : .null, to: "value", of: id, type: t)
            try b.assign(.text(figure.band.rawValue), to: "pupilsBand", of: id, type: t)
            try b.assign(withheld.map { .text($0.rawValue) } ?? .null, to: "suppression", of: id, type: t)
            try b.assign(figure.ambition.map(Value.real) ?? .null, to: "ambition", of: id, type: t)
            try b.assign(figure.inspectionThreshold.map(Value.real) ?? .null, to: "inspectionThreshold", of: id, type: t)
            try b.assign(figure.nationalAverage.map(Value.real) ?? .null, to: "nationalAverage", of: id, type: t)
            let small = withheld == .smallCell
            for (field, text) in [("interpretation", small ? "" : figure.interpretation), ("actions", small ? "" : figure.actions)]
            where !(fresh && text.isEmpty) {
                try b.setText(text, field: field, of: id, type: t)
            }
        }
        var written: [EntityID] = []
        var erasedCopies = false
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
                // The school's figures as they are now, and which of them stay home.
                var after = existing
                var drafted: Set<String> = []
                for (draft, id) in zip(drafts, schoolIDs) {
                    after[draft.key] = TrendFigure(
                        id: id, school: school, subjectArea: draft.subjectArea, period: draft.period, group: draft.group,
                        metric: draft.metric, value: draft.value, pupils: draft.pupils, ambition: draft.ambition,
                        inspectionThreshold: floor(draft), nationalAverage: draft.nationalAverage, interpretation: draft.interpretation,
                        actions: draft.actions, boardCopy: existing[draft.key]?.boardCopy)
                    drafted.insert(draft.key)
                }
                let withheld = TrendSuppression.withheld(Array(after.values))
                var newCopies: [(EntityID, EntityID)] = []
                try tx.change(in: boardScope) { b throws(SyncError) in
                    for figure in after.values.sorted(by: { $0.key < $1.key }) {
                        let suppression = withheld[figure.id]
                        if let copy = figure.boardCopy {
                            let showed = copyShowsValue[copy] ?? false
                            if showed && suppression != nil {
                                // Its value went out while it was safe to; now it would give a
                                // small cell away, so no replica may keep it.
                                try b.erase(copy, type: t)
                                erasedCopies = true
                                let fresh = b.newEntity(type: t)
                                try writeCopy(figure, withheld: suppression, to: fresh, &b, fresh: true)
                                newCopies.append((figure.id, fresh))
                            } else if drafted.contains(figure.key) || showed != (suppression == nil) {
                                try writeCopy(figure, withheld: suppression, to: copy, &b, fresh: false)
                            }
                        } else if share && drafted.contains(figure.key) {
                            let copy = b.newEntity(type: t)
                            try writeCopy(figure, withheld: suppression, to: copy, &b, fresh: true)
                            newCopies.append((figure.id, copy))
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
        if erasedCopies { store.truncateLog() }
        if share { try shareIndicators() }
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
