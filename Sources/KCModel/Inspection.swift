public import SyncCore

/// The Inspectie's two indicators for a school's groep 8 results, as it judges them
/// (onderwijsinspectie.nl, "Hoe zijn de signaleringswaarden bepaald?"; Regeling
/// leerresultaten PO 2020, Stcrt. 2019, 69886, changed by Stcrt. 2023, 27547):
///
/// - each is **combined over lezen, taalverzorging and rekenen**: % of pupils at 1F, and % at
///   the streefniveau (1S for rekenen, 2F for lezen and taalverzorging);
/// - each is a **pupil-weighted average over the last three school years**, Σ pct × n / Σ n;
/// - 1F is judged against 85% for every school; 1S/2F against a value that falls as the
///   schoolweging rises (from the Inspectie's yearly open-data file, or set by hand).
///
/// There are no per-subject signaleringswaarden: the per-subject, per-year series are the
/// school's own analysis and are never called "onder de signaleringswaarde".
public enum InspectionIndicator: String, CaseIterable, Sendable, Codable {
    case percent1F = "1F"
    case percent1S2F = "1S/2F"

    /// The per-subject metric each year's figures are read from.
    public var metric: TrendMetric { self == .percent1F ? .percent1F : .percent2F1S }

    /// "% 1F", "% 1S/2F".
    public var label: String { "% \(rawValue)" }
}

/// Boven or onder de signaleringswaarde.
public enum InspectionOutcome: String, Sendable, Codable {
    case above = "boven de signaleringswaarde"
    case below = "onder de signaleringswaarde"
}

/// One school year's part of an indicator.
public struct IndicatorYear: Sendable, Equatable, Codable {
    /// The calendar year the school year starts in.
    public var startYear: Int
    /// The pupil-weighted % over the subjects of that year.
    public var value: Double
    /// The pupils behind it (the largest n of the year's subjects: one groep 8).
    public var pupils: Int
    /// The subjects that year had figures for.
    public var subjects: [SubjectArea]

    /// `2025-2026`.
    public var schoolYear: String { "\(startYear)-\(startYear + 1)" }
}

/// A school's indicator as the Inspectie computes it.
public struct IndicatorResult: Sendable, Equatable, Codable {
    public var indicator: InspectionIndicator
    /// The last school year of the three.
    public var throughYear: Int
    /// The three-year weighted average (nil: no figure in the window).
    public var value: Double?
    /// The signaleringswaarde (nil: not known for 1S/2F yet).
    public var threshold: Double?
    /// Boven or onder (nil without a value or a threshold).
    public var outcome: InspectionOutcome?
    /// Value minus threshold, in percentage points.
    public var margin: Double?
    /// The years with figures, oldest first.
    public var years: [IndicatorYear]
    /// The years of the window without figures (a missing year is left out of the average).
    public var missingYears: [Int]
    /// Every year of the window has all three subjects.
    public var complete: Bool { missingYears.isEmpty && years.allSatisfy { $0.subjects.count == InspectionModel.subjects.count } }
    /// All pupils behind the value.
    public var pupils: Int { years.reduce(0) { $0 + $1.pupils } }

    public init(indicator: InspectionIndicator, throughYear: Int, value: Double?, threshold: Double?, outcome: InspectionOutcome? = nil,
                margin: Double? = nil, years: [IndicatorYear] = [], missingYears: [Int] = []) {
        self.indicator = indicator
        self.throughYear = throughYear
        self.value = value
        self.threshold = threshold
        self.outcome = outcome
        self.margin = margin
        self.years = years
        self.missingYears = missingYears
    }
}

public enum InspectionModel {
    /// The subjects both indicators combine: lezen (begrijpend lezen), taalverzorging, rekenen.
    public static let subjects: [SubjectArea] = [.readingComprehension, .writing, .arithmetic]
    /// The group the referentieniveaus are measured in.
    public static let group = "8"
    /// How many school years an indicator spans.
    public static let years = 3

