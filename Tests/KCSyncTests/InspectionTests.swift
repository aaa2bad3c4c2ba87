import Foundation
import KCModel
import SyncCore
import Testing
import ZIPFoundation

/// Issue 14: the Inspectie's indicators as it computes them, and its open-data file as it
/// publishes it (ODS; the same table as XLSX or CSV).
struct InspectionTests {
    static func figure(_ area: SubjectArea, _ year: Int, _ moment: String = "E", metric: TrendMetric, _ value: Double, _ pupils: Int,
                       group: String = "8") -> TrendFigure {
        TrendFigure(id: EntityID(high: UInt64(year), low: UInt64.random(in: 0...UInt64.max)), school: "12AB", subjectArea: area, period: Period("\(year)-\(year + 1) \(moment)")!, group: group,
                    metric: metric, value: value, pupils: pupils)
    }

    /// The three subjects of one year at one value.
    static func year(_ year: Int, _ metric: TrendMetric, _ value: Double, _ pupils: Int) -> [TrendFigure] {
        InspectionModel.subjects.map { figure($0, year, metric: metric, value, pupils) }
    }

    static func rounded(_ value: Double?) -> Double? { value.map { ($0 * 100).rounded() / 100 } }

    @Test func theWorkedCheckOfDomainMD() throws {
        // (55.56×18 + 51.28×13 + 47.22×12) / 43 = 51.94
        let figures = Self.year(2023, .percent2F1S, 55.56, 18) + Self.year(2024, .percent2F1S, 51.28, 13) + Self.year(2025, .percent2F1S, 47.22, 12)
            + Self.year(2023, .percent1F, 90, 18) + Self.year(2024, .percent1F, 90, 13) + Self.year(2025, .percent1F, 90, 12)
        let results = InspectionModel.indicators(figures, threshold1S2F: 50.1)
        let high = try #require(results.first { $0.indicator == .percent1S2F })
        #expect(Self.rounded(high.value) == 51.94)
        #expect(high.outcome == .above)
        #expect(Self.rounded(high.margin) == 1.84)
        #expect(high.pupils == 43 && high.complete && high.throughYear == 2025)
        #expect(InspectionModel.describe(high) == "51,94% (2023-2024 t/m 2025-2026, 43 leerlingen)")
        let oneF = try #require(results.first { $0.indicator == .percent1F })
        #expect(oneF.threshold == 85 && oneF.outcome == .above)
    }

    @Test func subjectsCombineAndAYearWeighsByItsPupils() {
        // One small year (5 pupils) at 20% weighs a ninth of a year of 25 and 25.
        var figures = Self.year(2023, .percent1F, 60, 25) + Self.year(2024, .percent1F, 60, 25) + Self.year(2025, .percent1F, 20, 5)
        let result = InspectionModel.indicators(figures, threshold1S2F: nil).first { $0.indicator == .percent1F }!
        #expect(Self.rounded(result.value) == 56.36)
        #expect(result.outcome == .below)
        // Subjects are combined, not judged alone: one subject far below does not decide it.
        figures = [Self.figure(.arithmetic, 2025, metric: .percent1F, 70, 20), Self.figure(.readingComprehension, 2025, metric: .percent1F, 95, 20),
                   Self.figure(.writing, 2025, metric: .percent1F, 95, 20)]
        let combined = InspectionModel.indicators(figures, threshold1S2F: nil).first { $0.indicator == .percent1F }!
        #expect(Self.rounded(combined.value) == 86.67 && combined.outcome == .above)
        // Without a 1S/2F value there is no 1S/2F outcome, only the value.
        let high = InspectionModel.indicators(Self.year(2025, .percent2F1S, 50, 20), threshold1S2F: nil).first { $0.indicator == .percent1S2F }!
        #expect(high.value == 50 && high.threshold == nil && high.outcome == nil)
    }

    @Test func aMissingYearIsLeftOutAndSaidSo() {
        let figures = Self.year(2023, .percent1F, 80, 20) + Self.year(2025, .percent1F, 90, 20)
        let result = InspectionModel.indicators(figures, threshold1S2F: nil).first { $0.indicator == .percent1F }!
        #expect(result.value == 85 && result.missingYears == [2024] && !result.complete)
        #expect(result.years.map(\.startYear) == [2023, 2025])
        #expect(InspectionModel.describe(result).contains("zonder cijfers: 2024-2025"))
        // A year older than the window does not count.
        let old = InspectionModel.indicators(Self.year(2021, .percent1F, 10, 30) + figures, threshold1S2F: nil).first { $0.indicator == .percent1F }!
        #expect(old.value == 85)
    }

    @Test func theOutcomeAtTheBoundary() {
        for (value, outcome) in [(85.0, InspectionOutcome.above), (84.995, .above), (84.99, .below), (85.01, .above)] {
            let result = InspectionModel.indicators(Self.year(2025, .percent1F, value, 20), threshold1S2F: nil).first { $0.indicator == .percent1F }!
            #expect(result.outcome == outcome, "\(value)")
        }
        let high = InspectionModel.indicators(Self.year(2025, .percent2F1S, 45.5, 20), threshold1S2F: 45.5).first { $0.indicator == .percent1S2F }!
        #expect(high.outcome == .above && high.margin == 0)
    }

