public import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ZIPFoundation

/// The first sheet of a spreadsheet as rows of cell texts, from the three forms schools and
/// the Inspectie have them in: OpenDocument (`.ods`, what the Inspectie publishes), Office Open
/// XML (`.xlsx`, what Excel saves) and CSV (through ``TrendCSV``'s reader: `;` or `,`, UTF-8
/// or Windows-1252). ZIP through ZIPFoundation, XML through Foundation's streaming parser; the
/// two sheet formats are read by hand, since no library for them is among ours.
///
/// A file is untrusted: every entry is read with a size limit (a ZIP bomb stops at it), rows
/// and columns are capped, and repeated cells (ODS's `number-columns-repeated`) are expanded
/// only up to the cap.
public enum Spreadsheet {
    /// The largest uncompressed XML entry read.
    public static let maximumEntryBytes = 64 * 1024 * 1024
    /// Rows, columns and cells read at most (the Inspectie's file has about 6,500 rows of 60
    /// columns; a school's LVS export a few thousand rows).
    public static let maximumRows = 20_000
    public static let maximumColumns = 128
    public static let maximumCells = 1_000_000

    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
        init(_ message: String) { self.message = message }
    }

    /// The kind of file, by its first bytes.
    public enum Kind: Sendable, Equatable { case ods, xlsx, csv }

    public static func kind(of data: Data) -> Kind {
        guard data.starts(with: [0x50, 0x4B, 0x03, 0x04]) else { return .csv }
        // An ODF package stores its media type first, uncompressed.
        if let mimetype = data.range(of: Data("application/vnd.oasis.opendocument.spreadsheet".utf8), in: 0..<min(data.count, 200)), !mimetype.isEmpty {
            return .ods
        }
        return .xlsx
    }

    /// The first sheet's rows; empty trailing cells dropped, empty rows kept (so a row's index
    /// + 1 is its line in the spreadsheet program).
    public static func rows(_ data: Data) throws(Problem) -> [[String]] {
        switch kind(of: data) {
        case .csv:
            let text: String
            do { text = try TrendCSV.text(of: data) } catch { throw Problem(error.errors.first?.message ?? "het bestand is geen tekst") }
            do { return try TrendCSV.split(text).map(\.fields) } catch let error as TrendInputError { throw Problem(error.description) } catch {
                throw Problem("het bestand is geen leesbare CSV")
            }
        case .ods:
            let archive = try open(data)
            let content = try entry("content.xml", in: archive)
            return try parse(content, delegate: ODSReader())
        case .xlsx:
            let archive = try open(data)
            let strings = archive["xl/sharedStrings.xml"] == nil ? [] : try parse(try entry("xl/sharedStrings.xml", in: archive), delegate: SharedStringsReader()).map { $0.first ?? "" }
            let sheet = try firstSheetPath(archive)
            return try parse(try entry(sheet, in: archive), delegate: XLSXSheetReader(strings: strings))
        }
    }

    static func open(_ data: Data) throws(Problem) -> Archive {
        do { return try Archive(data: data, accessMode: .read) } catch { throw Problem("het bestand is geen leesbare werkmap (ZIP)") }
    }

    /// An entry's bytes, refused above ``maximumEntryBytes`` whatever its header claims.
    static func entry(_ path: String, in archive: Archive) throws(Problem) -> Data {
        guard let entry = archive[path] else { throw Problem("de werkmap mist \(path)") }
        guard entry.uncompressedSize <= UInt64(maximumEntryBytes) else { throw Problem("\(path) is groter dan \(maximumEntryBytes / 1_048_576) MB") }
        var out = Data()
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                guard out.count + chunk.count <= maximumEntryBytes else { throw Problem("\(path) is groter dan \(maximumEntryBytes / 1_048_576) MB") }
                out.append(chunk)
            }
        } catch let problem as Problem { throw problem } catch {
            throw Problem("\(path) in de werkmap is beschadigd")
        }
        return out
    }

    /// The path of the workbook's first sheet (workbook.xml's first sheet, through its relationship).
    static func firstSheetPath(_ archive: Archive) throws(Problem) -> String {
        let fallback = "xl/worksheets/sheet1.xml"
        guard archive["xl/workbook.xml"] != nil, archive["xl/_rels/workbook.xml.rels"] != nil else { return fallback }
        let workbook = WorkbookReader()
        _ = try parse(try entry("xl/workbook.xml", in: archive), delegate: workbook)
        let relations = RelationsReader()
        _ = try parse(try entry("xl/_rels/workbook.xml.rels", in: archive), delegate: relations)
        guard let id = workbook.firstSheet, var target = relations.targets[id] else { return fallback }
        if target.hasPrefix("/") { target.removeFirst() } else { target = "xl/" + target }
        return target.contains("..") ? fallback : target
    }

    static func parse(_ data: Data, delegate: some RowsReader) throws(Problem) -> [[String]] {
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        guard parser.parse(), delegate.problem == nil else {
            throw delegate.problem ?? Problem("de werkmap bevat onleesbare XML")
        }
        var rows = delegate.rows
        while rows.last?.allSatisfy(\.isEmpty) == true { rows.removeLast() }
        return rows
    }
}

