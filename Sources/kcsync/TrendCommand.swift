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
        subcommands: [Add.self, Import.self, List.self, Inspection.self, ViewCommand.self]
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
        @Option(help: "pct-1F, pct-2F1S, pct-niveau-I-II, abilityGrowth or meanAbility.") var metric: String
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
            abstract: "Lees trendcijfers in (alles of niets): kcsync's eigen CSV, of een export van het leerlingvolgsysteem (per leerling of per groep; CSV, XLSX of ODS).",
            discussion: """
                kcsync's own columns: school, subject-area, period, group, metric, value, n, ambition, floor, national-average, duiding, actions (Dutch names work too); see Examples/trends.csv.
                Any other file is read as an LVS export. The first time a source is seen kcsync proposes which column is what and asks; the answer is kept per source. Pupil rows are counted into group figures and never stored. Roles for --map: \(LVSRole.allCases.map(\.rawValue).joined(separator: ", ")).
                """)

        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The file: CSV, XLSX or ODS.") var file: String
        @Flag(help: "Keep the figures at school (default: share the aggregates with the board).") var noShare = false
        @Option(help: "The name of the export's source (e.g. cito), to keep its column mapping under; by default the columns themselves identify it.") var source: String?
        @Option(help: "Which column is what, as \"COLUMN=ROLE\" (repeatable); kept for the source.") var map: [String] = []
        @Option(help: "The subject area of the whole file, when it has no subject column.") var subjectArea: String?
        @Option(help: "The school year of the whole file (e.g. 2025-2026), when neither a year nor a date column says it.") var schoolYear: String?
        @Flag(help: "Only show the group figures the file gives; write nothing.") var preview = false
        @Flag(help: "Accept the proposed column mapping without asking.") var yes = false

        func run() throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("Het bestand \(file) kan niet worden gelezen.")
            }
            try reporting {
                let replica = try options.open()
                switch try TrendFile.read(data) {
                case .kcsync(let text):
                    let figures = try replica.importTrends(csv: text, share: !noShare)
                    report(figures)
                case .export(let rows, let header, let fingerprint):
                    let source = self.source ?? fingerprint
                    var mapping: LVSMapping
                    var fresh = false
                    if !map.isEmpty {
                        mapping = LVSMapping(columns: Dictionary(header.map { ($0, LVSRole.ignore) }, uniquingKeysWith: { a, _ in a }))
                        for item in map {
                            guard let split = item.lastIndex(of: "="), let role = LVSRole(rawValue: item[item.index(after: split)...].trimmingCharacters(in: .whitespaces).lowercased())
                                    ?? LVSRole.allCases.first(where: { $0.rawValue.lowercased() == item[item.index(after: split)...].trimmingCharacters(in: .whitespaces).lowercased() }) else {
                                throw KCError(.invalidInput, "--map '\(item)': schrijf KOLOM=ROL, met een rol uit: \(LVSRole.allCases.map(\.rawValue).joined(separator: ", ")).")
                            }
                            let column = item[..<split].trimmingCharacters(in: .whitespaces)
                            guard header.contains(column) else { throw KCError(.invalidInput, "--map: het bestand heeft geen kolom '\(column)'; de kolommen zijn: \(header.joined(separator: ", ")).") }
                            mapping.columns[column] = role
                        }
                    } else if let saved = replica.lvsMapping(source: source) {
                        mapping = saved
                    } else {
                        mapping = LVSExport.propose(header)
                        fresh = true
                    }
                    if let subjectArea { mapping.subjectArea = try parseSubjectArea(subjectArea) }
                    if let schoolYear {
                        guard let year = Period.typed(schoolYear + " M")?.startYear else { throw KCError(.invalidInput, "--school-year '\(schoolYear)': schrijf bijvoorbeeld 2025-2026.") }
                        mapping.schoolYear = year
                    }
                    if fresh || preview {
                        say("Kolommen van dit bestand en wat kcsync ervan maakt\(fresh ? " (voorstel)" : ""):")
                        for column in header where !column.isEmpty { say("  \(column) → \(mapping.columns[column]?.label ?? LVSRole.ignore.label)") }
                    }
                    let summary: LVSExport.Summary
                    do { summary = try replica.previewExport(rows, mapping: mapping) } catch {
                        if fresh {
                            say("Geef de indeling op met --map \"KOLOM=ROL\" (rollen: \(LVSRole.allCases.map(\.rawValue).joined(separator: ", "))).")
                        }
                        throw error
                    }
                    if fresh || preview {
                        say("\(summary.pupilRows > 0 ? "\(summary.pupilRows) leerlingrijen worden " : "Dit wordt ")\(summary.drafts.count) groepscijfers (leerlingrijen worden niet bewaard):")
                        for draft in summary.drafts.prefix(preview ? 1_000 : 12) {
                            say("  \(draft.period)  \(draft.subjectArea.label), groep \(draft.group), \(draft.metric.label): \(draft.metric.format(draft.value)) (n=\(draft.pupils))")
                        }
                        if !preview && summary.drafts.count > 12 { say("  … en \(summary.drafts.count - 12) meer (alles zien: --preview)") }
                    }
                    if preview { return }
                    if fresh && !yes {
                        guard isatty(STDIN_FILENO) == 1 else {
                            throw KCError(.invalidInput, "Dit is een nieuwe bron; er is niets opgeslagen. Klopt het voorstel, herhaal dan met --yes; anders geef de indeling met --map \"KOLOM=ROL\".")
                        }
                        print("Klopt deze indeling? Dan onthoudt kcsync hem voor deze bron. [j/N] ", terminator: "")
                        guard let answer = readLine()?.lowercased(), ["j", "ja", "y", "yes"].contains(answer) else {
                            print("Niets opgeslagen. Geef de indeling met --map \"KOLOM=ROL\".")
                            return
                        }
                    }
                    let figures = try replica.importExport(rows, mapping: mapping, share: !noShare)
                    try replica.saveLVSMapping(mapping, source: source)
                    report(figures, pupils: summary.pupilRows)
                }
            }
        }

        /// A line for the person at the terminal (not in --json output).
        func say(_ line: String) { if !options.json { print(line) } }

        func report(_ figures: [TrendFigure], pupils: Int = 0) {
            if options.json { try? printJSON(figures.map(TrendView.init)); return }
            let counted = pupils > 0 ? " (geteld uit \(pupils) leerlingrijen; die zijn niet bewaard)" : ""
            print("\(figures.count) trendcijfer(s) ingelezen uit \(file)\(counted)\(noShare ? "" : " en gedeeld met het bestuur").")
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

extension TrendCommand {
    /// `kcsync trend view trendanalyse|dwarsdoorsnede|leergroei`: at a school its own figures,
    /// at the board (a board's --data) every school's shared ones, small cells as "< 10".
    struct ViewCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "view", abstract: "Bekijk de trendcijfers als trendanalyse (één jaargroep over de jaren), dwarsdoorsnede (alle groepen op één moment) of leergroei (één cohort door de groepen).")
        @OptionGroup var options: ReplicaOptions
        @Argument(help: "trendanalyse, dwarsdoorsnede or leergroei.") var kind: String
        @Option(help: "The subject area.") var subjectArea: String
        @Option(help: "The metric (trendanalyse and leergroei; default pct-niveau-I-II).") var metric: String?
        @Option(help: "The toetsmoment (dwarsdoorsnede: which one; leergroei: where the cohort ends; default the latest).") var period: String?
        @Option(help: "Leergroei: the group the cohort is in at --period (default 8).") var group: Int = 8

        func run() throws {
            guard let view = TrendViewKind(rawValue: kind.lowercased()) else {
                throw ValidationError("'\(kind)': kies trendanalyse, dwarsdoorsnede of leergroei.")
            }
            let area = try parseSubjectArea(subjectArea)
            let metric = try metric.map(TrendCommand.parseMetric) ?? .percentLevelIandII
            let asked = try period.map(parsePeriod)
            guard (1...8).contains(group) else { throw ValidationError("--group: 1 tot en met 8.") }
            try reporting {
                let figures: [TrendFigure]
                if BoardReplica.isBoardDirectory(options.directory) {
                    let board = try BoardReplica.open(directory: options.directory)
                    figures = try BoardReport.figures(store: board.store, scope: board.scope)
                } else {
                    figures = try options.open().trends()
                }
                let latest = asked ?? figures.filter { $0.subjectArea == area }.map(\.period).max()
                switch view {
                case .trendAnalysis:
                    let table = TrendViews.trendAnalysis(figures, area: area, metric: metric)
                    print("Trendanalyse \(area.label), \(metric.label): per jaargroep over de jaren")
                    print(TrendCommand.table(header: ["school", "groep"] + table.periods.map(\.description),
                                             rows: table.rows.map { [$0.school, $0.group] + $0.cells.map(\.display) }))
                case .crossSection:
                    guard let latest else { print("Nog geen cijfers voor \(area.label)."); return }
                    let table = TrendViews.crossSection(figures, area: area, period: latest)
                    print("Dwarsdoorsnede \(area.label), \(latest): alle groepen")
                    print(TrendCommand.table(header: ["school", "groep"] + table.metrics.map(\.label),
                                             rows: table.rows.map { [$0.school, $0.group] + $0.cells.map(\.display) }))
                case .cohort:
                    guard let latest else { print("Nog geen cijfers voor \(area.label)."); return }
                    let table = TrendViews.cohort(figures, area: area, metric: metric, group: group, period: latest)
                    print("Leergroei \(area.label), \(metric.label): het cohort dat in \(latest) in groep \(group) zit")
                    print(TrendCommand.table(header: ["school"] + table.steps.map { "groep \($0.group) \($0.period)" },
                                             rows: table.rows.map { [$0.school] + $0.cells.map(\.display) }))
                }
            }
        }
    }

    /// Columns padded to their widest cell.
    static func table(header: [String], rows: [[String]]) -> String {
        guard !rows.isEmpty else { return "  (geen cijfers)" }
        let widths = header.indices.map { column in ([header] + rows).map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return ([header] + rows).map { row in
            "  " + row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }.joined(separator: "\n")
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
