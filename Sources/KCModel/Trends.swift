import Foundation
public import SyncCore

/// What a trend analysis measures. The stored value is the code (`pct-1F`, …).
public enum TrendMetric: String, CaseIterable, Sendable, Codable {
    /// Share of pupils at referentieniveau 1F (groep 8), percent.
    case percent1F = "pct-1F"
    /// Share of pupils at 2F (taal) or 1S (rekenen) (groep 8), percent.
    case percent2F1S = "pct-2F1S"
    /// Share of pupils in niveau I and II of the pupil-monitoring system, percent.
    case percentLevelIandII = "pct-niveau-I-II"
    /// Vaardigheidsgroei: growth in ability score since the previous toetsmoment.
    case abilityGrowth
    /// The mean vaardigheidsscore of the group.
    case meanAbility

    /// The Dutch name a kc'er reads.
    public var label: String {
        switch self {
        case .percent1F: "% 1F"
        case .percent2F1S: "% 2F/1S"
        case .percentLevelIandII: "% niveau I–II"
        case .abilityGrowth: "vaardigheidsgroei"
        case .meanAbility: "gemiddelde vaardigheidsscore"
        }
    }

    /// True for shares of pupils (0–100).
    public var isPercentage: Bool { self != .abilityGrowth && self != .meanAbility }

    /// True for the two indicators the Inspectorate sets a floor (signaleringswaarde) for.
    public var hasInspectionFloor: Bool { self == .percent1F || self == .percent2F1S }

    /// Parses the code, case-insensitively; `1F`, `2F1S`, `2F/1S` and `niveau-I-II` too.
    public init?(parsing text: String) {
        let folded = text.lowercased().replacingOccurrences(of: "/", with: "").replacingOccurrences(of: "–", with: "-")
        if let metric = TrendMetric.allCases.first(where: { $0.rawValue.lowercased() == folded }) { self = metric; return }
        switch folded {
        case "1f": self = .percent1F
        case "2f1s", "1s2f": self = .percent2F1S
        case "niveau-i-ii", "i-ii": self = .percentLevelIandII
        case "vaardigheidsgroei", "ability-growth": self = .abilityGrowth
        case "vaardigheidsscore", "mean-ability", "gemiddelde-vaardigheidsscore": self = .meanAbility
        default: return nil
        }
    }

    /// Formats a value of this metric in Dutch notation (decimal comma, one decimal at most):
    /// `87,5%`, `44%`, `-3,2`. Written without Foundation: the board formats every point of
    /// every series on each request.
    public func format(_ value: Double) -> String {
        guard value.isFinite, abs(value) < 1e12 else { return "–" }
        let tenths = Int((value * 10).rounded())
        var text = tenths < 0 ? "-" : ""
        let magnitude = abs(tenths)
        text += String(magnitude / 10)
        if magnitude % 10 != 0 { text += "," + String(magnitude % 10) }
        return isPercentage ? text + "%" : text
    }
}

/// The Inspectorate's floors (signaleringswaarden) for groep 8 results.
///
/// 1F: 85% for every school, the ambition the Meijerink committee set in 2008. 2F/1S: depends
/// on the school's weging (20–40), so each school gives its own value (from the Inspectorate's
/// table for its weging), in `kcsync config floor-2f1s` or per row. Source:
/// onderwijsinspectie.nl, "Hoe zijn de signaleringswaarden bepaald?". The Inspectorate says
/// floors are no goal; the school's ambitie is.
public enum InspectionFloor {
    /// The 1F floor, the same for every school.
    public static let percent1F = 85.0
    /// The range a 2F/1S floor can take (the Inspectorate's table lies well inside it).
    public static let plausible2F1S: ClosedRange<Double> = 30...80
}

/// One trend figure: a school's value for one subject × period × group × metric.
public struct TrendFigure: Sendable, Equatable {
    /// The record id.
    public var id: EntityID
    /// The school's BRIN.
    public var school: String
    /// The subject area.
    public var subjectArea: SubjectArea
    /// The toetsmoment.
    public var period: Period
    /// The group (`6`) or cohort (`6-7`).
    public var group: String
    /// What is measured.
    public var metric: TrendMetric
    /// The value; nil in a board copy that withholds it (``suppression``).
    public var value: Double?
    /// How many pupils the value is over; nil in a board copy, which carries only ``band``.
    public var pupils: Int?
    /// The band the number of pupils falls in: all a board copy says of n.
    public var band: PupilsBand
    /// Why a board copy withholds the value, if it does.
    public var suppression: Suppression?
    /// The school's own ambitie, if set.
    public var ambition: Double?
    /// The Inspectorate's floor for this school and metric, if any.
    public var inspectionThreshold: Double?
    /// The national average, if known.
    public var nationalAverage: Double?
    /// The leerteam's duiding.
    public var interpretation: String
    /// The intended actions.
    public var actions: String
    /// The board copy, while shared (at the school).
    public var boardCopy: EntityID?

