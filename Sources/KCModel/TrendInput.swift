import CSV
public import Foundation

/// A trend figure as typed in (`kcsync trend add`) or read from a file (`trend import`),
/// before it is checked and written.
public struct TrendDraft: Sendable, Equatable {
    public var subjectArea: SubjectArea
    public var period: Period
    /// `1`…`8`, or a cohort such as `6-7`.
    public var group: String
    public var metric: TrendMetric
    public var value: Double
    /// How many pupils the value is over.
    public var pupils: Int
    public var ambition: Double?
    /// The Inspectorate's floor; nil takes the default (1F: 85%, 2F/1S: the school's configured floor).
    public var inspectionThreshold: Double?
    public var nationalAverage: Double?
    /// The leerteam's duiding.
    public var interpretation: String = ""
    /// The intended actions.
    public var actions: String = ""

    public init(subjectArea: SubjectArea, period: Period, group: String, metric: TrendMetric, value: Double, pupils: Int) {
        self.subjectArea = subjectArea
        self.period = period
        self.group = group
        self.metric = metric
        self.value = value
        self.pupils = pupils
    }

    /// The figure's identity: one per school × subject × period × group × metric.
    public var key: String { TrendFigure.key(subjectArea, period, group, metric) }

    /// What is wrong with the draft, in Dutch; nil when it may be written.
    public func problem() -> String? {
        if !TrendDraft.isValidGroup(group) {
            return "groep '\(group)' is geen groep; schrijf 1 tot en met 8, of een cohort zoals 6-7"
        }
        if !value.isFinite { return "waarde is geen getal" }
        if metric.isPercentage && !(0...100).contains(value) {
            return "waarde \(metric.format(value)) ligt niet tussen 0 en 100 (\(metric.label) is een percentage)"
        }
        if metric == .abilityGrowth && !(-200...200).contains(value) {
            return "waarde \(value) voor vaardigheidsgroei is niet aannemelijk (verwacht tussen -200 en 200)"
        }
        if metric == .meanAbility && !(0...1_000).contains(value) {
            return "waarde \(value) voor de gemiddelde vaardigheidsscore is niet aannemelijk (verwacht tussen 0 en 1000)"
        }
        if pupils < 1 || pupils > 2_000 { return "aantal leerlingen (n) \(pupils) ligt niet tussen 1 en 2000" }
        if let ambition, !ambition.isFinite || (metric.isPercentage && !(0...100).contains(ambition)) {
            return "ambitie \(ambition) ligt niet tussen 0 en 100"
        }
        if let floor = inspectionThreshold {
            guard metric.hasInspectionFloor else { return "een signaleringswaarde bestaat alleen voor % 1F en % 2F/1S" }
            if !floor.isFinite || !(0...100).contains(floor) { return "signaleringswaarde \(floor) ligt niet tussen 0 en 100" }
        }
        return nil
    }

    /// `1`…`8`, or two ascending groups joined by a dash (a cohort, `6-7`).
    public static func isValidGroup(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard (1...2).contains(parts.count), parts.allSatisfy({ $0 != nil && (1...8).contains($0!) }) else { return false }
        return parts.count == 1 || parts[0]! < parts[1]!
    }
}

/// A problem in an imported file: which line, and what.
public struct TrendInputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The 1-based line in the file (the line a record starts on).
    public var line: Int
    public var message: String
    public var description: String { "regel \(line): \(message)" }
}

/// Every problem found in a file.
public struct TrendInputProblems: Error, Sendable, Equatable {
    public var errors: [TrendInputError]
    public init(_ errors: [TrendInputError]) { self.errors = errors }
}

