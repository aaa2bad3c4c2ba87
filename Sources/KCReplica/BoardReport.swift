import Foundation
import GRDB
public import KCModel
public import SyncCore
public import SyncStore

/// The board's merged view: every school's shared trend figures per subject and period with
/// ambitie, floor and computed signals; the signals the schools share; the trend advice with
/// each school's reaction; the shared agreements. `kcsync board view`, the board's web pages
/// and its JSON API all show this one value.
///
/// It holds what the schools shared, and the schools share no n and no value of a figure over
/// fewer than 10 pupils (nor of a figure that would give one away): such a point reads "< 10"
/// or "afgeschermd" and takes no part in any signal. n is shown as a band ("20–29").
public struct BoardReport: Codable, Sendable, Equatable {
    /// One figure of a series.
    public struct Point: Codable, Sendable, Equatable {
        public var period: String
        /// Nil when suppressed.
        public var value: Double?
        /// The band n falls in ("20–29"); never n itself.
        public var pupilsBand: String
        /// As a kc'er reads it: "87,5%", "< 10" (a small cell) or "afgeschermd" (withheld
        /// because it would let a small cell be computed).
        public var display: String
        public var suppressed: Bool

        public init(period: String, value: Double?, pupilsBand: String, display: String, suppressed: Bool) {
            self.period = period
            self.value = value
            self.pupilsBand = pupilsBand
            self.display = display
            self.suppressed = suppressed
        }
    }

    /// One school × group × metric of a subject over the periods.
    public struct Series: Codable, Sendable, Equatable {
        public var school: String
        public var group: String
        public var metric: String
        public var metricLabel: String
        public var ambition: Double?
        /// The Inspectorate's floor (signaleringswaarde), for 1F and 2F/1S.
        public var floor: Double?
        public var points: [Point]
        /// stijgend, dalend, stabiel, wisselend or "te weinig metingen" (Dutch, as stored).
        public var direction: String
        public var underAmbition: Bool?
        public var underFloor: Bool?
        /// The leerteam's duiding of the latest figure shown.
        public var interpretation: String

        public init(school: String, group: String, metric: String, metricLabel: String, ambition: Double?, floor: Double?, points: [Point],
                    direction: String, underAmbition: Bool?, underFloor: Bool?, interpretation: String) {
            self.school = school
            self.group = group
            self.metric = metric
            self.metricLabel = metricLabel
            self.ambition = ambition
            self.floor = floor
            self.points = points
            self.direction = direction
            self.underAmbition = underAmbition
            self.underFloor = underFloor
            self.interpretation = interpretation
        }
    }

    /// Everything of one subject.
    public struct Subject: Codable, Sendable, Equatable {
        public var subjectArea: String
        public var periods: [String]
        public var series: [Series]
    }

    /// A signal several schools share.
    public struct Signal: Codable, Sendable, Equatable {
        public var kind: String
        public var subjectArea: String
        public var metric: String
        public var groups: [String]
        public var schools: [String]
        public var outOf: Int
        public var text: String
    }

    /// A school's answer to an advice.
    public struct Reaction: Codable, Sendable, Equatable {
        public var school: String
        public var reaction: String
        public var comment: String
    }

    /// A trend advice and who answered how.
    public struct Advice: Codable, Sendable, Equatable {
        public var id: String
        public var author: String
        public var writtenAt: String
        public var period: String
        public var subjectArea: String
        public var signal: String
        public var interpretation: String
        public var advice: String
        public var suggestedAgreements: [String]
        public var reactions: [Reaction]
        /// Schools that have not answered yet.
        public var waitingFor: [String]
    }

    /// An agreement a school shared.
    public struct SharedAgreement: Codable, Sendable, Equatable {
        public var id: String
        public var school: String
        public var title: String
        public var owner: String
        public var dueDate: String?
        public var status: String
    }

    /// A note a school shared with the board (its board copy: only the fields a copy may carry).
    public struct SharedNote: Codable, Sendable, Equatable {
        public var id: String
        public var school: String
        public var author: String
        public var role: String
        public var category: String
        public var period: String?
        public var subjectArea: String?
        public var title: String
        public var body: String
        public var tags: [String]
    }

    /// One of the Inspectie's indicators of a school, judged.
    public struct IndicatorJudgment: Codable, Sendable, Equatable {
        public var indicator: String
        public var throughSchoolYear: String?
        /// The school's shared value (nil when withheld or not shared).
        public var value: Double?
        public var pupilsBand: String?
        public var withheld: Bool
        public var complete: Bool?
        public var threshold: Double?
        public var outcome: String?
        public var margin: Double?
        /// "school" or "inspectie": whose value the outcome is of.
        public var judgedOn: String?
        public var inspectiePublished: Double?
        public var inspectieOutcome: String?
        public var similarSchools: Double?
    }