/// A streaming reader that collects rows of cells.
class RowsReader: NSObject, XMLParserDelegate {
    var rows: [[String]] = []
    var problem: Spreadsheet.Problem?
    private var cells = 0

    func add(row: [String], repeated: Int = 1) {
        var row = row
        while row.last?.isEmpty == true { row.removeLast() }
        // Runs of empty rows (ODS repeats the sheet's blank tail a million times) count once each
        // only while something follows; a run at the end is dropped by the caller.
        let times = row.isEmpty ? min(repeated, 1_000) : min(repeated, Spreadsheet.maximumRows)
        for _ in 0..<times {
            cells += max(row.count, 1)
            guard rows.count < Spreadsheet.maximumRows, cells <= Spreadsheet.maximumCells else {
                problem = Spreadsheet.Problem("het blad is groter dan \(Spreadsheet.maximumRows) rijen of \(Spreadsheet.maximumCells) cellen")
                return
            }
            rows.append(row)
        }
    }

    /// An element's name without its namespace prefix (`x:row` → `row`).
    func local(_ name: String) -> Substring { name.split(separator: ":").last ?? Substring(name) }

    func fail(_ parser: XMLParser, _ message: String) {
        problem = Spreadsheet.Problem(message)
        parser.abortParsing()
    }

    // The delegate's methods live here, and each reader overrides what it needs: a protocol's
    // default implementations would answer for a subclass's own methods otherwise.
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        start(parser, name, attributes)
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { characters(parser, string) }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) { end(parser, name) }

    func start(_ parser: XMLParser, _ name: String, _ attributes: [String: String]) {}
    func characters(_ parser: XMLParser, _ string: String) {}
    func end(_ parser: XMLParser, _ name: String) {}
}

/// content.xml of an ODS: the first `table:table`; cells' text from their `text:p` paragraphs
/// (a number shows as the document shows it, `office:value` when it has one).
final class ODSReader: RowsReader {
    private var tables = 0
    private var inFirstTable = false
    private var row: [String] = []
    private var rowRepeat = 1
    private var cell: String?
    private var cellValue: String?
    private var cellRepeat = 1
    private var paragraphs = 0

    override func start(_ parser: XMLParser, _ name: String, _ attributes: [String: String]) {
        switch name {
        case "table:table":
            tables += 1
            inFirstTable = tables == 1
        case "table:table-row" where inFirstTable:
            row = []
            rowRepeat = Int(attributes["table:number-rows-repeated"] ?? "1") ?? 1
        case "table:table-cell", "table:covered-table-cell":
            guard inFirstTable else { return }
            cell = ""
            paragraphs = 0
            // A number's exact value (the text shows it rounded, with the document's decimal
            // comma); a percentage cell holds a fraction, read as percent.
            switch attributes["office:value-type"] {
            case "float", "currency": cellValue = attributes["office:value"]
            case "percentage": cellValue = attributes["office:value"].flatMap(Double.init).map { String($0 * 100) }
            default: cellValue = nil
            }
            cellRepeat = max(1, Int(attributes["table:number-columns-repeated"] ?? "1") ?? 1)
        case "text:p" where cell != nil:
            if paragraphs > 0 { cell! += "\n" }
            paragraphs += 1
        case "text:s" where cell != nil:
            cell! += String(repeating: " ", count: min(max(1, Int(attributes["text:c"] ?? "1") ?? 1), 100))
        default:
            break
        }
    }

    override func characters(_ parser: XMLParser, _ string: String) {
        guard cell != nil, paragraphs > 0 else { return }
        cell! += string
        if cell!.utf8.count > 10_000 { fail(parser, "een cel heeft meer dan 10.000 tekens") }
    }