    @Test func theEndFigureOfAYearCountsAndOtherGroupsAndSubjectsDoNot() {
        let figures = Self.year(2025, .percent1F, 90, 20)
            + [Self.figure(.arithmetic, 2025, "M", metric: .percent1F, 10, 20),             // the midden moment of a year with an eind one
               Self.figure(.technicalReading, 2025, metric: .percent1F, 10, 20),    // not one of the three subjects
               Self.figure(.arithmetic, 2025, metric: .percent1F, 10, 20, group: "7")]  // not groep 8
        let result = InspectionModel.indicators(figures, threshold1S2F: nil).first { $0.indicator == .percent1F }!
        #expect(result.value == 90)
    }

    static var examples: URL { DemoTests.repository.appendingPathComponent("Examples") }

    @Test(arguments: ["ods", "xlsx", "csv"])
    func theOpenDataFileReadsAlikeInEveryForm(format: String) throws {
        let data = try Data(contentsOf: Self.examples.appendingPathComponent("inspectie-referentieniveaus-fictief.\(format)"))
        #expect(Spreadsheet.kind(of: data) == [.ods, .xlsx, .csv][["ods", "xlsx", "csv"].firstIndex(of: format)!])
        let parsed = try InspectieFile.parse(try Spreadsheet.rows(data))
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")
        #expect(parsed.rows.count == 69)
        let palet = try #require(parsed.rows.first { $0.brin == "13LM" })
        #expect(palet.vestiging == "00" && palet.name == "Het Palet" && palet.schoolYear == "2025-2026")
        #expect(palet.schoolWeight == 30.2 && palet.weightCategory == "[30,31)" && palet.threshold1S2F == 45.5)
        #expect(palet.published1S2F == 42.67 && palet.outcome1S2F == "Onder signaleringswaarde")
        #expect(parsed.rows.filter { $0.brin == "05CD" }.map(\.vestiging).sorted() == ["00", "01"])
        let category = try #require(parsed.similar["[30,31)"])
        #expect(category.schools >= 1 && category.average1S2F != nil)
    }

    @Test func aFileThatIsNotTheInspectiesSaysSo() throws {
        let csv = Data("vakgebied;periode;groep\nrekenen;2025-2026 E;8\n".utf8)
        #expect(throws: Spreadsheet.Problem.self) { try InspectieFile.parse(try Spreadsheet.rows(csv)) }
        // A bad number names its line; the other rows are read.
        let text = "BRIN;Vestiging;Schoolweging;Signaleringswaarde 1S/2F\n12AB;00;30,5;45,5\n34CD;00;dertig;45,5\n56EF;0;31,2;veel\n"
        let parsed = try InspectieFile.parse(try Spreadsheet.rows(Data(text.utf8)))
        #expect(parsed.rows.map(\.brin) == ["12AB"])
        #expect(parsed.problems.map(\.line) == [3, 4], "\(parsed.problems)")
    }

    /// A workbook is untrusted: an entry that inflates past the limit stops at it, a sheet
    /// that repeats a row a million times costs no million rows, and broken XML is refused.
    @Test func aHostileWorkbookCostsLittleAndIsRefused() throws {
        func workbook(_ entries: [(String, Data)]) throws -> Data {
            let archive = try Archive(accessMode: .create)
            for (path, data) in entries {
                try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                    data.subdata(in: Int(position)..<Int(position) + size)
                }
            }
            return try #require(archive.data)
        }
        let mimetype = ("mimetype", Data("application/vnd.oasis.opendocument.spreadsheet".utf8))
        // 80 MB of spaces compress to almost nothing.
        let bomb = try workbook([mimetype, ("content.xml", Data(repeating: 0x20, count: 80 * 1024 * 1024))])
        #expect(bomb.count < 1_000_000)
        #expect(throws: Spreadsheet.Problem.self) { try Spreadsheet.rows(bomb) }
        let repeated = """
            <office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x"><office:body><office:spreadsheet><table:table>
            <table:table-row table:number-rows-repeated="5000000"><table:table-cell table:number-columns-repeated="100000" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>
            </table:table></office:spreadsheet></office:body></office:document-content>
            """
        #expect(throws: Spreadsheet.Problem.self) { try Spreadsheet.rows(try workbook([mimetype, ("content.xml", Data(repeated.utf8))])) }
        #expect(throws: Spreadsheet.Problem.self) { try Spreadsheet.rows(try workbook([mimetype, ("content.xml", Data("<office:document-content><table:table".utf8))])) }
        let sheet = #"<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>7</v></c></row></sheetData></worksheet>"#
        #expect(throws: Spreadsheet.Problem.self) { try Spreadsheet.rows(try workbook([("xl/worksheets/sheet1.xml", Data(sheet.utf8))])) }
    }
}
