/// The three ways kc'ers look at trend figures (DOMAIN.md):
///
/// - **trendanalyse**: one jaargroep over the years (groep 6 in 2023, 2024, 2025: different
///   pupils each year, the same place in the school);
/// - **dwarsdoorsnede**: every group at one toetsmoment;
/// - **leergroei**: one cohort followed through the groups (groep 6 in 2023-2024, groep 7 in
///   2024-2025, groep 8 in 2025-2026).
///
/// They read figures as they are where they are read: a school's own (with n) or the board's
/// copies (a band for n, no value for a small cell or a revealing one, which shows as such).
public enum TrendViewKind: String, CaseIterable, Sendable {
    case trendAnalysis = "trendanalyse"
    case crossSection = "dwarsdoorsnede"
    case cohort = "leergroei"

    public var label: String {
        switch self {
        case .trendAnalysis: "Trendanalyse (één jaargroep over de jaren)"
        case .crossSection: "Dwarsdoorsnede (alle groepen op één moment)"
        case .cohort: "Leergroei (één cohort door de groepen)"
        }
    }
}

/// One cell of a view.
public struct TrendCell: Sendable, Equatable {
    public var period: Period
    public var group: String
    /// Nil when the figure is not there or its value is not shown here.
    public var value: Double?
    /// As a kc'er reads it: "47,1%", "< 10", "afgeschermd", "–".
    public var display: String
}

public enum TrendViews {
    /// Row keys `school|group` by school, then by group as a number.
    static func ordered(_ keys: some Collection<String>) -> [String] {
        keys.sorted { a, b in
            let (x, y) = (a.split(separator: "|"), b.split(separator: "|"))
            return (x[0], Int(x[1]) ?? 0) < (y[0], Int(y[1]) ?? 0)
        }
    }

    static func cell(_ figure: TrendFigure?, period: Period, group: String) -> TrendCell {
        guard let figure else { return TrendCell(period: period, group: group, value: nil, display: "–") }
        if let value = figure.value, figure.suppression == nil, figure.pupils != nil || figure.band != .under10 {
            return TrendCell(period: period, group: group, value: value, display: figure.metric.format(value))
        }
        return TrendCell(period: period, group: group, value: nil, display: figure.band == .under10 ? "< \(TrendSignals.minimumPupils)" : "afgeschermd")
    }

    /// Trendanalyse: per school and group, the figures of one subject and metric over `periods`.
    public static func trendAnalysis(_ figures: [TrendFigure], area: SubjectArea, metric: TrendMetric, moment: Period.Moment? = nil)
        -> (periods: [Period], rows: [(school: String, group: String, cells: [TrendCell])]) {
        let chosen = figures.filter { $0.subjectArea == area && $0.metric == metric && (moment == nil || $0.period.moment == moment) && !$0.group.contains("-") }
        let periods = Set(chosen.map(\.period)).sorted()
        let byRow = Dictionary(grouping: chosen) { "\($0.school)|\($0.group)" }
        let rows = ordered(byRow.keys).map { key -> (school: String, group: String, cells: [TrendCell]) in
            let parts = key.split(separator: "|").map(String.init)
            let byPeriod = Dictionary(byRow[key]!.map { ($0.period, $0) }, uniquingKeysWith: { a, _ in a })
            return (parts[0], parts[1], periods.map { cell(byPeriod[$0], period: $0, group: parts[1]) })
        }
        return (periods, rows)
    }

    /// Dwarsdoorsnede: at `period`, per school every group 1–8 of one subject, one cell per metric.
    public static func crossSection(_ figures: [TrendFigure], area: SubjectArea, period: Period)
        -> (metrics: [TrendMetric], rows: [(school: String, group: String, cells: [TrendCell])]) {
        let chosen = figures.filter { $0.subjectArea == area && $0.period == period && TrendDraft.isValidGroup($0.group) && !$0.group.contains("-") }
        let metrics = TrendMetric.allCases.filter { metric in chosen.contains { $0.metric == metric } }
        let byRow = Dictionary(grouping: chosen) { "\($0.school)|\($0.group)" }
        let rows = ordered(byRow.keys).map { key -> (school: String, group: String, cells: [TrendCell]) in
            let parts = key.split(separator: "|").map(String.init)
            let byMetric = Dictionary(byRow[key]!.map { ($0.metric, $0) }, uniquingKeysWith: { a, _ in a })
            return (parts[0], parts[1], metrics.map { cell(byMetric[$0], period: period, group: parts[1]) })
        }
        return (metrics, rows)
    }

    /// Leergroei: the cohort that is in groep `group` at `period`, followed back through the
    /// earlier groups (one group lower per school year, the same toetsmoment or both), per school.
    public static func cohort(_ figures: [TrendFigure], area: SubjectArea, metric: TrendMetric, group: Int, period: Period)
        -> (steps: [(period: Period, group: String)], rows: [(school: String, cells: [TrendCell])]) {
        var steps: [(period: Period, group: String)] = []
        for back in stride(from: group - 1, through: 0, by: -1) {
            let year = period.startYear - (group - 1 - back)
            let g = back + 1
            for moment in [Period.Moment.end, .mid] {
                let step = Period(startYear: year, moment: moment)
                if step <= period { steps.append((step, String(g))) }
            }
        }
        steps.sort { $0.period < $1.period }
        let chosen = figures.filter { $0.subjectArea == area && $0.metric == metric }
        let index = Dictionary(chosen.map { ("\($0.school)|\($0.period)|\($0.group)", $0) }, uniquingKeysWith: { a, _ in a })
        let schools = Set(chosen.map(\.school)).sorted()
        // Only the steps some school has a figure for.
        let present = steps.filter { step in schools.contains { index["\($0)|\(step.period)|\(step.group)"] != nil } }
        let rows = schools.map { school in
            (school, present.map { cell(index["\(school)|\($0.period)|\($0.group)"], period: $0.period, group: $0.group) })
        }.filter { $0.1.contains { $0.display != "–" } }
        return (present, rows)
    }
}