    /// A school as the Inspectie judges it.
    public struct SchoolInspection: Codable, Sendable, Equatable {
        public var school: String
        public var name: String?
        public var schoolYear: String?
        public var schoolWeight: Double?
        public var weightCategory: String?
        public var indicators: [IndicatorJudgment]
    }

    public var board: String
    /// The period asked for (nil: all).
    public var period: String?
    /// The subject asked for (nil: all).
    public var subjectArea: String?
    /// The board's schools: registered or reporting.
    public var schools: [String]
    public var subjects: [Subject]
    public var signals: [Signal]
    public var advice: [Advice]
    public var agreements: [SharedAgreement]
    /// The notes the schools shared, by school and title.
    public var notes: [SharedNote]
    /// Per school, the Inspectie's two indicators.
    public var inspection: [SchoolInspection]

    /// How many periods the view shows, up to the one asked for (or the latest): four school
    /// years of M and E, enough for every direction (three periods) and the trend a board
    /// discusses; older figures stay in the replicas.
    public static let window = 8

    /// Builds the view from the board scope in `store`.
    /// With `ownSchool` (a school's own pages, on its own scope) a figure over fewer than 10
    /// pupils shows its value to the school it belongs to; it still takes no part in a signal.
    public static func build(store: ReplicaStore, scope: Scope, board: String, schools registered: [String],
                             period: Period? = nil, subjectArea: SubjectArea? = nil, ownSchool: Bool = false) throws(KCError) -> BoardReport {
        let shown = Array(try periods(store: store, scope: scope).filter { period == nil || $0 <= period! }.suffix(window))
        let figures = shown.isEmpty ? [] : try figures(store: store, scope: scope, subjectArea: subjectArea, periods: shown)
        let schools = Set(registered.map { $0.uppercased() }).union(figures.map(\.school)).sorted()
        var subjects: [Subject] = []
        var shownSignals: [SeriesKey: SeriesSignals] = [:]
        for (area, ofArea) in Dictionary(grouping: figures, by: \.subjectArea).sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            var series: [Series] = []
            let bySeries = Dictionary(grouping: ofArea, by: \.series)
            for key in bySeries.keys.sorted() {
                let ordered = bySeries[key]!.sorted { $0.period < $1.period }
                if let period, ordered.last?.period != period { continue }
                let visible = ordered.filter { !$0.isSuppressed }
                let signals = TrendSignals.signals(visible)
                if !visible.isEmpty { shownSignals[key] = signals }
                let latest = ordered.last!
                series.append(Series(
                    school: key.school, group: key.group, metric: key.metric.rawValue, metricLabel: key.metric.label,
                    ambition: latest.ambition, floor: latest.metric.hasInspectionFloor ? latest.inspectionThreshold : nil,
                    points: ordered.map { figure in
                        if ownSchool, let value = figure.value {
                            Point(period: figure.period.description, value: value, pupilsBand: figure.band.label,
                                  display: figure.metric.format(value), suppressed: false)
                        } else if figure.isSuppressed || figure.value == nil {
                            Point(period: figure.period.description, value: nil, pupilsBand: figure.band.label,
                                  display: figure.band == .under10 ? "< \(TrendSignals.minimumPupils)" : "afgeschermd", suppressed: true)
                        } else {
                            Point(period: figure.period.description, value: figure.value, pupilsBand: figure.band.label,
                                  display: figure.metric.format(figure.value!), suppressed: false)
                        }
                    },
                    direction: signals.direction.rawValue,
                    underAmbition: latest.isSuppressed ? nil : signals.underAmbition,
                    underFloor: latest.isSuppressed ? nil : signals.underFloor,
                    interpretation: visible.last?.interpretation ?? ""))
            }
            if series.isEmpty { continue }
            let periods = Set(ofArea.map(\.period)).sorted().map(\.description)
            subjects.append(Subject(subjectArea: area.rawValue, periods: periods, series: series))
        }
        // The board's signals come from the series shown, each computed once above.
        let signals = BoardSignal.signals(series: shownSignals).map {
            Signal(kind: $0.kind.rawValue, subjectArea: $0.subjectArea.rawValue, metric: $0.metric.rawValue, groups: $0.groups,
                   schools: $0.schools, outOf: $0.outOf, text: $0.text)
        }
        let book = AdviceBook(store: store, scope: scope, school: "")
        let responses = try book.responses()
        let advice: [Advice] = try book.all().compactMap { item in
            if let subjectArea, item.subjectArea != subjectArea { return nil }
            if let period, item.period != period.description { return nil }
            let reactions = (responses[item.id] ?? []).map {
                Reaction(school: $0.school, reaction: $0.reaction?.rawValue ?? "", comment: $0.comment)
            }
            let concerned = item.schools.isEmpty ? schools : item.schools
            let answered = Set(reactions.map(\.school))
            return Advice(id: item.id.hex, author: item.author, writtenAt: item.school.isEmpty ? "bestuur" : item.school,
                          period: item.period, subjectArea: item.subjectArea?.rawValue ?? "", signal: item.signal,
                          interpretation: item.interpretation, advice: item.advice, suggestedAgreements: item.suggestedAgreements,
                          reactions: reactions, waitingFor: concerned.filter { !answered.contains($0) })
        }
        var agreements: [SharedAgreement] = []
        do {
            for id in try store.entityIDs(type: KCSchemas.agreement.name, in: scope) {
                guard let state = try store.entityState(id, type: KCSchemas.agreement.name, in: scope), !state.isDeleted else { continue }
                let agreement = Agreement(id: id, state: state)
                agreements.append(SharedAgreement(id: id.hex, school: agreement.school, title: agreement.title, owner: agreement.owner,
                                                  dueDate: agreement.dueDate.map(Value.dayString), status: agreement.status.rawValue))
            }
        } catch {
            throw KCError.engine(error, doing: "de gedeelde afspraken te lezen")
        }
        agreements.sort { ($0.school, $0.dueDate ?? "", $0.title) < ($1.school, $1.dueDate ?? "", $1.title) }
        var notes: [SharedNote] = []
        do {
            for id in try store.entityIDs(type: KCSchemas.note.name, in: scope) {
                guard let state = try store.entityState(id, type: KCSchemas.note.name, in: scope), !state.isDeleted else { continue }
                let note = Note(id: id, state: state)
                if let period, note.period != period.description { continue }
                if let subjectArea, note.subjectArea != subjectArea { continue }
                notes.append(SharedNote(id: id.hex, school: note.school, author: note.author, role: note.role?.label ?? "",
                                        category: note.category?.label ?? "", period: note.period, subjectArea: note.subjectArea?.rawValue,
                                        title: note.title, body: note.body, tags: note.tags))
            }
        } catch {
            throw KCError.engine(error, doing: "de gedeelde notities te lezen")
        }
        notes.sort { ($0.school, $0.title, $0.id) < ($1.school, $1.title, $1.id) }
        return BoardReport(board: board, period: period?.description, subjectArea: subjectArea?.rawValue, schools: schools,
                           subjects: subjects, signals: signals, advice: advice, agreements: agreements, notes: notes,
                           inspection: try inspection(store: store, scope: scope, schools: schools))
    }

    /// Per school both indicators: the value the school shared, judged against its
    /// signaleringswaarde from the Inspectie's file, and the file's own figures beside it; where
    /// the school shared no value, the outcome is the file's.
    static func inspection(store: ReplicaStore, scope: Scope, schools: [String]) throws(KCError) -> [SchoolInspection] {
        let book = InspectionBook(store: store, scope: scope)
        let profiles = try book.profiles()
        let shared = try book.shared()
        return schools.compactMap { school -> SchoolInspection? in
            let profile = profiles[school]
            let indicators = shared[school] ?? [:]
            guard profile != nil || !indicators.isEmpty else { return nil }
            return SchoolInspection(
                school: school, name: profile?.name, schoolYear: profile?.schoolYear, schoolWeight: profile?.schoolWeight,
                weightCategory: profile?.weightCategory,
                indicators: InspectionIndicator.allCases.compactMap { indicator -> IndicatorJudgment? in
                    let mine = indicators[indicator]
                    let published = profile?.published(indicator)
                    guard mine != nil || published != nil else { return nil }
                    let threshold = indicator == .percent1F ? InspectionFloor.percent1F : profile?.threshold1S2F
                    var judged = mine?.judged(threshold1S2F: profile?.threshold1S2F)
                    var on: String? = judged?.outcome == nil ? nil : "school"
                    if judged?.outcome == nil, let published {
                        judged = InspectionModel.judged(IndicatorResult(indicator: indicator, throughYear: mine?.throughYear ?? 0, value: published,
                                                                        threshold: threshold, outcome: nil, margin: nil, years: [], missingYears: []))
                        on = judged?.outcome == nil ? nil : "inspectie"
                    }
                    return IndicatorJudgment(
                        indicator: indicator.rawValue, throughSchoolYear: mine.map { "\($0.throughYear)-\($0.throughYear + 1)" },
                        value: mine?.value, pupilsBand: mine?.band?.rawValue, withheld: mine != nil && mine!.value == nil, complete: mine?.complete,
                        threshold: threshold, outcome: judged?.outcome?.rawValue, margin: judged?.margin, judgedOn: on,
                        inspectiePublished: published, inspectieOutcome: profile?.outcome(indicator), similarSchools: profile?.similar(indicator))
                })
        }
    }

    /// The trend figures of the board scope, read from the materialized columns (one query,
    /// no CRDT decoding: this is what the board's pages run on every request).
    public static func figures(store: ReplicaStore, scope: Scope, subjectArea: SubjectArea? = nil, periods only: [Period]? = nil) throws(KCError) -> [TrendFigure] {
        do {
            return try store.read { db in
                var sql = """
                    SELECT id, school, subjectArea, period, "group", metric, value, pupilsBand, ambition, inspectionThreshold,
                           nationalAverage, interpretation, actions, suppression, pupils
                    FROM "record_trendAnalysis" WHERE scope = (SELECT id FROM scope WHERE name = ?) AND deleted = 0
                    """
                var arguments: StatementArguments = [scope.name]
                if let subjectArea {
                    sql += " AND subjectArea = ?"
                    arguments += [subjectArea.rawValue]
                }
                if let only {
                    sql += " AND period IN (\(Array(repeating: "?", count: only.count).joined(separator: ", ")))"
                    arguments += StatementArguments(only.map(\.description))
                }
                var out: [TrendFigure] = []
                // A board has a few dozen periods and hundreds of thousands of figures: parse each period once.
                var periods: [String: Period] = [:]
                func period(_ text: String?) -> Period? {
                    guard let text else { return nil }
                    if let known = periods[text] { return known }
                    let parsed = Period(text)
                    periods[text] = parsed
                    return parsed
                }
                let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
                while let row = try rows.next() {
                    guard let id = EntityID(bytes: row[0] as Data),
                          let area = (row[2] as String?).flatMap(SubjectArea.init(rawValue:)),
                          let period = period(row[3]),
                          let metric = (row[5] as String?).flatMap(TrendMetric.init(rawValue:)),
                          // A board copy carries the band only; the school's own figure its n.
                          let band = (row[7] as String?).flatMap(PupilsBand.init(rawValue:)) ?? (row[14] as Int?).map(PupilsBand.init(pupils:))
                    else { continue }
                    let suppression = (row[13] as String?).flatMap(Suppression.init(rawValue:))
                    let value = row[6] as Double?
                    if let value, !value.isFinite { continue }
                    if value == nil && suppression == nil { continue }
                    out.append(TrendFigure(id: id, school: row[1] ?? "", subjectArea: area, period: period, group: row[4] ?? "",
                                           metric: metric, value: suppression == nil ? value : nil, pupils: row[14], band: band,
                                           suppression: suppression, ambition: row[8], inspectionThreshold: row[9],
                                           nationalAverage: row[10], interpretation: row[11] ?? "", actions: row[12] ?? ""))
                }
                return out
            }
        } catch {
            throw KCError.engine(error, doing: "de trendcijfers te lezen")
        }
    }
}

