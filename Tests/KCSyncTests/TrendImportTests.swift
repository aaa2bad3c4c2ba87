import Foundation
import KCModel
import Testing

/// The trend file as schools have it: the same `Examples/trends.csv` saved by Excel on Windows
/// (CRLF, a BOM, Windows-1252) reads to the same figures; a workbook is refused in Dutch.
struct TrendImportTests {
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Examples/trends.csv")

    static func drafts(_ data: Data) throws -> [TrendDraft] {
        let text = try TrendCSV.text(of: data)
        switch TrendCSV.parse(text, school: "12AB") {
        case .success(let drafts): return drafts
        case .failure(let problems): throw problems
        }
    }

    @Test func excelVariantsReadLikeTheOriginal() throws {
        let original = try Data(contentsOf: TrendImportTests.example)
        let text = String(decoding: original, as: UTF8.self)
        let expected = try TrendImportTests.drafts(original)
        #expect(expected.count == 10)
        #expect(expected.contains { $0.interpretation.contains("strategieën") }, "the non-ASCII duiding is read")
        let crlf = text.replacingOccurrences(of: "\n", with: "\r\n")
        let variants: [(String, Data)] = [
            ("CRLF", Data(crlf.utf8)),
            ("BOM + CRLF (CSV UTF-8)", Data([0xEF, 0xBB, 0xBF]) + Data(crlf.utf8)),
            ("Windows-1252 + CRLF", try #require(crlf.data(using: .windowsCP1252))),
            ("comma-separated, decimal point", Data(TrendImportTests.commaSeparated(text).utf8)),
        ]
        for (name, data) in variants {
            #expect(try TrendImportTests.drafts(data) == expected, "\(name)")
        }
    }

    /// The same table with `,` between fields and a decimal point, as an English Excel writes it.
    static func commaSeparated(_ text: String) -> String {
        text.split(separator: "\n").map { line in
            // Split on the semicolons outside quotes; a field with a decimal comma becomes a
            // number with a point, a quoted field stays as it is.
            var fields: [String] = [""]
            var quoted = false
            for character in line {
                if character == "\"" { quoted.toggle() }
                if character == ";" && !quoted { fields.append("") } else { fields[fields.count - 1].append(character) }
            }
            return fields.map { value -> String in
                if value.hasPrefix("\"") { return value }
                if value.contains(","), let number = Double(value.replacingOccurrences(of: ",", with: ".")) { return String(number) }
                return value
            }.joined(separator: ",")
        }.joined(separator: "\n") + "\n"
    }

    @Test func aWorkbookIsRefusedWithWhatToDo() {
        let zip = Data([0x50, 0x4B, 0x03, 0x04, 0x14, 0x00])
        #expect(throws: TrendInputProblems.self) { _ = try TrendCSV.text(of: zip) }
        do { _ = try TrendCSV.text(of: zip) } catch { #expect(error.errors.first?.message.contains("Opslaan als") == true) }
    }

    @Test func errorsNameTheLineAlsoAfterAQuotedLineBreak() {
        let text = "vakgebied;periode;groep;maat;waarde;n;duiding\r\nrekenen;2025-2026 M;6;pct-niveau-I-II;52,0;27;\"twee\r\nregels\"\r\nrekenen;2025-2026 X;6;pct-niveau-I-II;52,0;27;\r\n"
        guard case .failure(let problems) = TrendCSV.parse(text, school: "12AB") else { Issue.record("a bad period was read"); return }
        #expect(problems.errors.map(\.line) == [4])
    }
}
