import ArgumentParser
import Foundation
import KCModel
import KCReplica
import SyncCore

/// `kcsync trend …`: the school's half-yearly trend figures (trendanalyses).
struct TrendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trend",
        abstract: "Trendanalyses: de halfjaarlijkse cijfers per vakgebied, periode, groep en maat.",
        subcommands: [Add.self, Import.self, List.self, Inspection.self]
    )

    /// The Inspectie's two indicators as lines a kc'er reads, with the Inspectie's own figures
    /// and those of similar schools where the board sent its file.
    static func describeIndicators(_ results: [IndicatorResult], profile: InspectionProfile?, thresholdSource: String?) -> [String] {
        guard results.contains(where: { $0.value != nil }) else { return [] }
        var lines = ["Inspectie-indicatoren (groep 8; lezen, taalverzorging en rekenen samen; gewogen driejaarsgemiddelde):"]
        for result in results {
            var line = "  \(result.indicator.label): \(InspectionModel.describe(result))"
            if let outcome = result.outcome, let threshold = result.threshold, let margin = result.margin {
                let source = result.indicator == .percent1F ? "voor elke school" : thresholdSource ?? ""
                line += " – \(outcome.rawValue) (\(InspectionModel.percent(threshold)), \(source)): \(InspectionModel.describeMargin(margin))"
            } else if result.value != nil {
                line += " – geen signaleringswaarde bekend (die komt met het bestand van de inspectie van het bestuur, of: kcsync config floor-2f1s)"
            }
            lines.append(line)
            var extra: [String] = []
            if let published = profile?.published(result.indicator) {
                extra.append("volgens de inspectie \(InspectionModel.percent(published))\(profile?.outcome(result.indicator).map { " (\($0))" } ?? "")")
            }
            if let similar = profile?.similar(result.indicator), let category = profile?.weightCategory {
                extra.append("vergelijkbare scholen (schoolweging \(category)): \(InspectionModel.percent(similar))")
            }
            if !extra.isEmpty { lines.append("    " + extra.joined(separator: " · ")) }
        }
        return lines
    }

    static func describe(_ figure: TrendFigure, withheld: Suppression? = nil) -> String {
        let value = figure.value.map(figure.metric.format) ?? "–"
        let n = figure.pupils.map(String.init) ?? figure.band.label
        var line = "\(figure.period)  \(figure.subjectArea.label), groep \(figure.group), \(figure.metric.label): \(value) (n=\(n))"
        if let ambition = figure.ambition { line += "  ambitie \(figure.metric.format(ambition))" }
        if let floor = figure.inspectionThreshold { line += "  norm \(figure.metric.format(floor))" }
        switch (figure.boardCopy != nil, withheld) {
        case (true, .smallCell?): line += "  [gedeeld met bestuur zonder waarde en n: minder dan 10 leerlingen]"
        case (true, .complementary?): line += "  [gedeeld met bestuur zonder waarde: zou een cijfer onder 10 leerlingen verraden]"
        case (true, nil): line += "  [gedeeld met bestuur]"
        default: break
        }
        return line
    }

    static func parseMetric(_ text: String) throws -> TrendMetric {
        if let metric = TrendMetric(parsing: text) { return metric }
        throw ValidationError("--metric: '\(text)' is geen maat; kies uit \(TrendMetric.allCases.map(\.rawValue).joined(separator: ", ")).")
    }

    static func parseNumber(_ text: String?, option: String) throws -> Double? {
        guard let text else { return nil }
        guard let value = TrendCSV.number(text) else {
            throw ValidationError("\(option): '\(text)' is geen getal.")
        }
        return value
    }
}

extension TrendCommand {
    /// `kcsync trend add`.
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Leg één trendcijfer vast (en deel het met het bestuur).")

