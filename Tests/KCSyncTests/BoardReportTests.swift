import Foundation
import GRDB
import KCModel
import KCReplica
import SyncCore
import SyncStore
import Testing

/// The merged view's window: the last eight periods up to the one asked for.
struct BoardReportTests {
    @Test func theViewShowsFourSchoolYearsUpToThePeriodAskedFor() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let board = try BoardReplica.create(in: directory.appendingPathComponent("board"), board: "41234")
        let school = try KCReplica.create(in: directory.appendingPathComponent("12AB"), school: "12AB", board: "41234")
        try board.register(school: "12AB", key: school.publicKeyHex)
        // Five school years of one series, falling from the third year on.
        let periods = (2020..<2025).flatMap { year in ["M", "E"].map { Period("\(year)-\(year + 1) \($0)")! } }
        let values: [Double] = [50, 51, 50, 52, 51, 50, 48, 46, 44, 42]
        try school.addTrends(zip(periods, values).map { period, value in
            TrendDraft(subjectArea: .arithmetic, period: period, group: "6", metric: .percentLevelIandII, value: value,
                       pupils: period == periods[9] ? 9 : 25)
        })
        _ = try board.store.apply(try school.store.changes(in: school.boardScope, missingFrom: VersionVector()))
        let latest = try board.report()
        let series = try #require(latest.subjects.first?.series.first)
        #expect(latest.subjects.first?.periods == periods.suffix(8).map(\.description))
        #expect(series.points.map(\.period) == periods.suffix(8).map(\.description))
        // The latest figure is over 9 pupils: shown as "< 10", and the direction uses the shown figures before it.
        #expect(series.points.last?.display == "< 10" && series.points.last?.value == nil)
        #expect(series.points.first?.pupilsBand == "20–29")
        #expect(series.direction == TrendDirection.falling.rawValue)

        let earlier = try board.report(period: periods[4])
        let old = try #require(earlier.subjects.first?.series.first)
        #expect(old.points.map(\.period) == periods.prefix(5).map(\.description))
        #expect(old.direction == TrendDirection.stable.rawValue)   // 50, 52, 51: within 2 points
        #expect(earlier.signals.isEmpty)
        #expect(try board.periods() == periods)
    }

    /// The merged view reads one subject's figures and the list of periods through the
    /// board's trend indexes, not by scanning every figure of every school.
    @Test func theViewsQueriesUseTheTrendIndexes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let board = try BoardReplica.create(in: directory.appendingPathComponent("board"), board: "41234")
        let plans = try board.store.read { db -> [String] in
            let scope = try Int64.fetchOne(db, sql: "SELECT id FROM scope WHERE name = 'board/41234'") ?? 0
            return try [
                "SELECT id FROM record_trendAnalysis WHERE scope = \(scope) AND deleted = 0 AND subjectArea = 'rekenen' AND period IN ('2024-2025 M', '2024-2025 E')",
                "SELECT MIN(period) FROM record_trendAnalysis WHERE scope = \(scope) AND deleted = 0 AND period > '2024-2025 E'",
                // The subjects the board's views offer (BoardReport.subjectAreas).
                "SELECT EXISTS (SELECT 1 FROM record_trendAnalysis WHERE scope = \(scope) AND subjectArea = 'rekenen' AND deleted = 0)",
            ].map { sql in try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String }.joined(separator: "; ") }
        }
        #expect(plans[0].contains("USING INDEX trend_view"), "\(plans[0])")
        #expect(plans[1].contains("USING INDEX trend_periods"), "\(plans[1])")
        #expect(plans[2].contains("USING INDEX trend_view"), "\(plans[2])")
    }
}