extension BoardReport {
    /// The periods the board holds figures for, in time order (one light query).
    public static func periods(store: ReplicaStore, scope: Scope) throws(KCError) -> [Period] {
        do {
            return try store.read { db in
                // Period by period through the index (a few dozen seeks), not a scan of every figure.
                try String.fetchAll(db, sql: """
                    WITH RECURSIVE s(id) AS (SELECT id FROM scope WHERE name = ?),
                    p(period) AS (
                        SELECT MIN(period) FROM "record_trendAnalysis" WHERE scope = (SELECT id FROM s) AND deleted = 0
                        UNION ALL
                        SELECT (SELECT MIN(period) FROM "record_trendAnalysis" WHERE scope = (SELECT id FROM s) AND deleted = 0 AND period > p.period)
                        FROM p WHERE p.period IS NOT NULL
                    )
                    SELECT period FROM p WHERE period IS NOT NULL
                    """, arguments: [scope.name])
            }.compactMap(Period.init).sorted()
        } catch {
            throw KCError.engine(error, doing: "de perioden te lezen")
        }
    }
}

extension BoardReplica {
    /// The periods with figures, in time order.
    public func periods() throws(KCError) -> [Period] { try BoardReport.periods(store: store, scope: scope) }

    /// Trend advice in the board scope, written at the board.
    public var adviceBook: AdviceBook { AdviceBook(store: store, scope: scope, school: "") }

    /// The merged view of this board.
    public func report(period: Period? = nil, subjectArea: SubjectArea? = nil) throws(KCError) -> BoardReport {
        try BoardReport.build(store: store, scope: scope, board: board, schools: Array(registry().keys), period: period, subjectArea: subjectArea)
    }
}
