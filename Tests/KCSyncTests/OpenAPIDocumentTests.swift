import Foundation
import KCModel
import Testing

/// docs/openapi.yaml and the server agree where the generator cannot make them: a `pattern`
/// is not checked by the generated code, so the document's period pattern must admit exactly
/// the periods `Period` accepts (schemathesis generates from it and expects them accepted).
struct OpenAPIDocumentTests {
    static func periodPattern() throws -> NSRegularExpression {
        let document = try String(contentsOf: DemoTests.repository.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        let line = try #require(document.split(separator: "\n").first { $0.contains("pattern: '^") && $0.contains("[ME]") })
        let quoted = line.split(separator: "'", omittingEmptySubsequences: false)
        // JSON Schema's `$` (ECMA-262, not multiline) is the end of the text; Foundation's
        // would also match before a final newline.
        var pattern = String(quoted[1])
        if pattern.hasSuffix("$") { pattern = String(pattern.dropLast()) + "\\z" }
        return try NSRegularExpression(pattern: pattern)
    }

    @Test func thePeriodPatternAdmitsExactlyThePeriodsTheServerAccepts() throws {
        let pattern = try Self.periodPattern()
        func admitted(_ text: String) -> Bool {
            pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
        var candidates: [String] = []
        for start in 1990...2110 {
            for end in [start - 1, start, start + 1, start + 2] {
                for moment in ["M", "E", "X", "m"] { candidates.append("\(start)-\(end) \(moment)") }
            }
        }
        candidates += ["", "2025-2026", "2025-2026  M", " 2025-2026 M", "2025-2026 M ", "2025–2026 M", "0000-9999 M", "+202-2026 M",
                       "2025-2026 ME", "2025-2026\nM", "2025-2026 E\n"]
        var checked = 0
        for text in candidates {
            #expect(admitted(text) == (Period(text) != nil), "'\(text)': pattern \(admitted(text)), Period \(Period(text) != nil)")
            checked += Period(text) != nil ? 1 : 0
        }
        #expect(checked == 101 * 2, "every school year from 2000-2001 to 2100-2101, M and E")
    }

    @Test func aPeriodAsAPersonTypesItMayHaveSpacesTheAPIsMayNot() {
        #expect(Period.typed(" 2025-2026  M ") == Period("2025-2026 M"))
        #expect(Period.typed("2025-2026\tE") == Period("2025-2026 E"))
        #expect(Period(" 2025-2026  M ") == nil)
        #expect(Period.typed("2025-2027 M") == nil)
    }
}
