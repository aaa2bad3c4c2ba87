public import Foundation
import SyncCore

/// One school's row of the Inspectie's yearly open-data file "gemiddelde referentieniveaus
/// primair onderwijs" (onderwijsinspectie.nl, Onderwijsdata): its schoolweging and category,
/// its 1S/2F signaleringswaarde, and the Inspectie's own three-year figures and outcomes.
public struct InspectieRow: Sendable, Equatable, Codable {
    /// The 1-based line in the sheet.
    public var line: Int
    public var brin: String
    /// `00` for the main location.
    public var vestiging: String
    public var name: String
    /// The school year the file is about, `2025-2026`, when the file says.
    public var schoolYear: String?
    public var schoolWeight: Double?
    public var weightCategory: String?
    public var threshold1S2F: Double?
    public var published1F: Double?
    public var published1S2F: Double?
    public var outcome1F: String?
    public var outcome1S2F: String?
}

/// The averages of the schools in one schoolwegingscategorie: "vergelijkbare scholen".
public struct SimilarSchools: Sendable, Equatable, Codable {
    public var category: String
    public var schools: Int
    public var average1F: Double?
    public var average1S2F: Double?
}

/// Reads the Inspectie's file from the rows of its first sheet (``Spreadsheet``). The header
/// row is found by its columns (the file may start with a title), names compared without case,
/// spaces or punctuation; numbers may have a decimal comma, and a percentage column whose value
/// is at most 1 is read as a fraction (the same table saved as XLSX with percent formatting).
public enum InspectieFile {
    public struct Parsed: Sendable, Equatable {
        public var rows: [InspectieRow]
        /// Per schoolwegingscategorie.
        public var similar: [String: SimilarSchools]
        /// Lines that could not be read, with why (they are left out; the rest is used).
        public var problems: [TrendInputError]
    }

    static let columns: [String: [String]] = [
        "brin": ["brin", "brinnummer", "brinnr", "brin4", "instellingscode", "brincode"],
        "vestiging": ["vestiging", "vestigingsnummer", "vestigingsnr", "vestigingscode", "brinvestiging", "brinvestigingsnummer"],
        "name": ["vestigingsnaam", "naamvestiging", "schoolnaam", "instellingsnaam", "naam"],
        "year": ["schooljaar", "peiljaar", "jaar"],
        "weight": ["schoolweging", "gemiddeldeschoolweging", "schoolwegingdriejaarsgemiddelde"],
        "category": ["schoolwegingscategorie", "categorieschoolweging", "wegingscategorie"],
        "threshold": ["signaleringswaarde1s2f", "signaleringswaarde2f1s", "signaleringswaardestreefniveau"],
        "published1F": ["gewogendriejaarsgemiddelde1f", "driejaarsgemiddelde1f", "gewogendriejaarsgemiddeldepercentage1f"],
        "published1S2F": ["gewogendriejaarsgemiddelde1s2f", "gewogendriejaarsgemiddelde2f1s", "driejaarsgemiddelde1s2f",
                          "gewogendriejaarsgemiddeldepercentage1s2f"],
        "outcome1F": ["uitkomstindicator1f"],
        "outcome1S2F": ["uitkomstindicator1s2f", "uitkomstindicator2f1s"],
    ]

