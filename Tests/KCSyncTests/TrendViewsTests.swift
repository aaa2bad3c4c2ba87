import Foundation
import KCModel
import SyncCore
import Testing

/// Issue 14: the three views kc'ers use, on known data, with the board's small-cell rules.
struct TrendViewsTests {
    static func figure(_ school: String, _ period: String, _ group: String, _ value: Double, n: Int? = 25, band: PupilsBand? = nil,
                       suppression: Suppression? = nil, metric: TrendMetric = .meanAbility) -> TrendFigure {
        var rng = SystemRandomNumberGenerator()
        return TrendFigure(id: EntityID(millis: 1, using: &rng), school: school, subjectArea: .arithmetic, period: Period(period)!, group: group,
                           metric: metric, value: suppression == nil ? value : nil, pupils: n, band: band, suppression: suppression)
    }

    /// Groep 5, 6 and 7 over three school years: cohort A is groep 5 in 2023, 6 in 2024, 7 in 2025.
    static let figures: [TrendFigure] = [
        figure("12AB", "2023-2024 E", "5", 200), figure("12AB", "2023-2024 E", "6", 210), figure("12AB", "2023-2024 E", "7", 220),
        figure("12AB", "2024-2025 E", "5", 201), figure("12AB", "2024-2025 E", "6", 212), figure("12AB", "2024-2025 E", "7", 223),
        figure("12AB", "2025-2026 M", "7", 226), figure("12AB", "2025-2026 E", "5", 199), figure("12AB", "2025-2026 E", "6", 213),
        figure("12AB", "2025-2026 E", "7", 230),
        figure("12AB", "2025-2026 E", "6", 44, metric: .percentLevelIandII), figure("12AB", "2025-2026 E", "6-7", 99),
    ]

    @Test func trendanalyseFollowsOneGroupOverTheYears() {
        let table = TrendViews.trendAnalysis(Self.figures, area: .arithmetic, metric: .meanAbility, moment: .end)
        #expect(table.periods.map(\.description) == ["2023-2024 E", "2024-2025 E", "2025-2026 E"])
        #expect(table.rows.map(\.group) == ["5", "6", "7"], "no cohort row such as 6-7")
        #expect(table.rows.first { $0.group == "6" }!.cells.map(\.value) == [210, 212, 213])
    }

    @Test func dwarsdoorsnedeShowsEveryGroupAtOneMoment() {
        let table = TrendViews.crossSection(Self.figures, area: .arithmetic, period: Period("2025-2026 E")!)
        #expect(table.metrics == [.percentLevelIandII, .meanAbility])
        #expect(table.rows.map(\.group) == ["5", "6", "7"])
        #expect(table.rows.first { $0.group == "6" }!.cells.map(\.display) == ["44%", "213"])
        #expect(table.rows.first { $0.group == "5" }!.cells.map(\.display) == ["–", "199"])
    }

    @Test func leergroeiFollowsOneCohortThroughTheGroups() {
        let table = TrendViews.cohort(Self.figures, area: .arithmetic, metric: .meanAbility, group: 7, period: Period("2025-2026 E")!)
        #expect(table.steps.map { "\($0.group) \($0.period)" } == ["5 2023-2024 E", "6 2024-2025 E", "7 2025-2026 M", "7 2025-2026 E"])
        #expect(table.rows.map(\.school) == ["12AB"])
        #expect(table.rows[0].cells.map(\.value) == [200, 212, 226, 230])
    }

    /// At the board the same views show a small cell as "< 10" and a revealing one as
    /// "afgeschermd", never their value.
    @Test func atTheBoardSmallCellsStayHidden() {
        let board = [Self.figure("12AB", "2024-2025 E", "6", 212, n: nil, band: .from20),
                     Self.figure("12AB", "2025-2026 E", "7", 230, n: nil, band: .under10, suppression: .smallCell),
                     Self.figure("34CD", "2025-2026 E", "7", 231, n: nil, band: .from20, suppression: .complementary)]
        let table = TrendViews.cohort(board, area: .arithmetic, metric: .meanAbility, group: 7, period: Period("2025-2026 E")!)
        #expect(table.rows.first { $0.school == "12AB" }!.cells.map(\.display) == ["212", "< 10"])
        #expect(table.rows.first { $0.school == "34CD" }!.cells.map(\.display) == ["–", "afgeschermd"])
        #expect(table.rows.allSatisfy { $0.cells.allSatisfy { $0.display != "230" && $0.display != "231" } })
    }
}