    /// A figure with the required fields.
    public init(id: EntityID, school: String, subjectArea: SubjectArea, period: Period, group: String, metric: TrendMetric,
                value: Double?, pupils: Int?, band: PupilsBand? = nil, suppression: Suppression? = nil, ambition: Double? = nil,
                inspectionThreshold: Double? = nil, nationalAverage: Double? = nil, interpretation: String = "", actions: String = "",
                boardCopy: EntityID? = nil) {
        self.id = id
        self.school = school
        self.subjectArea = subjectArea
        self.period = period
        self.group = group
        self.metric = metric
        self.value = value
        self.pupils = pupils
        self.band = band ?? pupils.map(PupilsBand.init(pupils:)) ?? .under10
        self.suppression = suppression
        self.ambition = ambition
        self.inspectionThreshold = inspectionThreshold
        self.nationalAverage = nationalAverage
        self.interpretation = interpretation
        self.actions = actions
        self.boardCopy = boardCopy
    }

    /// Reads a trend analysis record: a school's own figure (value and n) or a board copy
    /// (band, and the value unless withheld); nil when it is deleted or lacks a required field.
    public init?(id: EntityID, state: EntityState) {
        guard !state.isDeleted else { return nil }
        let r = FieldReader(state: state)
        guard let area = r.text("subjectArea").flatMap(SubjectArea.init(rawValue:)),
              let period = r.text("period").flatMap(Period.init),
              let metric = r.text("metric").flatMap(TrendMetric.init(rawValue:)) else { return nil }
        let suppression = r.text("suppression").flatMap(Suppression.init(rawValue:))
        let value = r.real("value")
        if let value, !value.isFinite { return nil }
        if value == nil && suppression == nil { return nil }
        let pupils = r.integer("pupils").map { Int($0) }
        let band = r.text("pupilsBand").flatMap(PupilsBand.init(rawValue:))
        if pupils == nil && band == nil { return nil }
        self.init(id: id, school: r.text("school") ?? "", subjectArea: area, period: period, group: r.text("group") ?? "",
                  metric: metric, value: suppression == nil ? value : nil, pupils: pupils, band: band, suppression: suppression,
                  ambition: r.real("ambition"),
                  inspectionThreshold: r.real("inspectionThreshold"), nationalAverage: r.real("nationalAverage"),
                  interpretation: state.text(of: "interpretation"), actions: state.text(of: "actions"), boardCopy: r.id("boardCopy"))
    }

    /// True when the figure may not be shown beyond its school: fewer than
    /// ``TrendSignals/minimumPupils`` pupils are behind it (AVG: a small group's figure can point
    /// at pupils), or its board copy withholds the value.
    public var isSuppressed: Bool { value == nil || suppression != nil || band == .under10 }

    /// The figure's identity at its school: one per subject × period × group × metric.
    public var key: String { TrendFigure.key(subjectArea, period, group, metric) }

    static func key(_ area: SubjectArea, _ period: Period, _ group: String, _ metric: TrendMetric) -> String {
        "\(area.rawValue)|\(period)|\(group)|\(metric.rawValue)"
    }

    /// The series this figure belongs to.
    public var series: SeriesKey { SeriesKey(school: school, subjectArea: subjectArea, group: group, metric: metric) }
}

/// One line of figures: a school × subject × group × metric over the periods.
public struct SeriesKey: Hashable, Sendable, Comparable {
    public var school: String
    public var subjectArea: SubjectArea
    public var group: String
    public var metric: TrendMetric

    public init(school: String, subjectArea: SubjectArea, group: String, metric: TrendMetric) {
        self.school = school
        self.subjectArea = subjectArea
        self.group = group
        self.metric = metric
    }

    /// By subject, school, group (shorter first, so 8 comes before 10) and metric. Each part
    /// is compared only when the ones before are equal: a board's view sorts thousands of
    /// series, and counting a group's characters for every comparison was a quarter of it.
    public static func < (a: SeriesKey, b: SeriesKey) -> Bool {
        if a.subjectArea != b.subjectArea { return a.subjectArea.rawValue < b.subjectArea.rawValue }
        if a.school != b.school { return a.school < b.school }
        if a.group != b.group {
            let (x, y) = (a.group.count, b.group.count)
            return x != y ? x < y : a.group < b.group
        }
        return a.metric.rawValue < b.metric.rawValue
    }
}