        @OptionGroup var options: ReplicaOptions
        @Option(help: "rekenen, begrijpend-lezen, technisch-lezen, spelling, taalverzorging or sociaal-emotioneel.") var subjectArea: String
        @Option(help: "The toetsmoment, e.g. \"2025-2026 M\".") var period: String
        @Option(help: "The group (1-8) or a cohort such as 6-7.") var group: String
        @Option(help: "pct-1F, pct-2F1S, pct-niveau-I-II or abilityGrowth.") var metric: String
        @Option(help: "The value (a percentage for pct-…).") var value: String
        @Option(help: "How many pupils the value is over.") var n: Int
        @Option(help: "The school's ambitie for this figure.") var ambition: String?
        @Option(help: "The Inspectorate's floor, if not the default (1F: 85; 2F/1S: config floor-2f1s).") var floor: String?
        @Option(help: "The national average, if known.") var nationalAverage: String?
        @Option(help: "The leerteam's duiding.") var duiding: String?
        @Option(help: "The intended actions.") var actions: String?
        @Flag(help: "Keep the figure at school (default: share the aggregate with the board).") var noShare = false

        func run() throws {
            var draft = TrendDraft(subjectArea: try parseSubjectArea(subjectArea), period: try parsePeriod(period), group: group,
                                   metric: try TrendCommand.parseMetric(metric),
                                   value: try TrendCommand.parseNumber(value, option: "--value")!, pupils: n)
            draft.ambition = try TrendCommand.parseNumber(ambition, option: "--ambition")
            draft.inspectionThreshold = try TrendCommand.parseNumber(floor, option: "--floor")
            draft.nationalAverage = try TrendCommand.parseNumber(nationalAverage, option: "--national-average")
            draft.interpretation = duiding ?? ""
            draft.actions = actions ?? ""
            try reporting {
                let figure = try options.open().addTrends([draft], share: !noShare)[0]
                if options.json { try printJSON(TrendView(figure)) } else { print("Trendcijfer opgeslagen: \(TrendCommand.describe(figure))") }
            }
        }
    }

    /// `kcsync trend import FILE.csv`.
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lees trendcijfers in uit een CSV-bestand (alles of niets).",
            discussion: "Columns: school, subject-area, period, group, metric, value, n, ambition, floor, national-average, duiding, actions (Dutch names work too). See the README and Examples/trends.csv.")

        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The CSV file.") var file: String
        @Flag(help: "Keep the figures at school (default: share the aggregates with the board).") var noShare = false

        func run() throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("Het bestand \(file) kan niet worden gelezen.")
            }
            let text: String
            do { text = try TrendCSV.text(of: data) } catch {
                FileHandle.standardError.write(Data("kcsync: \(file) is niet ingelezen: \(error.errors.map(\.message).joined(separator: "; ")).\n".utf8))
                throw ExitCode(1)
            }
            try reporting {
                let figures = try options.open().importTrends(csv: text, share: !noShare)
                if options.json { try printJSON(figures.map(TrendView.init)) } else {
                    print("\(figures.count) trendcijfer(s) ingelezen uit \(file)\(noShare ? "" : " en gedeeld met het bestuur").")
                }
            }
        }
    }

    /// `kcsync trend list`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Toon de trendcijfers van deze school met hun signalen.")

        @OptionGroup var options: ReplicaOptions
        @Option(help: "Only this subject area.") var subjectArea: String?

        func run() throws {
            let area = try subjectArea.map(parseSubjectArea)
            try reporting {
                let replica = try options.open()
                let all = try replica.trends()
                let withheld = TrendSuppression.withheld(all)
                let figures = all.filter { area == nil || $0.subjectArea == area }
                if options.json { try printJSON(figures.map(TrendView.init)); return }
                if figures.isEmpty { print("Nog geen trendcijfers. Voeg ze toe met 'kcsync trend add' of 'kcsync trend import'."); return }
                let indicators = TrendCommand.describeIndicators(try replica.inspectionIndicators(), profile: replica.inspectionProfile(),
                                                                 thresholdSource: replica.threshold1S2F?.source)
                if !indicators.isEmpty { print(indicators.joined(separator: "\n") + "\n") }
                print("Eigen analyse per vak, groep en periode (geen oordeel van de inspectie):")
                for (key, series) in Dictionary(grouping: figures, by: \.series).sorted(by: { $0.key < $1.key }) {
                    let signals = TrendSignals.signals(series)
                    var flags = [signals.direction.rawValue]
                    if signals.underAmbition == true { flags.append("onder ambitie") }
                    if signals.underFloor == true { flags.append("onder de norm") }
                    print("\(key.subjectArea.label), groep \(key.group), \(key.metric.label): \(flags.joined(separator: ", "))")
                    for figure in series { print("  \(TrendCommand.describe(figure, withheld: withheld[figure.id]))") }
                }
            }
        }
    }
}

