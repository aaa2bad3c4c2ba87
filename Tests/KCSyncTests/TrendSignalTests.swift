import Foundation
import KCModel
import SyncCore
import Testing

/// Signals are computed from the figures: direction, ambitie, floor; across schools, how
/// many share one; and a figure over fewer than 10 pupils takes no part.
struct TrendSignalTests {
    static let periods = ["2024-2025 M", "2024-2025 E", "2025-2026 M", "2025-2026 E"].compactMap(Period.init)

    static func figure(_ school: String, _ area: SubjectArea = .readingComprehension, group: String = "6",
                       metric: TrendMetric = .percentLevelIandII, period: Int, value: Double, pupils: Int = 25,
                       ambition: Double? = nil, floor: Double? = nil) -> TrendFigure {
        TrendFigure(id: EntityID(high: UInt64(period), low: UInt64.random(in: 0...UInt64.max)), school: school, subjectArea: area, period: periods[period], group: group, metric: metric,
                    value: value, pupils: pupils, ambition: ambition, inspectionThreshold: floor)
    }

    static func series(_ school: String, group: String = "6", _ values: [Double], pupils: Int = 25) -> [TrendFigure] {
        values.enumerated().map { figure(school, group: group, period: $0.offset, value: $0.element, pupils: pupils) }
    }

    @Test func directionNeedsThreePeriodsAndReadsTheLastThree() {
        #expect(TrendSignals.direction([50, 48]) == .tooFew)
        #expect(TrendSignals.direction([50, 48, 45]) == .falling)
        #expect(TrendSignals.direction([40, 50, 48, 45]) == .falling)   // only the last three count
        #expect(TrendSignals.direction([45, 48, 50]) == .rising)
        #expect(TrendSignals.direction([50, 51, 50.5]) == .stable)
        #expect(TrendSignals.direction([50, 56, 49]) == .mixed)
        #expect(TrendSignals.direction([50, 50, 45]) == .mixed)
    }

    @Test func seriesSignalsUseTheLatestFigureInPeriodOrder() {
        // Given out of order: the latest period (index 3) decides ambitie and floor.
        let figures = [
            TrendSignalTests.figure("03AB", .arithmetic, group: "8", metric: .percent1F, period: 3, value: 83, ambition: 92, floor: 85),
            TrendSignalTests.figure("03AB", .arithmetic, group: "8", metric: .percent1F, period: 1, value: 90, ambition: 92, floor: 85),
        ]
        let signals = TrendSignals.signals(figures)
        #expect(signals.underFloor == true)
        #expect(signals.underAmbition == true)
        #expect(signals.direction == .tooFew)
        // No floor for a metric the Inspectorate sets none for, even if one was stored.
        let growth = TrendSignals.signals([TrendSignalTests.figure("03AB", metric: .abilityGrowth, period: 0, value: 4, floor: 85)])
        #expect(growth.underFloor == nil)
        #expect(growth.underAmbition == nil)
    }

    @Test func theBoardCountsSchoolsThatShareASignal() throws {
        var figures: [TrendFigure] = []
        for school in ["03AB", "07EF", "11JK", "15NP"] {
            figures += TrendSignalTests.series(school, group: "6", [55, 52, 48, 44])
        }
        figures += TrendSignalTests.series("07EF", group: "7", [60, 57, 53, 50])
        for school in ["05CD", "09GH", "13LM", "17RS", "19TU", "21VW", "23XY"] {
            figures += TrendSignalTests.series(school, group: "6", [50, 52, 49, 51])
        }
        let signals = BoardSignal.signals(figures)
        let falling = try #require(signals.first(where: { $0.kind == .falling }))
        #expect(falling.schools == ["03AB", "07EF", "11JK", "15NP"])
        #expect(falling.outOf == 11)
        #expect(falling.text == "dalende trend begrijpend lezen groep 6–7 (% niveau I–II) bij 4 van 11 scholen")
    }

    @Test func aSignalAsOfAnEarlierPeriodIgnoresLaterFigures() {
        let figures = TrendSignalTests.series("03AB", [55, 52, 48, 50])
        #expect(BoardSignal.signals(figures).contains { $0.kind == .falling } == false)
        #expect(BoardSignal.signals(figures, asOf: TrendSignalTests.periods[2]).contains { $0.kind == .falling })
    }