/// Reads trend figures from CSV: one row per school × subject × period × group × metric.
///
/// The first line names the columns, in English (as the command's flags) or Dutch:
/// `school`/`brin`, `subject-area`/`vakgebied`, `period`/`periode`, `group`/`groep`,
/// `metric`/`maat`, `value`/`waarde`, `n`/`aantal`, `ambition`/`ambitie`,
/// `floor`/`signaleringswaarde`, `national-average`/`landelijk-gemiddelde`,
/// `duiding`/`interpretation`, `actions`/`acties`. The separator is a comma, or a semicolon
/// (as Dutch spreadsheets write), which also allows a decimal comma. Fields may be quoted
/// with `"` (a quoted field may hold separators, newlines and `""`).
public enum TrendCSV {
    static let aliases: [String: String] = [
        "school": "school", "brin": "school",
        "subject-area": "subjectArea", "subjectarea": "subjectArea", "vakgebied": "subjectArea",
        "period": "period", "periode": "period",
        "group": "group", "groep": "group",
        "metric": "metric", "maat": "metric",
        "value": "value", "waarde": "value",
        "n": "n", "aantal": "n", "pupils": "n",
        "ambition": "ambition", "ambitie": "ambition",
        "floor": "floor", "signaleringswaarde": "floor",
        "national-average": "nationalAverage", "landelijk-gemiddelde": "nationalAverage",
        "duiding": "interpretation", "interpretation": "interpretation",
        "actions": "actions", "acties": "actions",
    ]
    static let required = ["subjectArea", "period", "group", "metric", "value", "n"]

    /// Parses a file for `school`. Every problem is reported with its line (all of them, up
    /// to `limit`); a file with any problem yields no drafts at all.
    public static func parse(_ text: String, school: String, limit: Int = 25) -> Result<[TrendDraft], TrendInputProblems> {
        let records: [(line: Int, fields: [String])]
        do { records = try split(text) } catch let error as TrendInputError { return .failure(TrendInputProblems([error])) } catch { return .failure(TrendInputProblems([])) }
        guard let header = records.first else {
            return .failure(TrendInputProblems([TrendInputError(line: 1, message: "het bestand is leeg; de eerste regel noemt de kolommen")]))
        }
        var columns: [String: Int] = [:]
        var errors: [TrendInputError] = []
        for (index, name) in header.fields.enumerated() {
            let key = name.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: " ", with: "-")
            guard let column = aliases[key] else {
                errors.append(TrendInputError(line: header.line, message: "onbekende kolom '\(name)'"))
                continue
            }
            if columns[column] != nil { errors.append(TrendInputError(line: header.line, message: "kolom '\(name)' staat er twee keer in")) }
            columns[column] = index
        }
        let missing = required.filter { columns[$0] == nil }
        if !missing.isEmpty {
            errors.append(TrendInputError(line: header.line, message: "kolom(men) ontbreken: \(missing.joined(separator: ", ")); nodig zijn subject-area, period, group, metric, value en n"))
        }
        if !errors.isEmpty { return .failure(TrendInputProblems(errors)) }