extension TrendCommand {
    /// `kcsync trend inspectie`: the Inspectie's indicators alone (and as JSON).
    struct Inspection: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "inspectie", abstract: "De twee indicatoren van de inspectie: % 1F en % 1S/2F, gewogen over drie schooljaren.")
        @OptionGroup var options: ReplicaOptions

        func run() throws {
            try reporting {
                let replica = try options.open()
                let results = try replica.inspectionIndicators()
                let profile = replica.inspectionProfile()
                if options.json {
                    try printJSON(results.map { IndicatorView($0, profile: profile, source: replica.threshold1S2F?.source) })
                    return
                }
                let lines = TrendCommand.describeIndicators(results, profile: profile, thresholdSource: replica.threshold1S2F?.source)
                print(lines.isEmpty ? "Nog geen cijfers van groep 8 voor % 1F of % 2F/1S in lezen, taalverzorging of rekenen." : lines.joined(separator: "\n"))
            }
        }
    }
}

/// An indicator in JSON (stable English keys).
struct IndicatorView: Encodable {
    var indicator: String
    var throughSchoolYear: String
    var value: Double?
    var pupils: Int
    var years: [String]
    var missingYears: [String]
    var threshold: Double?
    var thresholdSource: String?
    var outcome: String?
    var margin: Double?
    var inspectiePublished: Double?
    var similarSchools: Double?

    init(_ result: IndicatorResult, profile: InspectionProfile?, source: String?) {
        indicator = result.indicator.rawValue
        throughSchoolYear = "\(result.throughYear)-\(result.throughYear + 1)"
        value = result.value.map { ($0 * 100).rounded() / 100 }
        pupils = result.pupils
        years = result.years.map(\.schoolYear)
        missingYears = result.missingYears.map { "\($0)-\($0 + 1)" }
        threshold = result.threshold
        thresholdSource = result.indicator == .percent1F ? "inspectie" : source
        outcome = result.outcome.map { $0 == .below ? "below" : "above" }
        margin = result.margin.map { ($0 * 100).rounded() / 100 }
        inspectiePublished = profile?.published(result.indicator)
        similarSchools = profile?.similar(result.indicator)
    }
}

struct TrendView: Encodable {
    var id: String
    var school: String
    var subjectArea: String
    var period: String
    var group: String
    var metric: String
    var value: Double?
    var n: Int?
    var ambition: Double?
    var floor: Double?
    var nationalAverage: Double?
    var duiding: String
    var actions: String
    var shared: Bool

    init(_ figure: TrendFigure) {
        id = figure.id.hex
        school = figure.school
        subjectArea = figure.subjectArea.rawValue
        period = figure.period.description
        group = figure.group
        metric = figure.metric.rawValue
        value = figure.value
        n = figure.pupils
        ambition = figure.ambition
        floor = figure.inspectionThreshold
        nationalAverage = figure.nationalAverage
        duiding = figure.interpretation
        actions = figure.actions
        shared = figure.boardCopy != nil
    }
}
