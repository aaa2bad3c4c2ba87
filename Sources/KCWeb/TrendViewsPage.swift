public import KCModel

/// The three views as a page part (`{{> weergave}}`), the same at school and at the board: a
/// form that chooses view, subject, metric, moment and group (GET, so a view has an address),
/// and the table it gives.
public enum WebTrendViews {
    public struct Option: Sendable { public var value: String; public var label: String; public var selected: Bool }
    public struct Row: Sendable { public var cells: [String] }
    public struct Model: Sendable {
        public var views: [Option]; public var areas: [Option]; public var metrics: [Option]; public var periods: [Option]; public var groups: [Option]
        public var title: String; public var header: [String]; public var rows: [Row]; public var hasRows: Bool
        public var action: String
    }

    /// The view `query` asks for (`weergave`, `vakgebied`, `maat`, `periode`, `groep`) over `figures`.
    public static func model(_ figures: [TrendFigure], query: (String) -> String?, action: String, showSchool: Bool) -> Model {
        model(areas: SubjectArea.allCases.filter { area in figures.contains { $0.subjectArea == area } },
              figuresOf: { area in figures.filter { $0.subjectArea == area } }, query: query, action: action, showSchool: showSchool)
    }

    /// The same, reading only the figures of the one subject shown: `areas` are the subjects
    /// with figures, `figuresOf` gives one subject's (every view is of one subject; the board
    /// has hundreds of thousands of figures and reads a quarter of them or less).
    public static func model<E: Error>(areas: [SubjectArea], figuresOf: (SubjectArea) throws(E) -> [TrendFigure], query: (String) -> String?,
                                       action: String, showSchool: Bool) throws(E) -> Model {
        let kind = query("weergave").flatMap(TrendViewKind.init(rawValue:)) ?? .crossSection
        let area = query("vakgebied").flatMap(SubjectArea.init(rawValue:)).flatMap { areas.contains($0) ? $0 : nil } ?? areas.first ?? .arithmetic
        let ofArea = areas.contains(area) ? try figuresOf(area) : []
        let figures = ofArea
        let metrics = TrendMetric.allCases.filter { metric in ofArea.contains { $0.metric == metric } }
        let metric = query("maat").flatMap(TrendMetric.init(rawValue:)).flatMap { metrics.contains($0) ? $0 : nil } ?? metrics.first ?? .percentLevelIandII
        let periods = Set(ofArea.map(\.period)).sorted()
        let period = query("periode").flatMap(Period.typed).flatMap { periods.contains($0) ? $0 : nil } ?? periods.last
        let group = query("groep").flatMap { Int($0) }.flatMap { (1...8).contains($0) ? $0 : nil } ?? 8
        var title = ""
        var header: [String] = []
        var rows: [Row] = []
        let lead = showSchool ? ["School"] : []
        switch kind {
        case .trendAnalysis:
            let table = TrendViews.trendAnalysis(figures, area: area, metric: metric)
            title = "Trendanalyse: \(area.label), \(metric.label), per jaargroep over de jaren"
            header = lead + ["Groep"] + table.periods.map(\.description)
            rows = table.rows.map { Row(cells: (showSchool ? [$0.school] : []) + [$0.group] + $0.cells.map(\.display)) }
        case .crossSection:
            if let period {
                let table = TrendViews.crossSection(figures, area: area, period: period)
                title = "Dwarsdoorsnede: \(area.label), alle groepen in \(period)"
                header = lead + ["Groep"] + table.metrics.map(\.label)
                rows = table.rows.map { Row(cells: (showSchool ? [$0.school] : []) + [$0.group] + $0.cells.map(\.display)) }
            }
        case .cohort:
            if let period {
                let table = TrendViews.cohort(figures, area: area, metric: metric, group: group, period: period)
                title = "Leergroei: \(area.label), \(metric.label), het cohort dat in \(period) in groep \(group) zit"
                header = lead + table.steps.map { "groep \($0.group) · \($0.period)" }
                rows = table.rows.map { Row(cells: (showSchool ? [$0.school] : []) + $0.cells.map(\.display)) }
            }
        }
        return Model(
            views: TrendViewKind.allCases.map { Option(value: $0.rawValue, label: $0.label, selected: $0 == kind) },
            areas: areas.map { Option(value: $0.rawValue, label: $0.label, selected: $0 == area) },
            metrics: metrics.map { Option(value: $0.rawValue, label: $0.label, selected: $0 == metric) },
            periods: periods.reversed().map { Option(value: $0.description, label: $0.description, selected: $0 == period) },
            groups: (1...8).map { Option(value: String($0), label: "groep \($0)", selected: $0 == group) },
            title: title, header: header, rows: rows, hasRows: !rows.isEmpty, action: action)
    }

    /// The form and the table; the view has `weergave` (a ``Model``).
    static let partial = """
        {{#weergave}}
        <form method="get" action="{{action}}" class="filters" aria-label="Weergave kiezen">
        <div><label for="weergave">Weergave</label><select id="weergave" name="weergave">{{#views}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/views}}</select></div>
        <div><label for="w-vakgebied">Vakgebied</label><select id="w-vakgebied" name="vakgebied">{{#areas}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/areas}}</select></div>
        <div><label for="w-maat">Maat</label><select id="w-maat" name="maat">{{#metrics}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/metrics}}</select></div>
        <div><label for="w-periode">Toetsmoment</label><select id="w-periode" name="periode">{{#periods}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/periods}}</select></div>
        <div><label for="w-groep">Groep (leergroei)</label><select id="w-groep" name="groep">{{#groups}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/groups}}</select></div>
        <div><button type="submit" id="weergave-tonen">Tonen</button></div>
        </form>
        {{#hasRows}}<table><caption>{{title}}</caption><thead><tr>{{#header}}<th scope="col">{{.}}</th>{{/header}}</tr></thead><tbody>
        {{#rows}}<tr>{{#cells}}<td>{{.}}</td>{{/cells}}</tr>{{/rows}}
        </tbody></table>{{/hasRows}}
        {{^hasRows}}<p>Geen cijfers voor deze keuze.</p>{{/hasRows}}
        {{/weergave}}
        """
}
