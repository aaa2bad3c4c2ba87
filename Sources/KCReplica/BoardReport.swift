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

    /// The periods the view shows when `period` is asked for (nil: the latest), of `periods`
    /// in time order: the computed view and the kept one (``BoardTrendView``) both window so.
    static func shown(_ periods: [Period], upTo period: Period?) -> [Period] {
        Array(periods.filter { period == nil || $0 <= period! }.suffix(window))
    }

    /// Builds the view from the board scope in `store`.
    /// With `ownSchool` (a school's own pages, on its own scope) a figure over fewer than 10
    /// pupils shows its value to the school it belongs to; it still takes no part in a signal.
    public static func build(store: ReplicaStore, scope: Scope, board: String, schools registered: [String],
                             period: Period? = nil, subjectArea: SubjectArea? = nil, ownSchool: Bool = false) throws(KCError) -> BoardReport {
        // The kept view answers for one period at the board; otherwise, or when it is not up to
        // date, the series are computed from the figures.
        var trends: Trends?
        if !ownSchool, let period { trends = try kept(store: store, scope: scope, period: period, subjectArea: subjectArea) }
        if trends == nil { trends = try computed(store: store, scope: scope, period: period, subjectArea: subjectArea, ownSchool: ownSchool) }
        guard let trends else { return try assemble(store: store, scope: scope, board: board, schools: [], period: period, subjectArea: subjectArea, subjects: [], shownSignals: [:]) }
        return try assemble(store: store, scope: scope, board: board, schools: Set(registered.map { $0.uppercased() }).union(trends.schools).sorted(),
                            period: period, subjectArea: subjectArea, subjects: trends.subjects, shownSignals: trends.signals)
    }

    /// The trend part of the view: the subjects with their series, the signals of the series
    /// shown, and the schools with figures in the window.
    struct Trends: Equatable {
        var subjects: [Subject]
        var signals: [SeriesKey: SeriesSignals]
        var schools: Set<String>
    }

    /// The series computed from the figures of the window.
    static func computed(store: ReplicaStore, scope: Scope, period: Period?, subjectArea: SubjectArea?, ownSchool: Bool) throws(KCError) -> Trends {
        let shown = BoardReport.shown(try periods(store: store, scope: scope), upTo: period)
        let figures = shown.isEmpty ? [] : try figures(store: store, scope: scope, subjectArea: subjectArea, periods: shown)
        var subjects: [Subject] = []
        var shownSignals: [SeriesKey: SeriesSignals] = [:]
        for (area, ofArea) in Dictionary(grouping: figures, by: \.subjectArea).sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            var series: [Series] = []
            let bySeries = Dictionary(grouping: ofArea, by: \.series)
            for key in bySeries.keys.sorted() {
                guard let row = SeriesRow(inViewOrder(bySeries[key]!), endingAt: period, ownSchool: ownSchool) else { continue }
                if let signals = row.shownSignals { shownSignals[key] = signals }
                series.append(row.series(key))
            }
            if series.isEmpty { continue }
            let periods = Set(ofArea.map(\.period)).sorted().map(\.description)
            subjects.append(Subject(subjectArea: area.rawValue, periods: periods, series: series))
        }
        return Trends(subjects: subjects, signals: shownSignals, schools: Set(figures.map(\.school)))
    }

    /// The series of one period as the board keeps them (``BoardTrendView``), or nil when the
    /// kept rows are not up to date with the figures (or this replica keeps none).
    static func kept(store: ReplicaStore, scope: Scope, period: Period, subjectArea: SubjectArea?) throws(KCError) -> Trends? {
        do {
            return try store.read { db -> Trends? in
                guard try db.tableExists("trend_view_series"),
                      let scopeID = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM scope WHERE name = ?"), arguments: [scope.name]),
                      try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM trend_view_dirty WHERE scope = ?)"), arguments: [scopeID]) == false
                else { return nil }
                let all = try periods(db, scopeID: scopeID)
                let madeWith = try String.fetchAll(db.cachedStatement(sql: "SELECT period FROM trend_view_period WHERE scope = ?"), arguments: [scopeID])
                    .compactMap(Period.init).sorted()
                guard madeWith == all else { return nil }
                let shown = BoardReport.shown(all, upTo: period)
                var trends = Trends(subjects: [], signals: [:], schools: [])
                guard !shown.isEmpty else { return trends }
                let texts = shown.map(\.description)
                let marks = Array(repeating: "?", count: texts.count).joined(separator: ", ")
                for area in subjectArea.map({ [$0] }) ?? SubjectArea.allCases.sorted(by: { $0.rawValue < $1.rawValue }) {
                    var keyed: [(SeriesKey, Series)] = []
                    let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                        SELECT school, "group", metric, ambition, floor, direction, underAmbition, underFloor, visible, latestSuppressed,
                               interpretation, points
                        FROM trend_view_series WHERE scope = ? AND subjectArea = ? AND period = ?
                        """), arguments: [scopeID, area.rawValue, period.description])
                    while let row = try rows.next() {
                        guard let metric = TrendMetric(rawValue: row[2]), let direction = TrendDirection(rawValue: row[5]),
                              let points = PackedPoints.decode(row[11]) else { return nil }
                        let kept = SeriesRow(school: row[0], group: row[1], metric: metric, ambition: row[3], floor: row[4], direction: direction,
                                             underAmbition: row[6], underFloor: row[7], visible: row[8], latestSuppressed: row[9],
                                             interpretation: row[10], points: points)
                        let key = SeriesKey(school: kept.school, subjectArea: area, group: kept.group, metric: metric)
                        if let signals = kept.shownSignals { trends.signals[key] = signals }
                        keyed.append((key, kept.series(key)))
                    }
                    // Which periods and schools the window holds, from the rows: a row stands
                    // for each period a series has a figure in.
                    let inWindow = try Row.fetchAll(db.cachedStatement(sql: """
                        SELECT DISTINCT period, school FROM trend_view_series WHERE scope = ? AND subjectArea = ? AND period IN (\(marks))
                        """), arguments: [scopeID, area.rawValue] + StatementArguments(texts))
                    trends.schools.formUnion(inWindow.map { $0[1] as String })
                    if keyed.isEmpty { continue }
                    keyed.sort { $0.0 < $1.0 }
                    let periods = Set(inWindow.compactMap { Period($0[0] as String) }).sorted().map(\.description)
                    trends.subjects.append(Subject(subjectArea: area.rawValue, periods: periods, series: keyed.map(\.1)))
                }
                return trends
            }
        } catch {
            throw KCError.engine(error, doing: "de bijgehouden trendweergave te lezen")
        }
    }

    /// The view's order of a series' figures: by period, and figures of the same period by id.
    static func inViewOrder(_ figures: [TrendFigure]) -> [TrendFigure] {
        figures.sorted { a, b in a.period != b.period ? a.period < b.period : a.id.bytes.lexicographicallyPrecedes(b.id.bytes) }
    }

    /// A series as the view shows it, made from its figures in a window (and kept so by the board).
    struct SeriesRow {
        var school: String
        var group: String
        var metric: TrendMetric
        var ambition: Double?
        var floor: Double?
        var direction: TrendDirection
        var underAmbition: Bool?
        var underFloor: Bool?
        /// At least one figure in the window may be seen: the series' signals count at the board.
        var visible: Bool
        var latestSuppressed: Bool
        var interpretation: String
        var points: [PackedPoints.Point]

        init(school: String, group: String, metric: TrendMetric, ambition: Double?, floor: Double?, direction: TrendDirection,
             underAmbition: Bool?, underFloor: Bool?, visible: Bool, latestSuppressed: Bool, interpretation: String, points: [PackedPoints.Point]) {
            (self.school, self.group, self.metric, self.ambition, self.floor, self.direction) = (school, group, metric, ambition, floor, direction)
            (self.underAmbition, self.underFloor, self.visible, self.latestSuppressed) = (underAmbition, underFloor, visible, latestSuppressed)
            (self.interpretation, self.points) = (interpretation, points)
        }

        /// From a series' figures in the window, in view order; nil when it has none, or when
        /// `endingAt` is given and its latest figure is not of that period (it is not shown then).
        /// With `ownSchool` a small cell's value shows (a school's own pages).
        init?(_ ordered: [TrendFigure], endingAt period: Period?, ownSchool: Bool = false) {
            guard let latest = ordered.last, period == nil || latest.period == period else { return nil }
            let visible = ordered.filter { !$0.isSuppressed }
            let signals = TrendSignals.signals(visible)
            self.init(school: latest.school, group: latest.group, metric: latest.metric, ambition: latest.ambition,
                      floor: latest.metric.hasInspectionFloor ? latest.inspectionThreshold : nil, direction: signals.direction,
                      underAmbition: signals.underAmbition, underFloor: signals.underFloor, visible: !visible.isEmpty,
                      latestSuppressed: latest.isSuppressed, interpretation: visible.last?.interpretation ?? "",
                      points: ordered.map { figure in
                          PackedPoints.Point(period: figure.period.description,
                                             value: ownSchool ? figure.value : (figure.isSuppressed ? nil : figure.value), band: figure.band)
                      })
        }

        /// The series' own signals, when the board may count them.
        var shownSignals: SeriesSignals? {
            visible ? SeriesSignals(direction: direction, underAmbition: underAmbition, underFloor: underFloor) : nil
        }

        func series(_ key: SeriesKey) -> Series {
            Series(school: key.school, group: key.group, metric: metric.rawValue, metricLabel: metric.label, ambition: ambition, floor: floor,
                   points: points.map { point in
                       if let value = point.value {
                           Point(period: point.period, value: value, pupilsBand: point.band.label, display: metric.format(value), suppressed: false)
                       } else {
                           Point(period: point.period, value: nil, pupilsBand: point.band.label,
                                 display: point.band == .under10 ? "< \(TrendSignals.minimumPupils)" : "afgeschermd", suppressed: true)
                       }
                   },
                   direction: direction.rawValue, underAmbition: latestSuppressed ? nil : underAmbition,
                   underFloor: latestSuppressed ? nil : underFloor, interpretation: interpretation)
        }
    }

    /// Everything of the view but the series.
    static func assemble(store: ReplicaStore, scope: Scope, board: String, schools: [String], period: Period?, subjectArea: SubjectArea?,
                         subjects: [Subject], shownSignals: [SeriesKey: SeriesSignals]) throws(KCError) -> BoardReport {
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

    /// The columns ``figure(_:period:)`` reads, in its order.
    static let figureColumns = """
        id, school, subjectArea, period, "group", metric, value, pupilsBand, ambition, inspectionThreshold,
        nationalAverage, interpretation, actions, suppression, pupils
        """

    /// A figure from a row of ``figureColumns``; nil for a row that is no figure the view can
    /// show (no subject, period, metric or band it knows; no value and no reason it has none).
    static func figure(_ row: Row, period: (String) -> Period?) -> TrendFigure? {
        guard let id = EntityID(bytes: row[0] as Data),
              let area = (row[2] as String?).flatMap(SubjectArea.init(rawValue:)),
              let period = (row[3] as String?).flatMap(period),
              let metric = (row[5] as String?).flatMap(TrendMetric.init(rawValue:)),
              // A board copy carries the band only; the school's own figure its n.
              let band = (row[7] as String?).flatMap(PupilsBand.init(rawValue:)) ?? (row[14] as Int?).map(PupilsBand.init(pupils:))
        else { return nil }
        let suppression = (row[13] as String?).flatMap(Suppression.init(rawValue:))
        let value = row[6] as Double?
        if let value, !value.isFinite { return nil }
        if value == nil && suppression == nil { return nil }
        return TrendFigure(id: id, school: row[1] ?? "", subjectArea: area, period: period, group: row[4] ?? "",
                           metric: metric, value: suppression == nil ? value : nil, pupils: row[14], band: band,
                           suppression: suppression, ambition: row[8], inspectionThreshold: row[9],
                           nationalAverage: row[10], interpretation: row[11] ?? "", actions: row[12] ?? "")
    }

    /// The trend figures of the board scope, read from the materialized columns (one query,
    /// no CRDT decoding: this is what the board's pages run on every request).
    public static func figures(store: ReplicaStore, scope: Scope, subjectArea: SubjectArea? = nil, periods only: [Period]? = nil) throws(KCError) -> [TrendFigure] {
        do {
            return try store.read { db in
                var sql = """
                    SELECT \(figureColumns)
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
                func period(_ text: String) -> Period? {
                    if let known = periods[text] { return known }
                    let parsed = Period(text)
                    periods[text] = parsed
                    return parsed
                }
                let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
                while let row = try rows.next() {
                    if let figure = figure(row, period: period) { out.append(figure) }
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
                guard let scopeID = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM scope WHERE name = ?"), arguments: [scope.name]) else { return [] }
                return try periods(db, scopeID: scopeID)
            }
        } catch {
            throw KCError.engine(error, doing: "de perioden te lezen")
        }
    }

    /// The subjects with figures in the scope, one seek each through the board's trend index.
    public static func subjectAreas(store: ReplicaStore, scope: Scope) throws(KCError) -> [SubjectArea] {
        do {
            return try store.read { db in
                try SubjectArea.allCases.filter { area in
                    try Bool.fetchOne(db.cachedStatement(sql: """
                        SELECT EXISTS (SELECT 1 FROM "record_trendAnalysis" WHERE scope = (SELECT id FROM scope WHERE name = ?) AND subjectArea = ? AND deleted = 0)
                        """), arguments: [scope.name, area.rawValue]) == true
                }
            }
        } catch {
            throw KCError.engine(error, doing: "de vakgebieden te lezen")
        }
    }

    /// The periods of a scope's figures, in time order.
    static func periods(_ db: Database, scopeID: Int64) throws -> [Period] {
        // Period by period through the index (a few dozen seeks), not a scan of every figure.
        try String.fetchAll(db.cachedStatement(sql: """
            WITH RECURSIVE p(period) AS (
                SELECT MIN(period) FROM "record_trendAnalysis" WHERE scope = ?1 AND deleted = 0
                UNION ALL
                SELECT (SELECT MIN(period) FROM "record_trendAnalysis" WHERE scope = ?1 AND deleted = 0 AND period > p.period)
                FROM p WHERE p.period IS NOT NULL
            )
            SELECT period FROM p WHERE period IS NOT NULL
            """), arguments: [scopeID]).compactMap(Period.init).sorted()
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