/// Where a series is heading over its last three (or more) periods.
public enum TrendDirection: String, Sendable, Codable, CaseIterable {
    case rising = "stijgend"
    case falling = "dalend"
    case stable = "stabiel"
    case mixed = "wisselend"
    case tooFew = "te weinig metingen"
}

/// The signals of one series, computed from its figures (never typed in).
public struct SeriesSignals: Sendable, Equatable {
    /// Direction over the last three periods.
    public var direction: TrendDirection
    /// The latest value is under the school's ambitie (nil: no ambitie set).
    public var underAmbition: Bool?
    /// The latest value is under the Inspectorate's floor (nil: no floor for this metric).
    public var underFloor: Bool?

    public init(direction: TrendDirection, underAmbition: Bool?, underFloor: Bool?) {
        self.direction = direction
        self.underAmbition = underAmbition
        self.underFloor = underFloor
    }
}

/// Computes signals from trend figures.
public enum TrendSignals {
    /// Figures over fewer pupils than this are suppressed in every board view.
    public static let minimumPupils = 10
    /// How many periods a direction needs.
    public static let periodsForDirection = 3
    /// Within this many points (percentage points, or ability points) three values count as stable.
    public static let stableBand = 2.0

    /// The direction of the last three values (in period order): each step down is falling,
    /// each step up rising; otherwise stable when they lie within ``stableBand``, else mixed.
    public static func direction(_ values: [Double]) -> TrendDirection {
        guard values.count >= periodsForDirection else { return .tooFew }
        let last = Array(values.suffix(periodsForDirection))
        let steps = zip(last, last.dropFirst()).map { $1 - $0 }
        if steps.allSatisfy({ $0 < 0 }) { return .falling }
        if steps.allSatisfy({ $0 > 0 }) { return .rising }
        return (last.max()! - last.min()!) <= stableBand ? .stable : .mixed
    }

    /// The signals of one series: `figures` of one ``SeriesKey``, any order.
    public static func signals(_ figures: [TrendFigure]) -> SeriesSignals {
        let ordered = figures.sorted { $0.period < $1.period }
        guard let latest = ordered.last else { return SeriesSignals(direction: .tooFew, underAmbition: nil, underFloor: nil) }
        guard let value = latest.value else {
            return SeriesSignals(direction: direction(ordered.compactMap(\.value)), underAmbition: nil, underFloor: nil)
        }
        return SeriesSignals(
            direction: direction(ordered.compactMap(\.value)),
            underAmbition: latest.ambition.map { value < $0 },
            underFloor: latest.metric.hasInspectionFloor ? latest.inspectionThreshold.map { value < $0 } : nil)
    }

    /// Writes a group set as a kc'er would: `6`, `6–7`, `4, 6 en 8`.
    public static func describeGroups(_ groups: [String]) -> String {
        let numbers = groups.compactMap { Int($0) }
        if numbers.count == groups.count, !numbers.isEmpty {
            let sorted = Array(Set(numbers)).sorted()
            if sorted.count > 1, sorted.last! - sorted.first! == sorted.count - 1 { return "\(sorted.first!)–\(sorted.last!)" }
            return list(sorted.map(String.init))
        }
        return list(Array(Set(groups)).sorted())
    }

    static func list(_ items: [String]) -> String {
        items.count <= 1 ? items.joined() : items.dropLast().joined(separator: ", ") + " en " + items.last!
    }
}

/// A signal the board sees across its schools: how many share it.
public struct BoardSignal: Sendable, Equatable, Codable {
    /// What the schools share.
    public enum Kind: String, Sendable, Codable {
        case falling = "dalende trend"
        /// A subject's own series under the norm (the school's own analysis): the Inspectie
        /// judges the three subjects together (``InspectionModel``), never one subject alone.
        case underFloor = "per vak onder de norm"
        case underAmbition = "onder de ambitie"
    }

    public var kind: Kind
    public var subjectArea: SubjectArea
    public var metric: TrendMetric
    /// The groups it was seen in.
    public var groups: [String]
    /// The schools that show it.
    public var schools: [String]
    /// How many schools report this subject and metric.
    public var outOf: Int