        var drafts: [TrendDraft] = []
        var seen: [String: Int] = [:]
        for record in records.dropFirst() where !(record.fields.count == 1 && record.fields[0].trimmingCharacters(in: .whitespaces).isEmpty) {
            if errors.count >= limit { break }
            func field(_ name: String) -> String? {
                guard let index = columns[name], index < record.fields.count else { return nil }
                let value = record.fields[index].trimmingCharacters(in: .whitespaces)
                return value.isEmpty ? nil : value
            }
            func fail(_ message: String) { errors.append(TrendInputError(line: record.line, message: message)) }
            if record.fields.count != header.fields.count {
                fail("\(record.fields.count) velden, maar de kopregel noemt \(header.fields.count) kolommen"); continue
            }
            if let brin = field("school"), brin.uppercased() != school.uppercased() {
                fail("school \(brin) is niet deze school (\(school)); een school leest alleen haar eigen cijfers in"); continue
            }
            guard let areaText = field("subjectArea"),
                  let area = SubjectArea(rawValue: areaText.lowercased().replacingOccurrences(of: "-", with: " ")) else {
                fail("vakgebied '\(field("subjectArea") ?? "")' is onbekend; kies uit \(SubjectArea.allCases.map(\.label).joined(separator: ", "))"); continue
            }
            guard let period = field("period").flatMap(Period.typed) else {
                fail("periode '\(field("period") ?? "")' is ongeldig; schrijf bijvoorbeeld 2025-2026 M"); continue
            }
            guard let metric = field("metric").flatMap(TrendMetric.init(parsing:)) else {
                fail("maat '\(field("metric") ?? "")' is onbekend; kies uit \(TrendMetric.allCases.map(\.rawValue).joined(separator: ", "))"); continue
            }
            guard let value = field("value").flatMap(number) else { fail("waarde '\(field("value") ?? "")' is geen getal"); continue }
            guard let pupilsText = field("n"), let pupils = Int(pupilsText) else {
                fail("n '\(field("n") ?? "")' is geen geheel aantal leerlingen"); continue
            }
            var draft = TrendDraft(subjectArea: area, period: period, group: field("group") ?? "", metric: metric, value: value, pupils: pupils)
            for (name, keyPath) in [("ambition", \TrendDraft.ambition), ("floor", \.inspectionThreshold), ("nationalAverage", \.nationalAverage)] {
                guard let text = field(name) else { continue }
                guard let number = number(text) else { fail("\(name == "floor" ? "signaleringswaarde" : name == "ambition" ? "ambitie" : "landelijk gemiddelde") '\(text)' is geen getal"); break }
                draft[keyPath: keyPath] = number
            }
            if errors.last?.line == record.line { continue }
            draft.interpretation = field("interpretation") ?? ""
            draft.actions = field("actions") ?? ""
            if let problem = draft.problem() { fail(problem); continue }
            if let earlier = seen[draft.key] {
                fail("dezelfde school, vakgebied, periode, groep en maat staan ook op regel \(earlier)"); continue
            }
            seen[draft.key] = record.line
            drafts.append(draft)
        }
        if !errors.isEmpty { return .failure(TrendInputProblems(errors)) }
        if drafts.isEmpty { return .failure(TrendInputProblems([TrendInputError(line: header.line, message: "het bestand heeft geen rijen onder de kopregel")])) }
        return .success(drafts)
    }

    /// A finite number with a decimal point or a decimal comma (`87.5`, `87,5`).
    public static func number(_ text: String) -> Double? {
        Double(text.replacingOccurrences(of: ",", with: ".")).flatMap { $0.isFinite ? $0 : nil }
    }

    /// Splits CSV into records with the line each starts on, through CSV.swift (quoted fields
    /// with separators, `""` and line breaks; CRLF or LF). The separator is the one the header
    /// line uses most: `;` or `,`.
    static func split(_ text: String) throws -> [(line: Int, fields: [String])] {
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        let firstLine = body.prefix { $0 != "\n" && $0 != "\r\n" && $0 != "\r" }
        let separator: UnicodeScalar = firstLine.filter { $0 == ";" }.count > firstLine.filter { $0 == "," }.count ? ";" : ","
        // Quotes come in pairs (opening and closing, or "" inside a field): an odd count means
        // a field that is never closed.
        if body.unicodeScalars.lazy.filter({ $0 == "\"" }).count % 2 == 1 {
            throw TrendInputError(line: 1 + (body.prefix { $0 != "\"" }.filter { $0 == "\n" || $0 == "\r\n" }.count),
                                  message: "een veld tussen aanhalingstekens wordt niet afgesloten")
        }
        let reader: CSVReader
        do { reader = try CSVReader(string: body, hasHeaderRow: false, delimiter: separator) } catch {
            throw TrendInputError(line: 1, message: "het bestand is geen leesbare CSV")
        }
        var records: [(line: Int, fields: [String])] = []
        var line = 1
        while let row = reader.next() {
            records.append((line, row))
            // The next record starts after this one's line breaks, those inside quoted fields too.
            line += 1 + row.reduce(0) { count, field in count + field.filter { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }.count }
        }
        return records
    }

    /// The text of an exported file: UTF-8 (with or without BOM), or else Windows-1252, which
    /// Excel writes for "CSV (gescheiden door lijstscheidingsteken)". An Excel workbook
    /// (`.xlsx`, a ZIP file) is refused with what to do instead.
    public static func text(of data: Data) throws(TrendInputProblems) -> String {
        if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            throw TrendInputProblems([TrendInputError(line: 1, message: "dit is een Excel-werkmap (.xlsx), geen CSV. Kies in Excel 'Opslaan als' en dan 'CSV UTF-8 (door komma's gescheiden)' of 'CSV (gescheiden door lijstscheidingsteken)', en lees dat bestand in")])
        }
        if data.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) {
            throw TrendInputProblems([TrendInputError(line: 1, message: "dit is een oud Excel-bestand (.xls), geen CSV. Kies in Excel 'Opslaan als' en dan 'CSV (gescheiden door lijstscheidingsteken)'")])
        }
        if let text = String(data: data, encoding: .utf8) { return text }
        if let text = String(data: data, encoding: .windowsCP1252) { return text }
        throw TrendInputProblems([TrendInputError(line: 1, message: "het bestand is geen tekst in UTF-8 of Windows-1252")])
    }
}