    @Test func figuresOverFewerThanTenPupilsTakeNoPartInBoardSignals() {
        // The same falling series: over 9 pupils it is invisible to the board, over 10 it counts.
        let small = TrendSignalTests.series("17RS", [55, 50, 45], pupils: 9)
        #expect(small.allSatisfy { $0.isSuppressed })
        #expect(BoardSignal.signals(small).isEmpty)
        let enough = TrendSignalTests.series("17RS", [55, 50, 45], pupils: 10)
        #expect(!enough.contains { $0.isSuppressed })
        #expect(BoardSignal.signals(enough).map(\.kind) == [.falling])
    }

    @Test func groupsAreWrittenAsAKcErWould() {
        #expect(TrendSignals.describeGroups(["7", "6"]) == "6–7")
        #expect(TrendSignals.describeGroups(["4", "6", "8"]) == "4, 6 en 8")
        #expect(TrendSignals.describeGroups(["6-7"]) == "6-7")
        #expect(TrendMetric.percentLevelIandII.format(87.5) == "87,5%")
        #expect(TrendMetric.abilityGrowth.format(12) == "12")
        #expect(TrendMetric.abilityGrowth.format(-3.25) == "-3,3")
        #expect(TrendMetric.percent1F.format(99.96) == "100%")
        // A value no school could type but a broken replica could send does not crash the board.
        #expect(TrendMetric.percent1F.format(.nan) == "–")
        #expect(TrendMetric.percent1F.format(.infinity) == "–")
    }

    @Test func csvRowsAreCheckedAndEveryBadLineIsNamed() throws {
        let good = """
            vakgebied;periode;groep;maat;waarde;n;ambitie;duiding
            begrijpend lezen;2024-2025 M;6;pct-niveau-I-II;55,5;30;50;"Sterk; ""goed""
            tweede regel"
            rekenen;2024-2025 E;8;1F;91;28;;
            """
        let drafts = try TrendCSV.parse(good, school: "12AB").get()
        #expect(drafts.count == 2)
        #expect(drafts[0].value == 55.5)
        #expect(drafts[0].interpretation == "Sterk; \"goed\"\ntweede regel")
        #expect(drafts[1].metric == .percent1F)
        #expect(drafts[1].ambition == nil)

        let bad = """
            school,subject-area,period,group,metric,value,n
            12AB,rekenen,2025-2026 M,6,pct-niveau-I-II,48,30
            12AB,rekenen,2025-2026 M,6,pct-niveau-I-II,49,30
            12AB,rekenen,2025-2026 X,6,pct-niveau-I-II,48,30
            34CD,rekenen,2025-2026 M,6,pct-niveau-I-II,48,30
            12AB,rekenen,2025-2026 M,5,pct-niveau-I-II,148,30
            12AB,rekenen,2025-2026 M,5,pct-1F,90,0
            """
        guard case .failure(let problems) = TrendCSV.parse(bad, school: "12AB") else {
            Issue.record("a file with bad rows was accepted")
            return
        }
        #expect(problems.errors.map(\.line) == [3, 4, 5, 6, 7])
        #expect(problems.errors[0].message.contains("regel 2"))
        #expect(problems.errors[2].message.contains("34CD"))
        guard case .failure(let header) = TrendCSV.parse("vakgebied;periode\nrekenen;2025-2026 M", school: "12AB") else {
            Issue.record("a file without the required columns was accepted")
            return
        }
        #expect(header.errors.first?.line == 1)
        #expect(header.errors.first?.message.contains("group") == true)
    }

    /// Series sort as the view lists them: by subject, then school, then group with the
    /// shorter name first (8 before 10), then metric.
    @Test func seriesSortBySubjectSchoolGroupAndMetric() {
        func key(_ area: SubjectArea, _ school: String, _ group: String, _ metric: TrendMetric) -> SeriesKey {
            SeriesKey(school: school, subjectArea: area, group: group, metric: metric)
        }
        let expected = [
            key(.readingComprehension, "12AB", "8", .percent1F),
            key(.arithmetic, "12AB", "8", .percent1F),
            key(.arithmetic, "12AB", "8", .percent2F1S),
            key(.arithmetic, "12AB", "10", .percent1F),
            key(.arithmetic, "34CD", "3", .percent1F),
        ]
        #expect(expected.reversed().sorted() == expected)
        #expect(expected.shuffled().sorted() == expected)
        #expect(!(expected[1] < expected[1]))
    }
}