    /// A column name compared: lowercased, letters and digits only.
    static func folded(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) && $0.isASCII }.map(Character.init))
    }

    public static func parse(_ sheet: [[String]]) throws(Spreadsheet.Problem) -> Parsed {
        // The header: within the first 30 rows, one naming a BRIN and a signaleringswaarde or schoolweging.
        var found: (index: Int, map: [String: Int])?
        for (index, row) in sheet.prefix(30).enumerated() {
            var map: [String: Int] = [:]
            for (column, name) in row.enumerated() {
                let key = folded(name)
                if let field = columns.first(where: { $0.value.contains(key) })?.key, map[field] == nil { map[field] = column }
            }
            if map["brin"] != nil && (map["threshold"] != nil || map["weight"] != nil) { found = (index, map); break }
        }
        guard let (headerIndex, map) = found else {
            throw Spreadsheet.Problem("geen kopregel met BRIN en schoolweging of signaleringswaarde 1S/2F gevonden in de eerste 30 regels; is dit het bestand 'gemiddelde referentieniveaus primair onderwijs' van de inspectie?")
        }
        var rows: [InspectieRow] = []
        var problems: [TrendInputError] = []
        for (offset, cells) in sheet.dropFirst(headerIndex + 1).enumerated() {
            let line = headerIndex + 2 + offset
            func cell(_ field: String) -> String? {
                guard let column = map[field], column < cells.count else { return nil }
                let text = cells[column].trimmingCharacters(in: .whitespacesAndNewlines)
                return text.isEmpty ? nil : text
            }
            guard var brin = cell("brin")?.uppercased() else { continue }
            var vestiging = cell("vestiging") ?? "00"
            // A combined code such as 12AB00.
            if brin.count == 6, vestiging == "00" || cell("vestiging") == nil {
                vestiging = String(brin.suffix(2))
                brin = String(brin.prefix(4))
            }
            if vestiging.count == 6, vestiging.uppercased().hasPrefix(brin) { vestiging = String(vestiging.suffix(2)) }
            if let number = Int(vestiging), (0...99).contains(number) { vestiging = number < 10 ? "0\(number)" : "\(number)" }
            guard Scope.isValidBRIN(brin) else {
                problems.append(TrendInputError(line: line, message: "BRIN '\(RemoteText.safe(brin, limit: 40))' is geen BRIN-nummer"))
                continue
            }
            var problem: String?
            func percent(_ field: String, _ label: String) -> Double? {
                guard let text = cell(field) else { return nil }
                guard var value = TrendCSV.number(text.replacingOccurrences(of: "%", with: "").trimmingCharacters(in: .whitespaces)) else {
                    problem = "\(label) '\(RemoteText.safe(text, limit: 40))' is geen getal"; return nil
                }
                if value <= 1 && value > 0 { value *= 100 }
                guard (0...100).contains(value) else { problem = "\(label) \(value) ligt niet tussen 0 en 100"; return nil }
                return value
            }
            let weight = cell("weight").flatMap { TrendCSV.number($0) }
            if let text = cell("weight"), weight == nil || !(0...100).contains(weight!) { problem = "schoolweging '\(RemoteText.safe(text, limit: 40))' is geen geldige weging" }
            let row = InspectieRow(
                line: line, brin: brin, vestiging: vestiging, name: RemoteText.safe(cell("name") ?? "", limit: 120), schoolYear: cell("year").flatMap(schoolYear),
                schoolWeight: weight, weightCategory: cell("category").map { RemoteText.safe($0, limit: 20) },
                threshold1S2F: percent("threshold", "signaleringswaarde 1S/2F"), published1F: percent("published1F", "gewogen driejaarsgemiddelde % 1F"),
                published1S2F: percent("published1S2F", "gewogen driejaarsgemiddelde % 1S/2F"),
                outcome1F: cell("outcome1F").map { RemoteText.safe($0, limit: 60) }, outcome1S2F: cell("outcome1S2F").map { RemoteText.safe($0, limit: 60) })
            if let problem {
                problems.append(TrendInputError(line: line, message: problem))
                continue
            }
            rows.append(row)
        }
        var similar: [String: SimilarSchools] = [:]
        for (category, members) in Dictionary(grouping: rows.filter { $0.weightCategory != nil }, by: { $0.weightCategory! }) {
            func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
            similar[category] = SimilarSchools(category: category, schools: members.count,
                                               average1F: mean(members.compactMap(\.published1F)), average1S2F: mean(members.compactMap(\.published1S2F)))
        }
        return Parsed(rows: rows, similar: similar, problems: problems)
    }

    /// `2025-2026` from `2025-2026`, `2025/2026`, `2025/26` or a single year (the year the
    /// school year ends in, as the Inspectie's peiljaar).
    static func schoolYear(_ text: String) -> String? {
        let digits = text.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard let first = digits.first else { return nil }
        if digits.count >= 2, (2000...2100).contains(first) {
            let second = digits[1] < 100 ? 2000 + digits[1] : digits[1]
            return second == first + 1 ? "\(first)-\(second)" : nil
        }
        return (2001...2101).contains(first) ? "\(first - 1)-\(first)" : nil
    }
}