    /// Σ value × n / Σ n; nil when there are no pupils.
    public static func weightedAverage(_ points: [(value: Double, pupils: Int)]) -> Double? {
        let total = points.reduce(0) { $0 + $1.pupils }
        guard total > 0 else { return nil }
        return points.reduce(0.0) { $0 + $1.value * Double($1.pupils) } / Double(total)
    }

    /// Both indicators of one school from its own figures (value and n; board copies carry
    /// no n and are not used), through school year `throughYear` (the latest year with a
    /// groep 8 figure when nil). Per subject and year the eind figure is taken, else the
    /// midden one. `threshold1S2F` is the school's 1S/2F signaleringswaarde, if known.
    public static func indicators(_ figures: [TrendFigure], threshold1S2F: Double?, throughYear: Int? = nil) -> [IndicatorResult] {
        let relevant = figures.filter {
            $0.group == group && subjects.contains($0.subjectArea) && $0.value != nil && ($0.pupils ?? 0) > 0
        }
        guard let last = throughYear ?? relevant.filter({ $0.metric.hasInspectionFloor }).map(\.period.startYear).max() else { return [] }
        let window = (last - years + 1)...last
        return InspectionIndicator.allCases.map { indicator in
            // Per year and subject: the latest toetsmoment of that year.
            var chosen: [Int: [SubjectArea: TrendFigure]] = [:]
            for figure in relevant where figure.metric == indicator.metric && window.contains(figure.period.startYear) {
                let year = figure.period.startYear
                if let held = chosen[year]?[figure.subjectArea], held.period > figure.period { continue }
                chosen[year, default: [:]][figure.subjectArea] = figure
            }
            let yearParts: [IndicatorYear] = chosen.keys.sorted().compactMap { year in
                let bySubject = chosen[year]!
                let points = bySubject.values.map { (value: $0.value!, pupils: $0.pupils!) }
                guard let value = weightedAverage(points) else { return nil }
                return IndicatorYear(startYear: year, value: value, pupils: points.map(\.pupils).max() ?? 0,
                                     subjects: subjects.filter { bySubject[$0] != nil })
            }
            // Σ pct × n / Σ n over every subject of every year: a year weighs by its pupils.
            let all = chosen.values.flatMap { $0.values }.map { (value: $0.value!, pupils: $0.pupils!) }
            let value = weightedAverage(all)
            let threshold = indicator == .percent1F ? InspectionFloor.percent1F : threshold1S2F
            return judged(IndicatorResult(indicator: indicator, throughYear: last, value: value, threshold: threshold, outcome: nil, margin: nil,
                                          years: yearParts, missingYears: window.filter { chosen[$0] == nil }))
        }
    }

    /// The result with its outcome and margin from its value and threshold. At the boundary a
    /// school is not below: the Inspectie signals a value under the signaleringswaarde.
    public static func judged(_ result: IndicatorResult) -> IndicatorResult {
        var result = result
        if let value = result.value, let threshold = result.threshold {
            let rounded = (value * 100).rounded() / 100
            result.outcome = rounded < threshold ? .below : .above
            result.margin = rounded - threshold
        } else {
            result.outcome = nil
            result.margin = nil
        }
        return result
    }

    /// "52,0% (2023-2024 t/m 2025-2026, 43 leerlingen)".
    public static func describe(_ result: IndicatorResult) -> String {
        guard let value = result.value else { return "geen groep 8-cijfers in \(result.throughYear - 2)-\(result.throughYear + 1)" }
        let span = "\(result.throughYear - 2)-\(result.throughYear - 1) t/m \(result.throughYear)-\(result.throughYear + 1)"
        var text = "\(percent(value)) (\(span), \(result.pupils) leerlingen)"
        if !result.missingYears.isEmpty {
            text += "; zonder cijfers: \(result.missingYears.map { "\($0)-\($0 + 1)" }.joined(separator: ", "))"
        }
        return text
    }

    /// A percentage with two decimals at most, in Dutch notation (`51,94%`).
    public static func percent(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        var text = hundredths < 0 ? "-" : ""
        let magnitude = abs(hundredths)
        text += String(magnitude / 100)
        let fraction = magnitude % 100
        if fraction != 0 { text += "," + (fraction % 10 == 0 ? String(fraction / 10) : (fraction < 10 ? "0" : "") + String(fraction)) }
        return text + "%"
    }

