public import Foundation
import SyncCore

/// What a column of an LVS export holds. No pupil-monitoring system publishes its export's
/// columns (DOMAIN.md), so the kc'er says once per source which column is what; kcsync proposes
/// it from the column names.
public enum LVSRole: String, CaseIterable, Sendable, Codable {
    // Pupil level: one row per pupil and test.
    case pupil = "leerling"
    case schoolYear = "schooljaar"
    case moment = "toetsmoment"
    case date = "afnamedatum"
    case group = "groep"
    case subject = "vakgebied"
    case score = "vaardigheidsscore"
    case level = "niveau"
    case reference = "referentieniveau"
    // Group level: one row per group, toetsmoment and subject, already counted.
    case pupils = "aantal"
    case percentLevelIandII = "pct-niveau-I-II"
    case percent1F = "pct-1F"
    case percent2F1S = "pct-2F1S"
    case meanScore = "gemiddelde-score"
    case growth = "groei"
    case ignore = "negeren"

    /// What a kc'er reads in the mapping form.
    public var label: String {
        switch self {
        case .pupil: "leerling (naam of nummer; alleen om groei te berekenen, wordt niet bewaard)"
        case .schoolYear: "schooljaar"
        case .moment: "toetsmoment (M5, E5, midden 5 of 2025-2026 M)"
        case .date: "afnamedatum"
        case .group: "groep"
        case .subject: "vakgebied of toets"
        case .score: "vaardigheidsscore"
        case .level: "niveau (I–V of A–E)"
        case .reference: "referentieniveau (1F, 2F, 1S)"
        case .pupils: "aantal leerlingen (groepsexport)"
        case .percentLevelIandII: "% niveau I–II (groepsexport)"
        case .percent1F: "% 1F (groepsexport)"
        case .percent2F1S: "% 2F/1S (groepsexport)"
        case .meanScore: "gemiddelde vaardigheidsscore (groepsexport)"
        case .growth: "vaardigheidsgroei (groepsexport)"
        case .ignore: "niet gebruiken"
        }
    }

    /// Roles of a group-level export.
    public static let groupLevel: Set<LVSRole> = [.pupils, .percentLevelIandII, .percent1F, .percent2F1S, .meanScore, .growth]
}

/// Which column is what, for one source (an LVS and its export), kept at the school.
public struct LVSMapping: Sendable, Equatable, Codable {
    /// Column name (as in the header) → role.
    public var columns: [String: LVSRole]
    /// The subject when the export has no subject column (one file per test).
    public var subjectArea: SubjectArea?
    /// The school year when neither a year nor a date column says it.
    public var schoolYear: Int?

    public init(columns: [String: LVSRole], subjectArea: SubjectArea? = nil, schoolYear: Int? = nil) {
        self.columns = columns
        self.subjectArea = subjectArea
        self.schoolYear = schoolYear
    }

    public func column(_ role: LVSRole) -> String? { columns.first { $0.value == role }?.key }
    public var isGroupLevel: Bool { columns.values.contains { LVSRole.groupLevel.contains($0) } }
}

/// Reads a pupil-level or group-level LVS export into group figures. Pupil rows are read,
/// counted and dropped: what comes out are aggregates per subject × toetsmoment × groep (n, %
/// niveau I–II, % 1F and % 1S/2F in groep 8, the mean vaardigheidsscore and the mean growth
/// of the pupils measured at both this and their previous toetsmoment). Nothing of a pupil is
/// kept, named in an error, or returned.
public enum LVSExport {
    /// The fewest pupils a group figure is written for: any; small ones stay at school (the
    /// board copy rules decide), but a group of zero is no figure.
    public struct Summary: Sendable, Equatable {
        public var drafts: [TrendDraft]
        /// Pupil rows read (0 for a group-level export).
        public var pupilRows: Int
    }

    /// The header's fingerprint: the same export from the same system has the same columns.
    public static func fingerprint(_ header: [String]) -> String {
        let names = header.map { InspectieFile.folded($0) }.filter { !$0.isEmpty }.sorted().joined(separator: "|")
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in names.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        return String(hash, radix: 16)
    }

