public import KCModel
public import KCReplica

/// The Inspectie's judgment as the school's and the board's pages show it: one partial
/// (`{{> inspectie}}` with `inspection` rows in the view), one row per school and indicator.
public enum WebInspection {
    /// One school × indicator.
    public struct Row: Sendable {
        public var school: String
        public var indicator: String
        public var value: String
        public var threshold: String
        public var outcome: String
        /// "onder" for the badge of a value below.
        public var below: Bool
        public var margin: String
        public var published: String
        public var similar: String
        public var weight: String
        public var note: String?
        /// The indicator per school year as a chart, where the years are known (at the school).
        public var chart: String?
    }

    /// The rows of `schools`, in their order, 1F before 1S/2F.
    public static func rows(_ schools: [BoardReport.SchoolInspection]) -> [Row] {
        schools.flatMap { school in
            school.indicators.map { item in
                let withheld = item.withheld ? "afgeschermd (een jaar onder 10 leerlingen)" : nil
                var note: String?
                if item.judgedOn == "inspectie" { note = "oordeel op het cijfer van de inspectie: de school deelde het hare niet" }
                if item.complete == false { note = [note, "niet elk jaar met alle drie de vakken"].compactMap { $0 }.joined(separator: "; ") }
                return Row(
                    school: school.name.map { "\(school.school) \($0)" } ?? school.school,
                    indicator: "% \(item.indicator)",
                    value: item.value.map(InspectionModel.percent) ?? withheld ?? "–",
                    threshold: item.threshold.map(InspectionModel.percent) ?? "onbekend",
                    outcome: item.outcome ?? "–", below: item.outcome == InspectionOutcome.below.rawValue,
                    margin: item.margin.map(InspectionModel.describeMargin) ?? "–",
                    published: item.inspectiePublished.map { InspectionModel.percent($0) + (item.inspectieOutcome.map { " (\($0.lowercased()))" } ?? "") } ?? "–",
                    similar: item.similarSchools.map(InspectionModel.percent) ?? "–",
                    weight: school.schoolWeight.map { TrendMetric.abilityGrowth.format($0) + (school.weightCategory.map { " \($0)" } ?? "") } ?? "–",
                    note: note, chart: nil)
            }
        }
    }

    /// The rows of a school's own indicators, each with its chart per school year: the yearly
    /// values, the signaleringswaarde and the similar schools' average as a comparison line.
    public static func rows(_ school: BoardReport.SchoolInspection, results: [IndicatorResult]) -> [Row] {
        let byIndicator = Dictionary(results.map { ($0.indicator.rawValue, $0) }, uniquingKeysWith: { a, _ in a })
        return zip(school.indicators, rows([school])).map { item, row in
            var row = row
            if let result = byIndicator[item.indicator], result.years.count > 1 {
                let metric = result.indicator.metric
                let years = result.years.map(\.schoolYear)
                let series = BoardReport.Series(
                    school: school.school, group: InspectionModel.group, metric: metric.rawValue, metricLabel: result.indicator.label, ambition: nil,
                    floor: result.threshold,
                    points: result.years.map { BoardReport.Point(period: $0.schoolYear, value: $0.value, pupilsBand: "", display: InspectionModel.percent($0.value), suppressed: false) },
                    direction: TrendSignals.direction(result.years.map(\.value)).rawValue, underAmbition: nil, underFloor: nil, interpretation: "")
                let similar = item.similarSchools.map { value in Dictionary(years.map { ($0, value...value) }, uniquingKeysWith: { a, _ in a }) } ?? [:]
                row.chart = WebCharts.sparkline(series, periods: years, comparison: similar, comparisonName: "vergelijkbare scholen", width: 180, height: 48)
            }
            return row
        }
    }

    /// The table; the view has `inspection` (``Row``s) and `hasInspection`.
    static let partial = """
        {{#hasInspection}}
        <div class="breed" tabindex="0" role="region" aria-label="De indicatoren van de inspectie"><table><caption>Groep 8: lezen, taalverzorging en rekenen samen, gewogen over de laatste drie schooljaren</caption>
        <thead><tr><th scope="col">School</th><th scope="col">Indicator</th><th scope="col">Waarde</th><th scope="col">Signalerings&shy;waarde</th><th scope="col">Oordeel</th><th scope="col">Marge</th><th scope="col">Volgens de inspectie</th><th scope="col">Vergelijkbare scholen</th><th scope="col">Schoolweging</th></tr></thead><tbody>
        {{#inspection}}<tr><td>{{school}}</td><td>{{indicator}}</td><td class="getal">{{value}}</td><td class="getal">{{threshold}}</td><td>{{#below}}<span class="label onder">{{outcome}}</span>{{/below}}{{^below}}{{outcome}}{{/below}}</td><td class="getal">{{margin}}</td><td class="getal">{{published}}</td><td class="getal">{{similar}}</td><td>{{weight}}</td></tr>
        {{#note}}<tr><td></td><td colspan="8"><small>{{note}}</small></td></tr>{{/note}}
        {{#chart}}<tr><td></td><td colspan="8">{{{chart}}} <small>per schooljaar; rood de signaleringswaarde, grijs vergelijkbare scholen</small></td></tr>{{/chart}}{{/inspection}}
        </tbody></table></div>
        {{/hasInspection}}
        {{^hasInspection}}<p>Nog geen indicatoren: daarvoor zijn cijfers van groep 8 nodig (% 1F en % 2F/1S in lezen, taalverzorging en rekenen), of het bestand van de inspectie (kcsync board import-inspectie).</p>{{/hasInspection}}
        """
}