    override func end(_ parser: XMLParser, _ name: String) {
        switch name {
        case "table:table-cell", "table:covered-table-cell":
            guard inFirstTable, let text = cell else { return }
            let shown = cellValue ?? text
            let room = Spreadsheet.maximumColumns - row.count
            if room > 0 { row.append(contentsOf: repeatElement(shown, count: min(cellRepeat, room))) }
            cell = nil
        case "table:table-row" where inFirstTable:
            add(row: row, repeated: rowRepeat)
            if problem != nil { parser.abortParsing() }
        case "table:table":
            inFirstTable = false
        default:
            break
        }
    }
}

/// xl/sharedStrings.xml: one "row" per string item (its `t` runs joined).
final class SharedStringsReader: RowsReader {
    private var item: String?
    private var inText = false

    override func start(_ parser: XMLParser, _ qualified: String, _ attributes: [String: String]) {
        let name = local(qualified)
        if name == "si" { item = "" }
        if name == "t" { inText = true }
    }

    override func characters(_ parser: XMLParser, _ string: String) {
        guard inText, item != nil else { return }
        item! += string
        if item!.utf8.count > 10_000 { fail(parser, "een tekst in de werkmap heeft meer dan 10.000 tekens") }
    }

    override func end(_ parser: XMLParser, _ qualified: String) {
        let name = local(qualified)
        if name == "t" { inText = false }
        if name == "si", let text = item {
            guard rows.count < 1_000_000 else { return fail(parser, "de werkmap heeft te veel teksten") }
            rows.append([text])
            item = nil
        }
    }
}

/// A worksheet: `c` cells placed by their `r` reference (`B7`), shared strings looked up.
final class XLSXSheetReader: RowsReader {
    let strings: [String]
    private var rowIndex = 0
    private var row: [String] = []
    private var column = 0
    private var type = ""
    private var text: String?
    private var collecting = false

    init(strings: [String]) { self.strings = strings }

    override func start(_ parser: XMLParser, _ qualified: String, _ attributes: [String: String]) {
        switch local(qualified) {
        case "row":
            row = []
            let number = Int(attributes["r"] ?? "") ?? rowIndex + 1
            guard number > rowIndex, number <= Spreadsheet.maximumRows else { return fail(parser, "de rijen van het blad staan niet op volgorde") }
            // Rows the sheet skips are empty rows.
            for _ in (rowIndex + 1)..<number { add(row: []) }
            rowIndex = number
        case "c":
            type = attributes["t"] ?? "n"
            text = ""
            if let reference = attributes["r"] { column = XLSXSheetReader.column(of: reference) ?? row.count } else { column = row.count }
        case "v", "t":
            collecting = text != nil
        default:
            break
        }
    }

    override func characters(_ parser: XMLParser, _ string: String) {
        guard collecting else { return }
        text! += string
        if text!.utf8.count > 10_000 { fail(parser, "een cel heeft meer dan 10.000 tekens") }
    }

    override func end(_ parser: XMLParser, _ qualified: String) {
        switch local(qualified) {
        case "v", "t":
            collecting = false
        case "c":
            guard let raw = text else { return }
            text = nil
            guard column < Spreadsheet.maximumColumns else { return }
            var value = raw
            switch type {
            case "s":
                guard let index = Int(raw), strings.indices.contains(index) else { return fail(parser, "een cel verwijst naar een tekst die er niet is") }
                value = strings[index]
            case "b":
                value = raw == "1" ? "WAAR" : "ONWAAR"
            default:
                break
            }
            if row.count <= column { row.append(contentsOf: repeatElement("", count: column - row.count + 1)) }
            row[column] = value
        case "row":
            add(row: row)
            if problem != nil { parser.abortParsing() }
        default:
            break
        }
    }

    /// The 0-based column of a cell reference: `A1` → 0, `AB12` → 27.
    static func column(of reference: String) -> Int? {
        var number = 0
        var letters = 0
        for scalar in reference.unicodeScalars {
            guard scalar.value >= 65 && scalar.value <= 90 else { break }
            number = number * 26 + Int(scalar.value - 64)
            letters += 1
            if letters > 3 { return nil }
        }
        return letters == 0 ? nil : number - 1
    }
}

/// xl/workbook.xml: the relationship id of the first sheet.
final class WorkbookReader: RowsReader {
    var firstSheet: String?
    override func start(_ parser: XMLParser, _ name: String, _ attributes: [String: String]) {
        if local(name) == "sheet", firstSheet == nil { firstSheet = attributes["r:id"] }
    }
}

/// A relationships part: id → target.
final class RelationsReader: RowsReader {
    var targets: [String: String] = [:]
    override func start(_ parser: XMLParser, _ name: String, _ attributes: [String: String]) {
        if local(name) == "Relationship", let id = attributes["Id"], let target = attributes["Target"], targets.count < 10_000 { targets[id] = target }
    }
}