    /// True when the header is kcsync's own trend format (`trend import` reads it as before).
    public static func isTrendFormat(_ header: [String]) -> Bool {
        let keys = Set(header.map { $0.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: " ", with: "-") }.compactMap { TrendCSV.aliases[$0] })
        return Set(TrendCSV.required).isSubset(of: keys)
    }

    static let names: [(LVSRole, [String])] = [
        (.pupil, ["leerling", "leerlingnaam", "naam", "leerlingnummer", "leerlingid", "leerlingcode", "achternaam", "roepnaam", "volledigenaam"]),
        (.schoolYear, ["schooljaar", "jaar"]),
        (.moment, ["toetsmoment", "afnamemoment", "moment", "meetmoment", "toetsperiode", "periode"]),
        (.date, ["afnamedatum", "datum", "toetsdatum", "afgenomenop"]),
        (.group, ["groep", "jaargroep", "leerjaar", "groepsnaam", "klas"]),
        (.subject, ["vakgebied", "toets", "toetsnaam", "vak", "domein", "leerlijn"]),
        (.score, ["vaardigheidsscore", "score", "vs", "vaardigheid", "ability", "vaardigheidscore"]),
        (.level, ["niveau", "niveauiv", "niveauae", "vaardigheidsniveau", "niveauindeling"]),
        (.reference, ["referentieniveau", "refniveau", "behaaldreferentieniveau", "referentieniveaubehaald"]),
        (.pupils, ["aantal", "aantalleerlingen", "n"]),
        (.percentLevelIandII, ["niveauiii", "percentageniveauiii", "pctniveauiii", "niveauiiiproc", "iii"]),
        (.percent1F, ["1f", "pct1f", "percentage1f", "behaald1f"]),
        (.percent2F1S, ["2f1s", "1s2f", "pct2f1s", "percentage2f1s", "behaald2f1s"]),
        (.meanScore, ["gemiddeldevaardigheidsscore", "gemiddeldescore", "gemvs", "gemiddelde"]),
        (.growth, ["groei", "vaardigheidsgroei", "gemiddeldegroei"]),
    ]

    /// A mapping proposed from the column names; a column it cannot place is ignored.
    public static func propose(_ header: [String]) -> LVSMapping {
        var columns: [String: LVSRole] = [:]
        var taken: Set<LVSRole> = []
        for name in header where !name.trimmingCharacters(in: .whitespaces).isEmpty {
            let key = InspectieFile.folded(name)
            let role = names.first { !taken.contains($0.0) && $0.1.contains(key) }?.0
                ?? names.first { !taken.contains($0.0) && $0.1.contains { key.hasPrefix($0) && $0.count >= 4 } }?.0
            columns[name] = role ?? .ignore
            if let role { taken.insert(role) }
        }
        // "niveau I-II" in a group export is a percentage, not a pupil's niveau.
        if columns.values.contains(where: { LVSRole.groupLevel.contains($0) }), let level = columns.first(where: { $0.value == .level })?.key,
           InspectieFile.folded(level).contains("iii") {
            columns[level] = .percentLevelIandII
        }
        return LVSMapping(columns: columns)
    }

    /// What is missing from a mapping before it can be read, in Dutch; nil when it can be.
    public static func problem(_ mapping: LVSMapping) -> String? {
        let has = Set(mapping.columns.values)
        if mapping.isGroupLevel {
            if !has.contains(.pupils) { return "geef aan welke kolom het aantal leerlingen per groep is" }
        } else if !has.contains(.score) && !has.contains(.level) && !has.contains(.reference) {
            return "geef aan welke kolom de vaardigheidsscore, het niveau of het referentieniveau is"
        }
        if !has.contains(.moment) && !has.contains(.date) { return "geef aan welke kolom het toetsmoment of de afnamedatum is" }
        if !has.contains(.subject) && mapping.subjectArea == nil { return "geef aan welke kolom het vakgebied is, of kies één vakgebied voor het hele bestand" }
        for role in LVSRole.allCases where role != .ignore && mapping.columns.values.filter({ $0 == role }).count > 1 {
            return "de rol '\(role.label)' staat bij meer dan één kolom"
        }
        return nil
    }

    /// Reads `rows` (the first non-empty row is the header) with `mapping` into group figures.
    /// Every bad row is named by its line, without the pupil's name; any bad row writes nothing.
    public static func read(_ rows: [[String]], mapping: LVSMapping, limit: Int = 25) -> Result<Summary, TrendInputProblems> {
        guard let headerIndex = rows.firstIndex(where: { $0.contains { !$0.trimmingCharacters(in: .whitespaces).isEmpty } }) else {
            return .failure(TrendInputProblems([TrendInputError(line: 1, message: "het bestand is leeg")]))
        }
        if let problem = problem(mapping) { return .failure(TrendInputProblems([TrendInputError(line: headerIndex + 1, message: problem)])) }
        let header = rows[headerIndex]
        var index: [LVSRole: Int] = [:]
        for (column, name) in header.enumerated() { if let role = mapping.columns[name], role != .ignore, index[role] == nil { index[role] = column } }
        for (name, role) in mapping.columns where role != .ignore && !header.contains(name) {
            return .failure(TrendInputProblems([TrendInputError(line: headerIndex + 1, message: "kolom '\(RemoteText.safe(name, limit: 40))' (\(role.label)) staat niet in dit bestand")]))
        }
        var errors: [TrendInputError] = []
        struct Key: Hashable { var area: SubjectArea; var period: Period; var group: Int }
        struct Counts { var pupils = 0; var levelled = 0; var topLevels = 0; var referenced = 0; var oneF = 0; var high = 0; var scores: [Double] = [] }
        var counts: [Key: Counts] = [:]
        var scored: [String: [(period: Period, area: SubjectArea, group: Int, score: Double)]] = [:]   // pupil → scores, in memory only
        var drafts: [TrendDraft] = []
        var pupilRows = 0
        var seenGroups: [Key: Int] = [:]
        for (offset, row) in rows.enumerated().dropFirst(headerIndex + 1) {
            if errors.count >= limit { break }
            let line = offset + 1
            func cell(_ role: LVSRole) -> String? {
                guard let column = index[role], column < row.count else { return nil }
                let text = row[column].trimmingCharacters(in: .whitespacesAndNewlines)
                return text.isEmpty ? nil : text
            }
            if row.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            func fail(_ message: String) { errors.append(TrendInputError(line: line, message: message)) }
            // When and which groep.
            var group = cell(.group).flatMap(groupNumber)
            var period: Period?
            if let text = cell(.moment) {
                guard let moment = parseMoment(text) else { fail("toetsmoment '\(RemoteText.safe(text, limit: 40))' is onbekend; verwacht M5, E5, midden 5, eind 8 of 2025-2026 M"); continue }
                if group == nil { group = moment.group }
                if let full = moment.period { period = full } else {
                    let year = cell(.schoolYear).flatMap(parseSchoolYear) ?? cell(.date).flatMap(parseDate).map(schoolYearStart) ?? mapping.schoolYear
                    guard let year else { fail("het schooljaar staat er niet bij; kies een kolom schooljaar of geef het schooljaar voor het hele bestand"); continue }
                    period = Period(startYear: year, moment: moment.moment)
                }
            } else if let text = cell(.date) {
                guard let date = parseDate(text) else { fail("afnamedatum '\(RemoteText.safe(text, limit: 40))' is geen datum; schrijf 27-01-2026 of 2026-01-27"); continue }
                guard let moment = momentOf(date) else { fail("afnamedatum \(text) valt niet in een midden- (november–maart) of eindperiode (april–juli)"); continue }
                period = Period(startYear: schoolYearStart(date), moment: moment)
            }
            guard let period else { fail("het toetsmoment ontbreekt"); continue }
            guard let group, (1...8).contains(group) else { fail("groep '\(RemoteText.safe(cell(.group) ?? cell(.moment) ?? "", limit: 40))' is geen groep 1 tot en met 8"); continue }
            let areaText = cell(.subject)
            guard let area = areaText.map(subjectArea) ?? mapping.subjectArea else {
                fail("vakgebied '\(RemoteText.safe(areaText ?? "", limit: 40))' is onbekend; kies uit \(SubjectArea.allCases.map(\.label).joined(separator: ", "))"); continue
            }
            let key = Key(area: area, period: period, group: group)
            if mapping.isGroupLevel {
                // Already counted: one row per group.
                if let earlier = seenGroups[key] { fail("dezelfde groep, toetsmoment en vakgebied staan ook op regel \(earlier)"); continue }
                seenGroups[key] = line
                guard let n = cell(.pupils).flatMap({ Int($0) }), (1...2_000).contains(n) else { fail("aantal '\(RemoteText.safe(cell(.pupils) ?? "", limit: 40))' is geen aantal leerlingen"); continue }
                var made: [TrendDraft] = []
                for (role, metric) in [(LVSRole.percentLevelIandII, TrendMetric.percentLevelIandII), (.percent1F, .percent1F), (.percent2F1S, .percent2F1S),
                                       (.meanScore, .meanAbility), (.growth, .abilityGrowth)] {
                    guard let text = cell(role) else { continue }
                    guard let value = TrendCSV.number(text.replacingOccurrences(of: "%", with: "").trimmingCharacters(in: .whitespaces)) else {
                        fail("\(role.label) '\(RemoteText.safe(text, limit: 40))' is geen getal"); break
                    }
                    let draft = TrendDraft(subjectArea: area, period: period, group: String(group), metric: metric, value: value, pupils: n)
                    if let problem = draft.problem() { fail(problem); break }
                    made.append(draft)
                }
                if errors.last?.line != line { drafts += made }
                continue
            }
            // A pupil's row: counted, then forgotten.
            pupilRows += 1
            var c = counts[key] ?? Counts()
            c.pupils += 1
            if let text = cell(.level) {
                guard let level = parseLevel(text) else { fail("niveau '\(RemoteText.safe(text, limit: 40))' is geen niveau I–V of A–E"); continue }
                c.levelled += 1
                if level <= 2 { c.topLevels += 1 }
            }
            if let text = cell(.reference) {
                guard let reached = parseReference(text) else { fail("referentieniveau '\(RemoteText.safe(text, limit: 40))' is onbekend; verwacht <1F, 1F, 2F of 1S"); continue }
                c.referenced += 1
                if reached >= 1 { c.oneF += 1 }
                if reached >= 2 { c.high += 1 }
            }
            if let text = cell(.score) {
                guard let score = TrendCSV.number(text), (0...1_000).contains(score) else { fail("vaardigheidsscore '\(RemoteText.safe(text, limit: 40))' is geen score"); continue }
                c.scores.append(score)
                if let pupil = cell(.pupil) { scored[pupil, default: []].append((period, area, group, score)) }
            }
            counts[key] = c
        }
        if !errors.isEmpty { return .failure(TrendInputProblems(errors)) }
        // Growth: per pupil, this toetsmoment's score minus the previous one of the same subject.
        var growth: [Key: [Double]] = [:]
        for (_, history) in scored {
            for (area, measured) in Dictionary(grouping: history, by: \.area) {
                let ordered = measured.sorted { $0.period < $1.period }
                for (before, after) in zip(ordered, ordered.dropFirst()) where before.period < after.period {
                    growth[Key(area: area, period: after.period, group: after.group), default: []].append(after.score - before.score)
                }
            }
        }
        scored.removeAll()
        for (key, c) in counts.sorted(by: { ($0.key.area.rawValue, $0.key.period, $0.key.group) < ($1.key.area.rawValue, $1.key.period, $1.key.group) }) {
            func add(_ metric: TrendMetric, _ value: Double, _ n: Int) {
                guard n > 0 else { return }
                drafts.append(TrendDraft(subjectArea: key.area, period: key.period, group: String(key.group), metric: metric,
                                         value: (value * 10).rounded() / 10, pupils: n))
            }
            if c.levelled > 0 { add(.percentLevelIandII, 100 * Double(c.topLevels) / Double(c.levelled), c.levelled) }
            if c.referenced > 0 {
                add(.percent1F, 100 * Double(c.oneF) / Double(c.referenced), c.referenced)
                add(.percent2F1S, 100 * Double(c.high) / Double(c.referenced), c.referenced)
            }
            if !c.scores.isEmpty { add(.meanAbility, c.scores.reduce(0, +) / Double(c.scores.count), c.scores.count) }
            if let changes = growth[key], !changes.isEmpty { add(.abilityGrowth, changes.reduce(0, +) / Double(changes.count), changes.count) }
        }
        if drafts.isEmpty { return .failure(TrendInputProblems([TrendInputError(line: headerIndex + 1, message: "het bestand heeft geen rijen met cijfers onder de kopregel")])) }
        return .success(Summary(drafts: drafts, pupilRows: pupilRows))
    }

    // MARK: - Reading cells

    /// `5`, `groep 5`, `5A`, `Groep 5b`.
    static func groupNumber(_ text: String) -> Int? {
        let digits = text.lowercased().replacingOccurrences(of: "groep", with: "").trimmingCharacters(in: .whitespaces).prefix { $0.isNumber }
        return Int(digits)
    }

    /// `M5`, `E 8`, `midden 5`, `Eind groep 8`, `M`, or a whole period `2025-2026 M`.
    static func parseMoment(_ text: String) -> (moment: Period.Moment, group: Int?, period: Period?)? {
        if let period = Period.typed(text) { return (period.moment, nil, period) }
        let folded = text.lowercased().replacingOccurrences(of: "groep", with: " ").replacingOccurrences(of: "-", with: " ")
        let letters = folded.prefix { $0.isLetter }
        let moment: Period.Moment
        switch letters {
        case "m", "mid", "midden": moment = .mid
        case "e", "eind": moment = .end
        default: return nil
        }
        let rest = folded.dropFirst(letters.count).trimmingCharacters(in: .whitespaces)
        if rest.isEmpty { return (moment, nil, nil) }
        guard let group = Int(rest.prefix { $0.isNumber }), rest.allSatisfy({ $0.isNumber }) else { return nil }
        return (moment, group, nil)
    }

    /// `2025-2026`, `2025/2026`, `2025/26`.
    static func parseSchoolYear(_ text: String) -> Int? {
        InspectieFile.schoolYear(text).flatMap { Int($0.prefix(4)) }.flatMap { text.contains("-") || text.contains("/") ? $0 : nil }
    }

    /// `27-01-2026`, `27/01/2026`, `2026-01-27`, or an Excel day number (`46049`).
    static func parseDate(_ text: String) -> DateComponents? {
        if let serial = Double(text.replacingOccurrences(of: ",", with: ".")), (30_000...80_000).contains(serial) {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let base = DateComponents(calendar: calendar, year: 1899, month: 12, day: 30).date!
            return calendar.dateComponents([.year, .month, .day], from: base.addingTimeInterval(serial.rounded(.down) * 86_400))
        }
        let parts = text.prefix(10).split(whereSeparator: { $0 == "-" || $0 == "/" || $0 == "." }).compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        let (year, month, day) = parts[0] > 31 ? (parts[0], parts[1], parts[2]) : (parts[2], parts[1], parts[0])
        guard (2000...2100).contains(year), (1...12).contains(month), (1...31).contains(day) else { return nil }
        return DateComponents(year: year, month: month, day: day)
    }

    /// The calendar year the school year of `date` starts in (August).
    static func schoolYearStart(_ date: DateComponents) -> Int { date.month! >= 8 ? date.year! : date.year! - 1 }

    /// Midden: November to March; eind: April to July (as the LVS's norm periods lie).
    static func momentOf(_ date: DateComponents) -> Period.Moment? {
        switch date.month! {
        case 11, 12, 1, 2, 3: .mid
        case 4, 5, 6, 7: .end
        default: nil
        }
    }

    /// The vakgebied of a subject or test name: `Rekenen-Wiskunde`, `Begrijpend lezen`, `DMT`, `Spelling`, `Taalverzorging`.
    static func subjectArea(_ text: String) -> SubjectArea? {
        let folded = text.lowercased()
        if let exact = SubjectArea(rawValue: folded.replacingOccurrences(of: "-", with: " ")) { return exact }
        if folded.contains("rekenen") || folded.contains("wiskunde") { return .arithmetic }
        if folded.contains("begrijpend") { return .readingComprehension }
        if folded.contains("technisch") || folded.contains("dmt") || folded.contains("avi") { return .technicalReading }
        if folded.contains("spelling") { return .spelling }
        if folded.contains("taalverzorging") { return .writing }
        if folded.contains("sociaal") { return .socialEmotional }
        if folded == "lezen" { return .readingComprehension }
        return nil
    }

    /// 1 (highest) … 5: `I`–`V`, `A`–`E`, `niveau III`, `1`–`5`.
    static func parseLevel(_ text: String) -> Int? {
        let folded = text.uppercased().replacingOccurrences(of: "NIVEAU", with: "").trimmingCharacters(in: .whitespaces)
        switch folded {
        case "I", "A", "1": return 1
        case "II", "B", "2": return 2
        case "III", "C", "3": return 3
        case "IV", "D", "4": return 4
        case "V", "E", "5": return 5
        default: return nil
        }
    }

    /// 0 below 1F, 1 for 1F, 2 for the streefniveau (2F or 1S).
    static func parseReference(_ text: String) -> Int? {
        let folded = text.uppercased().replacingOccurrences(of: " ", with: "")
        switch folded {
        case "<1F", "ONDER1F", "NIETBEHAALD", "-", "GEEN", "0F": return 0
        case "1F": return 1
        case "2F", "1S", "2F/1S", "1S/2F": return 2
        default: return nil
        }
    }
}