    /// The margin as a kc'er reads it: "+1,4 procentpunt", "-3,25 procentpunt".
    public static func describeMargin(_ margin: Double) -> String {
        let text = percent(margin).dropLast()
        return (margin >= 0 ? "+" : "") + text + " procentpunt"
    }
}

/// What the board's import of the Inspectie's file says of one school (an
/// `inspectionProfile` record of the board scope).
public struct InspectionProfile: Sendable, Equatable {
    public var id: EntityID
    /// The school's BRIN.
    public var school: String
    public var vestiging: String
    public var name: String
    /// The school year of the file, `2025-2026`.
    public var schoolYear: String?
    public var schoolWeight: Double?
    public var weightCategory: String?
    public var threshold1S2F: Double?
    /// The Inspectie's own weighted three-year averages and outcomes, as its file says.
    public var published1F: Double?
    public var published1S2F: Double?
    public var outcome1F: String?
    public var outcome1S2F: String?
    /// Vergelijkbare scholen: the averages of schools in the same category in the file.
    public var similar1F: Double?
    public var similar1S2F: Double?
    public var similarSchools: Int?

    public init?(id: EntityID, state: EntityState) {
        guard !state.isDeleted else { return nil }
        let r = FieldReader(state: state)
        guard let about = r.text("about"), Scope.isValidBRIN(about) else { return nil }
        self.id = id
        school = about
        vestiging = r.text("vestiging") ?? "00"
        name = r.text("name") ?? ""
        schoolYear = r.text("schoolYear")
        schoolWeight = r.real("schoolWeight")
        weightCategory = r.text("weightCategory")
        threshold1S2F = r.real("threshold1S2F")
        published1F = r.real("published1F")
        published1S2F = r.real("published1S2F")
        outcome1F = r.text("outcome1F")
        outcome1S2F = r.text("outcome1S2F")
        similar1F = r.real("similar1F")
        similar1S2F = r.real("similar1S2F")
        similarSchools = r.integer("similarSchools").map { Int($0) }
    }

    /// The Inspectie's published value of an indicator.
    public func published(_ indicator: InspectionIndicator) -> Double? { indicator == .percent1F ? published1F : published1S2F }
    /// The Inspectie's outcome of an indicator, as its file words it.
    public func outcome(_ indicator: InspectionIndicator) -> String? { indicator == .percent1F ? outcome1F : outcome1S2F }
    /// The average of similar schools for an indicator.
    public func similar(_ indicator: InspectionIndicator) -> Double? { indicator == .percent1F ? similar1F : similar1S2F }
}

/// A school's indicator as shared with the board (an `inspectionIndicator` record).
public struct SharedIndicator: Sendable, Equatable, Codable {
    public var school: String
    public var indicator: InspectionIndicator
    public var throughYear: Int
    /// Nil when withheld (a year behind it had fewer than 10 pupils).
    public var value: Double?
    public var band: PupilsBand?
    public var years: Int
    public var complete: Bool

    public init?(state: EntityState) {
        guard !state.isDeleted else { return nil }
        let r = FieldReader(state: state)
        guard let school = r.text("school"), let indicator = r.text("indicator").flatMap(InspectionIndicator.init(rawValue:)),
              let year = r.integer("throughYear") else { return nil }
        self.school = school
        self.indicator = indicator
        throughYear = Int(year)
        value = r.text("suppression") == nil ? r.real("value") : nil
        band = r.text("pupilsBand").flatMap(PupilsBand.init(rawValue:))
        years = Int(r.integer("years") ?? 0)
        complete = r.bool("complete")
    }

    /// The result as the board judges it with the school's signaleringswaarde.
    public func judged(threshold1S2F: Double?) -> IndicatorResult {
        InspectionModel.judged(IndicatorResult(indicator: indicator, throughYear: throughYear, value: value,
                                               threshold: indicator == .percent1F ? InspectionFloor.percent1F : threshold1S2F,
                                               outcome: nil, margin: nil, years: [], missingYears: []))
    }
}