    /// "dalende trend begrijpend lezen groep 6–7 (% niveau I–II) bij 4 van 11 scholen".
    public var text: String {
        "\(kind.rawValue) \(subjectArea.label) groep \(TrendSignals.describeGroups(groups)) (\(metric.label)) bij \(schools.count) van \(outOf) \(outOf == 1 ? "school" : "scholen")"
    }

    /// The signals across schools of `figures`, as of `asOf` (the latest period when nil).
    /// Suppressed figures (fewer than 10 pupils) take no part: the board never sees them.
    public static func signals(_ figures: [TrendFigure], asOf: Period? = nil) -> [BoardSignal] {
        let visible = figures.filter { !$0.isSuppressed && (asOf == nil || $0.period <= asOf!) }
        return signals(series: Dictionary(grouping: visible, by: \.series).mapValues(TrendSignals.signals))
    }

    /// The signals across schools of series whose own signals are known (each series with at
    /// least one figure the board may see): how many schools share each.
    public static func signals(series bySeries: [SeriesKey: SeriesSignals]) -> [BoardSignal] {
        struct Topic: Hashable { var subjectArea: SubjectArea; var metric: TrendMetric; var kind: Kind }
        var hits: [Topic: (groups: Set<String>, schools: Set<String>)] = [:]
        var reporting: [String: Set<String>] = [:]
        for (key, signals) in bySeries {
            reporting["\(key.subjectArea.rawValue)|\(key.metric.rawValue)", default: []].insert(key.school)
            var kinds: [Kind] = []
            if signals.direction == .falling { kinds.append(.falling) }
            if signals.underFloor == true { kinds.append(.underFloor) }
            if signals.underAmbition == true { kinds.append(.underAmbition) }
            for kind in kinds {
                let topic = Topic(subjectArea: key.subjectArea, metric: key.metric, kind: kind)
                hits[topic, default: ([], [])].groups.insert(key.group)
                hits[topic, default: ([], [])].schools.insert(key.school)
            }
        }
        let order: [Kind: Int] = [.falling: 0, .underFloor: 1, .underAmbition: 2]
        return hits.map { topic, hit in
            BoardSignal(kind: topic.kind, subjectArea: topic.subjectArea, metric: topic.metric, groups: hit.groups.sorted(),
                        schools: hit.schools.sorted(),
                        outOf: reporting["\(topic.subjectArea.rawValue)|\(topic.metric.rawValue)"]?.count ?? hit.schools.count)
        }.sorted {
            (order[$0.kind]!, -$0.schools.count, $0.subjectArea.rawValue, $0.metric.rawValue)
                < (order[$1.kind]!, -$1.schools.count, $1.subjectArea.rawValue, $1.metric.rawValue)
        }
    }
}

/// A trend advice (trendadvies) as read from the board scope.
public struct TrendAdvice: Sendable, Equatable {
    public var id: EntityID
    /// Who wrote it.
    public var author: String
    /// The school it was written at (empty: at the board).
    public var school: String
    public var period: String
    public var subjectArea: SubjectArea?
    /// The schools it concerns (empty: all).
    public var schools: [String]
    public var signal: String
    public var interpretation: String
    public var advice: String
    /// Agreements it suggests the schools make.
    public var suggestedAgreements: [String]
    public var deleted: Bool

    public init(id: EntityID, state: EntityState) {
        let r = FieldReader(state: state)
        self.id = id
        author = r.text("author") ?? ""
        school = r.text("school") ?? ""
        period = r.text("period") ?? ""
        subjectArea = r.text("subjectArea").flatMap(SubjectArea.init(rawValue:))
        schools = r.texts("schools").sorted()
        signal = r.text("signal") ?? ""
        interpretation = state.text(of: "interpretation")
        advice = state.text(of: "advice")
        suggestedAgreements = r.texts("suggestedAgreements").sorted()
        deleted = state.isDeleted
    }
}

/// A school's reactie to a trend advice.
public struct AdviceResponse: Sendable, Equatable {
    public var id: EntityID
    public var advice: EntityID?
    public var school: String
    public var reaction: AdviceReaction?
    public var comment: String
    /// The local agreement made from the advice (at the school only).
    public var agreement: EntityID?
    public var deleted: Bool

    public init(id: EntityID, state: EntityState) {
        let r = FieldReader(state: state)
        self.id = id
        advice = r.id("advice")
        school = r.text("school") ?? ""
        reaction = r.text("reaction").flatMap(AdviceReaction.init(rawValue:))
        comment = r.text("comment") ?? ""
        agreement = r.id("agreement")
        deleted = state.isDeleted
    }
}
